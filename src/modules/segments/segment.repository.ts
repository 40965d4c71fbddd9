import { sql, type Kysely, type Transaction } from 'kysely'
import { boolArray, floatArray, intArray, intArrayRows, textArray, textArrayRows } from '../../db/array-literal.ts'
import { executePrepared } from '../../db/prepared-statements.ts'
import type { DB } from '../../db/schema.ts'
import type { SegmentConfig } from './segment.config.ts'
import type { CustomerProfile, CustomerSegment, TierCuts, UsageCut } from './segment.types.ts'

type Db = Kysely<DB> | Transaction<DB>

// customer_profile's columns and the upsert that replaces all of them: the single refresh
// (writeProfiles) and the population refresh (staged-profiles.repository.ts) write the same row.
export const PROFILE_COLUMNS = sql.raw(`customer_id, as_of, computed_at, opt_out, weekly_spend_cents, eligible, spend_cents,
  margin_cents, rewards_cents, value_cents, value_tier, negative_value, trend, recent_spend_cents, previous_spend_cents,
  lifecycle, life_stage, first_purchase_day, last_purchase_day, median_gap_days, trips, regular_cycle, wallet_share,
  segment_categories, segment_brand_groups, segment_usages, segment_units, segment_national_units, segment_spend_cents`)
export const PROFILE_UPSERT = sql.raw(`on conflict (customer_id) do update set
  as_of = excluded.as_of, computed_at = excluded.computed_at, opt_out = excluded.opt_out,
  weekly_spend_cents = excluded.weekly_spend_cents, eligible = excluded.eligible, spend_cents = excluded.spend_cents,
  margin_cents = excluded.margin_cents, rewards_cents = excluded.rewards_cents, value_cents = excluded.value_cents,
  value_tier = excluded.value_tier, negative_value = excluded.negative_value, trend = excluded.trend,
  recent_spend_cents = excluded.recent_spend_cents, previous_spend_cents = excluded.previous_spend_cents,
  lifecycle = excluded.lifecycle, life_stage = excluded.life_stage, first_purchase_day = excluded.first_purchase_day,
  last_purchase_day = excluded.last_purchase_day, median_gap_days = excluded.median_gap_days, trips = excluded.trips,
  regular_cycle = excluded.regular_cycle, wallet_share = excluded.wallet_share,
  segment_categories = excluded.segment_categories, segment_brand_groups = excluded.segment_brand_groups,
  segment_usages = excluded.segment_usages, segment_units = excluded.segment_units,
  segment_national_units = excluded.segment_national_units, segment_spend_cents = excluded.segment_spend_cents`)

/**
 * Sort and hash memory for the population refresh's aggregations, for this transaction only (at
 * the default 4 MB the staging's hash aggregate and the classification's sort go to disk at 10,000
 * customers). A bound per operation, whatever the population: larger ones spill.
 */
export async function useSortMemory(trx: Transaction<DB>): Promise<void> {
  await sql`set local work_mem = '64MB'`.execute(trx)
}

/** Replaces the whole cut-off table: a category nobody bought in the window loses its cut. */
export async function replaceUsageCuts(trx: Transaction<DB>, asOf: string, cuts: (UsageCut & { category: string; buyers: number })[]) {
  await trx.deleteFrom('category_usage_cutoff').execute()
  if (cuts.length === 0) return
  await sql`
    insert into category_usage_cutoff (category, as_of, buyers, low_max, medium_max)
    select category, ${asOf}::date, buyers, low_max, medium_max
    from unnest(${cuts.map((c) => c.category)}::text[], ${cuts.map((c) => c.buyers)}::int[],
                ${cuts.map((c) => c.lowMax)}::float8[], ${cuts.map((c) => c.mediumMax)}::float8[])
      as u(category, buyers, low_max, medium_max)
  `.execute(trx)
}

export async function findUsageCuts(db: Db, categories: string[]): Promise<Map<string, UsageCut & { buyers: number }>> {
  if (categories.length === 0) return new Map()
  const rows = await db
    .selectFrom('category_usage_cutoff')
    .select(['category', 'buyers', 'low_max', 'medium_max'])
    .where('category', 'in', categories)
    .execute()
  return new Map(rows.map((r) => [r.category, { buyers: r.buyers, lowMax: r.low_max, mediumMax: r.medium_max }]))
}

export async function findAllUsageCuts(db: Db): Promise<Map<string, UsageCut & { buyers: number }>> {
  const rows = await db.selectFrom('category_usage_cutoff').select(['category', 'buyers', 'low_max', 'medium_max']).execute()
  return new Map(rows.map((r) => [r.category, { buyers: r.buyers, lowMax: r.low_max, mediumMax: r.medium_max }]))
}

export async function findTierCuts(db: Db): Promise<TierCuts | null> {
  const row = await db.selectFrom('value_tier_cutoff').select(['a_min_cents', 'b_min_cents', 'c_min_cents']).executeTakeFirst()
  return row ? { aMin: row.a_min_cents, bMin: row.b_min_cents, cMin: row.c_min_cents } : null
}

export async function countRankedProfiles(db: Db, profiles = 'customer_profile'): Promise<number> {
  const row = await sql<{ n: number }>`select count(*)::int as n from ${sql.table(profiles)} where value_cents is not null`.execute(db)
  return row.rows[0]?.n ?? 0
}

/** The value at each 1-based rank position, highest value first (`profiles`: or the refresh's staged ones). */
export async function valuesAtRanks(db: Db, positions: number[], profiles = 'customer_profile'): Promise<Map<number, number>> {
  const { rows } = await sql<{ rn: number; value_cents: number }>`
    select rn::int, value_cents
    from (select value_cents, row_number() over (order by value_cents desc) as rn
          from ${sql.table(profiles)} where value_cents is not null) ranked
    where rn = any(${positions}::int[])
  `.execute(db)
  return new Map(rows.map((r) => [r.rn, r.value_cents]))
}

export async function saveTierCuts(trx: Db, asOf: string, customers: number, cuts: TierCuts) {
  await trx
    .insertInto('value_tier_cutoff')
    .values({ id: true, as_of: asOf, customers, a_min_cents: cuts.aMin, b_min_cents: cuts.bMin, c_min_cents: cuts.cMin })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        as_of: asOf,
        computed_at: new Date(),
        customers,
        a_min_cents: cuts.aMin,
        b_min_cents: cuts.bMin,
        c_min_cents: cuts.cMin,
      }),
    )
    .execute()
}

/** Re-tiers every ranked profile by the cut-offs; writes only the rows whose tier changes. */
export async function applyTierCuts(trx: Db, cuts: TierCuts): Promise<number> {
  const tier = sql`case when value_cents >= ${cuts.aMin} then 'A' when value_cents >= ${cuts.bMin} then 'B'
                        when value_cents >= ${cuts.cMin} then 'C' else 'D' end`
  const res = await sql`
    update customer_profile set value_tier = ${tier}
    where value_cents is not null and value_tier is distinct from ${tier}
  `.execute(trx)
  return Number(res.numAffectedRows ?? 0)
}

/**
 * Writes a range's refreshed profiles with their segment cells in one statement (one round trip;
 * the regeneration after every lane sale runs this for one customer): upserts the profiles, the
 * cells as the row's arrays (migration 0029), and deletes the profiles of erased customers in the
 * range. The caller holds the profiled customers' write locks (lockCustomers).
 */
export async function writeProfiles(trx: Db, range: { lo: number; hi: number }, profiles: CustomerProfile[], opts: { prepared?: boolean } = {}) {
  // One customer (the regeneration) is an equality, which a generic plan estimates as such.
  const inRange = (col: string) => (range.lo === range.hi ? sql`${sql.ref(col)} = ${range.lo}` : sql`${sql.ref(col)} between ${range.lo} and ${range.hi}`)
  // Every column goes as one array literal built here (db/array-literal.ts), not through pg's
  // generic array encoding, which escapes each element with two regular expressions.
  const ints = (f: (p: CustomerProfile) => number | null) => intArray(profiles.map(f))
  const texts = (f: (p: CustomerProfile) => string | null) => textArray(profiles.map(f))
  const bools = (f: (p: CustomerProfile) => boolean | null) => boolArray(profiles.map(f))
  // Each profile's cells go as one array literal per column (parameters cannot be arrays of
  // arrays of different lengths), parsed by a cast per row. Sent flat and gathered back with six
  // ordered array_agg, they cost 80-150 ms of a 1,000-customer chunk's write, against 40 ms for the
  // profiles alone.
  const cellTexts = (f: (s: CustomerSegment) => string) => textArrayRows(profiles.map((p) => p.segments.map(f)))
  const cellInts = (f: (s: CustomerSegment) => number) => intArrayRows(profiles.map((p) => p.segments.map(f)))
  const query = sql`
    with prof as (
      insert into customer_profile (${PROFILE_COLUMNS})
      select customer_id, as_of, computed_at, opt_out, weekly_spend_cents, eligible, spend_cents, margin_cents,
        rewards_cents, value_cents, value_tier, negative_value, trend, recent_spend_cents, previous_spend_cents,
        lifecycle, string_to_array(life_stage, ','), first_purchase_day, last_purchase_day, median_gap_days, trips,
        regular_cycle, wallet_share, categories::text[], brand_groups::text[], usages::text[], cell_units::int[],
        cell_national_units::int[], cell_spend_cents::bigint[]
      from unnest(
        ${ints((p) => p.customerId)}::bigint[], ${texts((p) => p.asOf)}::date[], ${texts((p) => p.computedAt)}::timestamptz[],
        ${bools((p) => p.optOut)}::bool[], ${ints((p) => p.weeklySpendCents)}::bigint[], ${bools((p) => p.eligible)}::bool[],
        ${ints((p) => p.spendCents)}::bigint[], ${ints((p) => p.marginCents)}::bigint[], ${ints((p) => p.rewardsCents)}::bigint[],
        ${ints((p) => p.valueCents)}::bigint[], ${texts((p) => p.valueTier)}::char(1)[], ${bools((p) => p.negativeValue)}::bool[],
        ${texts((p) => p.trend)}::text[], ${ints((p) => p.recentSpendCents)}::bigint[], ${ints((p) => p.previousSpendCents)}::bigint[],
        ${texts((p) => p.lifecycle)}::text[], ${texts((p) => p.lifeStage.join(','))}::text[],
        ${texts((p) => p.firstPurchaseDay)}::date[], ${texts((p) => p.lastPurchaseDay)}::date[],
        ${floatArray(profiles.map((p) => p.medianGapDays))}::real[], ${ints((p) => p.trips)}::int[], ${bools((p) => p.regularCycle)}::bool[],
        ${texts((p) => p.walletShare)}::text[], ${cellTexts((c) => c.category)}::text[], ${cellTexts((c) => c.brandGroup)}::text[],
        ${cellTexts((c) => c.usage)}::text[], ${cellInts((c) => c.units)}::text[], ${cellInts((c) => c.nationalUnits)}::text[],
        ${cellInts((c) => c.spendCents)}::text[]
      ) as u(customer_id, as_of, computed_at, opt_out, weekly_spend_cents, eligible, spend_cents, margin_cents,
        rewards_cents, value_cents, value_tier, negative_value, trend, recent_spend_cents, previous_spend_cents,
        lifecycle, life_stage, first_purchase_day, last_purchase_day, median_gap_days, trips, regular_cycle, wallet_share,
        categories, brand_groups, usages, cell_units, cell_national_units, cell_spend_cents)
      ${PROFILE_UPSERT}
    ),
    erased as (
      -- Both sides bounded by the range: bounded on the profiles alone, the planner scanned every
      -- customer for the erased ones once per chunk (1-5 ms a chunk at 10,000 customers, quadratic).
      delete from customer_profile p using customer c
      where c.id = p.customer_id and ${inRange('p.customer_id')} and ${inRange('c.id')} and c.erased_at is not null
    )
    select 1
  `
  if (opts.prepared) await executePrepared(trx, query)
  else await query.execute(trx)
}

/**
 * Profiles with their segment cells. The cells' six arrays (about 14 elements each) and the life
 * stages come as JSON: pg's array parser walks every character in JavaScript, JSON.parse is
 * native, and a run's list chunks read 851 profiles at 10,000 customers with Node as their
 * bottleneck. int8 elements arrive as numbers (toProfile took Number() of pg's strings).
 */
export function findProfileRows(db: Db, customerIds: number[]) {
  return db
    .selectFrom('customer_profile')
    .select([
      'customer_id', 'as_of', 'computed_at', 'opt_out', 'weekly_spend_cents', 'eligible', 'spend_cents', 'margin_cents', 'rewards_cents', 'value_cents',
      'value_tier', 'negative_value', 'trend', 'recent_spend_cents', 'previous_spend_cents', 'lifecycle', 'first_purchase_day', 'last_purchase_day',
      'median_gap_days', 'trips', 'regular_cycle', 'wallet_share',
      sql<string[] | null>`to_json(life_stage)`.as('life_stage'),
      sql<string[]>`to_json(segment_categories)`.as('segment_categories'),
      sql<('national' | 'store' | 'switcher')[]>`to_json(segment_brand_groups)`.as('segment_brand_groups'),
      sql<('low' | 'medium' | 'high')[]>`to_json(segment_usages)`.as('segment_usages'),
      sql<number[]>`to_json(segment_units)`.as('segment_units'),
      sql<number[]>`to_json(segment_national_units)`.as('segment_national_units'),
      sql<number[]>`to_json(segment_spend_cents)`.as('segment_spend_cents'),
    ])
    .where('customer_id', 'in', customerIds)
    .execute()
}

export type ProfileRow = Awaited<ReturnType<typeof findProfileRows>>[number]
