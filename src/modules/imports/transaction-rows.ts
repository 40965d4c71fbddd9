import { gtinProblemText, normaliseGtin } from '../../lib/codes.ts'
import { columnIndex, copyText, type CsvRecord, type RowErrors } from './csv-input.ts'
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
  quantity: number
  /** null: no price given. */
  unitPrice: number | null
}

/** Where the rows of a grouped file go: fields as checked, no spool text to parse again. */
export interface RowSink {
  row(line: number, customer: string, transaction: string, row: CheckedRow): void
  /** A rejected row whose customer and transaction are known: it holds that sale back. */
  marker(line: number, customer: string, transaction: string): void
}

/** Validates transaction rows and spools the good ones, and markers for the bad ones. */
export class TransactionRowEncoder {
  /** Good rows per bucket, to cut batches without reading the spool (markers not counted). */
  readonly bucketRows = new Uint32Array(BUCKETS)
  rows = 0
  private readonly days = new DayParser()
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
    return { day, occurredAt, store, productKey, quantity, unitPrice }
  }
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
