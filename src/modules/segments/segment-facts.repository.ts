import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import { executePrepared } from '../../db/prepared-statements.ts'
import type { DB } from '../../db/schema.ts'
import type { SegmentConfig } from './segment.config.ts'
import type { CategoryFacts, CustomerFacts, TierCuts, UsageCut } from './segment.types.ts'

export type Db = Kysely<DB> | Transaction<DB>

// One scan of a customer's recent sale lines feeds every rule: the per-category sums (segments,
// life stage, value) and the trip days (gaps, trend, eligibility). The population refresh stages
// the same sums for everyone in one aggregation (stageCategoryFacts, the same categorySums) and
// classifies them in PostgreSQL (staged-profiles.repository.ts). Windows are (asOf - N, asOf]: N
// days, the as-of day included.

export const VOUCHER_UNITS_PER_CENT = 10_000

interface RawFactsRow {
  customer_id: number
  created_at: Date
  opt_out: boolean
  household: Record<string, unknown>
  first_day: string | null
  last_day: string | null
  trips: number | null
  median_gap: number | null
  mean_gap: number | null
  sd_gap: number | null
  recent: number
  previous: number
  eligibility: number
  discount: number
  voucher_units: number
  categories: [string, number, number, number, number, number][] | null
  previous_lifecycle: string | null
  usage_cuts?: [string, number, number, number][] | null
  tier_cuts?: [number, number, number] | null
  current_list?: [number, string, string, boolean, number | null] | null
}

/** What the voucher settlement needs to know first (vouchers/voucher.repository.ts issueStates). */
export interface VoucherStateFacts {
  customer_id: number
  issued_through: string | null
  any_entry: boolean
  any_redeemable: boolean
}

/** The customer's current list, as the list writer reads it (also lists/list-writer.repository.ts findCurrentLists). */
export interface CurrentListFacts {
  id: number
  customer_id: number
  cycle_start: string
  valid_until: string
  holdout: boolean
  generation_id: number | null
}

/** A customer's facts with what their refresh needs besides: the stage the stored profile had, and (single refresh) the stored cut-offs. */
export interface FactsRow extends CustomerFacts {
  /** Lifecycle of the stored profile before this refresh (null: none), to tell who moved into 'declining'. */
  previousLifecycle: string | null
  /** With `withCuts`: the stored usage cut-offs of the customer's categories and the tier cut-offs. */
  usageCuts?: Map<string, UsageCut & { buyers: number }>
  tierCuts?: TierCuts | null
  /** With `withCurrentList`: the current list (null: none). */
  currentList?: CurrentListFacts | null
  /** With `voucherThrough`: the customer's voucher state, read in the same round trip. */
  voucherState?: VoucherStateFacts
}

export function scanDays(cfg: SegmentConfig): number {
  return Math.max(
    cfg.segmentWindowDays,
    cfg.value.windowDays,
    cfg.lifeStage.recentDays,
    2 * cfg.trend.recentDays,
    cfg.lifecycle.gapWindowDays,
    cfg.eligibility.windowDays,
  )
}

/**
 * The per-(customer, category) sums of the lines in `where` (a condition on sale s and sale_line
 * sl): one aggregation carries every line-based sum; customer totals are sums of these rows, and
 * trip days come from sale alone (a tenth of the rows).
 */
function categorySums(asOf: string, cfg: SegmentConfig, where: RawBuilder<unknown>) {
  const since = (days: number) => sql`(${asOf}::date - ${days}::int)`
  const seg = since(cfg.segmentWindowDays)
  const val = since(cfg.value.windowDays)
  const life = since(cfg.lifeStage.recentDays)
  const recent = since(cfg.trend.recentDays)
  const previous = since(2 * cfg.trend.recentDays)
  const elig = since(cfg.eligibility.windowDays)
  // Units are summed as integers (sum of int4 is an int8 by value). Spend is summed in float8:
  // every term is a whole number of cents, so the sum is exact while it stays below 2^53 cents
  // (the bound the int8 parser already puts on every sum read into Node, db/database.ts), and
  // it is cast back to bigint. sum() over bigint keeps a 128-bit state per group and returns
  // numeric: the population's aggregation took 1.8-2.7 s of PostgreSQL CPU that way against 1.5 s.
  const units = sql`(sl.quantity - sl.returned_quantity)`
  const spend = sql`(sl.quantity - sl.returned_quantity)::float8 * coalesce(sl.unit_price_cents, p.regular_price_cents, 0)`
  return sql`
      select s.customer_id, coalesce(p.category, '') as category,
        coalesce(sum(${units}) filter (where s.day > ${seg}), 0) as units,
        coalesce(sum(${units}) filter (where s.day > ${seg} and p.brand_type = 'national'), 0) as national_units,
        coalesce(sum(${spend}) filter (where s.day > ${seg}), 0)::bigint as spend,
        coalesce(sum(${spend}) filter (where s.day > ${val}), 0)::bigint as value_spend,
        coalesce(sum(${units}) filter (where s.day > ${life}), 0) as recent_units,
        coalesce(sum(${spend}) filter (where s.day > ${recent}), 0)::bigint as recent,
        coalesce(sum(${spend}) filter (where s.day > ${previous} and s.day <= ${recent}), 0)::bigint as previous,
        coalesce(sum(${spend}) filter (where s.day > ${elig}), 0)::bigint as eligibility
      from sale s
      join sale_line sl on sl.sale_id = s.id
      left join product p on p.id = sl.product_id
      where ${where}
        and s.status = 'recorded'
        and s.day > ${since(scanDays(cfg))} and s.day <= ${asOf}::date
      group by 1, 2`
}

/**
 * categorySums for one customer, the same rows to the cent: the lines are summed per product
 * first and the products' facts joined to those sums, not to every line. A regeneration's plan is
 * generic, estimated for a handful of lines, so it looked the product up by index once per line:
 * for a weekly shopper's 1,500-2,700 lines a year that was two thirds of the aggregation (2.3 ms
 * against 0.8 ms, EXPLAIN ANALYZE at 50,000 customers), and such customers made the regeneration's
 * tail. Spend is split into lines with their own price (summed in float8, exact as categorySums
 * says) and units at the product's regular price, multiplied after the join: whole cents either
 * way, so the sums are the same.
 */
function customerCategorySums(asOf: string, cfg: SegmentConfig, where: RawBuilder<unknown>) {
  const since = (days: number) => sql`(${asOf}::date - ${days}::int)`
  // Each spend window as two per-product sums: the lines' own prices, and the units without one.
  const spendIn = (name: string, window: RawBuilder<unknown>) => sql`,
        sum(l.priced) filter (where ${window}) as ${sql.raw(`${name}_priced`)},
        sum(l.units) filter (where ${window} and l.unpriced) as ${sql.raw(`${name}_unpriced`)}`
  const spendOf = (name: string) =>
    sql`coalesce(sum(coalesce(pp.${sql.raw(`${name}_priced`)}, 0) + coalesce(pp.${sql.raw(`${name}_unpriced`)}, 0) * coalesce(p.regular_price_cents, 0)), 0)::bigint`
  // s.day > asOf - days, as the line's age in days: the statement's plan is generic, so a window
  // bound written as a date expression was computed again for every line and every sum. For a
  // weekly shopper's 1,729 lines the aggregation took 2.5 of the statement's 6.1 ms, now 1.3 of 5.2.
  const within = (days: number) => sql`l.age < ${days}::int`
  return sql`
      select pp.customer_id, coalesce(p.category, '') as category,
        coalesce(sum(pp.units), 0)::bigint as units,
        coalesce(sum(pp.units) filter (where p.brand_type = 'national'), 0)::bigint as national_units,
        ${spendOf('spend')} as spend,
        ${spendOf('value')} as value_spend,
        coalesce(sum(pp.recent_units), 0)::bigint as recent_units,
        ${spendOf('recent')} as recent,
        ${spendOf('previous')} as previous,
        ${spendOf('eligibility')} as eligibility
      from (
        select l.customer_id, l.product_id,
          sum(l.units) filter (where ${within(cfg.segmentWindowDays)}) as units,
          sum(l.units) filter (where ${within(cfg.lifeStage.recentDays)}) as recent_units
          ${spendIn('spend', within(cfg.segmentWindowDays))}
          ${spendIn('value', within(cfg.value.windowDays))}
          ${spendIn('recent', within(cfg.trend.recentDays))}
          ${spendIn('previous', sql`${within(2 * cfg.trend.recentDays)} and not ${within(cfg.trend.recentDays)}`)}
          ${spendIn('eligibility', within(cfg.eligibility.windowDays))}
        from (
          -- Each line's age and amounts once (offset 0 keeps the planner from pulling these
          -- expressions up into every sum that reads them).
          select s.customer_id, sl.product_id, ${asOf}::date - s.day as age,
            sl.quantity - sl.returned_quantity as units,
            (sl.quantity - sl.returned_quantity)::float8 * sl.unit_price_cents as priced,
            sl.unit_price_cents is null as unpriced
          from sale s
          join sale_line sl on sl.sale_id = s.id
          where ${where}
            and s.status = 'recorded'
            and s.day > ${since(scanDays(cfg))} and s.day <= ${asOf}::date
          offset 0
        ) l
        group by 1, 2
      ) pp
      left join product p on p.id = pp.product_id
      group by 1, 2`
}

/** The population refresh's tables (stageCategoryFacts): temporary, so each refresh's session has its own. */
export const STAGE_TABLE = 'refresh_category_facts'
export const TRIPS_TABLE = 'refresh_customer_trips'

/**
 * Every customer's trip days in one pass over sale (a tenth of the lines), for the chunks: first
 * and last purchase day over the whole history, and the trips and gaps between distinct trip days
 * in the gap window, as the single refresh computes them per customer.
 */
function populationTrips(asOf: string, cfg: SegmentConfig) {
  const gap = sql`(${asOf}::date - ${cfg.lifecycle.gapWindowDays}::int)`
  // One ordered pass over the distinct trip days: a day's gap counts when the day before it is in
  // the gap window as well (the first day in the window has none), as the single refresh computes
  // the gaps of the window's days alone. A customer with no trip in the window has trips 0 and null
  // gaps. Two passes (the days hashed once, then joined to the window's aggregate) took 0.26 s of
  // PostgreSQL CPU at 10,000 customers against 0.21 s, with the same rows.
  return sql`
    select customer_id, min(day) as first_day, max(day) as last_day,
      (count(*) filter (where day > ${gap}))::int as trips,
      percentile_cont(0.5) within group (order by gap) as median_gap,
      avg(gap)::float8 as mean_gap,
      stddev_pop(gap)::float8 as sd_gap
    from (
      select customer_id, day, case when lag(day) over w > ${gap} then day - lag(day) over w end as gap
      from (select distinct customer_id, day from sale where status = 'recorded' and day <= ${asOf}::date) d
      window w as (partition by customer_id order by day)
    ) g
    group by customer_id`
}

/**
 * The population refresh's first pass: every customer's per-category sums and trip days in one
 * aggregation each over the history, kept in temporary tables of the caller's session that the
 * usage cut-offs (usageCutsFromStage) and the classification (stageProfiles) read. The caller
 * drops them (dropCategoryFacts) when done. The sums get no index: everything reading them reads
 * them whole (a range read through an index, as the chunks did before, fetched the range's rows
 * from all over a table larger than the session's temporary buffers).
 */
export async function stageCategoryFacts(trx: Transaction<DB>, asOf: string, cfg: SegmentConfig, onSums?: () => void): Promise<void> {
  const db = trx
  await dropCategoryFacts(db)
  // In parallel, for this transaction (a partial hash aggregate per worker): the service waits
  // for the sums with nothing else to do, so a second core shortens them, at about 0.3 s more
  // CPU at 10,000 customers. Left to itself the planner ran the sums serially: its cost model put
  // the partial groups' transfer above what the second core saves.
  await sql`select set_config('parallel_setup_cost', '0', true), set_config('parallel_tuple_cost', '0', true)`.execute(db)
  await sql`create temporary table ${sql.table(STAGE_TABLE)} as ${categorySums(asOf, cfg, sql`true`)}`.execute(db)
  // The rest runs on this connection alone.
  onSums?.()
  await sql`create temporary table ${sql.table(TRIPS_TABLE)} as ${populationTrips(asOf, cfg)}`.execute(db)
  await sql`create index on ${sql.table(TRIPS_TABLE)} (customer_id)`.execute(db)
  // Statistics of the columns the later statements join and group on only: sampling the sums'
  // columns too cost 0.1 s of PostgreSQL CPU at 10,000 customers for nothing a plan reads.
  await sql`analyze ${sql.table(STAGE_TABLE)} (customer_id, category), ${sql.table(TRIPS_TABLE)} (customer_id)`.execute(db)
}

export async function dropCategoryFacts(db: Db): Promise<void> {
  await sql`drop table if exists pg_temp.${sql.table(STAGE_TABLE)}, pg_temp.${sql.table(TRIPS_TABLE)}`.execute(db)
}

/**
 * Usage quantiles per category from the staged sums, the same as segment.repository's
 * computeUsageCuts reads from the lines: buyers are customers not opted out nor erased with
 * units in the segment window; lines without a known product (category '') belong to no segment.
 */
export async function usageCutsFromStage(db: Db, cfg: SegmentConfig): Promise<(UsageCut & { category: string; buyers: number })[]> {
  const measure = cfg.usage.measure === 'units' ? sql`f.units` : sql`f.spend`
  const { rows } = await sql<{ category: string; buyers: number; low_max: number; medium_max: number }>`
    select f.category, count(*)::int as buyers,
      percentile_cont(${cfg.usage.lowQuantile}::float8) within group (order by ${measure}) as low_max,
      percentile_cont(${cfg.usage.highQuantile}::float8) within group (order by ${measure}) as medium_max
    from ${sql.table(STAGE_TABLE)} f
    join customer c on c.id = f.customer_id
    where f.category <> '' and f.units > 0 and not c.personalisation_opt_out and c.erased_at is null
    group by f.category
  `.execute(db)
  return rows.map((r) => ({ category: r.category, buyers: r.buyers, lowMax: r.low_max, mediumMax: r.medium_max }))
}

/**
 * Every category a staged sum can carry, for their margins: each product's ('' for none) and ''
 * (lines without a known product). Products are never deleted, so this covers the staged sums;
 * the categories nobody bought just go unused. Read from the catalog, not from the sums, whose
 * distinct categories took a scan of a table that grows with the population (0.05-0.09 s at
 * 10,000 customers).
 */
export async function stagedCategories(db: Db): Promise<string[]> {
  const { rows } = await sql<{ category: string }>`
    select coalesce(category, '') as category from product union select ''`.execute(db)
  return rows.map((r) => r.category)
}

export async function aggregateCustomerFacts(
  db: Db,
  range: { lo: number; hi: number },
  asOf: string,
  cfg: SegmentConfig,
  opts: {
    withCuts?: boolean
    withCurrentList?: boolean
    /** The end of the last complete voucher period: also read the customer's voucher state (issueStates). */
    voucherThrough?: string
    /** As a named prepared statement (the regeneration after every lane sale; its text is fixed per option set). */
    prepared?: boolean
  } = {},
): Promise<FactsRow[]> {
  const { lo, hi } = range
  // One customer is an equality, so a generic plan of the prepared statement is estimated for one
  // customer's rows, as a custom plan would be.
  const inRange = (col: string) => (lo === hi ? sql`${sql.ref(col)} = ${lo}` : sql`${sql.ref(col)} between ${lo} and ${hi}`)
  const since = (days: number) => sql`(${asOf}::date - ${days}::int)`
  const val = since(cfg.value.windowDays)
  const gap = since(cfg.lifecycle.gapWindowDays)
  // A single refresh reads the stored cut-offs in the same round trip (the regeneration after
  // every lane sale counts round trips); a chunk has them in memory already.
  const cuts = opts.withCuts
    ? sql`,
      (select json_agg(json_build_array(u.category, u.buyers, u.low_max, u.medium_max))
         from category_usage_cutoff u where u.category in (select category from cats where cats.customer_id = c.id)) as usage_cuts,
      (select json_build_array(a_min_cents, b_min_cents, c_min_cents) from value_tier_cutoff) as tier_cuts`
    : sql``
  // The regeneration after a lane sale writes the customer's list next: its current list comes in
  // the same round trip (read after the caller's list lock, so it is the one the write supersedes).
  const currentList = opts.withCurrentList
    ? sql`,
      (select json_build_array(l.id, l.cycle_start, l.valid_until, l.holdout, l.generation_id)
         from list l where l.customer_id = c.id and l.status = 'current') as current_list`
    : sql``
  // The voucher settlement after the list write reads these (issueStates): one round trip fewer.
  const vouchers = opts.voucherThrough
    ? sql`,
      (select issued_through from voucher_account where customer_id = c.id) as v_issued_through,
      exists (select 1 from voucher_entry where customer_id = c.id and day <= ${opts.voucherThrough}::date) as v_any_entry,
      exists (select 1 from voucher v where v.customer_id = c.id and v.redeemed_by is null and v.issued_on <= ${asOf}::date
                and (v.expires_on is null or v.expires_on >= ${asOf}::date)) as v_any_redeemable`
    : sql``
  // A chunk bounds both sides by the range, so sale_line's customer_id BRIN (0016) reads only
  // the blocks holding the chunk's lines instead of the planner hashing the whole table once per
  // chunk. One customer's lines are found from their sales by the sale_id btree (0018): lane
  // sales interleave customers, so the BRIN would read most of the table for one of them.
  const lineRange = lo === hi ? sql`` : sql`and ${inRange('sl.customer_id')}`
  const query = sql<RawFactsRow>`
    with c as (
      select id, created_at, personalisation_opt_out as opt_out, household
      from customer
      where ${inRange('id')} and erased_at is null
    ),
    cats as (${(lo === hi ? customerCategorySums : categorySums)(asOf, cfg, sql`${inRange('s.customer_id')} ${lineRange}`)}),
    cat_json as (
      select customer_id,
        json_agg(json_build_array(category, units, national_units, spend, value_spend, recent_units) order by category collate "C") as categories,
        sum(recent) as recent, sum(previous) as previous, sum(eligibility) as eligibility
      from cats
      group by customer_id
    ),
    gaps as (
      select customer_id, day - lag(day) over (partition by customer_id order by day) as gap
      from (select distinct customer_id, day from sale
            where ${inRange('customer_id')} and status = 'recorded' and day > ${gap} and day <= ${asOf}::date) d
    ),
    trips as (
      select customer_id, count(*)::int as trips,
        percentile_cont(0.5) within group (order by gap) as median_gap,
        avg(gap)::float8 as mean_gap,
        stddev_pop(gap)::float8 as sd_gap
      from gaps
      group by customer_id
    ),
    disc as (
      select r.customer_id,
        coalesce((select sum(amount_cents) from redemption_discount rd where rd.redemption_id = r.id), 0)
          - coalesce((select sum(clawback_cents) from redemption_return rr where rr.redemption_id = r.id), 0) as cents
      from redemption r
      join sale s on s.id = r.sale_id
      where ${inRange('r.customer_id')} and r.status = 'recorded'
        and s.day > ${val} and s.day <= ${asOf}::date
    ),
    disc_sum as (select customer_id, sum(cents) as cents from disc group by customer_id),
    vouch as (
      select customer_id, sum(units) as units
      from voucher_entry
      where ${inRange('customer_id')} and day > ${val} and day <= ${asOf}::date
      group by customer_id
    )
    select c.id as customer_id, c.created_at, c.opt_out, c.household,
      (select min(day) from sale where customer_id = c.id and status = 'recorded' and day <= ${asOf}::date) as first_day,
      (select max(day) from sale where customer_id = c.id and status = 'recorded' and day <= ${asOf}::date) as last_day,
      t.trips, t.median_gap, t.mean_gap, t.sd_gap,
      coalesce(cj.recent, 0) as recent, coalesce(cj.previous, 0) as previous, coalesce(cj.eligibility, 0) as eligibility,
      coalesce(d.cents, 0) as discount, coalesce(v.units, 0) as voucher_units,
      cj.categories, cp.lifecycle as previous_lifecycle${cuts}${currentList}${vouchers}
    from c
    left join (select customer_id, lifecycle from customer_profile where ${inRange('customer_id')}) cp on cp.customer_id = c.id
    left join trips t on t.customer_id = c.id
    left join disc_sum d on d.customer_id = c.id
    left join vouch v on v.customer_id = c.id
    left join cat_json cj on cj.customer_id = c.id
    order by c.id
  `
  const { rows } = opts.prepared ? await executePrepared(db, query) : await query.execute(db)
  return rows.map(toFacts)
}

function toFacts(r: RawFactsRow & { v_issued_through?: string | null; v_any_entry?: boolean; v_any_redeemable?: boolean }): FactsRow {
  const categories: CategoryFacts[] = (r.categories ?? []).map(([category, units, nationalUnits, spendCents, valueSpendCents, recentUnits]) => ({
    category,
    units: Number(units),
    nationalUnits: Number(nationalUnits),
    spendCents: Number(spendCents),
    valueSpendCents: Number(valueSpendCents),
    recentUnits: Number(recentUnits),
  }))
  const household = r.household ?? {}
  return {
    customerId: r.customer_id,
    enrolledOn: r.created_at.toISOString().slice(0, 10),
    optOut: r.opt_out,
    household: { pets: household.pets === true, baby: household.baby === true },
    firstPurchaseDay: r.first_day,
    lastPurchaseDay: r.last_day,
    trips: r.trips ?? 0,
    medianGapDays: r.median_gap,
    meanGapDays: r.mean_gap,
    stddevGapDays: r.sd_gap,
    recentSpendCents: Number(r.recent),
    previousSpendCents: Number(r.previous),
    eligibilitySpendCents: Number(r.eligibility),
    discountCents: Number(r.discount),
    // Rounded to the nearest cent: value is a ranking measure, not a balance (the voucher ledger is exact).
    voucherCents: Math.round(Number(r.voucher_units) / VOUCHER_UNITS_PER_CENT),
    categories,
    previousLifecycle: r.previous_lifecycle,
    ...(r.usage_cuts === undefined
      ? {}
      : { usageCuts: new Map((r.usage_cuts ?? []).map(([category, buyers, lowMax, mediumMax]) => [category, { buyers, lowMax, mediumMax }])) }),
    ...(r.tier_cuts === undefined ? {} : { tierCuts: r.tier_cuts ? { aMin: r.tier_cuts[0], bMin: r.tier_cuts[1], cMin: r.tier_cuts[2] } : null }),
    ...(r.v_any_entry === undefined
      ? {}
      : { voucherState: { customer_id: r.customer_id, issued_through: r.v_issued_through ?? null, any_entry: r.v_any_entry, any_redeemable: r.v_any_redeemable === true } }),
    ...(r.current_list === undefined
      ? {}
      : {
          currentList: r.current_list
            ? { id: r.current_list[0], customer_id: r.customer_id, cycle_start: r.current_list[1], valid_until: r.current_list[2], holdout: r.current_list[3], generation_id: r.current_list[4] }
            : null,
        }),
  }
}
