import type { Kysely, Transaction } from 'kysely'
import { lockCustomers } from '../../db/customer-lock.ts'
import { commitLazily, forceCommitRecord } from '../../db/lazy-commit.ts'
import type { DB } from '../../db/schema.ts'
import { recordDecliningCustomers } from '../events/event-outbox.service.ts'
import { classifyCustomer } from './profile-classify.ts'
import { categoryMargin, lifeStageCategory } from './segment-rules.ts'
import { aggregateCustomerFacts, dropCategoryFacts, stageCategoryFacts, stagedCategories, usageCutsFromStage, type CurrentListFacts, type FactsRow, type VoucherStateFacts } from './segment-facts.repository.ts'
import { deleteErasedProfiles, dropRefreshOrder, dropStagedProfiles, nextOrderedIds, orderStagedProfiles, REFRESH_ORDER, STAGED_PROFILES, stageProfiles, writeStagedProfiles } from './staged-profiles.repository.ts'
import { segmentConfig, type SegmentConfig, type SegmentConfigOverrides } from './segment.config.ts'
import * as repo from './segment.repository.ts'
import type { CustomerProfile, CustomerSegment, TierCuts } from './segment.types.ts'
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
 * tiers"), or null when nobody is ranked yet. `profiles` is customer_profile, or the population
 * refresh's staged profiles for its forecast of this ranking.
 */
async function rankTierCuts(db: Db, cfg: SegmentConfig, profiles?: string): Promise<{ customers: number; cuts: TierCuts } | null> {
  const n = await repo.countRankedProfiles(db, profiles)
  if (n === 0) return null
  const { a, b, c } = tierBoundaries(n, cfg.value.tierShares)
  const at = await repo.valuesAtRanks(db, [a, b, c], profiles)
  const value = (pos: number) => at.get(Math.min(n, Math.max(1, pos)))
  const aMin = value(a)
  if (aMin === undefined) return null
  return { customers: n, cuts: { aMin, bMin: value(b) ?? aMin, cMin: value(c) ?? aMin } }
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
 *
 * It returns once the profile is classified, with its write sent but not awaited: `written`
 * settles when the profile and its events are written. The caller allocates the list (Node's CPU)
 * while PostgreSQL writes the profile, and must await `written` before it commits; its statements
 * queue behind the write on the transaction's connection.
 */
export async function refreshCustomerForList(
  trx: Transaction<DB>,
  customerId: number,
  asOf: string,
  overrides?: SegmentConfigOverrides,
  opts: { voucherThrough?: string } = {},
): Promise<{ profile: CustomerProfile | null; currentList: CurrentListFacts | null; voucherState: VoucherStateFacts | null; written: Promise<void> }> {
  const cfg = segmentConfig(overrides)
  const range = { lo: customerId, hi: customerId }
  const [facts] = await aggregateCustomerFacts(trx, range, asOf, cfg, { withCuts: true, withCurrentList: true, prepared: true, ...opts })
  const profile = facts ? await classifyOne(trx, facts, asOf, cfg) : null
  const written = writeRange(trx, range, facts ? [facts] : [], profile ? [profile] : [], { prepared: true, locked: true })
  // Awaited by the caller; until then a failure must not count as unhandled.
  written.catch(() => {})
  return { profile, currentList: facts?.currentList ?? null, voucherState: facts?.voucherState ?? null, written }
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
 * (stageCategoryFacts), the usage cut-offs from them, and every customer's profile classified in
 * PostgreSQL from those (stageProfiles: the rules of classifyCustomer, held to its answers by
 * tests); then customers in chunks in the order a list run allocates in (eligible customers first,
 * then by value: orderStagedProfiles, which `onOrdered` lets a run copy as its snapshot), each
 * copied into customer_profile with its tier in a transaction of its own; then the erased
 * customers' profiles deleted and one ranking that sets every value tier and stores the cut-offs
 * single refreshes use. Node holds no profile, so memory does not grow with the population.
 *
 * One session, a transaction per chunk: the temporary tables live in the session, while a chunk's
 * profile rows stay locked only until that chunk commits, so a regeneration never waits for the
 * whole population and no transaction holds back vacuum for the length of a refresh. The list
 * run calls this from the job worker, whose pool is the direct URL, never a transaction pooler
 * (docs/operations.md, "pgbouncer"). A crash loses at most the chunks not yet written: the run's
 * job repeats its preparation, which is idempotent.
 */
export async function refreshAllProfiles(
  db: Kysely<DB>,
  asOf: string,
  opts: {
    config?: SegmentConfigOverrides
    /** After each chunk's commit: customers written so far, and the last position of the refresh order written. */
    onChunk?: (done: number, throughSeq: number) => void | Promise<void>
    /** Once the sums are staged (in parallel on every core): from there on the refresh keeps one connection busy. */
    onStaged?: () => void
    /**
     * Before the first chunk, on the refresh's session, where the temporary table `order` (seq,
     * customer_id: the order the chunks write in, orderStagedProfiles) can be read: a list run
     * copies it as its snapshot. Rejecting fails the refresh.
     */
    onOrdered?: (session: Kysely<DB>, order: { table: string }) => Promise<void>
  } = {},
): Promise<RefreshAllResult> {
  const cfg = segmentConfig(opts.config)
  return db.connection().execute(async (session) => {
    try {
      const { categories, forecast } = await session.transaction().execute(async (trx) => {
        await repo.useSortMemory(trx)
        await stageCategoryFacts(trx, asOf, cfg, opts.onStaged)
        const computed = await usageCutsFromStage(trx, cfg)
        await repo.replaceUsageCuts(trx, asOf, computed)
        // What each category's path means to the rules (margin, life-stage flags) is decided here,
        // in Node, so the prefix rules stay written once (segment-rules.ts).
        const rules = (await stagedCategories(trx)).map((category) => ({
          category,
          margin: categoryMargin(category, cfg.value),
          ...lifeStageCategory(category, cfg.lifeStage),
        }))
        await stageProfiles(trx, asOf, cfg, rules)
        // Tiers by this refresh's own values: the ranking at the end (from the stored values, the
        // same ones) then changes no row. With the previous ranking's cut-offs instead, a first
        // refresh wrote every profile twice (no tier, then its tier: 0.3 s of PostgreSQL CPU and
        // 10,000 dead rows at 10,000 customers) and every later one the profiles whose tier drifted.
        const forecast = (await rankTierCuts(trx, cfg, STAGED_PROFILES))?.cuts ?? null
        await orderStagedProfiles(trx)
        return { categories: computed.length, forecast }
      })
      const chunkTierCuts = forecast ?? (await repo.findTierCuts(session))
      await opts.onOrdered?.(session, { table: REFRESH_ORDER })
      const result: RefreshAllResult = { customers: 0, optedOut: 0, eligible: 0, chunks: 0, categories, tierCuts: null }
      // In the refresh order (eligible customers first, by value), not by id: a list run's chunk
      // then needs only the refresh chunks up to its last customer (docs/lists.md, "Runs").
      let after = 0
      for (;;) {
        const next = await nextOrderedIds(session, after, cfg.chunkSize)
        if (next.length === 0) break
        after = next[next.length - 1]!.seq
        const ids = next.map((n) => n.customerId)
        await session.transaction().execute(async (trx) => {
          // Redone if lost: the refresh is repeated until the run's durable commits follow it.
          await commitLazily(trx)
          await lockCustomers(trx, ids)
          const written = await writeStagedProfiles(trx, ids, asOf, chunkTierCuts)
          await recordDecliningCustomers(trx, new Map(written.declining.map((d) => [d.customerId, d.previousLifecycle])), written.declining)
          result.customers += written.customers
          result.optedOut += written.optedOut
          result.eligible += written.eligible
        })
        result.chunks++
        // Once the chunk is committed.
        await opts.onChunk?.(result.customers, after)
      }
      await session.transaction().execute(async (trx) => {
        // A durable commit whether or not anyone is ranked: it makes the chunks' lazy commits durable.
        await forceCommitRecord(trx)
        await deleteErasedProfiles(trx)
        const ranked = await rankTierCuts(trx, cfg)
        if (!ranked) return
        await repo.saveTierCuts(trx, asOf, ranked.customers, ranked.cuts)
        await repo.applyTierCuts(trx, ranked.cuts)
        result.tierCuts = ranked.cuts
      })
      return result
    } finally {
      // The pool hands this session to others next; a failed refresh must not leave its tables.
      await dropCategoryFacts(session).catch(() => {})
      await dropStagedProfiles(session).catch(() => {})
      await dropRefreshOrder(session).catch(() => {})
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
