import type { RowError } from './import.types.ts'
import { firstLineMatters, heldRows, lineCopyText, unresolvedProducts, type Draft, type ProductMap, type ProductRef, type SaleDraft } from './transaction-batch.ts'
import type { CheckedRow, RowSink } from './transaction-rows.ts'

interface RowSale extends SaleDraft {
  first: { day: string | null; occurredAt: string | null; store: string | null } | undefined
}

/**
 * A batch of a grouped file, gathered from the encoder's checked fields: nothing is written as
 * text to be parsed again (the spooled path's BatchDraft). Rows are numbers in typed arrays and
 * references to shared product objects, so a hundred thousand of them cost the garbage
 * collector little.
 */
export class RowDraft implements Draft {
  goodRows = 0
  private readonly sales: RowSale[] = []
  private readonly byKey = new Map<string, RowSale>()
  private readonly products = new Map<string, ProductRef>()
  private quantity = new Int32Array(1 << 12)
  /** -1: no price. */
  private price = new Int32Array(1 << 12)
  private line = new Int32Array(1 << 12)
  private productOf: ProductRef[] = []
  private last: RowSale | undefined

  /** The sale of (customer, transaction); rows of a sale follow each other, so the last one is checked first. */
  sale(customer: string, transaction: string): RowSale {
    const last = this.last
    if (last && last.customer === customer && last.transaction === transaction) return last
    // JSON keeps the pair apart whatever characters the ids hold.
    const key = JSON.stringify([customer, transaction])
    let sale = this.byKey.get(key)
    if (!sale) {
      sale = { customer, transaction, rows: [], heldBy: 0, total: 0, customerId: 0, id: 0, first: undefined }
      this.byKey.set(key, sale)
      this.sales.push(sale)
    }
    this.last = sale
    return sale
  }

  add(line: number, sale: RowSale, row: CheckedRow): void {
    let product = this.products.get(row.productKey)
    if (!product) {
      product = { key: row.productKey, firstLine: line, copy: '' }
      this.products.set(row.productKey, product)
    } else if (line < product.firstLine && firstLineMatters(row.productKey)) {
      product.firstLine = line
    }
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
    }
    this.quantity[r] = row.quantity
    this.price[r] = row.unitPrice ?? -1
    this.line[r] = line
    this.productOf[r] = product
    sale.first ??= { day: row.day, occurredAt: row.occurredAt, store: row.store }
    sale.rows.push(r)
    if (row.unitPrice !== null) sale.total += row.quantity * row.unitPrice
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
    return unresolvedProducts(this.productOf, sales, known)
  }

  lineCopyText(sales: SaleDraft[]): Generator<string> {
    return lineCopyText(sales, this.productOf, (row) => {
      const price = this.price[row]!
      return `\t${this.quantity[row]}\t${price === -1 ? '\\N' : price}`
    })
  }
}

/**
 * The rows of a grouped file (input-scan.ts) cut into batches as they are read. A batch ends
 * only where the transaction changes, so it holds every row of each of its sales (the file is
 * grouped). Like bucketBatches, the first batches are smaller (a quarter, then a half) so that
 * PostgreSQL starts working sooner.
 */
export class GroupedBatches implements RowSink {
  /** Batches complete and not yet taken. */
  readonly ready: RowDraft[] = []
  private draft = new RowDraft()
  private rows = 0
  private current: RowSale | undefined
  private target: number

  constructor(private readonly batchRows: number) {
    this.target = Math.max(1, Math.floor(batchRows / 4))
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
    this.draft = new RowDraft()
    this.rows = 0
  }

  private saleOf(customer: string, transaction: string): RowSale {
    let current = this.current
    if (!current || current.customer !== customer || current.transaction !== transaction) {
      if (this.rows >= this.target) {
        this.ready.push(this.draft)
        this.draft = new RowDraft()
        this.rows = 0
        this.target = Math.min(this.batchRows, this.target * 2)
      }
      current = this.current = this.draft.sale(customer, transaction)
    }
    this.rows++
    return current
  }
}
