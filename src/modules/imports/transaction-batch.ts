import { fromCopyText } from './csv-input.ts'
import type { RowError } from './import.types.ts'
import { BUCKETS } from './transaction-rows.ts'

/** A sale as the file describes it. */
export interface SaleDraft {
  /** Customer and transaction ids as the file has them. */
  customer: string
  transaction: string
  /** Its good rows (indexes into the batch), in file order; the first gives the day, time and store. */
  rows: number[]
  /** The first rejected row of the transaction (0: none); it holds the whole sale back. */
  heldBy: number
  total: number
  customerId: number
  id: number
}

/** A product key of the batch: one object per key, shared by every row naming it. */
export interface ProductRef {
  key: string
  firstLine: number
  /** Set once resolved: product id and GTIN as COPY text ("id\tgtin"). */
  copy: string
  /** The same as bytes, made when first needed (RowDraft.lineCopyText). */
  bytes: Buffer | undefined
}

export interface ProductKey {
  key: string
  externalId: string | null
  gtin: string | null
  firstLine: number
}

/** What the import needs of a batch, however its rows were gathered (BatchDraft, RowDraft). */
export interface Draft {
  readonly goodRows: number
  writable(): SaleDraft[]
  held(limit: number): { total: number; first: RowError[] }
  total(sale: SaleDraft): string | number
  firstRow(sale: SaleDraft): { day: string | null; occurredAt: string | null; store: string | null }
  unresolvedProducts(sales: SaleDraft[], known: ProductMap): ProductRef[]
  lineCopyText(sales: SaleDraft[]): Iterable<string | Buffer>
}

/** Product keys resolved by earlier batches, with the product id and GTIN. */
export type ProductMap = Map<string, { id: number; gtin: string | null }>

/** The whole number written at from..to (digits only, as the encoder wrote it). */
function intAt(text: string, from: number, to: number): number {
  let n = 0
  for (let i = from; i < to; i++) n = n * 10 + text.charCodeAt(i) - 48
  return n
}

/**
 * The lines of `text` in buckets from..to. A spool file holds several buckets and a batch may
 * want only some: the rest is dropped rather than kept alive with the batch.
 */
function keepBuckets(text: string, from: number, to: number): string {
  const kept: string[] = []
  let keptFrom = 0
  for (let pos = 0; pos < text.length; ) {
    const end = text.indexOf('\n', pos) + 1
    const bucket = intAt(text, pos, text.indexOf('\t', pos))
    if (bucket < from || bucket > to) {
      if (pos > keptFrom) kept.push(text.slice(keptFrom, pos))
      keptFrom = end
    }
    pos = end
  }
  if (keptFrom === 0) return text
  if (keptFrom < text.length) kept.push(text.slice(keptFrom))
  return kept.join('')
}

/** A chain id key with a GTIN: which row names it first decides the GTIN of a new product. */
export function firstLineMatters(key: string): boolean {
  return key.charCodeAt(0) === 101 /* e */ && key.charCodeAt(key.length - 1) !== 124 /* | */
}

/**
 * A batch of the spool (whole customer buckets) grouped into sales. A spooled row is a line of
 * tab-separated text: bucket, file line, customer, transaction, then for a good row day,
 * occurred_at, store_id, product key, quantity and unit_price_cents (\N for none); a rejected
 * row's marker stops after the transaction.
 *
 * Rows stay where they were read, in the spool's text, and are known by position: as a
 * string or an array of fields each, a hundred thousand rows per batch outlived the young
 * generation and garbage collection became the largest cost of the write phase.
 */
export class BatchDraft implements Draft {
  readonly sales = new Map<string, SaleDraft>()
  goodRows = 0
  private readonly products = new Map<string, ProductRef>()
  private readonly texts: string[] = []
  // Per good row: which text, where its COPY tail ("\tquantity\tprice") starts and ends, file line, product.
  private textOf = new Int32Array(1 << 12)
  private tailStart = new Int32Array(1 << 12)
  private end = new Int32Array(1 << 12)
  private line = new Int32Array(1 << 12)
  private productOf: ProductRef[] = []
  // A transaction's rows usually follow each other in a file: the last sale is checked first.
  private last: { key: string; sale: SaleDraft } | undefined

  /** Rows of buckets from..to out of `text` (whole lines, each ending in a line break); all of them by default. */
  add(text: string, from = 0, to = BUCKETS - 1): void {
    if (from > 0 || to < BUCKETS - 1) text = keepBuckets(text, from, to)
    const t = this.texts.push(text) - 1
    for (let pos = 0; pos < text.length; ) {
      const end = text.indexOf('\n', pos)
      const tab1 = text.indexOf('\t', pos)
      const tab2 = text.indexOf('\t', tab1 + 1)
      const line = intAt(text, tab1 + 1, tab2)
      const keyStart = tab2 + 1
      const keyMid = text.indexOf('\t', keyStart)
      let keyEnd = text.indexOf('\t', keyMid + 1)
      if (keyEnd === -1 || keyEnd > end) keyEnd = end
      const sale = this.saleAt(text, keyStart, keyMid, keyEnd)
      pos = end + 1
      if (keyEnd === end) {
        if (!sale.heldBy) sale.heldBy = line
        continue
      }
      const price = text.lastIndexOf('\t', end)
      const quantity = text.lastIndexOf('\t', price - 1)
      const productKey = text.slice(text.lastIndexOf('\t', quantity - 1) + 1, quantity)
      let product = this.products.get(productKey)
      if (!product) {
        product = { key: productKey, firstLine: line, copy: '', bytes: undefined }
        this.products.set(productKey, product)
      } else if (line < product.firstLine && firstLineMatters(productKey)) {
        product.firstLine = line
      }
      const row = this.push(t, quantity, end, line, product)
      sale.rows.push(row)
      if (text.charCodeAt(price + 1) !== 92 /* \N */) sale.total += intAt(text, quantity + 1, price) * intAt(text, price + 1, end)
    }
  }

  private saleAt(text: string, keyStart: number, keyMid: number, keyEnd: number): SaleDraft {
    const last = this.last
    if (last && last.key.length === keyEnd - keyStart && text.startsWith(last.key, keyStart)) return last.sale
    const key = text.slice(keyStart, keyEnd)
    let sale = this.sales.get(key)
    if (!sale) {
      sale = {
        customer: fromCopyText(text.slice(keyStart, keyMid)),
        transaction: fromCopyText(text.slice(keyMid + 1, keyEnd)),
        rows: [],
        heldBy: 0,
        total: 0,
        customerId: 0,
        id: 0,
      }
      this.sales.set(key, sale)
    }
    this.last = { key, sale }
    return sale
  }

  private push(text: number, tailStart: number, end: number, line: number, product: ProductRef): number {
    const row = this.goodRows++
    if (row === this.end.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2)
        b.set(a)
        return b
      }
      this.textOf = grow(this.textOf)
      this.tailStart = grow(this.tailStart)
      this.end = grow(this.end)
      this.line = grow(this.line)
    }
    this.textOf[row] = text
    this.tailStart[row] = tailStart
    this.end[row] = end
    this.line[row] = line
    this.productOf[row] = product
    return row
  }

  /** Sales with at least one good row and none rejected. */
  writable(): SaleDraft[] {
    const out: SaleDraft[] = []
    for (const sale of this.sales.values()) if (!sale.heldBy && sale.rows.length > 0) out.push(sale)
    return out
  }

  held(limit: number): { total: number; first: RowError[] } {
    return heldRows(this.sales.values(), this.line, limit)
  }

  /** The sale's total; exact even past 2^53 (not a real basket, but a file can say anything). */
  total(sale: SaleDraft): string | number {
    if (Number.isSafeInteger(sale.total)) return sale.total
    let total = 0n
    for (const row of sale.rows) {
      const [, quantity, price] = this.tail(row).split('\t')
      if (price !== '\\N') total += BigInt(quantity!) * BigInt(price!)
    }
    return total.toString()
  }

  /** The sale's day, time and store: its first row's. */
  firstRow(sale: SaleDraft): { day: string | null; occurredAt: string | null; store: string | null } {
    const row = sale.rows[0]!
    const text = this.texts[this.textOf[row]!]!
    const fields = text.slice(text.lastIndexOf('\n', this.tailStart[row]!) + 1, this.end[row]).split('\t')
    const [day, occurredAt, store] = [fields[4], fields[5], fields[6]]
    return { day: day || null, occurredAt: occurredAt || null, store: store ? fromCopyText(store) : null }
  }

  /**
   * The products of the sales' rows: each gets its COPY text from `known` when an earlier batch
   * resolved it; the others are returned, for resolveProducts().
   */
  unresolvedProducts(sales: SaleDraft[], known: ProductMap): ProductRef[] {
    return unresolvedProducts(this.productOf, sales, known)
  }

  /**
   * COPY text for sale_line, sales in the order given and each sale's lines numbered in file
   * order. Every product must have been resolved (resolveRef).
   */
  lineCopyText(sales: SaleDraft[]): Generator<string> {
    return lineCopyText(sales, this.productOf, (row) => this.tail(row))
  }

  /** "\tquantity\tunit_price_cents" of a good row, as COPY text. */
  private tail(row: number): string {
    return this.texts[this.textOf[row]!]!.slice(this.tailStart[row], this.end[row])
  }
}

export const CHUNK_CHARS = 1 << 16

/** Good rows not imported because a row of their transaction was rejected: the first `limit` by line, and how many. */
export function heldRows(sales: Iterable<SaleDraft>, lineOf: Int32Array, limit: number): { total: number; first: RowError[] } {
  const lines: [number, number][] = []
  for (const sale of sales) {
    if (!sale.heldBy) continue
    for (const row of sale.rows) lines.push([lineOf[row]!, sale.heldBy])
  }
  lines.sort((a, b) => a[0] - b[0])
  return {
    total: lines.length,
    first: lines.slice(0, limit).map(([line, bad]) => ({ line, message: `not imported: line ${bad} of the same transaction was rejected` })),
  }
}

/** The products of the sales' rows not yet resolved: those found in `known` are resolved on the way. */
export function unresolvedProducts(productOf: ProductRef[], sales: SaleDraft[], known: ProductMap): ProductRef[] {
  const missing = new Set<ProductRef>()
  for (const sale of sales) {
    for (const row of sale.rows) {
      const product = productOf[row]!
      if (product.copy) continue
      const hit = known.get(product.key)
      if (hit) resolveRef(product, hit)
      else missing.add(product)
    }
  }
  return [...missing]
}

/**
 * COPY text for sale_line in chunks of about CHUNK_CHARS: sales in the order given, each sale's
 * lines numbered in file order; `tail` gives a row's "\tquantity\tunit_price_cents".
 */
export function* lineCopyText(sales: SaleDraft[], productOf: ProductRef[], tail: (row: number) => string): Generator<string> {
  let out = ''
  for (const sale of sales) {
    const head = `${sale.id}\t`
    const customer = `\t${sale.customerId}\t`
    for (let i = 0; i < sale.rows.length; i++) {
      const row = sale.rows[i]!
      out += `${head}${i + 1}${customer}${productOf[row]!.copy}${tail(row)}\n`
    }
    if (out.length >= CHUNK_CHARS) {
      yield out
      out = ''
    }
  }
  if (out) yield out
}

export function resolveRef(product: ProductRef, found: { id: number; gtin: string | null } | undefined): void {
  const key = product.key
  const gtin = key.slice(key.charCodeAt(0) === 103 /* g */ ? 1 : key.lastIndexOf('|') + 1) || found?.gtin || '\\N'
  product.copy = `${found?.id ?? '\\N'}\t${gtin}`
}

export function productKeyOf(product: ProductRef): ProductKey {
  const { key, firstLine } = product
  if (key.startsWith('g')) return { key, externalId: null, gtin: key.slice(1), firstLine }
  const bar = key.lastIndexOf('|')
  return { key, externalId: fromCopyText(key.slice(1, bar)), gtin: key.slice(bar + 1) || null, firstLine }
}
