// The value rollup: concentration of sales and the tier x lifecycle grid over the stored
// profiles (one pass over customer_profile, a row per customer, never over sales), and the
// two customer lists read live through indexes on customer_profile.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

type Db = Kysely<DB> | Transaction<DB>

export interface ValueRollupRow {
  rolled_at: Date
  profiles_as_of: string | null
  customers: number
  spend_cents: number
  concentration: { share: number; customers: number; spendCents: number }[]
  grid: { tier: string | null; lifecycle: string | null; customers: number; spendCents: number; valueCents: number }[]
  negative_customers: number
  negative_value_cents: number
}

/**
 * Recomputes the rollup. Profiled customers who are not opted out count; spend is the value
 * window's (364 days). "Top x%" is the ceil(x * n) customers with the most spend.
 */
export async function rollUpValue(trx: Transaction<DB>, shares: readonly number[]): Promise<void> {
  await sql`
    with p as (
      select spend_cents, value_cents, value_tier, lifecycle, negative_value, as_of
        from customer_profile where not opt_out and spend_cents is not null
    ),
    ranked as (
      select spend_cents, row_number() over (order by spend_cents desc, value_cents desc) as rn from p
    ),
    n as (select count(*)::int as n, coalesce(sum(spend_cents), 0)::bigint as total from p),
    conc as (
      select coalesce(jsonb_agg(jsonb_build_object('share', s.share, 'customers', s.k,
               'spendCents', (select coalesce(sum(spend_cents), 0)::bigint from ranked where rn <= s.k)) order by s.share), '[]') as j
        from (select share, least(n.n, ceil(n.n * share - 1e-9)::int) as k from unnest(${[...shares]}::float8[]) as share, n) s
    ),
    grid as (
      select coalesce(jsonb_agg(jsonb_build_object('tier', value_tier, 'lifecycle', lifecycle, 'customers', customers,
               'spendCents', spend, 'valueCents', value) order by value_tier nulls last, lifecycle nulls last), '[]') as j
        from (select value_tier, lifecycle, count(*)::int as customers, sum(spend_cents)::bigint as spend,
                     coalesce(sum(value_cents), 0)::bigint as value
                from p group by 1, 2) g
    )
    insert into report_value_rollup (id, rolled_at, profiles_as_of, customers, spend_cents, concentration, grid,
                                     negative_customers, negative_value_cents)
    select true, now(), (select max(as_of) from p), n.n, n.total, conc.j, grid.j,
           (select count(*)::int from p where negative_value), (select coalesce(sum(value_cents), 0)::bigint from p where negative_value)
      from n, conc, grid
    on conflict (id) do update set rolled_at = excluded.rolled_at, profiles_as_of = excluded.profiles_as_of,
      customers = excluded.customers, spend_cents = excluded.spend_cents, concentration = excluded.concentration,
      grid = excluded.grid, negative_customers = excluded.negative_customers, negative_value_cents = excluded.negative_value_cents
  `.execute(trx)
  await sql`update report_rollup_state set value_rolled_at = now() where id`.execute(trx)
}

export interface ValueInputs {
  /** Transactions that wrote customer_profile since the rollup last read this table. */
  changes: string[]
  rolledAt: Date | null
  /** When the last population refresh finished (value_tier_cutoff.computed_at). */
  refreshedAt: Date | null
}

/** What the rollup needs to decide whether the value figures are out of date. */
export async function findValueInputs(db: Db): Promise<ValueInputs> {
  const { rows } = await sql<{ changes: string[] | null; rolled_at: Date | null; refreshed_at: Date | null }>`
    select (select array_agg(xid::text) from report_value_change) as changes,
           (select rolled_at from report_value_rollup where id) as rolled_at,
           (select computed_at from value_tier_cutoff where id) as refreshed_at`.execute(db)
  const r = rows[0]
  return { changes: r?.changes ?? [], rolledAt: r?.rolled_at ?? null, refreshedAt: r?.refreshed_at ?? null }
}

/** Forgets exactly the changes the rollup read (one that committed since stays for the next pass). */
export async function clearValueChanges(db: Db, changes: string[]): Promise<void> {
  if (changes.length === 0) return
  await sql`delete from report_value_change where xid = any(${changes}::xid8[])`.execute(db)
}

export async function findValueRollup(db: Db): Promise<ValueRollupRow | undefined> {
  const { rows } = await sql<ValueRollupRow>`select * from report_value_rollup where id`.execute(db)
  return rows[0]
}

export interface WarningRow {
  customer_id: number
  as_of: string
  last_purchase_day: string
  median_gap_days: number
  behind_since: string
  value_tier: string | null
  value_cents: number | null
  spend_cents: number | null
}

/**
 * Declining customers (customer_profile_lifecycle_idx) who fell behind their own cycle within
 * `days` of their profile's as-of day. They fell behind on the first day the lifecycle rule
 * (docs/lists.md) held: last trip + the smallest whole number of days above both
 * gapMultiple x median gap and minDays. Most valuable first.
 */
export async function findEarlyWarnings(db: Db, o: { days: number; gapMultiple: number; minDays: number; limit: number }) {
  const behind = sql`(p.last_purchase_day + greatest(floor(${o.gapMultiple}::float8 * p.median_gap_days)::int + 1, ${o.minDays}::int + 1))`
  const { rows } = await sql<WarningRow & { total: number }>`
    select p.customer_id, p.as_of, p.last_purchase_day, p.median_gap_days, ${behind} as behind_since,
           p.value_tier, p.value_cents, p.spend_cents, count(*) over ()::int as total
      from customer_profile p
     where p.lifecycle = 'declining' and p.median_gap_days is not null and p.last_purchase_day is not null
       and ${behind} > p.as_of - ${o.days}::int
     order by p.value_cents desc nulls last, p.customer_id
     limit ${o.limit}`.execute(db)
  return { total: rows[0]?.total ?? 0, rows: rows.map(({ total: _t, ...r }) => r) }
}

/** Customers whose rewards cost more than their margin, most negative first (customer_profile_value_idx). */
export function findNegativeValue(db: Db, limit: number) {
  return sql<{
    customer_id: number
    value_cents: number
    margin_cents: number
    rewards_cents: number
    spend_cents: number
    value_tier: string | null
    lifecycle: string | null
  }>`
    select customer_id, value_cents, margin_cents, rewards_cents, spend_cents, value_tier, lifecycle
      from customer_profile
     where not opt_out and value_cents < 0
     order by value_cents asc, customer_id
     limit ${limit}`
    .execute(db)
    .then((r) => r.rows)
}
