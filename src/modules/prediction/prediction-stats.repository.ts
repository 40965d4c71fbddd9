// SQL for the per-customer statistics (customer_stats: one row per customer, the statistics
// encoded by stats-codec.ts). Days are
// stored as the predictor's Day: sale.day minus 1970-01-01. Categories named 'Unknown' (what the
// history import gives products it creates) carry no information and are left out.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { CustomerStats, TimeMode } from './prediction.types.ts'
import { decodeStats, decodeStatsLazily, encodeStats } from './stats-codec.ts'

type Db = Kysely<DB> | Transaction<DB>

export const NO_CATEGORY = 'Unknown'

export interface StoredStats {
  timeMode: TimeMode
  stats: CustomerStats
}

const toStats = (customerId: number, bytes: Uint8Array): CustomerStats => decodeStats(String(customerId), bytes)
// For the lists' reads: the ranking takes its columns from the bytes (stats-codec.ts).
const toRankedStats = (customerId: number, bytes: Uint8Array): CustomerStats => decodeStatsLazily(String(customerId), bytes)

export async function findCustomerStats(db: Db, customerId: number, forUpdate = false): Promise<StoredStats | undefined> {
  let q = db.selectFrom('customer_stats').select(['time_mode', 'stats']).where('customer_id', '=', customerId)
  if (forUpdate) q = q.forUpdate()
  const row = await q.executeTakeFirst()
  return row === undefined ? undefined : { timeMode: row.time_mode, stats: toRankedStats(customerId, row.stats) }
}

/** Statistics of the given customers (those that have any), one read. */
export async function findStatsOfCustomers(db: Db, customerIds: readonly number[]): Promise<Map<number, StoredStats & { version: string }>> {
  if (customerIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('customer_stats')
    .select(['customer_id', 'time_mode', 'stats', sql<string>`xmin::text`.as('version')])
    .where('customer_id', '=', sql<number>`any(${[...customerIds]}::bigint[])`)
    .execute()
  return new Map(rows.map((r) => [r.customer_id, { timeMode: r.time_mode, stats: toRankedStats(r.customer_id, r.stats), version: r.version }]))
}

/**
 * Which version of each customer's statistics row is stored (its xmin: any insert or update,
 * by whatever path, gives the row a new one): whether a ranking computed earlier still holds.
 */
export async function findStatsVersions(db: Db, customerIds: readonly number[]): Promise<Map<number, string>> {
  if (customerIds.length === 0) return new Map()
  const rows = await db
    .selectFrom('customer_stats')
    .select(['customer_id', sql<string>`xmin::text`.as('version')])
    .where('customer_id', '=', sql<number>`any(${[...customerIds]}::bigint[])`)
    .execute()
  return new Map(rows.map((r) => [r.customer_id, r.version]))
}

export const categoryOrUndefined = (c: string | null): string | undefined => (c === null || c === '' || c === NO_CATEGORY ? undefined : c)

/** Statistics of all customers, a page at a time in customer order (bounded memory per page). */
export async function* allCustomerStats(db: Db, pageSize = 5_000): AsyncGenerator<StoredStats[]> {
  let after = 0
  for (;;) {
    const rows = await db
      .selectFrom('customer_stats')
      .select(['customer_id', 'time_mode', 'stats'])
      .where('customer_id', '>', after)
      .orderBy('customer_id')
      .limit(pageSize)
      .execute()
    if (rows.length === 0) return
    after = rows[rows.length - 1]!.customer_id
    yield rows.map((r) => ({ timeMode: r.time_mode, stats: toStats(r.customer_id, r.stats) }))
  }
}

export async function countCustomerStats(db: Db): Promise<number> {
  const row = await db.selectFrom('customer_stats').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()
  return row.n
}

export async function storedTimeMode(db: Db): Promise<TimeMode | undefined> {
  const row = await db.selectFrom('customer_stats').select('time_mode').limit(1).executeTakeFirst()
  return row?.time_mode
}

// ---- the incremental refresh (regenerate_list job) ------------------------------------------

export interface WatermarkedStats extends StoredStats {
  throughSaleId: number | null
  salesCounted: number | null
  reversals: Record<string, 'v' | Record<string, number>>
}

/**
 * Serialises refreshes and rebuilds of one customer's statistics for the rest of the
 * transaction (a row lock cannot: the row may not exist yet). Nothing else takes this lock,
 * so lanes, voids and returns never wait for it.
 */
export async function lockCustomerStats(trx: Transaction<DB>, customerId: number): Promise<void> {
  await sql`select pg_advisory_xact_lock(${STATS_LOCK_CLASS}::int4, ${customerId}::int4)`.execute(trx)
}
// The first argument of the two-key advisory lock: 'stats' in ASCII, apart from other users.
const STATS_LOCK_CLASS = 0x73746174

export async function findWatermarkedStats(db: Db, customerId: number): Promise<WatermarkedStats | undefined> {
  const row = await db
    .selectFrom('customer_stats')
    .select(['time_mode', 'stats', 'through_sale_id', 'sales_counted', 'reversals'])
    .where('customer_id', '=', customerId)
    .executeTakeFirst()
  if (row === undefined) return undefined
  return {
    timeMode: row.time_mode,
    stats: toStats(customerId, row.stats),
    throughSaleId: row.through_sale_id,
    salesCounted: row.sales_counted,
    reversals: (row.reversals ?? {}) as WatermarkedStats['reversals'],
  }
}

export interface SaleHeader {
  id: number
  day: number
  voided: boolean
}

/**
 * What changed in the customer's history since `throughSaleId`, from the sale headers (one
 * index range on sale_customer_day_idx) and their redemptions' returns, no lines: how many sales
 * have an id <= throughSaleId, the sales after it, the voided sales up to it, and the sales up
 * to it that had units returned (returns are recorded only against redemptions).
 */
export async function historyChangesSince(
  db: Db,
  customerId: number,
  throughSaleId: number,
): Promise<{ counted: number; newSales: SaleHeader[]; voided: SaleHeader[]; returned: SaleHeader[] }> {
  const { rows } = await sql<{ counted: boolean; id: number; d: number; voided: boolean; returned: boolean }>`
    with s as (
      select id, (day - date '1970-01-01')::int as d, status = 'voided' as voided
      from sale where customer_id = ${customerId}
    ),
    r as (
      select distinct r.sale_id from redemption r
      where r.customer_id = ${customerId} and r.sale_id <= ${throughSaleId}
        and exists (select 1 from redemption_return x where x.redemption_id = r.id)
    )
    select false as counted, s.id, s.d, s.voided, (r.sale_id is not null) as returned
    from s left join r on r.sale_id = s.id
    where s.id > ${throughSaleId} or s.voided or r.sale_id is not null
    union all
    select true, count(*), 0, false, false from s where s.id <= ${throughSaleId}`.execute(db)
  let counted = 0
  const newSales: SaleHeader[] = []
  const voided: SaleHeader[] = []
  const returned: SaleHeader[] = []
  for (const r of rows) {
    if (r.counted) {
      counted = r.id
      continue
    }
    const h = { id: r.id, day: r.d, voided: r.voided }
    if (r.id > throughSaleId) newSales.push(h)
    else if (r.voided) voided.push(h)
    else if (r.returned) returned.push(h)
  }
  return { counted, newSales, voided, returned }
}

export interface StatsLine {
  saleId: number
  lineNo: number
  productId: number
  quantity: number
  returned: number
  category: string | undefined
}

/** The lines (with a product) of the given sales. */
export async function linesOfSales(db: Db, saleIds: readonly number[]): Promise<StatsLine[]> {
  if (saleIds.length === 0) return []
  const { rows } = await sql<{ sale_id: number; line_no: number; product_id: number; quantity: number; returned_quantity: number; category: string | null }>`
    select l.sale_id, l.line_no, l.product_id, l.quantity, l.returned_quantity, p.category
    from sale_line l left join product p on p.id = l.product_id
    where l.sale_id = any(${[...saleIds]}::bigint[]) and l.product_id is not null`.execute(db)
  return rows.map((r) => ({
    saleId: r.sale_id,
    lineNo: r.line_no,
    productId: r.product_id,
    quantity: r.quantity,
    returned: r.returned_quantity,
    category: categoryOrUndefined(r.category),
  }))
}

export async function saveWatermarkedStats(
  db: Db,
  customerId: number,
  timeMode: TimeMode,
  stats: CustomerStats,
  mark: { throughSaleId: number; salesCounted: number; reversals: Record<string, unknown> },
): Promise<void> {
  if (stats.trips <= 0 && Object.keys(stats.products).length === 0) {
    await db.deleteFrom('customer_stats').where('customer_id', '=', customerId).execute()
    return
  }
  const row = {
    trips: stats.trips,
    first_day: stats.firstDay,
    last_day: stats.lastDay,
    stats: encodeStats(stats),
    through_sale_id: mark.throughSaleId,
    sales_counted: mark.salesCounted,
    reversals: JSON.stringify(mark.reversals),
  }
  await db
    .insertInto('customer_stats')
    .values({ customer_id: customerId, time_mode: timeMode, ...row })
    .onConflict((oc) => oc.column('customer_id').doUpdateSet({ ...row, time_mode: timeMode, updated_at: sql`now()` }))
    .execute()
}
