import { sql, type Transaction } from 'kysely'
import { boolArray, floatArray, intArray, textArray } from '../../db/array-literal.ts'
import type { DB } from '../../db/schema.ts'
import { STAGE_TABLE, TRIPS_TABLE, VOUCHER_UNITS_PER_CENT, type Db } from './segment-facts.repository.ts'
import { PROFILE_COLUMNS, PROFILE_UPSERT } from './segment.repository.ts'
import type { SegmentConfig } from './segment.config.ts'
import type { LifecycleStage, TierCuts, ValueTier } from './segment.types.ts'

// The population refresh classifies in PostgreSQL: every customer's profile (all but the value
// tier) from the staged sums and trips in one pass into a temporary table of the refresh's
// session, which the chunks then copy into customer_profile. classifyCustomer (profile-classify.ts)
// stays the rule for a single refresh; this is the same arithmetic, in the same order, on the same
// float8 values, and test/db/segment-classify-sql.test.ts holds the two to the same answers on
// populations built to reach every branch. What a rule needs to know about a category (its margin,
// which life-stage flags its prefixes feed) comes from Node (`CategoryRules`), so those prefix
// rules stay written once. In Node the chunks' facts JSON, the classification and the profile
// write's literals cost about 0.9 s of CPU at 10,000 customers, and PostgreSQL built the JSON and
// parsed the literals besides (docs/lists.md, "Where the time goes").

/** The session's classified profiles, which segment.repository's ranking reads for the tier forecast. */
export const STAGED_PROFILES = 'refresh_profiles'

/** Per staged category: its margin and the life-stage flags its path counts toward (segment-rules.ts). */
export interface CategoryRules {
  category: string
  margin: number
  pet: boolean
  baby: boolean
  produce: boolean
}

/** Math.round of a float8 (half up, toward +infinity), exactly: x - floor(x) is exact for a double. */
const jsRound = (x: ReturnType<typeof sql>) => sql`(floor(${x}) + case when ${x} - floor(${x}) >= 0.5 then 1 else 0 end)`

/**
 * Classifies every customer who is not erased into the session's temporary table, from the
 * staged sums (stageCategoryFacts) and the usage cut-offs this refresh stored. The value tier is
 * left to the chunks (it needs the ranking of these values: rankTierCuts on STAGED_PROFILES).
 */
export async function stageProfiles(trx: Transaction<DB>, asOf: string, cfg: SegmentConfig, rules: CategoryRules[]): Promise<void> {
  const val = sql`(${asOf}::date - ${cfg.value.windowDays}::int)`
  const f8 = (x: number) => sql`${x}::float8`
  const measure = cfg.usage.measure === 'units' ? sql`f.units` : sql`f.spend`
  const lc = cfg.lifecycle
  const w = cfg.wallet
  const ls = cfg.lifeStage
  await sql`drop table if exists pg_temp.${sql.table(STAGED_PROFILES)}`.execute(trx)
  await sql`
    create temporary table ${sql.table(STAGED_PROFILES)} as
    with m as (
      -- One row per staged category with its rules and usage cut-off, and its code-point rank:
      -- the cells sort by that integer instead of comparing text (0.2 s at 10,000 customers).
      select m.*, row_number() over (order by m.category collate "C") as ord,
        coalesce(cut.low_max, ${f8(cfg.usage.fixed.lowMax)}) as low_max, coalesce(cut.medium_max, ${f8(cfg.usage.fixed.mediumMax)}) as medium_max
      from unnest(${textArray(rules.map((r) => r.category))}::text[], ${floatArray(rules.map((r) => r.margin))}::float8[],
        ${boolArray(rules.map((r) => r.pet))}::bool[], ${boolArray(rules.map((r) => r.baby))}::bool[], ${boolArray(rules.map((r) => r.produce))}::bool[])
        as m(category, margin, pet, baby, produce)
      left join category_usage_cutoff cut on cut.category = m.category and cut.buyers >= ${cfg.usage.minBuyersForQuantiles}
    ),
    -- segmentsFor and brandGroup: a cell per category with a known product and units in the window.
    lines as (
      select f.*, m.margin, m.pet, m.baby, m.produce, m.ord,
        f.category <> '' and f.units > 0 as cell,
        case when f.units <= 0 then null
          when f.national_units::float8 / f.units::float8 >= ${f8(cfg.brandGroup.nationalLoyalMinShare)} then 'national'
          when f.national_units::float8 / f.units::float8 <= ${f8(cfg.brandGroup.storeLoyalMaxShare)} then 'store'
          else 'switcher' end as brand_group,
        case when ${measure}::float8 <= m.low_max then 'low'
          when ${measure}::float8 <= m.medium_max then 'medium'
          else 'high' end as usage
      from ${sql.table(STAGE_TABLE)} f
      join m on m.category = f.category
    ),
    cats as (
      -- Every sum in the order customerValue and lifeStageFlags add them: by category code point (ord).
      select customer_id,
        sum(value_spend) as value_spend,
        sum(value_spend * margin order by ord) as margin,
        sum(recent) as recent, sum(previous) as previous, sum(eligibility) as eligibility,
        coalesce(sum(recent_units) filter (where pet), 0) as pet_units,
        coalesce(sum(recent_units) filter (where baby), 0) as baby_units,
        coalesce(sum(spend) filter (where produce), 0) as produce_spend,
        sum(spend) as total_spend,
        array_agg(category order by ord) filter (where cell) as categories,
        array_agg(brand_group order by ord) filter (where cell) as brand_groups,
        array_agg(usage order by ord) filter (where cell) as usages,
        array_agg(units::int order by ord) filter (where cell) as units,
        array_agg(national_units::int order by ord) filter (where cell) as national_units,
        array_agg(spend::bigint order by ord) filter (where cell) as spend
      from lines
      group by customer_id
    ),
    disc as (
      select r.customer_id,
        sum(coalesce((select sum(amount_cents) from redemption_discount rd where rd.redemption_id = r.id), 0)
          - coalesce((select sum(clawback_cents) from redemption_return rr where rr.redemption_id = r.id), 0)) as cents
      from redemption r
      join sale s on s.id = r.sale_id
      where r.status = 'recorded' and s.day > ${val} and s.day <= ${asOf}::date
      group by r.customer_id
    ),
    vouch as (
      select customer_id, sum(units) as units
      from voucher_entry
      where day > ${val} and day <= ${asOf}::date
      group by customer_id
    ),
    facts as (
      select c.id as customer_id, c.personalisation_opt_out as opt_out,
        ${asOf}::date - (c.created_at at time zone 'UTC')::date as enrolled_days,
        c.household -> 'pets' = 'true'::jsonb as pets, c.household -> 'baby' = 'true'::jsonb as baby,
        t.first_day, t.last_day, coalesce(t.trips, 0) as trips, t.median_gap, t.mean_gap, t.sd_gap,
        coalesce(k.recent, 0)::bigint as recent, coalesce(k.previous, 0)::bigint as previous,
        coalesce(k.eligibility, 0)::bigint as eligibility, coalesce(k.value_spend, 0)::bigint as value_spend,
        ${jsRound(sql`coalesce(k.margin, 0)`)}::bigint as margin,
        coalesce(d.cents, 0)::bigint
          + ${jsRound(sql`(coalesce(vo.units, 0)::float8 / ${VOUCHER_UNITS_PER_CENT})`)}::bigint as rewards,
        coalesce(k.pet_units, 0) as pet_units, coalesce(k.baby_units, 0) as baby_units,
        coalesce(k.produce_spend, 0)::float8 as produce_spend, coalesce(k.total_spend, 0)::float8 as total_spend,
        k.categories, k.brand_groups, k.usages, k.units, k.national_units, k.spend
      from customer c
      left join ${sql.table(TRIPS_TABLE)} t on t.customer_id = c.id
      left join cats k on k.customer_id = c.id
      left join disc d on d.customer_id = c.id
      left join vouch vo on vo.customer_id = c.id
      where c.erased_at is null
    ),
    -- eligibility, trendOf, regularCycle (value-rules.ts).
    step1 as (
      select facts.*,
        floor(eligibility * 7 / ${cfg.eligibility.windowDays}::numeric)::bigint as weekly,
        eligibility * 7 >= ${cfg.eligibility.minWeeklySpendCents}::numeric * ${cfg.eligibility.windowDays} as eligible,
        case when previous <= 0 then case when recent > 0 then 'rising' else 'flat' end
          when recent::float8 / previous::float8 >= ${f8(cfg.trend.risingRatio)} then 'rising'
          when recent::float8 / previous::float8 <= ${f8(cfg.trend.fallingRatio)} then 'falling'
          else 'flat' end as trend,
        case when trips < ${w.regularMinTrips} or mean_gap is null or sd_gap is null or mean_gap <= 0 then false
          else sd_gap / mean_gap <= ${f8(w.regularMaxCv)} end as regular,
        ${asOf}::date - last_day as since,
        ${asOf}::date - first_day as first_since
      from facts
    ),
    -- lifecycleStage, walletShare, lifeStageFlags.
    step2 as (
      select step1.*,
        case when last_day is null or first_day is null then case when enrolled_days < ${f8(lc.newDays)} then 'new' else 'lapsed' end
          when since > ${f8(lc.lapsedDays)} then 'lapsed'
          when median_gap > 0 and since > ${f8(lc.lapsedGapMultiple)} * median_gap and since > ${f8(lc.lapsedMinDays)} then 'lapsed'
          when median_gap > 0 and since > ${f8(lc.decliningGapMultiple)} * median_gap and since > ${f8(lc.decliningMinDays)} then 'declining'
          when first_since < ${f8(lc.newDays)} then 'new'
          when trend = 'rising' then 'growing'
          else 'stable' end as lifecycle,
        case when regular and weekly >= ${f8(w.highWeeklySpendCents)} then 'high'
          when weekly < ${f8(w.lowWeeklySpendCents)} then 'low'
          else 'medium' end as wallet_share,
        array_remove(array[
          case when pet_units >= ${f8(ls.pet.minUnits)} or (${ls.useDeclaredHousehold}::bool and pets is true) then 'pet' end,
          case when baby_units >= ${f8(ls.baby.minUnits)} or (${ls.useDeclaredHousehold}::bool and baby is true) then 'baby' end,
          case when total_spend >= ${f8(ls.produceHeavy.minTotalSpendCents)} and total_spend > 0
            and produce_spend / total_spend >= ${f8(ls.produceHeavy.minShare)} then 'produce_heavy' end
        ], null) as life_stage
      from step1
    )
    -- An opted-out customer is not profiled: eligibility only (classifyCustomer).
    select customer_id, opt_out, weekly, eligible,
      case when not opt_out then value_spend end as spend_cents,
      case when not opt_out then margin end as margin_cents,
      case when not opt_out then rewards end as rewards_cents,
      case when not opt_out then margin - rewards end as value_cents,
      case when not opt_out then margin - rewards < 0 end as negative_value,
      case when not opt_out then trend end as trend,
      case when not opt_out then recent end as recent_spend_cents,
      case when not opt_out then previous end as previous_spend_cents,
      case when not opt_out then lifecycle end as lifecycle,
      case when not opt_out then life_stage else '{}' end as life_stage,
      case when not opt_out then first_day end as first_purchase_day,
      case when not opt_out then last_day end as last_purchase_day,
      case when not opt_out then since end as days_since_last_trip,
      case when not opt_out then median_gap end as median_gap,
      case when not opt_out then trips end as trips,
      case when not opt_out then regular end as regular_cycle,
      case when not opt_out then wallet_share end as wallet_share,
      case when opt_out or categories is null then '{}' else categories end as segment_categories,
      case when opt_out or categories is null then '{}' else brand_groups end as segment_brand_groups,
      case when opt_out or categories is null then '{}' else usages end as segment_usages,
      case when opt_out or categories is null then '{}' else units end as segment_units,
      case when opt_out or categories is null then '{}' else national_units end as segment_national_units,
      case when opt_out or categories is null then '{}' else spend end as segment_spend_cents
    from step2
  `.execute(trx)
  await sql`create index on ${sql.table(STAGED_PROFILES)} (customer_id)`.execute(trx)
  // The chunks read it by id ranges: the ids' statistics only (with the cell arrays' element
  // statistics, the analysis took 0.2 s of PostgreSQL CPU at 10,000 customers).
  await sql`analyze ${sql.table(STAGED_PROFILES)} (customer_id)`.execute(trx)
}

export async function dropStagedProfiles(db: Db): Promise<void> {
  await sql`drop table if exists pg_temp.${sql.table(STAGED_PROFILES)}`.execute(db)
}

/**
 * The order the refresh writes the staged profiles in: eligible customers first, then by value,
 * highest first (customers without a value last), then by id. It is a list run's allocation order
 * (lists/list-run.repository.ts snapshotFromRefreshOrder): the run copies it as its snapshot, and
 * its list chunk k waits only for the refresh chunk that holds its last customer, not for the
 * whole population (docs/lists.md, "Runs"). The value tier is not needed for it: every tier's
 * cut-offs are values, so the tiers follow the values' order, and a customer without a value is
 * the one without a tier.
 */
export const REFRESH_ORDER = 'refresh_order'

export async function orderStagedProfiles(trx: Transaction<DB>): Promise<void> {
  await dropRefreshOrder(trx)
  await sql`
    create temporary table ${sql.table(REFRESH_ORDER)} as
    select row_number() over (order by eligible is not true, value_cents desc nulls last, customer_id) as seq, customer_id
    from ${sql.table(STAGED_PROFILES)}`.execute(trx)
  await sql`create index on ${sql.table(REFRESH_ORDER)} (seq)`.execute(trx)
  await sql`analyze ${sql.table(REFRESH_ORDER)}`.execute(trx)
}

export async function dropRefreshOrder(db: Db): Promise<void> {
  await sql`drop table if exists pg_temp.${sql.table(REFRESH_ORDER)}`.execute(db)
}

/** The next chunk of staged customers after position `afterSeq` of the refresh order. */
export async function nextOrderedIds(db: Db, afterSeq: number, size: number): Promise<{ seq: number; customerId: number }[]> {
  const { rows } = await sql<{ seq: string | number; customer_id: number }>`
    select seq, customer_id from ${sql.table(REFRESH_ORDER)} where seq > ${afterSeq} order by seq limit ${size}`.execute(db)
  return rows.map((r) => ({ seq: Number(r.seq), customerId: r.customer_id }))
}

/**
 * Deletes the profiles of erased customers (the staged profiles skip them). One statement after
 * the chunks: the chunks follow the value order, not id ranges that would each cover their own.
 */
export async function deleteErasedProfiles(trx: Transaction<DB>): Promise<void> {
  await sql`
    delete from customer_profile p using customer c
    where c.id = p.customer_id and c.erased_at is not null`.execute(trx)
}

/** A profile a chunk moved into 'declining' from another stage (events: customer.declining). */
export interface DecliningMove {
  customerId: number
  asOf: string
  lifecycle: LifecycleStage | null
  previousLifecycle: string
  valueTier: ValueTier | null
  lastPurchaseDay: string | null
  daysSinceLastTrip: number | null
  medianGapDays: number | null
  recentSpendCents: number | null
  previousSpendCents: number | null
}

/**
 * Writes the staged profiles of `customerIds` (the caller holds their write locks) with the tier
 * by `tierCuts`, and returns the counts and the moves into 'declining' (the previous stage is read
 * before the upsert, after the locks).
 */
export async function writeStagedProfiles(
  trx: Transaction<DB>,
  customerIds: number[],
  asOf: string,
  tierCuts: TierCuts | null,
): Promise<{ customers: number; optedOut: number; eligible: number; declining: DecliningMove[] }> {
  const tier = tierCuts
    ? sql`case when s.value_cents is null then null when s.value_cents >= ${tierCuts.aMin} then 'A' when s.value_cents >= ${tierCuts.bMin} then 'B'
               when s.value_cents >= ${tierCuts.cMin} then 'C' else 'D' end`
    : sql`null`
  const ids = intArray(customerIds)
  const { rows } = await sql<{ customers: number; opted_out: number; eligible: number; declining: (Omit<DecliningMove, 'asOf'> & { customerId: string | number })[] | null }>`
    with s as (
      select s.*, ${tier}::char(1) as value_tier
      from ${sql.table(STAGED_PROFILES)} s
      join customer c on c.id = s.customer_id and c.erased_at is null
      where s.customer_id = any(${ids}::bigint[])
    ),
    prev as (select customer_id, lifecycle from customer_profile where customer_id = any(${ids}::bigint[])),
    up as (
      insert into customer_profile (${PROFILE_COLUMNS})
      select customer_id, ${asOf}::date, now(), opt_out, weekly, eligible, spend_cents, margin_cents,
        rewards_cents, value_cents, value_tier, negative_value, trend, recent_spend_cents, previous_spend_cents,
        lifecycle, life_stage, first_purchase_day, last_purchase_day, median_gap, trips, regular_cycle, wallet_share,
        segment_categories, segment_brand_groups, segment_usages, segment_units, segment_national_units, segment_spend_cents
      from s
      ${PROFILE_UPSERT}
    )
    select count(*)::int as customers, (count(*) filter (where s.opt_out))::int as opted_out,
      (count(*) filter (where s.eligible))::int as eligible,
      json_agg(json_build_object('customerId', s.customer_id, 'lifecycle', s.lifecycle, 'previousLifecycle', p.lifecycle,
        'valueTier', s.value_tier, 'lastPurchaseDay', s.last_purchase_day, 'daysSinceLastTrip', s.days_since_last_trip,
        'medianGapDays', s.median_gap, 'recentSpendCents', s.recent_spend_cents, 'previousSpendCents', s.previous_spend_cents))
        filter (where s.lifecycle = 'declining' and p.lifecycle is not null and p.lifecycle <> 'declining') as declining
    from s left join prev p on p.customer_id = s.customer_id
  `.execute(trx)
  const r = rows[0]!
  return {
    customers: r.customers,
    optedOut: r.opted_out,
    eligible: r.eligible,
    declining: (r.declining ?? []).map((d) => ({ ...d, customerId: Number(d.customerId), asOf })),
  }
}
