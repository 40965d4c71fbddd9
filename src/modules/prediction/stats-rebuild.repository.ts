// Rebuilds customer_stats from history: two streamed reads (sale headers, then sale lines, both
// COPY binary), lines bucketed by customer in memory, each customer folded in Node
// (stats-fold.ts) and the rows written back with one binary COPY (stats-codec.ts encoding). PostgreSQL does two sequential
// scans and no sort or join; Node does the grouping PostgreSQL would otherwise spill to disk.
// Memory is about 20 bytes per line with a positive net quantity (200 MB at 10 million).
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { BinaryRowWriter, copyInBinary, copyOutIntegers, NULL_INT } from './binary-copy.ts'
import { categoryOrUndefined } from './prediction-stats.repository.ts'
import type { PredictionConfig } from './prediction.types.ts'
import { ByteWriter } from './stats-codec.ts'
import { gather, orderLines } from './line-order.ts'
import { EncodingFolder, type FoldedRow } from './stats-fold.ts'

type Db = Kysely<DB> | Transaction<DB>

/** What a customer_stats row reflects beyond its statistics (migration 0014). */
export interface Watermark {
  throughSaleId: number
  salesCounted: number
  /** Per sale id: "v" for a voided sale, else returned quantity per line number. */
  reversals: Reversals
}
export type Reversals = Record<string, 'v' | Record<string, number>>

export interface RebuildOptions {
  config: PredictionConfig
  /** Only these customers (their rows are replaced); all customers when omitted. */
  customerIds?: readonly number[]
  /** History up to and including this day only; such rows carry no watermark. */
  through?: string
}

// Sale id -> day and customer, dense ids in typed arrays, sparse ones (a few customers) in a Map.
// The lines are read without their customer_id: the sale knows it, and every column a line
// brings costs PostgreSQL an output call and Node a field to decode, ten million times.
class SaleIndex {
  private readonly days: Int32Array | undefined
  private readonly customers: Int32Array | undefined
  private readonly sparse = new Map<number, [day: number, customer: number]>()
  constructor(
    private readonly min: number,
    max: number,
    count: number,
  ) {
    const span = max - min + 1
    const dense = count > 0 && span <= 4 * count + 1024
    this.days = dense ? new Int32Array(span).fill(NO_DAY) : undefined
    this.customers = dense ? new Int32Array(span) : undefined
  }
  set(id: number, day: number, customer: number): void {
    if (this.days !== undefined) {
      this.days[id - this.min] = day
      this.customers![id - this.min] = customer
    } else this.sparse.set(id, [day, customer])
  }
  /** The sale's day, VOIDED, or NO_DAY for a sale not read. */
  day(id: number): number {
    if (this.days !== undefined) return id >= this.min && id - this.min < this.days.length ? this.days[id - this.min]! : NO_DAY
    return this.sparse.get(id)?.[0] ?? NO_DAY
  }
  /** The customer of a sale whose day() is not NO_DAY. */
  customer(id: number): number {
    if (this.customers !== undefined) return this.customers[id - this.min]!
    return this.sparse.get(id)![1]
  }
}
const NO_DAY = -2147483648
const VOIDED = -2147483647

// Append-only integer columns that grow by doubling.
class Column {
  data = new Int32Array(1 << 16)
  push(at: number, v: number): void {
    if (at >= this.data.length) {
      const next = new Int32Array(this.data.length * 2)
      next.set(this.data)
      this.data = next
    }
    this.data[at] = v
  }
}

/** Rebuilds and stores the statistics; returns how many customers have a row. */
export async function rebuildStatsBulk(db: Db, opts: RebuildOptions): Promise<number> {
  const ids = opts.customerIds
  if (ids !== undefined && ids.length === 0) return 0
  const run = async (trx: Transaction<DB>): Promise<number> => {
    const tm = timer()
    // Sorting and hashing happen in Node; nothing here needs PostgreSQL's work_mem.
    const onlyIds = ids === undefined ? '' : `customer_id = any('{${ids.map((i) => Math.trunc(Number(i))).join(',')}}'::bigint[])`
    const through = opts.through === undefined ? '' : `day <= '${isoDay(opts.through)}'::date`
    const saleWhere = [onlyIds, through].filter((s) => s !== '').join(' and ')
    const range = await sql<{ min: number | null; max: number | null; n: number }>`
      select min(id)::int8 as min, max(id)::int8 as max, count(*)::int8 as n from sale ${sql.raw(saleWhere ? `where ${saleWhere}` : '')}`.execute(trx)
    const r = range.rows[0]!
    if (r.n === 0 || r.min === null || r.max === null) {
      await clear(trx, ids)
      return 0
    }
    const sales = new SaleIndex(r.min, r.max, r.n)
    const marks = new Map<number, Watermark>()
    // A few customers' lines are found by their sale ids; see LINES_BY_SALE_IDS.
    const saleIds: number[] | undefined = ids !== undefined && r.n <= LINES_BY_SALE_IDS ? [] : undefined
    await copyOutIntegers(
      trx,
      // Ids are read as int4 (the typed arrays hold int32): an id past 2^31 fails the cast
      // in PostgreSQL instead of wrapping silently here.
      `select id::int4, customer_id::int4, (day - date '1970-01-01')::int4, (status = 'voided')::int4 from sale ${saleWhere ? `where ${saleWhere}` : ''}`,
      4,
      (f) => {
        const id = f[0]!
        const customer = f[1]!
        const voided = f[3] === 1
        sales.set(id, voided ? VOIDED : f[2]!, customer)
        if (!voided) saleIds?.push(id)
        let m = marks.get(customer)
        if (m === undefined) marks.set(customer, (m = { throughSaleId: id, salesCounted: 0, reversals: {} }))
        m.salesCounted++
        if (id > m.throughSaleId) m.throughSaleId = id
        if (voided) m.reversals[String(id)] = 'v'
      },
    )

    tm('sales')
    const customer = new Column()
    const product = new Column()
    const day = new Column()
    const quantity = new Column()
    let n = 0
    await copyOutIntegers(
      trx,
      `select sale_id::int4, product_id::int4, quantity, nullif(returned_quantity, 0), case when returned_quantity > 0 then line_no end
         from sale_line where product_id is not null ${lineFilter(onlyIds, saleIds)}`,
      5,
      (f) => {
        const sale = f[0]!
        const d = sales.day(sale)
        // A line of a sale the first read did not see (committed in between, or after `through`).
        if (d === NO_DAY || d === VOIDED) return
        const c = sales.customer(sale)
        const returned = f[3] === NULL_INT ? 0 : f[3]!
        if (returned > 0) {
          const m = marks.get(c)
          if (m !== undefined) {
            const perLine = (m.reversals[String(sale)] ??= {}) as Record<string, number>
            perLine[String(f[4])] = returned
          }
        }
        const q = f[2]! - returned
        if (q <= 0) return
        customer.push(n, c)
        product.push(n, f[1]!)
        day.push(n, d)
        quantity.push(n, q)
        n++
      },
    )

    tm('lines')
    const { order, starts, customers, customerOf } = orderLines(customer.data, product.data, day.data, n)
    const sorted = {
      product: gather(product.data, order),
      day: gather(day.data, order),
      quantity: gather(quantity.data, order),
    }

    // A few customers need only their own products' categories, not the whole catalogue's.
    const categories = await productCategories(trx, ids === undefined ? undefined : distinct(product.data, n))
    const folder = new EncodingFolder((p) => categories.get(p), opts.config)
    const timeMode = opts.config.timeMode
    tm('sort')
    await clear(trx, ids)
    tm('clear')
    let written = 0
    const out = new BinaryRowWriter()
    const bytes = new ByteWriter()
    function* rows(): Generator<Buffer> {
      for (let r = 0; r < customers; r++) {
        bytes.at = 0
        const row = folder.fold(bytes, sorted, starts[r]!, starts[r + 1]!)
        if (row === undefined) continue
        written++
        const c = customerOf(r)
        const mark = opts.through === undefined ? marks.get(c) : undefined
        writeStatsRow(out, c, timeMode, row, bytes.buf.subarray(0, bytes.at), mark)
        const chunk = out.take()
        if (chunk !== undefined) yield chunk
      }
      yield out.take(true)!
    }
    await copyInBinary(
      trx,
      'copy customer_stats (customer_id, time_mode, trips, first_day, last_day, stats, through_sale_id, sales_counted, reversals) from stdin',
      rows(),
    )
    tm('fold+write')
    return written
  }
  return (db as Transaction<DB>).isTransaction ? run(db as Transaction<DB>) : (db as Kysely<DB>).transaction().execute(run)
}

// The lines of up to LINES_BY_SALE_IDS sales are read by sale id (the sale_id btree, 0018), of
// more by customer id. Lane sales interleave customers, so the customer_id BRIN (0016) narrows
// little and reads most of the table: 65 ms per million lines; the btree costs about 9 us per
// sale whatever the table's size (measured on 1M interleaved lines: 11 sales 0.1 ms, 5,097
// sales 48 ms, 20,051 sales 158 ms). So 5,000 sales break even at a million lines and win more
// above.
const LINES_BY_SALE_IDS = 5_000

function lineFilter(onlyIds: string, saleIds: number[] | undefined): string {
  if (saleIds !== undefined) return saleIds.length === 0 ? 'and false' : `and sale_id = any('{${saleIds.join(',')}}'::bigint[])`
  return onlyIds ? `and ${onlyIds}` : ''
}

const isoDay = (d: string): string => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) throw new RangeError(`not a day: ${d}`)
  return d
}

function distinct(values: Int32Array, n: number): number[] {
  return [...new Set(values.subarray(0, n))]
}

async function clear(trx: Transaction<DB>, ids: readonly number[] | undefined): Promise<void> {
  if (ids === undefined) await sql`truncate customer_stats`.execute(trx)
  else await sql`delete from customer_stats where customer_id = any(${[...ids]}::bigint[])`.execute(trx)
}

async function productCategories(db: Db, only: number[] | undefined): Promise<Map<number, string | undefined>> {
  if (only !== undefined && only.length === 0) return new Map()
  let q = db.selectFrom('product').select(['id', 'category'])
  if (only !== undefined) q = q.where('id', '=', sql<number>`any(${only}::bigint[])`)
  const rows = await q.execute()
  const out = new Map<number, string | undefined>()
  for (const r of rows) {
    const c = categoryOrUndefined(r.category)
    if (c !== undefined) out.set(r.id, c)
  }
  return out
}

function writeStatsRow(out: BinaryRowWriter, customerId: number, timeMode: string, stats: FoldedRow, encoded: Uint8Array, mark: Watermark | undefined): void {
  out.row(9)
  out.int8(customerId)
  out.text(timeMode)
  out.int4(stats.trips)
  out.int4(stats.firstDay)
  out.int4(stats.lastDay)
  out.bytes(encoded)
  if (mark === undefined) {
    out.null()
    out.null()
    out.null()
  } else {
    out.int8(mark.throughSaleId)
    out.int4(mark.salesCounted)
    out.jsonb(Object.keys(mark.reversals).length === 0 ? '{}' : JSON.stringify(mark.reversals))
  }
}

// LANELIST_STATS_TIMING=1 prints where a rebuild spends its time (for the benchmark's analysis).
function timer(): (label: string) => void {
  if (process.env.LANELIST_STATS_TIMING !== '1') return () => {}
  let last = performance.now()
  let cpu = process.cpuUsage()
  return (label) => {
    const now = performance.now()
    const used = process.cpuUsage(cpu)
    process.stderr.write(`stats rebuild: ${label} ${((now - last) / 1000).toFixed(2)} s (Node CPU ${((used.user + used.system) / 1e6).toFixed(2)} s)\n`)
    last = now
    cpu = process.cpuUsage()
  }
}
