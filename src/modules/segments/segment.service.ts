import type { Kysely, Transaction } from 'kysely'
import { lockCustomers } from '../../db/customer-lock.ts'
import { commitLazily, forceCommitRecord } from '../../db/lazy-commit.ts'
import type { DB } from '../../db/schema.ts'
import { recordDecliningCustomers } from '../events/event-outbox.service.ts'
import { classifyCustomer } from './profile-classify.ts'
import { categoryMargin } from './segment-rules.ts'
import { aggregateCustomerFacts, countRankableCustomers, dropCategoryFacts, stageCategoryFacts, stagedCategories, stagedValuesAtRanks, usageCutsFromStage, type CurrentListFacts, type FactsRow, type VoucherStateFacts } from './segment-facts.repository.ts'
import { segmentConfig, type SegmentConfig, type SegmentConfigOverrides } from './segment.config.ts'
import * as repo from './segment.repository.ts'
import type { CustomerProfile, CustomerSegment, TierCuts, UsageCut } from './segment.types.ts'
import { daysBetween, tierBoundaries } from './value-rules.ts'

type Db = Kysely<DB> | Transaction<DB>

/**
 * One statement for the range's profiles and cells, after the profiled customers' write locks
 * (unless the caller holds them: `locked`); events only when someone moved into 'declining'.
 */
async function writeRange(
  trx: Transaction<DB>,
  range: { lo: number; hi: number },
  facts: FactsRow[],
  profiles: CustomerProfile[],
  opts: { prepared?: boolean; locked?: boolean } = {},
) {
  if (!opts.locked) await lockCustomers(trx, profiles.map((p) => p.customerId))
  await repo.writeProfiles(trx, range, profiles, { prepared: opts.prepared === true })
  await recordDecliningCustomers(trx, new Map(facts.map((f) => [f.customerId, f.previousLifecycle])), profiles)
}

/**
 * Ranks every profiled customer by value and returns the tier cut-offs (docs/lists.md, "Value
 * tiers"), or null when nobody is ranked yet.
 */
async function rankTierCuts(db: Db, cfg: SegmentConfig): Promise<{ customers: number; cuts: TierCuts } | null> {
  const n = await repo.countRankedProfiles(db)
  if (n === 0) return null
  const cuts = await tierCutsAt(n, cfg, (positions) => repo.valuesAtRanks(db, positions))
  return cuts && { customers: n, cuts }
}

/** The cut-offs of `n` ranked customers, from the values at the tier boundaries' ranks. */
async function tierCutsAt(n: number, cfg: SegmentConfig, valuesAt: (positions: number[]) => Promise<Map<number, number>>): Promise<TierCuts | null> {
  const { a, b, c } = tierBoundaries(n, cfg.value.tierShares)
  const at = await valuesAt([a, b, c])
  const value = (pos: number) => at.get(Math.min(n, Math.max(1, pos)))
  const aMin = value(a)
  if (aMin === undefined) return null
  return { aMin, bMin: value(b) ?? aMin, cMin: value(c) ?? aMin }
}

/**
 * The population refresh's forecast of its own ranking, from the staged sums before any profile
 * is written (stagedValuesAtRanks), so the chunks write the tier the final ranking will give.
 * Null when nobody is rankable.
 */
async function stagedTierCuts(db: Db, asOf: string, cfg: SegmentConfig): Promise<TierCuts | null> {
  const n = await countRankableCustomers(db)
  if (n === 0) return null
  const margins = new Map((await stagedCategories(db)).map((c) => [c, categoryMargin(c, cfg.value)]))
  return tierCutsAt(n, cfg, (positions) => stagedValuesAtRanks(db, asOf, cfg, margins, positions))
}

/**
 * Recomputes one customer's profile and segment cells as of `asOf`, inside the caller's
 * transaction (the list generator regenerates one customer's list after a redemption with it).
 * Usage and tier cut-offs come from the last population refresh, so this costs one customer's
 * history, not everyone's. Returns null, leaving no profile, for an unknown or erased customer.
 */
export async function refreshCustomerProfile(
  trx: Transaction<DB>,
  customerId: number,
  asOf: string,
  overrides?: SegmentConfigOverrides,
): Promise<CustomerProfile | null> {
  const cfg = segmentConfig(overrides)
  const range = { lo: customerId, hi: customerId }
  const [facts] = await aggregateCustomerFacts(trx, range, asOf, cfg, { withCuts: true })
  if (!facts) {
    await writeRange(trx, range, [], [])
    return null
  }
  const profile = await classifyOne(trx, facts, asOf, cfg)
  await writeRange(trx, range, [facts], [profile])
  return profile
}

/**
 * refreshCustomerProfile, also returning the customer's current list read in the same statement
 * (for the regeneration after a lane sale, which writes the list next: one round trip fewer),
 * and with `voucherThrough` their voucher state (the list's voucher settlement reads it). Its
 * statements are named prepared statements: this runs after every lane sale.
 */
export async function refreshCustomerForList(
  trx: Transaction<DB>,
  customerId: number,
  asOf: string,
  overrides?: SegmentConfigOverrides,
  opts: { voucherThrough?: string } = {},
): Promise<{ profile: CustomerProfile | null; currentList: CurrentListFacts | null; voucherState: VoucherStateFacts | null }> {
  const cfg = segmentConfig(overrides)
  const range = { lo: customerId, hi: customerId }
  const [facts] = await aggregateCustomerFacts(trx, range, asOf, cfg, { withCuts: true, withCurrentList: true, prepared: true, ...opts })
  if (!facts) {
    await writeRange(trx, range, [], [], { prepared: true, locked: true })
    return { profile: null, currentList: null, voucherState: null }
  }
  const profile = await classifyOne(trx, facts, asOf, cfg)
  await writeRange(trx, range, [facts], [profile], { prepared: true, locked: true })
  return { profile, currentList: facts.currentList ?? null, voucherState: facts.voucherState ?? null }
}

/** A single refresh's classification: the stored cut-offs came with the facts. */
async function classifyOne(trx: Db, facts: FactsRow, asOf: string, cfg: SegmentConfig): Promise<CustomerProfile> {
  const usageCuts = facts.usageCuts ?? new Map()
  const tierCuts = facts.tierCuts ?? (await rankTierCuts(trx, cfg))?.cuts ?? null
  return classifyCustomer(facts, { asOf, computedAt: new Date(), usageCuts, tierCuts, config: cfg })
}

export interface RefreshAllResult {
  customers: number
  optedOut: number
  eligible: number
  chunks: number
  categories: number
  tierCuts: TierCuts | null
}

/**
 * Recomputes every customer's profile as of `asOf`: first every customer's per-category sums and
 * trip days in one aggregation each over the history, kept in temporary tables
 * (stageCategoryFacts), and the usage cut-offs from them; then customers in id-ordered chunks,
 * each reading its sums and trips from those tables with its rewards and vouchers in one query,
 * and written in its own transaction, so memory is bounded by
 * the chunk whatever the population; then one ranking that sets every value tier and stores the
 * cut-offs single refreshes use.
 *
 * One session, a transaction per chunk: the temporary table lives in the session, while a chunk's
 * profile rows stay locked only until that chunk commits, so a regeneration never waits for the
 * whole population and no transaction holds back vacuum for the length of a refresh. The list
 * run calls this from the job worker, whose pool is the direct URL, never a transaction pooler
 * (docs/operations.md, "pgbouncer"). A crash loses at most the chunks not yet written: the run's
 * job repeats its preparation, which is idempotent.
 */
export async function refreshAllProfiles(
  db: Kysely<DB>,
  asOf: string,
  opts: { config?: SegmentConfigOverrides; onChunk?: (done: number) => void | Promise<void> } = {},
): Promise<RefreshAllResult> {
  const cfg = segmentConfig(opts.config)
  return db.connection().execute(async (session) => {
    try {
      const { cuts, forecast } = await session.transaction().execute(async (trx) => {
        await repo.useSortMemory(trx)
        await stageCategoryFacts(trx, asOf, cfg)
        const computed = await usageCutsFromStage(trx, cfg)
        await repo.replaceUsageCuts(trx, asOf, computed)
        // Tiers by this refresh's own values, forecast from the staged sums (with the sort memory
        // above: a hash of every customer): the ranking at the end (from the stored values) then
        // changes none or next to none. With the previous ranking's cut-offs instead, a first
        // refresh wrote every profile twice (no tier, then its tier: 0.3 s of PostgreSQL CPU and
        // 10,000 dead rows at 10,000 customers) and every later one the profiles whose tier drifted.
        return { cuts: computed, forecast: await stagedTierCuts(trx, asOf, cfg) }
      })
      const usageCuts: ReadonlyMap<string, UsageCut & { buyers: number }> = new Map(cuts.map((c) => [c.category, c]))
      const chunkTierCuts = forecast ?? (await repo.findTierCuts(session))
      const result: RefreshAllResult = { customers: 0, optedOut: 0, eligible: 0, chunks: 0, categories: cuts.length, tierCuts: null }
      // A pipeline of three: the session (which holds the staged sums) reads chunk k+1's facts
      // while Node classifies chunk k and another pooled connection writes it, each write in its
      // own transaction. Under READ COMMITTED the facts read took no locks and saw its own
      // snapshot inside the chunk's transaction too, so reading it outside changes nothing a
      // concurrent single refresh could see. At most two chunks' facts are held.
      await repo.useSessionSortMemory(session)
      const readFacts = async (after: number) => {
        const range = await repo.nextCustomerRange(session, after, cfg.chunkSize)
        return range ? { range, facts: await aggregateCustomerFacts(session, range, asOf, cfg, { staged: true }) } : undefined
      }
      let reading = readFacts(0)
      let writing: Promise<void> = Promise.resolve()
      try {
        for (;;) {
          const cur = await reading
          if (!cur) break
          reading = readFacts(cur.range.hi)
          reading.catch(() => {})
          const computedAt = new Date()
          const profiles = cur.facts.map((f) => classifyCustomer(f, { asOf, computedAt, usageCuts, tierCuts: chunkTierCuts, config: cfg }))
          await writing
          writing = (async () => {
            await db.transaction().execute(async (trx) => {
              // Redone if lost: the refresh is repeated until the run's durable commits follow it.
              await commitLazily(trx)
              await writeRange(trx, cur.range, cur.facts, profiles)
            })
            result.customers += profiles.length
            result.optedOut += profiles.filter((p) => p.optOut).length
            result.eligible += profiles.filter((p) => p.eligible).length
            result.chunks++
            // Once the chunk is committed; the next chunk's write waits for it.
            await opts.onChunk?.(result.customers)
          })()
          writing.catch(() => {})
        }
        await writing
      } finally {
        // Settle both before the session goes back to the pool or the caller closes the database.
        await Promise.allSettled([reading, writing])
        await repo.resetSessionSortMemory(session)
      }
      await session.transaction().execute(async (trx) => {
        // A durable commit whether or not anyone is ranked: it makes the chunks' lazy commits durable.
        await forceCommitRecord(trx)
        const ranked = await rankTierCuts(trx, cfg)
        if (!ranked) return
        await repo.saveTierCuts(trx, asOf, ranked.customers, ranked.cuts)
        await repo.applyTierCuts(trx, ranked.cuts)
        result.tierCuts = ranked.cuts
      })
      return result
    } finally {
      // The pool hands this session to others next; a failed refresh must not leave its sums.
      await dropCategoryFacts(session).catch(() => {})
    }
  })
}

function toProfile(row: repo.ProfileRow): CustomerProfile {
  const segments: CustomerSegment[] = row.segment_categories.map((category, i) => ({
    category,
    brandGroup: row.segment_brand_groups[i]!,
    usage: row.segment_usages[i]!,
    units: row.segment_units[i]!,
    nationalUnits: row.segment_national_units[i]!,
    spendCents: Number(row.segment_spend_cents[i]),
  }))
  const lifeStage = (row.life_stage ?? []) as CustomerProfile['lifeStage']
  return {
    customerId: row.customer_id,
    asOf: row.as_of,
    computedAt: row.computed_at.toISOString(),
    optOut: row.opt_out,
    weeklySpendCents: row.weekly_spend_cents,
    eligible: row.eligible,
    spendCents: row.spend_cents,
    marginCents: row.margin_cents,
    rewardsCents: row.rewards_cents,
    valueCents: row.value_cents,
    valueTier: row.value_tier,
    negativeValue: row.negative_value,
    trend: row.trend,
    recentSpendCents: row.recent_spend_cents,
    previousSpendCents: row.previous_spend_cents,
    lifecycle: row.lifecycle,
    lifeStage,
    firstPurchaseDay: row.first_purchase_day,
    lastPurchaseDay: row.last_purchase_day,
    daysSinceLastTrip: row.last_purchase_day ? daysBetween(row.last_purchase_day, row.as_of) : null,
    medianGapDays: row.median_gap_days,
    trips: row.trips,
    regularCycle: row.regular_cycle,
    walletShare: row.wallet_share,
    segments,
  }
}

/** Stored profiles (as of their last refresh) with their segment cells, keyed by customer id. */
export async function findProfiles(db: Db, customerIds: number[]): Promise<Map<number, CustomerProfile>> {
  if (customerIds.length === 0) return new Map()
  const rows = await repo.findProfileRows(db, customerIds)
  return new Map(rows.map((r) => [r.customer_id, toProfile(r)]))
}

export async function findProfile(db: Db, customerId: number): Promise<CustomerProfile | undefined> {
  return (await findProfiles(db, [customerId])).get(customerId)
}
