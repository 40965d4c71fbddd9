import { gtinProblemText, normaliseGtin } from '../../lib/codes.ts'
import { columnIndex, copyText, type CsvRecord, type RowErrors } from './csv-input.ts'
import { DayParser, MAX_ID_LENGTH, requiredText, RowProblem, text, timestamp, wholeNumber } from './row-checks.ts'

export const TRANSACTION_REQUIRED_COLUMNS = ['customer_id', 'transaction_id', ['day', 'occurred_at'], ['product_id', 'gtin'], 'quantity']

/**
 * Rows are staged per customer bucket: all rows of a customer, hence of each of their
 * transactions, land in the same bucket, so a batch made of whole buckets never splits a
 * sale from any of its lines, however the file is sorted.
 */
export const BUCKETS = 1024

/** Staging columns, in the order encode() writes them. */
export const STAGE_COLUMNS = [
  'line',
  'bucket',
  'customer_ext',
  'transaction_ext',
  'day',
  'occurred_at',
  'store_id',
  'product_ext',
  'gtin',
  'product_key',
  'quantity',
  'unit_price_cents',
  'bad',
] as const

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

/** Validates transaction rows and turns the good ones into COPY text for the staging table. */
export class TransactionRowEncoder {
  /** Good rows per bucket, to cut batches without asking the database (markers not counted). */
  readonly bucketRows = new Uint32Array(BUCKETS)
  rows = 0
  private readonly days = new DayParser()
  private readonly col: Record<string, number | undefined>
  private fields: string[] = []

  constructor(
    private readonly columns: string[],
    private readonly knownStores: ReadonlySet<string>,
    private readonly errors: RowErrors,
  ) {
    const at = columnIndex(columns)
    this.col = Object.fromEntries(
      ['customer_id', 'transaction_id', 'day', 'occurred_at', 'product_id', 'gtin', 'quantity', 'store_id', 'unit_price_cents'].map((c) => [c, at(c)]),
    )
  }

  /**
   * COPY text for a chunk of records. A bad row is reported and, when its customer and
   * transaction can still be read, staged as a marker that holds its whole transaction back:
   * importing the rest would make the sale "done" for idempotence, and the corrected row
   * could never be added by a later import.
   */
  encode(records: CsvRecord[]): string {
    let out = ''
    for (const record of records) {
      this.rows++
      out += this.encodeOne(record)
    }
    return out
  }

  /** "day or occurred_at", naming only the columns the file has. */
  private present(...names: string[]): string {
    return names.filter((n) => this.col[n] !== undefined).join(' or ')
  }

  // A method rather than a closure per row: closures cost measurably at a million rows.
  private get(name: string): string {
    const i = this.col[name]
    return i === undefined ? '' : (this.fields[i] ?? '')
  }

  private encodeOne({ line, fields }: CsvRecord): string {
    this.fields = fields
    let customer: string
    let transaction: string
    try {
      customer = requiredText('customer_id', this.get('customer_id'), MAX_ID_LENGTH)
      transaction = requiredText('transaction_id', this.get('transaction_id'), MAX_ID_LENGTH)
    } catch (err) {
      if (!(err instanceof RowProblem)) throw err
      this.errors.add(line, fields.length === this.columns.length ? err.message : `expected ${this.columns.length} columns, found ${fields.length}`)
      return ''
    }
    const bucket = bucketOf(customer)
    const key = `${line}\t${bucket}\t${copyText(customer)}\t${copyText(transaction)}`
    try {
      const rest = this.rest(fields.length)
      this.bucketRows[bucket]!++
      return `${key}\t${rest}\tf\n`
    } catch (err) {
      if (!(err instanceof RowProblem)) throw err
      this.errors.add(line, err.message)
      return `${key}\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\t\\N\tt\n`
    }
  }

  /** The staged columns after the transaction key, tab-separated; throws RowProblem. */
  private rest(fieldCount: number): string {
    if (fieldCount !== this.columns.length) throw new RowProblem(`expected ${this.columns.length} columns, found ${fieldCount}`)
    const day = this.days.parse('day', this.get('day'))
    const occurredAt = timestamp('occurred_at', this.get('occurred_at'))
    if (!day && !occurredAt) throw new RowProblem(`${this.present('day', 'occurred_at')} is missing`)

    const productExt = text('product_id', this.get('product_id'), MAX_ID_LENGTH)
    let gtin: string | null = null
    const rawGtin = this.get('gtin').trim()
    if (rawGtin) {
      const n = normaliseGtin(rawGtin)
      if ('problem' in n) throw new RowProblem(`gtin ${rawGtin}: ${gtinProblemText[n.problem]}`)
      gtin = n.gtin
    }
    if (!productExt && !gtin) throw new RowProblem(`${this.present('product_id', 'gtin')} is missing`)

    const quantity = wholeNumber('quantity', this.get('quantity'), MAX_QUANTITY)
    if (quantity === null) throw new RowProblem('quantity is missing')
    const unitPrice = wholeNumber('unit_price_cents', this.get('unit_price_cents'))
    const store = text('store_id', this.get('store_id'), 32)
    if (store !== null && !this.knownStores.has(store)) throw new RowProblem(`store_id ${store} is not a known store`)

    // The product a row names: by the chain's id first, its GTIN otherwise (see resolveProducts).
    const productKey = productExt !== null ? `e${productExt}|${gtin ?? ''}` : `g${gtin}`
    return `${day ?? '\\N'}\t${occurredAt ?? '\\N'}\t${copyText(store)}\t${copyText(productExt)}\t${gtin ?? '\\N'}\t${copyText(productKey)}\t${quantity}\t${unitPrice ?? '\\N'}`
  }
}

/** Contiguous bucket ranges of about `batchRows` good rows each (a single bucket may exceed it). */
export function bucketBatches(bucketRows: Uint32Array, batchRows: number): { from: number; to: number; rows: number }[] {
  const batches: { from: number; to: number; rows: number }[] = []
  let from = 0
  let rows = 0
  for (let b = 0; b < bucketRows.length; b++) {
    rows += bucketRows[b]!
    if (rows >= batchRows || b === bucketRows.length - 1) {
      if (rows > 0) batches.push({ from, to: b, rows })
      from = b + 1
      rows = 0
    }
  }
  return batches
}
