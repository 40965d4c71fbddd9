// Writing lists: one chunk of customers at a time, the same code for a run's chunk, the
// regeneration after a redemption and the back office's "generate now" (issue 7).
import { createHash } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { lockCustomers } from '../../db/customer-lock.ts'
import { newListBarcode } from '../../lib/codes.ts'
import { listOffersActiveOn } from '../offers/offer.service.ts'
import { emptyCustomerStats } from '../prediction/customer-stats.ts'
import type { PredictionModel } from '../prediction/model-fit.ts'
import { currentModel, dateOf, dayOf, predictCustomerItems, rankFromStats } from '../prediction/prediction.service.ts'
import type { TimeMode } from '../prediction/prediction.types.ts'
import { describeReason } from '../prediction/reasons.ts'
import { findProfiles } from '../segments/segment.service.ts'
import type { CustomerProfile } from '../segments/segment.types.ts'
import type { CurrentListFacts } from '../segments/segment-facts.repository.ts'
import { settleAndAttachVouchers, type VoucherState } from '../vouchers/voucher.service.ts'
import { allocateList, sameOffersAs, type BudgetLedger, type CandidateOffer, type PredictedProduct } from './list-allocation.ts'
import type { ListGenerationConfig } from './list-generation.config.ts'
import * as repo from './list-writer.repository.ts'
import { wakeDispatchers } from '../events/dispatcher-wake.ts'

export interface ChunkContext {
  asOf: string
  config: ListGenerationConfig
  offers: CandidateOffer[]
  /** Shared across the run's chunks; the caller commits a copy only after the chunk commits. */
  budgets: BudgetLedger
  generationId: number | null
  trigger: 'run' | 'redemption' | 'manual'
  force: boolean
  /** Runs skip customers below the spend threshold; "generate now" does not. */
  requireEligible: boolean
  /** Runs skip customers whose list is still current unless forced; single regeneration replaces it. */
  skipCurrent: boolean
  /** Key of the holdout draw: the run id, so a resumed run draws the same customers. */
  holdoutKey: string
  /** The caller already holds the customers' list locks in this transaction (saves a round trip). */
  customersLocked?: boolean
  /** The customers' current lists, read by the caller after taking their locks (saves a round trip). */
  currentLists?: CurrentListFacts[]
  /** The customers' voucher states (settleAndAttachVouchers), read by the caller in this transaction (saves a round trip). */
  voucherStates?: VoucherState[]
  /** Write with named prepared statements (the single regeneration: a fixed statement per lane sale). */
  prepared?: boolean
  /** Called once the chunk's offers are allocated (`budgets` final), before its lists are written. */
  onAllocated?: () => void
}

export interface ChunkResult {
  listsCreated: number
  notEligible: number
  current: number
  /** customer id -> the list written */
  lists: Map<number, number>
}

export const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)

/** A deterministic draw in [0, 1) per key and customer: the same run holds out the same customers. */
export function isHeldOut(key: string, customerId: number, share: number): boolean {
  if (share <= 0) return false
  const h = createHash('sha256').update(`${key}:${customerId}`).digest()
  return h.readUInt32BE(0) / 2 ** 32 < share
}

/** Offers and perks active on the list's first day, each with a reference price for segment items. */
export async function candidateOffers(db: Kysely<DB>, asOf: string): Promise<CandidateOffer[]> {
  const offers = await listOffersActiveOn(db, asOf)
  const out: CandidateOffer[] = []
  for (const offer of offers) out.push({ offer, reference: offer.scope ? await repo.findScopeReference(db, offer.scope) : null })
  return out
}

type OfferHead = Awaited<ReturnType<typeof repo.findActiveOfferHeads>>[number]

interface CachedOffers {
  asOf: string
  /** ids and updated_at of the active offers: any create, edit, pause or end changes them. */
  heads: OfferHead[]
  loadedAt: number
  offers: CandidateOffer[]
  /** The heads of the last call whose budget counters `derived` carries, reused while they hold. */
  derivedFrom?: OfferHead[]
  derived?: CandidateOffer[]
}
const offerCaches = new WeakMap<object, CachedOffers>()
/** Reference prices of segment items come from products, which carry no version here: reload at least this often. */
const OFFER_CACHE_MAX_AGE_MS = 60_000

/** Same offers at the same versions (and, with `counters`, the same budget counters), compared without building keys. */
function sameHeads(a: OfferHead[], b: OfferHead[], counters: boolean): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!
    const y = b[i]!
    if (x.id !== y.id || x.updated_at !== y.updated_at) return false
    if (counters && (x.budget_used_redemptions !== y.budget_used_redemptions || x.budget_used_discount_cents !== y.budget_used_discount_cents)) return false
  }
  return true
}

/**
 * candidateOffers for single regeneration, cached per database: one small read of the active
 * offers' ids, updated_at and budget counters decides whether the parsed offers and their
 * reference prices can be reused (budget counters move at the lane without touching updated_at,
 * so they are always taken fresh from that read).
 */
export async function cachedCandidateOffers(db: Kysely<DB>, asOf: string): Promise<CandidateOffer[]> {
  const key = ((db as { getExecutor?: () => unknown }).getExecutor?.() as object | undefined) ?? db
  const heads = await repo.findActiveOfferHeads(db, asOf)
  let cached = offerCaches.get(key)
  if (!cached || cached.asOf !== asOf || !sameHeads(cached.heads, heads, false) || Date.now() - cached.loadedAt > OFFER_CACHE_MAX_AGE_MS) {
    cached = { asOf, heads, loadedAt: Date.now(), offers: await candidateOffers(db, asOf) }
    offerCaches.set(key, cached)
  }
  // Most regenerations meet the counters the previous one met (only a sale with an offer moves
  // them): the offers derived then are still right, and copying every offer on every call was
  // one of a regeneration's largest allocations (docs/lists.md, "Single regeneration", session 12).
  // Nobody mutates them: budgets are spent from a ledger (ledgerFor).
  if (cached.derived && cached.derivedFrom && sameHeads(cached.derivedFrom, heads, true)) return cached.derived
  const used = new Map(heads.map((h) => [String(h.id), h]))
  const offers = cached.offers.map((c) => {
    const h = used.get(c.offer.id)
    if (!h) return c
    const { maxRedemptions, maxDiscountCents } = c.offer.budget
    const budget = {
      ...c.offer.budget,
      usedRedemptions: h.budget_used_redemptions,
      usedDiscountCents: h.budget_used_discount_cents,
      remainingRedemptions: maxRedemptions === null ? null : Math.max(0, maxRedemptions - h.budget_used_redemptions),
      remainingDiscountCents: maxDiscountCents === null ? null : Math.max(0, maxDiscountCents - h.budget_used_discount_cents),
    }
    return { ...c, offer: { ...c.offer, budget } }
  })
  // What allocation works out per offer (scopes, targeting) outlives the budget figures.
  sameOffersAs(offers, cached.offers)
  cached.derivedFrom = heads
  cached.derived = offers
  return offers
}

/** What is left of each budget for this run: the lane's remaining budget less the run's own lists. */
export function ledgerFor(offers: CandidateOffer[], runAllocations: Map<string, { redemptions: number; discountCents: number }> = new Map()): BudgetLedger {
  const ledger: BudgetLedger = new Map()
  for (const { offer } of offers) {
    if (offer.kind !== 'offer') continue
    const used = runAllocations.get(offer.id) ?? { redemptions: 0, discountCents: 0 }
    const r = offer.budget.remainingRedemptions
    const d = offer.budget.remainingDiscountCents
    ledger.set(offer.id, { redemptions: r === null ? null : Math.max(0, r - used.redemptions), discountCents: d === null ? null : Math.max(0, d - used.discountCents) })
  }
  return ledger
}

export function cloneLedger(l: BudgetLedger): BudgetLedger {
  return new Map([...l].map(([k, v]) => [k, { ...v }]))
}

type Reason = Parameters<typeof describeReason>[0]
/** One ranked product before its product's facts are read (those are read with the chunk). */
interface RankedItem {
  productId: number
  probability: number
  expectedDay: number | null
  reason: Reason
}

/**
 * Rankings worked out before their chunk (predictAhead), each with what it was computed from:
 * the statistics row's version and the model. A chunk takes a ranking only while both are
 * still the current ones, so it is the ranking the chunk would compute itself.
 */
export interface PredictionsAhead {
  asOf: string
  limit: number
  ranked: Map<number, { version: string; timeMode: TimeMode; model: PredictionModel; items: RankedItem[] }>
}

/** The version findStatsVersion gives a customer without a statistics row (they get the population's picks). */
const NO_STATS = 'none'

/**
 * Ranks customers from their stored statistics with the cached model (rankFromStats), one after
 * another, yielding between them. `onRanked` receives each ranking with what it was computed from.
 */
async function rankStored(
  db: Kysely<DB>,
  customerIds: number[],
  asOf: string,
  limit: number,
  onRanked: (id: number, items: RankedItem[], from: { version: string; timeMode: TimeMode; model: PredictionModel }) => void,
): Promise<void> {
  if (!customerIds.length) return
  const stored = await repo.findStats(db, customerIds)
  const models = new Map<TimeMode, PredictionModel | undefined>()
  for (const id of customerIds) {
    // Ranking is synchronous CPU work; yield between customers so the service keeps answering.
    await new Promise<void>((resolve) => setImmediate(resolve))
    const s = stored.get(id)
    const timeMode: TimeMode = s?.timeMode ?? 'calendar'
    if (!models.has(timeMode)) {
      let model = await currentModel(db, timeMode)
      if (model === undefined) {
        // No model was ever fitted: the single-customer path fits one (once per database).
        await predictCustomerItems(db, id, { asOf, limit: 1 })
        model = await currentModel(db, timeMode)
      }
      models.set(timeMode, model)
    }
    const model = models.get(timeMode)
    if (!model) continue
    const stats = s?.stats ?? emptyCustomerStats(String(id))
    const items = rankFromStats(stats, model, dayOf(asOf), limit).map((i) => ({ productId: Number(i.productId), probability: i.probability, expectedDay: i.expectedDay, reason: i.reason }))
    onRanked(id, items, { version: s?.version ?? NO_STATS, timeMode, model })
  }
}

/**
 * Rankings for customers a run is likely to write lists for, computed while PostgreSQL refreshes
 * the profiles (the run's longest wait, in which Node has little to do); predictionsFor takes them
 * where they still hold. Bounded by `customerIds`, which the caller caps.
 */
export async function predictAhead(db: Kysely<DB>, customerIds: number[], asOf: string, limit: number, batch = 200): Promise<PredictionsAhead> {
  const ahead: PredictionsAhead = { asOf, limit, ranked: new Map() }
  for (let i = 0; i < customerIds.length; i += batch) {
    await rankStored(db, customerIds.slice(i, i + batch), asOf, limit, (id, items, from) => ahead.ranked.set(id, { ...from, items }))
  }
  return ahead
}

/**
 * Predictions with their products' facts for a batch of customers: one read of their
 * statistics, the cached model, one read of product names and facts; the ranking itself is the
 * predictor's pure code (rankFromStats), the same as predictCustomerItems gives one customer.
 * Read outside the chunk's transaction (the first ever call may fit a model, which needs its own).
 * Rankings in `ahead` are taken (and dropped from it) where the customer's statistics row and the
 * model are the ones they were computed from; the others are ranked here.
 *
 * Only each customer's first `described` predictions get their reason in words: a list shows
 * maxItems of the 40, and the others only time segment offers (allocateList), so a run need not
 * write some 21,000 sentences nobody reads (at 10,000 customers); the rest get ''.
 */
export async function predictionsFor(
  db: Kysely<DB>,
  customerIds: number[],
  asOf: string,
  limit: number,
  ahead?: PredictionsAhead,
  described = Number.POSITIVE_INFINITY,
): Promise<Map<number, PredictedProduct[]>> {
  const out = new Map<number, PredictedProduct[]>()
  if (!customerIds.length) return out
  const raw = new Map<number, RankedItem[]>()
  let todo = customerIds
  if (ahead && ahead.asOf === asOf && ahead.limit === limit) {
    const known = customerIds.filter((id) => ahead.ranked.has(id))
    if (known.length) {
      const versions = await repo.findStatsVersion(db, known)
      const models = new Map<TimeMode, PredictionModel | undefined>()
      for (const id of known) {
        const a = ahead.ranked.get(id)!
        ahead.ranked.delete(id)
        if (!models.has(a.timeMode)) models.set(a.timeMode, await currentModel(db, a.timeMode))
        if ((versions.get(id) ?? NO_STATS) === a.version && models.get(a.timeMode) === a.model) raw.set(id, a.items)
      }
      todo = customerIds.filter((id) => !raw.has(id))
    }
  }
  await rankStored(db, todo, asOf, limit, (id, items) => raw.set(id, items))
  const ids = new Set<number>()
  for (const items of raw.values()) for (const i of items) {
    ids.add(i.productId)
    for (const b of i.reason.becauseOf ?? []) ids.add(Number(b))
  }
  const facts = await repo.findProductFacts(db, [...ids])
  const describe = { asOf: dayOf(asOf), productName: (p: string) => facts.get(Number(p))?.name }
  // In the callers' order, as ranking them here would give.
  for (const id of customerIds) {
    const items = raw.get(id)
    if (!items) continue
    const predicted: PredictedProduct[] = []
    for (const p of items) {
      const f = facts.get(p.productId)
      if (!f || !f.active) continue
      const expectedDate = p.expectedDay === null ? null : dateOf(Math.round(p.expectedDay))
      const reason = predicted.length < described ? describeReason(p.reason, describe) : ''
      predicted.push({ productId: p.productId, probability: p.probability, expectedDate, reason, product: f })
    }
    out.set(id, predicted)
  }
  return out
}

/** Who in a chunk a run will write a list for, and how many it skips for each reason (as writeChunk counts them). */
export interface ChunkNeeds {
  needing: number[]
  notEligible: number
  current: number
}

/**
 * The chunk's customers a run will write a list for (eligible, and without a current list
 * unless forced), so predictions are computed only for them: most card holders of a chain are
 * below the spend threshold. writeChunk checks again inside its transaction. Current lists are
 * read for the eligible customers only: a chunk of the run's tail, below the threshold, reads
 * nothing else.
 */
export async function customersNeedingLists(db: Kysely<DB>, customerIds: number[], ctx: Pick<ChunkContext, 'asOf' | 'force' | 'requireEligible' | 'skipCurrent'>): Promise<ChunkNeeds> {
  const eligible = await repo.findEligible(db, customerIds)
  const candidates = customerIds.filter((id) => eligible.has(id) && (!ctx.requireEligible || eligible.get(id)))
  const current =
    ctx.skipCurrent && !ctx.force ? new Set((await repo.findCurrentLists(db, candidates)).filter((l) => l.valid_until >= ctx.asOf).map((l) => l.customer_id)) : new Set<number>()
  const needing = candidates.filter((id) => !current.has(id))
  return { needing, notEligible: customerIds.length - candidates.length, current: candidates.length - needing.length }
}

/**
 * Writes the lists of one chunk inside the caller's transaction: skips, allocates in the
 * chunk's order (the caller orders by value), supersedes the current list, records every
 * decision, issues and attaches vouchers. Profiles must be fresh (the caller refreshes).
 */
export async function writeChunk(
  trx: Transaction<DB>,
  customerIds: number[],
  predictions: Map<number, PredictedProduct[]>,
  ctx: ChunkContext,
  profilesIn?: Map<number, CustomerProfile>,
): Promise<ChunkResult> {
  const result: ChunkResult = { listsCreated: 0, notEligible: 0, current: 0, lists: new Map() }
  if (!ctx.customersLocked) await lockCustomers(trx, customerIds)
  const currents = new Map((ctx.currentLists ?? (await repo.findCurrentLists(trx, customerIds))).map((l) => [l.customer_id, l]))
  const isCurrent = (customerId: number) => {
    const cur = currents.get(customerId)
    return cur !== undefined && cur.valid_until >= ctx.asOf
  }
  // Who gets a list is decided on the profiles' eligibility alone; only their whole profiles (with
  // some 14 segment cells each) are read: in a run most of a chunk is below the spend threshold.
  const eligible = profilesIn ? new Map([...profilesIn].map(([id, p]) => [id, p.eligible])) : await repo.findEligible(trx, customerIds)
  const writing: number[] = []
  for (const customerId of customerIds) {
    const isEligible = eligible.get(customerId)
    if (isEligible === undefined || (ctx.requireEligible && !isEligible)) {
      result.notEligible++
    } else if (isCurrent(customerId) && ctx.skipCurrent && !ctx.force) {
      result.current++
    } else {
      writing.push(customerId)
    }
  }
  const profiles = profilesIn ?? (await findProfiles(trx, writing))
  const validUntil = addDays(ctx.asOf, ctx.config.validDays - 1)
  const lists: repo.NewList[] = []
  for (const customerId of writing) {
    const profile = profiles.get(customerId)
    if (!profile) {
      // Erased between the two reads.
      result.notEligible++
      continue
    }
    const cur = currents.get(customerId)
    const stillCurrent = cur !== undefined && isCurrent(customerId)
    // A regeneration inside a fortnight keeps the list's cycle and holdout; a run starts a new one.
    const sameCycle = stillCurrent && ctx.trigger !== 'run'
    const holdout = sameCycle ? cur.holdout : isHeldOut(ctx.holdoutKey, customerId, ctx.config.holdoutShare)
    const alloc = allocateList({ profile, holdout, predictions: predictions.get(customerId) ?? [], offers: ctx.offers, budgets: ctx.budgets, config: ctx.config })
    // A forced run's list is a run list too, even on the day of an earlier run (migration 0013).
    lists.push({
      customerId,
      barcode: newListBarcode(),
      generationId: ctx.generationId,
      cycleStart: sameCycle ? cur.cycle_start : ctx.asOf,
      validFrom: ctx.asOf,
      validUntil: sameCycle ? cur.valid_until : validUntil,
      trigger: ctx.trigger,
      holdout,
      totalCouponCents: alloc.totalCouponCents,
      perks: alloc.perks,
      items: alloc.items,
      decisions: alloc.decisions,
    })
  }
  ctx.onAllocated?.()
  // The chunk's writes are set-based, a few statements whatever its size (one customer after a
  // lane sale, or a run's chunk): lists superseded and written with items and decisions, vouchers.
  result.lists = await repo.insertLists(trx, lists, { prepared: ctx.prepared === true })
  result.listsCreated = result.lists.size
  await settleAndAttachVouchers(trx, [...result.lists].map(([customerId, listId]) => ({ customerId, listId })), ctx.asOf, undefined, ctx.voucherStates)
  // insertLists wrote the list.created events with the lists.
  if (result.lists.size) wakeDispatchers()
  return result
}
