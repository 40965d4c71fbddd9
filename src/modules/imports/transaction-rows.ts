import { gtinProblemText, normaliseGtin } from '../../lib/codes.ts'
import { columnIndex, copyText, type CsvRecord, type RowErrors } from './csv-input.ts'
import type { LineSink } from './grouped-reader.ts'
import { DayParser, MAX_ID_LENGTH, requiredText, RowProblem, text, timestamp, wholeNumber } from './row-checks.ts'

export const TRANSACTION_REQUIRED_COLUMNS = ['customer_id', 'transaction_id', ['day', 'occurred_at'], ['product_id', 'gtin'], 'quantity']

/**
 * Rows are spooled per customer bucket: all rows of a customer, hence of each of their
 * transactions, land in the same bucket, so a batch made of whole buckets never splits a
 * sale from any of its lines, however the file is sorted.
 */
export const BUCKETS = 1024

const MAX_QUANTITY = 1_000_000

/** FNV-1a: cheap, stable across runs, spreads short numeric ids well. */
function bucketOf(id: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % BUCKETS
}

/**
 * Where rows go: the customer and transaction, tab-separated, then for a good row day,
 * occurred_at, store_id (each '' for none), product key, quantity and unit_price_cents (\N for
 * none); a rejected row's marker stops after the transaction. Text is in COPY escaping, so no
 * raw tab or line break. A product key is 'e' + chain id + '|' + GTIN (or ''), or 'g' + GTIN.
 * BatchDraft reads them back.
 */
export interface SpoolSink {
  add(bucket: number, line: number, row: string): void
}

/** A good row's checked fields; a product key as in the spool text. */
export interface CheckedRow {
  day: string | null
  occurredAt: string | null
  store: string | null
  productKey: string
  /**
   * The key's entry in the encoder's cache, when it has one (line() on a numeric chain id): the
   * same object for every row naming that product, so a batch can keep its own record of the
   * product on it (RowDraft.add) instead of looking the key up in a map for every row.
   */
  productSlot: ProductSlot | undefined
  quantity: number
  /** null: no price given. */
  unitPrice: number | null
}

/** A product key cached by the encoder, and whatever the batch being gathered keeps on it. */
export interface ProductSlot {
  readonly key: string
  /** The batch that last met the key, and what it keeps (RowDraft: the product's record, its index). */
  owner: object | undefined
  ref: unknown
  index: number
}

/** Where the rows of a grouped file go: fields as checked, no spool text to parse again. */
export interface RowSink {
  row(line: number, customer: string, transaction: string, row: CheckedRow): void
  /** A rejected row whose customer and transaction are known: it holds that sale back. */
  marker(line: number, customer: string, transaction: string): void
}

const COMMA = 44
const MAX_QUANTITY_DIGITS = 7
const MAX_PRICE = 2_147_483_647
/** Columns the byte-level check (TransactionRowEncoder.line) knows; others are ignored by both checks. */
const FAST_UNSUPPORTED = ['occurred_at', 'gtin', 'store_id']

/** Validates transaction rows and spools the good ones, and markers for the bad ones. */
export class TransactionRowEncoder implements LineSink {
  /** Good rows per bucket, to cut batches without reading the spool (markers not counted). */
  readonly bucketRows = new Uint32Array(BUCKETS)
  rows = 0
  private readonly days = new DayParser()
  /** Whether line() may check rows on the bytes: a grouped file with the columns it knows. */
  private readonly fast: boolean
  private readonly bounds: Int32Array
  /**
   * The last row line() accepted: most fields repeat it. Its fields' bytes are known by where
   * they sit in the piece of input that held them (a view of each, made for every sale, cost
   * more than the comparisons).
   */
  private readonly last = {
    customer: '',
    customerBuf: EMPTY,
    customerFrom: 0,
    customerTo: 0,
    transaction: '',
    transactionBuf: EMPTY,
    transactionFrom: 0,
    transactionTo: 0,
    day: null as string | null,
    dayBuf: EMPTY,
    dayFrom: 0,
    dayTo: 0,
  }
  /** Product keys of numeric chain ids, by value: small ones in pages of an array, any other in a map. */
  private productSlots = emptySlotPages()
  private readonly largeProductSlots = new Map<number, ProductSlot>()
  private productSlotCount = 0
  /** Handed to the sink for every row line() accepts; the sink copies what it keeps. */
  private readonly scratch: CheckedRow = { day: null, occurredAt: null, store: null, productKey: '', productSlot: undefined, quantity: 0, unitPrice: null }
  private readonly at: {
    customer: number
    transaction: number
    day: number
    occurredAt: number
    product: number
    gtin: number
    quantity: number
    store: number
    price: number
  }

  constructor(
    private readonly columns: string[],
    private readonly knownStores: ReadonlySet<string>,
    private readonly errors: RowErrors,
    private readonly sink: SpoolSink | RowSink,
  ) {
    this.bounds = new Int32Array(columns.length + 1)
    const index = columnIndex(columns)
    const at = (name: string) => index(name) ?? -1
    this.at = {
      customer: at('customer_id'),
      transaction: at('transaction_id'),
      day: at('day'),
      occurredAt: at('occurred_at'),
      product: at('product_id'),
      gtin: at('gtin'),
      quantity: at('quantity'),
      store: at('store_id'),
      price: at('unit_price_cents'),
    }
    this.fast = 'row' in sink && this.at.day >= 0 && this.at.product >= 0 && !FAST_UNSUPPORTED.some((c) => columns.includes(c))
  }

  /**
   * One line of a grouped file (GroupedReader): no quotes, so its fields are the line split at
   * commas, as CsvReader would give them. The usual row (printable ASCII ids, a date or day
   * number, digits for quantity and price) is checked here on the bytes, and a string made only
   * of what changed since the row before (the customer, transaction and day repeat for a whole
   * sale): the same checks as check(), for the rows they accept. Any other line, and any line
   * with a problem, goes through encode() like every row of a spooled file, so what is accepted
   * and every rejection's message are the same either way.
   */
  line(line: number, buf: Buffer, start: number, end: number): void {
    if (!this.fast || !this.fastLine(line, buf, start, end)) this.encode([{ line, fields: buf.toString('utf8', start, end).split(',') }])
  }

  private fastLine(line: number, buf: Buffer, start: number, end: number): boolean {
    const bounds = this.bounds
    const n = this.columns.length
    let f = 0
    bounds[0] = start
    for (let i = start; i < end; i++) {
      if (buf[i] !== COMMA) continue
      if (++f >= n) return false
      bounds[f] = i + 1
    }
    if (f !== n - 1) return false
    bounds[n] = end + 1
    const at = this.at
    const last = this.last

    // Customer and transaction: 1 to MAX_ID_LENGTH printable ASCII characters, nothing to trim.
    // The bytes of the row before passed that check already: most rows repeat them.
    const customerFrom = bounds[at.customer]!
    const customerTo = bounds[at.customer + 1]! - 1
    let customer = last.customer
    const newCustomer = !sameBytes(buf, customerFrom, customerTo, last.customerBuf, last.customerFrom, last.customerTo)
    if (newCustomer) {
      if (!printable(buf, customerFrom, customerTo, MAX_ID_LENGTH, false)) return false
      customer = buf.toString('latin1', customerFrom, customerTo)
    }
    const transactionFrom = bounds[at.transaction]!
    const transactionTo = bounds[at.transaction + 1]! - 1
    let transaction = last.transaction
    const newTransaction = !sameBytes(buf, transactionFrom, transactionTo, last.transactionBuf, last.transactionFrom, last.transactionTo)
    if (newTransaction) {
      if (!printable(buf, transactionFrom, transactionTo, MAX_ID_LENGTH, false)) return false
      transaction = buf.toString('latin1', transactionFrom, transactionTo)
    }

    const dayFrom = bounds[at.day]!
    const dayTo = bounds[at.day + 1]! - 1
    let day = last.day
    const newDay = !sameBytes(buf, dayFrom, dayTo, last.dayBuf, last.dayFrom, last.dayTo)
    if (newDay) {
      if (!printable(buf, dayFrom, dayTo, 32, false)) return false
      day = this.parseDay(buf.toString('latin1', dayFrom, dayTo))
      if (day === null) return false
    }

    // A chain product id: printable, no backslash (COPY text would escape it); digits without a
    // leading zero are remembered by value, so a row costs no new string.
    let from = bounds[at.product]!
    let to = bounds[at.product + 1]! - 1
    if (!printable(buf, from, to, MAX_ID_LENGTH, true)) return false
    const numeric = to - from <= 15 && (to - from === 1 || buf[from] !== 48) ? digits(buf, from, to) : -1
    let slot = numeric >= 0 ? this.productSlot(numeric) : undefined
    if (slot === undefined && numeric >= 0) slot = this.newProductSlot(numeric, `e${buf.toString('latin1', from, to)}|`)
    const productKey = slot === undefined ? `e${buf.toString('latin1', from, to)}|` : slot.key

    from = bounds[at.quantity]!
    to = bounds[at.quantity + 1]! - 1
    const quantity = to - from <= MAX_QUANTITY_DIGITS ? digits(buf, from, to) : -1
    if (quantity < 0 || quantity > MAX_QUANTITY) return false
    let unitPrice: number | null = null
    if (at.price >= 0) {
      from = bounds[at.price]!
      to = bounds[at.price + 1]! - 1
      if (to > from) {
        unitPrice = to - from <= 10 ? digits(buf, from, to) : -1
        if (unitPrice < 0 || unitPrice > MAX_PRICE) return false
      }
    }

    this.rows++
    if (newCustomer) {
      last.customer = customer
      last.customerBuf = buf
      last.customerFrom = customerFrom
      last.customerTo = customerTo
    }
    if (newTransaction) {
      last.transaction = transaction
      last.transactionBuf = buf
      last.transactionFrom = transactionFrom
      last.transactionTo = transactionTo
    }
    if (newDay) {
      last.day = day
      last.dayBuf = buf
      last.dayFrom = dayFrom
      last.dayTo = dayTo
    }
    const row = this.scratch
    row.day = day
    row.productKey = productKey
    row.productSlot = slot
    row.quantity = quantity
    row.unitPrice = unitPrice
    ;(this.sink as RowSink).row(line, customer, transaction, row)
    return true
  }

  /** A day as line() found it, checked; null when the general check should report it. */
  private parseDay(raw: string): string | null {
    try {
      return this.days.parse('day', raw)
    } catch (err) {
      if (err instanceof RowProblem) return null
      throw err
    }
  }

  private productSlot(numeric: number): ProductSlot | undefined {
    return numeric < SMALL_PRODUCT_IDS ? this.productSlots[numeric >>> SLOT_PAGE_BITS]?.[numeric & SLOT_PAGE_MASK] : this.largeProductSlots.get(numeric)
  }

  private newProductSlot(numeric: number, key: string): ProductSlot {
    // Bounded: a file naming more products than this starts over (a batch copes either way).
    if (this.productSlotCount >= MAX_PRODUCT_SLOTS) {
      this.productSlots = emptySlotPages()
      this.largeProductSlots.clear()
      this.productSlotCount = 0
    }
    const slot: ProductSlot = { key, owner: undefined, ref: undefined, index: -1 }
    if (numeric < SMALL_PRODUCT_IDS) {
      // Arrays filled up front: a sparse one would become a slow dictionary.
      const page = (this.productSlots[numeric >>> SLOT_PAGE_BITS] ??= new Array<ProductSlot | undefined>(SLOT_PAGE_MASK + 1).fill(undefined))
      page[numeric & SLOT_PAGE_MASK] = slot
    } else this.largeProductSlots.set(numeric, slot)
    this.productSlotCount++
    return slot
  }

  /**
   * A bad row is reported and, when its customer and transaction can still be read, spooled
   * as a marker that holds its whole transaction back: importing the rest would make the sale
   * "done" for idempotence, and the corrected row could never be added by a later import.
   */
  encode(records: CsvRecord[]): void {
    for (const { line, fields } of records) {
      this.rows++
      let customer: string
      let transaction: string
      try {
        customer = requiredText('customer_id', fields[this.at.customer] ?? '', MAX_ID_LENGTH)
        transaction = requiredText('transaction_id', fields[this.at.transaction] ?? '', MAX_ID_LENGTH)
      } catch (err) {
        if (!(err instanceof RowProblem)) throw err
        this.errors.add(line, fields.length === this.columns.length ? err.message : `expected ${this.columns.length} columns, found ${fields.length}`)
        continue
      }
      if ('row' in this.sink) {
        try {
          const checked = this.check(fields)
          this.sink.row(line, customer, transaction, checked)
        } catch (err) {
          if (!(err instanceof RowProblem)) throw err
          this.errors.add(line, err.message)
          this.sink.marker(line, customer, transaction)
        }
        continue
      }
      const bucket = bucketOf(customer)
      const key = `${copyText(customer)}\t${copyText(transaction)}`
      try {
        const rest = this.rest(fields)
        this.bucketRows[bucket]!++
        this.sink.add(bucket, line, `${key}\t${rest}`)
      } catch (err) {
        if (!(err instanceof RowProblem)) throw err
        this.errors.add(line, err.message)
        this.sink.add(bucket, line, key)
      }
    }
  }

  /** "day or occurred_at", naming only the columns the file has. */
  private present(...names: string[]): string {
    return names.filter((n) => this.columns.includes(n)).join(' or ')
  }

  /** The spooled fields after the transaction key; throws RowProblem. */
  private rest(fields: string[]): string {
    const { day, occurredAt, store, productKey, quantity, unitPrice } = this.check(fields)
    return `${day ?? ''}\t${occurredAt ?? ''}\t${store === null ? '' : copyText(store)}\t${productKey}\t${quantity}\t${unitPrice ?? '\\N'}`
  }

  /** A row's fields after the customer and transaction, checked; throws RowProblem. */
  private check(fields: string[]): CheckedRow {
    if (fields.length !== this.columns.length) throw new RowProblem(`expected ${this.columns.length} columns, found ${fields.length}`)
    const at = this.at
    const day = at.day < 0 ? null : this.days.parse('day', fields[at.day]!)
    const occurredAt = at.occurredAt < 0 ? null : timestamp('occurred_at', fields[at.occurredAt]!)
    if (!day && !occurredAt) throw new RowProblem(`${this.present('day', 'occurred_at')} is missing`)

    const productExt = at.product < 0 ? null : text('product_id', fields[at.product]!, MAX_ID_LENGTH)
    let gtin: string | null = null
    const rawGtin = at.gtin < 0 ? '' : fields[at.gtin]!.trim()
    if (rawGtin) {
      const n = normaliseGtin(rawGtin)
      if ('problem' in n) throw new RowProblem(`gtin ${rawGtin}: ${gtinProblemText[n.problem]}`)
      gtin = n.gtin
    }
    if (!productExt && !gtin) throw new RowProblem(`${this.present('product_id', 'gtin')} is missing`)

    const quantity = wholeNumber('quantity', fields[at.quantity] ?? '', MAX_QUANTITY)
    if (quantity === null) throw new RowProblem('quantity is missing')
    const unitPrice = at.price < 0 ? null : wholeNumber('unit_price_cents', fields[at.price]!)
    const store = at.store < 0 ? null : text('store_id', fields[at.store]!, 32)
    if (store !== null && !this.knownStores.has(store)) throw new RowProblem(`store_id ${store} is not a known store`)

    // The product a row names: by the chain's id first, its GTIN otherwise (see resolveProducts).
    const productKey = productExt !== null ? `e${copyText(productExt)}|${gtin ?? ''}` : `g${gtin}`
    return { day, occurredAt, store, productKey, productSlot: undefined, quantity, unitPrice }
  }
}

/** Numeric chain product ids below this are cached in an array (TransactionRowEncoder.productSlots). */
const SMALL_PRODUCT_IDS = 1 << 20
const SLOT_PAGE_BITS = 12
const SLOT_PAGE_MASK = (1 << SLOT_PAGE_BITS) - 1

function emptySlotPages(): ((ProductSlot | undefined)[] | undefined)[] {
  return new Array<(ProductSlot | undefined)[] | undefined>(SMALL_PRODUCT_IDS >>> SLOT_PAGE_BITS).fill(undefined)
}
const MAX_PRODUCT_SLOTS = 100_000

/** Bytes from..to are 1 to max printable ASCII characters (no space, so nothing to trim); no backslash if asked. */
function printable(buf: Buffer, from: number, to: number, max: number, noBackslash: boolean): boolean {
  if (to <= from || to - from > max) return false
  for (let i = from; i < to; i++) {
    const c = buf[i]!
    if (c < 33 || c > 126 || (noBackslash && c === 92)) return false
  }
  return true
}

const EMPTY: Buffer = Buffer.alloc(0)

/** Bytes from..to of buf are those at..end of other (and not none). */
function sameBytes(buf: Buffer, from: number, to: number, other: Buffer, at: number, end: number): boolean {
  const length = to - from
  if (length !== end - at || length === 0) return false
  for (let i = 0; i < length; i++) if (buf[from + i] !== other[at + i]) return false
  return true
}

/** The whole number the digits from..to spell, or -1 when empty or not all digits. */
function digits(buf: Buffer, from: number, to: number): number {
  if (to <= from) return -1
  let n = 0
  for (let i = from; i < to; i++) {
    const d = buf[i]! - 48
    if (d < 0 || d > 9) return -1
    n = n * 10 + d
  }
  return n
}

/**
 * Contiguous bucket ranges of about `batchRows` good rows each (a single bucket may exceed it).
 * The first batches are smaller (a quarter, then a half): nothing is written until the first
 * one is prepared, so a small one gets PostgreSQL working sooner, and the pipeline (one batch
 * prepared while the one before is written) is full from then on.
 */
export function bucketBatches(bucketRows: Uint32Array, batchRows: number): { from: number; to: number; rows: number }[] {
  const batches: { from: number; to: number; rows: number }[] = []
  let from = 0
  let rows = 0
  let target = Math.max(1, Math.floor(batchRows / 4))
  for (let b = 0; b < bucketRows.length; b++) {
    rows += bucketRows[b]!
    if (rows >= target || b === bucketRows.length - 1) {
      if (rows > 0) {
        batches.push({ from, to: b, rows })
        target = Math.min(batchRows, target * 2)
      }
      from = b + 1
      rows = 0
    }
  }
  return batches
}
