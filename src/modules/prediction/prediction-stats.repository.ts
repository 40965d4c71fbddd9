// SQL for the per-customer statistics (customer_stats: one jsonb row per customer). Days are
// stored as the predictor's Day: sale.day minus 1970-01-01. Categories named 'Unknown' (what the
// history import gives products it creates) carry no information and are left out.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { CustomerStats, PredictionConfig, PurchaseLine, TimeMode } from './prediction.types.ts'

type Db = Kysely<DB> | Transaction<DB>

export const NO_CATEGORY = 'Unknown'

export interface StoredStats {
  timeMode: TimeMode
  stats: CustomerStats
}

type StatsJson = Omit<CustomerStats, 'customerId'>

const toStats = (customerId: number, json: unknown): CustomerStats => ({ customerId: String(customerId), ...(json as StatsJson) })

export async function findCustomerStats(db: Db, customerId: number, forUpdate = false): Promise<StoredStats | undefined> {
  let q = db.selectFrom('customer_stats').select(['time_mode', 'stats']).where('customer_id', '=', customerId)
  if (forUpdate) q = q.forUpdate()
  const row = await q.executeTakeFirst()
  return row === undefined ? undefined : { timeMode: row.time_mode, stats: toStats(customerId, row.stats) }
}

export async function saveCustomerStats(db: Db, customerId: number, timeMode: TimeMode, stats: CustomerStats): Promise<void> {
  if (stats.trips <= 0 && Object.keys(stats.products).length === 0) {
    await db.deleteFrom('customer_stats').where('customer_id', '=', customerId).execute()
    return
  }
  const { customerId: _id, ...json } = stats
  const row = { trips: stats.trips, first_day: stats.firstDay, last_day: stats.lastDay, stats: JSON.stringify(json) }
  await db
    .insertInto('customer_stats')
    .values({ customer_id: customerId, time_mode: timeMode, ...row })
    .onConflict((oc) => oc.column('customer_id').doUpdateSet({ ...row, time_mode: timeMode, updated_at: sql`now()` }))
    .execute()
}

/** One sale as the statistics see it: its day and net (not returned) quantity per line. */
export async function saleForStats(db: Db, saleId: number): Promise<{ customerId: number; day: number; lines: PurchaseLine[] } | undefined> {
  const rows = await sql<{ customer_id: number; d: number; product_id: number | null; q: number; category: string | null }>`
    select s.customer_id, (s.day - date '1970-01-01') as d, l.product_id,
           (l.quantity - l.returned_quantity) as q, p.category
    from sale s
    left join sale_line l on l.sale_id = s.id
    left join product p on p.id = l.product_id
    where s.id = ${saleId}`.execute(db)
  const first = rows.rows[0]
  if (first === undefined) return undefined
  const lines: PurchaseLine[] = []
  for (const r of rows.rows) {
    if (r.product_id === null) continue
    lines.push({ productId: String(r.product_id), quantity: r.q, category: categoryOrUndefined(r.category) })
  }
  return { customerId: first.customer_id, day: first.d, lines }
}

export async function categoriesOf(db: Db, productIds: readonly number[]): Promise<Map<number, string | undefined>> {
  if (productIds.length === 0) return new Map()
  const rows = await db.selectFrom('product').select(['id', 'category']).where('id', 'in', [...productIds]).execute()
  return new Map(rows.map((r) => [r.id, categoryOrUndefined(r.category)]))
}

export const categoryOrUndefined = (c: string | null): string | undefined => (c === null || c === '' || c === NO_CATEGORY ? undefined : c)

/**
 * Rebuilds the statistics of the given customers (all when omitted) from their recorded sales,
 * net of returns, in one set-based statement: the same numbers rebuildCustomerStats computes.
 */
export async function rebuildStatsSql(
  db: Db,
  opts: { config: PredictionConfig; customerIds?: readonly number[]; through?: string },
): Promise<number> {
  const { config } = opts
  const ids = opts.customerIds
  if (ids !== undefined && ids.length === 0) return 0
  if (ids === undefined) await sql`truncate customer_stats`.execute(db)
  else await sql`delete from customer_stats where customer_id = any(${[...ids]}::bigint[])`.execute(db)
  const only = ids === undefined ? sql`` : sql`and s.customer_id = any(${[...ids]}::bigint[])`
  const through = opts.through === undefined ? sql`` : sql`and s.day <= ${opts.through}::date`
  const half = config.halfLife
  const result = await sql`
    with pd as (
      select s.customer_id as c, l.product_id as p, (s.day - date '1970-01-01') as d,
             sum(l.quantity - l.returned_quantity)::int as q
      from sale s join sale_line l on l.sale_id = s.id
      where s.status = 'recorded' and l.product_id is not null ${only} ${through}
      group by 1, 2, 3
      having sum(l.quantity - l.returned_quantity) > 0
    ),
    cd as (
      select pd.c, pr.category as p, pd.d, sum(pd.q)::int as q
      from pd join product pr on pr.id = pd.p
      where pr.category <> ${NO_CATEGORY} and pr.category <> ''
      group by 1, 2, 3
    ),
    items as (
      select c, p::text as k, d, q,
             first_value(d) over w as last, row_number() over w as rn, 0 as kind
      from pd window w as (partition by c, p order by d desc)
      union all
      select c, p as k, d, q,
             first_value(d) over w as last, row_number() over w as rn, 1 as kind
      from cd window w as (partition by c, p order by d desc)
    ),
    item_json as (
      select c, kind, k, jsonb_build_object(
               'days', count(*), 'quantity', sum(q), 'firstDay', min(d), 'lastDay', max(d),
               'recent', jsonb_agg(jsonb_build_array(d, q) order by d) filter (where rn <= ${config.recentLimit}),
               'decay', sum(power(2::float8, (d - last)::float8 / ${half}::float8))) as j
      from items group by c, kind, k
    ),
    per_customer as (
      select c, coalesce(jsonb_object_agg(k, j) filter (where kind = 0), '{}') as products,
                coalesce(jsonb_object_agg(k, j) filter (where kind = 1), '{}') as categories
      from item_json group by c
    ),
    td as (
      select c, d, count(*)::int as n, row_number() over (partition by c order by d desc) as rn
      from pd group by c, d
    ),
    trips as (
      select c, count(*)::int as trips, min(d)::int as first_day, max(d)::int as last_day,
             jsonb_agg(jsonb_build_array(d, n) order by d) filter (where rn <= ${config.recentTripLimit}) as recent
      from td group by c
    )
    insert into customer_stats (customer_id, time_mode, trips, first_day, last_day, stats)
    select t.c, ${config.timeMode}, t.trips, t.first_day, t.last_day,
           jsonb_build_object('trips', t.trips, 'firstDay', t.first_day, 'lastDay', t.last_day,
                              'recentTrips', t.recent, 'products', pc.products, 'categories', pc.categories)
    from trips t join per_customer pc on pc.c = t.c`.execute(db)
  return Number(result.numAffectedRows ?? 0)
}

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

export async function storedTimeMode(db: Db): Promise<TimeMode | undefined> {
  const row = await db.selectFrom('customer_stats').select('time_mode').limit(1).executeTakeFirst()
  return row?.time_mode
}
