import type { RowError } from './import.types.ts'
import {
  CHUNK_CHARS,
  firstLineMatters,
  heldRows,
  resolveRef,
  type Draft,
  type ProductMap,
  type ProductRef,
  type SaleDraft,
} from './transaction-batch.ts'
import type { CheckedRow, ProductSlot, RowSink } from './transaction-rows.ts'

interface RowSale extends SaleDraft {
  first: { day: string | null; occurredAt: string | null; store: string | null } | undefined
}

const TAB = 9
const LF = 10
const BACKSLASH = 92
const N = 78
/** Room for one line past a chunk's end: three ids of up to 20 digits, a product's COPY text (id, GTIN) and two numbers. */
const LINE_BYTES_MAX = 256

/** Writes the digits of a whole number (0 or more) at `at`; returns where they end. */
function putInt(buf: Buffer, at: number, n: number): number {
  if (n < 10) {
    buf[at] = 48 + n
    return at + 1
  }
  if (n > 0x7fffffff) return putLargeInt(buf, at, n)
  const end = at + (n < 100 ? 2 : n < 1000 ? 3 : n < 10_000 ? 4 : n < 100_000 ? 5 : n < 1_000_000 ? 6 : n < 10_000_000 ? 7 : n < 100_000_000 ? 8 : n < 1_000_000_000 ? 9 : 10)
  let i = end
  // Integer division on 32 bits: Math.floor on a double costs more.
  while (n >= 10) {
    const q = (n / 10) | 0
    buf[--i] = 48 + n - q * 10
    n = q
  }
  buf[--i] = 48 + n
  return end
}

/**
 * putInt past 2^31 (a sale id or customer id that large): kept apart so that the common case
 * stays small to compile, and code optimised before such a number appeared is not thrown away.
 */
function putLargeInt(buf: Buffer, at: number, n: number): number {
  const digits = String(n)
  for (let k = 0; k < digits.length; k++) buf[at + k] = digits.charCodeAt(k)
  return at + digits.length
}

/** `n` as digits into `into` (from 0), followed by a tab when asked; returns the length. */
function intBytes(into: Buffer, n: number, tabAfter: boolean): number {
  let at = putInt(into, 0, n)
  if (tabAfter) into[at++] = TAB
  return at
}

/**
 * A batch of a grouped file, gathered from the encoder's checked fields: nothing is written as
 * text to be parsed again (the spooled path's BatchDraft). Rows are numbers in typed arrays and
 * references to shared product objects, so a hundred thousand of them cost the garbage
 * collector little.
 *
 * A sale's rows follow each other (the file is grouped): a row of another sale than the last
 * one starts a new sale, with no lookup by key. Should the file turn out not to be grouped
 * after all, a sale may then be split within the batch, harmlessly: no batch of such a file
 * commits (importGrouped).
 */
export class RowDraft implements Draft {
  goodRows = 0
  private readonly sales: RowSale[] = []
  /** The product records the batch's rows name, each once; a row holds its index (productAt). */
  private readonly products: ProductRef[] = []
  /** Index in products of a key's record, for rows without a slot in the encoder. */
  private readonly productIndex = new Map<string, number>()
  private quantity: Int32Array
  /** -1: no price. */
  private price: Int32Array
  private line: Int32Array
  // Numbers, not references: an array of a hundred thousand references per batch in flight was
  // work for the garbage collector at every young-generation collection.
  private productAt: Int32Array
  private last: RowSale | undefined

  /** `rows`: about how many the batch will hold (the arrays grow past it if need be). */
  constructor(rows = 1 << 12) {
    const size = Math.max(16, Math.min(rows + (rows >> 4), 1 << 20))
    this.quantity = new Int32Array(size)
    this.price = new Int32Array(size)
    this.line = new Int32Array(size)
    this.productAt = new Int32Array(size)
  }

  /** The sale of (customer, transaction): the last one, or a new one (see above). */
  sale(customer: string, transaction: string): RowSale {
    const last = this.last
    if (last && last.customer === customer && last.transaction === transaction) return last
    const sale: RowSale = { customer, transaction, rows: [], heldBy: 0, total: 0, customerId: 0, id: 0, first: undefined }
    this.sales.push(sale)
    this.last = sale
    return sale
  }

  add(line: number, sale: RowSale, row: CheckedRow): void {
    const slot = row.productSlot
    const product = slot !== undefined ? this.slotProduct(slot, line) : this.keyProduct(row.productKey, line)
    const r = this.goodRows++
    if (r === this.line.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2)
        b.set(a)
        return b
      }
      this.quantity = grow(this.quantity)
      this.price = grow(this.price)
      this.line = grow(this.line)
      this.productAt = grow(this.productAt)
    }
    this.quantity[r] = row.quantity
    this.price[r] = row.unitPrice ?? -1
    this.line[r] = line
    this.productAt[r] = product
    sale.first ??= { day: row.day, occurredAt: row.occurredAt, store: row.store }
    sale.rows.push(r)
    if (row.unitPrice !== null) sale.total += row.quantity * row.unitPrice
  }

  /**
   * The product of a row whose key has a slot in the encoder (a numeric chain id): the slot
   * keeps one record of the product for the whole import, so it is resolved, and its COPY bytes
   * made, once rather than once per batch, and a row costs no map lookup. The batch notes the
   * record the first time it meets it, if it is not resolved yet.
   */
  private slotProduct(slot: ProductSlot, line: number): number {
    if (slot.owner === this) return slot.index
    slot.owner = this
    // A row of this batch that the general check took may have named the key first.
    let index = this.productIndex.get(slot.key)
    if (index === undefined) {
      index = this.products.push((slot.ref as ProductRef | undefined) ?? newProduct(slot.key, line)) - 1
      this.productIndex.set(slot.key, index)
    }
    slot.ref = this.products[index]
    slot.index = index
    return index
  }

  /** The product of any other row, by key. */
  private keyProduct(key: string, line: number): number {
    let index = this.productIndex.get(key)
    if (index === undefined) {
      index = this.products.push(newProduct(key, line)) - 1
      this.productIndex.set(key, index)
    } else {
      const product = this.products[index]!
      if (line < product.firstLine && firstLineMatters(key)) product.firstLine = line
    }
    return index
  }

  writable(): SaleDraft[] {
    return this.sales.filter((sale) => !sale.heldBy && sale.rows.length > 0)
  }

  held(limit: number): { total: number; first: RowError[] } {
    return heldRows(this.sales, this.line, limit)
  }

  total(sale: SaleDraft): string | number {
    if (Number.isSafeInteger(sale.total)) return sale.total
    let total = 0n
    for (const row of sale.rows) if (this.price[row] !== -1) total += BigInt(this.quantity[row]!) * BigInt(this.price[row]!)
    return total.toString()
  }

  firstRow(sale: SaleDraft): { day: string | null; occurredAt: string | null; store: string | null } {
    return (sale as RowSale).first!
  }

  unresolvedProducts(sales: SaleDraft[], known: ProductMap): ProductRef[] {
    let rows = 0
    for (const sale of sales) rows += sale.rows.length
    let products: Iterable<ProductRef> = this.products
    if (rows !== this.goodRows) {
      // Some rows are held back or skipped: only the products of those written.
      const named = new Set<ProductRef>()
      for (const sale of sales) for (const row of sale.rows) named.add(this.products[this.productAt[row]!]!)
      products = named
    }
    // Each product looked at once rather than once per row; those resolved by an earlier batch
    // (records kept by the encoder's slots) have their COPY text already.
    const missing: ProductRef[] = []
    for (const product of products) {
      if (product.copy) continue
      const hit = known.get(product.key)
      if (hit) resolveRef(product, hit)
      else missing.push(product)
    }
    return missing
  }

  /**
   * COPY text for sale_line as bytes, written straight into buffers of about CHUNK_CHARS: as
   * strings, a million lines cost a string each, then their conversion to bytes, and the
   * garbage collector's time for both. The whole batch at once (a few MB), a sale at a time by a
   * small function: a generator looping over every line was compiled by V8 five times in an
   * import, each time for tens of milliseconds, as paths it had not seen yet (a batch's end, a
   * full buffer) threw its optimised code away.
   */
  lineCopyText(sales: SaleDraft[]): Buffer[] {
    const out = new LineBuffers()
    // The sale's id and customer, as bytes once per sale rather than once per line.
    const id = Buffer.allocUnsafe(24)
    const customer = Buffer.allocUnsafe(24)
    for (const sale of sales) {
      const idLength = intBytes(id, sale.id, true)
      const customerLength = intBytes(customer, sale.customerId, true)
      out.room(sale.rows.length)
      out.at = writeSaleLines(out.buf, out.at, id, idLength, customer, customerLength, sale.rows, this.products, this.productAt, this.quantity, this.price)
    }
    return out.finish()
  }
}

/** Buffers of COPY text being filled (RowDraft.lineCopyText). */
class LineBuffers {
  buf = Buffer.allocUnsafe(CHUNK_CHARS + LINE_BYTES_MAX)
  at = 0
  private readonly full: Buffer[] = []

  /** Makes room for `lines` more lines: a new buffer when this one has not enough left. */
  room(lines: number): void {
    const need = lines * LINE_BYTES_MAX
    if (this.at + need <= this.buf.length) return
    if (this.at > 0) this.full.push(this.buf.subarray(0, this.at))
    this.buf = Buffer.allocUnsafe(Math.max(CHUNK_CHARS + LINE_BYTES_MAX, need))
    this.at = 0
  }

  finish(): Buffer[] {
    if (this.at > 0) this.full.push(this.buf.subarray(0, this.at))
    return this.full
  }
}

/** One sale's lines as COPY text at `at` (room made already); returns where they end. */
function writeSaleLines(
  buf: Buffer,
  at: number,
  id: Buffer,
  idLength: number,
  customer: Buffer,
  customerLength: number,
  rows: number[],
  products: ProductRef[],
  productAt: Int32Array,
  quantity: Int32Array,
  price: Int32Array,
): number {
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!
    for (let k = 0; k < idLength; k++) buf[at++] = id[k]!
    at = putInt(buf, at, i + 1)
    buf[at++] = TAB
    for (let k = 0; k < customerLength; k++) buf[at++] = customer[k]!
    const bytes = productBytes(products[productAt[row]!]!)
    for (let k = 0; k < bytes.length; k++) buf[at++] = bytes[k]!
    buf[at++] = TAB
    at = putInt(buf, at, quantity[row]!)
    buf[at++] = TAB
    const p = price[row]!
    if (p === -1) {
      buf[at++] = BACKSLASH
      buf[at++] = N
    } else {
      at = putInt(buf, at, p)
    }
    buf[at++] = LF
  }
  return at
}

/** A resolved product's "id\tgtin" as bytes, made once per product record. */
function productBytes(product: ProductRef): Buffer {
  return (product.bytes ??= Buffer.from(product.copy, 'latin1'))
}

function newProduct(key: string, line: number): ProductRef {
  return { key, firstLine: line, copy: '', bytes: undefined }
}

/**
 * The rows of a grouped file (input-scan.ts) cut into batches as they are read. A batch ends
 * only where the transaction changes, so it holds every row of each of its sales (the file is
 * grouped). The first batches are smaller (a sixteenth of a batch, doubling up to a full one) so
 * that the writers start sooner: the first batches create most of a file's customers and
 * products, and both writers waited for that. Once the file's length is known (`totalRows`, from the
 * first pass), the last rows are cut in halves (each batch half of what is left, down to a
 * sixteenth of a batch): two writers then end at about the same time, where a last full batch
 * kept one of them busy alone while the other had nothing left.
 */
export class GroupedBatches implements RowSink {
  /** Batches complete and not yet taken. */
  readonly ready: RowDraft[] = []
  private draft: RowDraft
  private rows = 0
  /** Rows of the batches cut so far. */
  private cut = 0
  private current: RowSale | undefined
  private growing: number
  private target: number

  constructor(
    private readonly batchRows: number,
    private readonly totalRows: () => number | undefined = () => undefined,
  ) {
    this.growing = this.target = Math.max(1, Math.floor(batchRows / 16))
    this.draft = new RowDraft(this.target)
  }

  row(line: number, customer: string, transaction: string, row: CheckedRow): void {
    const sale = this.saleOf(customer, transaction) // first: it may start a new draft
    this.draft.add(line, sale, row)
  }

  marker(line: number, customer: string, transaction: string): void {
    const sale = this.saleOf(customer, transaction)
    if (!sale.heldBy) sale.heldBy = line
  }

  /** The end of the file: the last batch is complete. */
  finish(): void {
    if (this.rows > 0) this.ready.push(this.draft)
    this.draft = new RowDraft(this.target)
    this.rows = 0
  }

  private saleOf(customer: string, transaction: string): RowSale {
    let current = this.current
    if (!current || current.customer !== customer || current.transaction !== transaction) {
      if (this.rows >= this.target) {
        this.ready.push(this.draft)
        this.cut += this.rows
        this.rows = 0
        this.growing = Math.min(this.batchRows, this.growing * 2)
        this.target = this.growing
        const total = this.totalRows()
        if (total !== undefined && total - this.cut < 2 * this.target) {
          this.target = Math.max(1, Math.floor(this.batchRows / 16), Math.ceil((total - this.cut) / 2))
        }
        this.draft = new RowDraft(this.target)
      }
      current = this.current = this.draft.sale(customer, transaction)
    }
    this.rows++
    return current
  }
}
