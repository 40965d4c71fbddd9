// Writing lists: one chunk of customers at a time, the same code for a run's chunk, the
// regeneration after a redemption and the back office's "generate now" (issue 7).
import { createHash } from 'node:crypto'
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { newListBarcode } from '../../lib/codes.ts'
import { listOffersActiveOn } from '../offers/offer.service.ts'
import { predictCustomerItems } from '../prediction/prediction.service.ts'
import { findProfiles } from '../segments/segment.service.ts'
import type { CustomerProfile } from '../segments/segment.types.ts'
import { attachVouchersToList, issueDueVouchers } from '../vouchers/voucher.service.ts'
import { allocateList, type BudgetLedger, type CandidateOffer, type PredictedProduct } from './list-allocation.ts'
import type { ListGenerationConfig } from './list-generation.config.ts'
import * as repo from './list-writer.repository.ts'
import { recordListsCreated } from '../events/event-outbox.service.ts'

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

/**
 * Predictions with their products' facts, read before the chunk's transaction opens (the
 * predictor may fit its first model, which needs its own transaction).
 */
export async function predictionsFor(db: Kysely<DB>, customerIds: number[], asOf: string, limit: number): Promise<Map<number, PredictedProduct[]>> {
  const raw = new Map<number, Awaited<ReturnType<typeof predictCustomerItems>>>()
  for (const id of customerIds) raw.set(id, await predictCustomerItems(db, id, { asOf, limit }))
  const facts = await repo.findProductFacts(db, [...new Set([...raw.values()].flat().map((p) => p.productId))])
  const out = new Map<number, PredictedProduct[]>()
  for (const [id, items] of raw) {
    out.set(
      id,
      items.flatMap((p) => {
        const f = facts.get(p.productId)
        return f ? [{ productId: p.productId, probability: p.probability, expectedDate: p.expectedDate, reason: p.reason, product: f }] : []
      }),
    )
  }
  return out
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
  const profiles = profilesIn ?? (await findProfiles(trx, customerIds))
  const currents = new Map((await repo.findCurrentLists(trx, customerIds)).map((l) => [l.customer_id, l]))
  const validUntil = addDays(ctx.asOf, ctx.config.validDays - 1)
  for (const customerId of customerIds) {
    const profile = profiles.get(customerId)
    if (!profile || (ctx.requireEligible && !profile.eligible)) {
      result.notEligible++
      continue
    }
    const cur = currents.get(customerId)
    const stillCurrent = cur !== undefined && cur.valid_until >= ctx.asOf
    if (stillCurrent && ctx.skipCurrent && !ctx.force) {
      result.current++
      continue
    }
    // A regeneration inside a fortnight keeps the list's cycle and holdout; a run starts a new one.
    const sameCycle = stillCurrent && ctx.trigger !== 'run'
    const holdout = sameCycle ? cur.holdout : isHeldOut(ctx.holdoutKey, customerId, ctx.config.holdoutShare)
    const alloc = allocateList({ profile, holdout, predictions: predictions.get(customerId) ?? [], offers: ctx.offers, budgets: ctx.budgets, config: ctx.config })
    const base = {
      customerId,
      generationId: ctx.generationId,
      cycleStart: sameCycle ? cur.cycle_start : ctx.asOf,
      validFrom: ctx.asOf,
      validUntil: sameCycle ? cur.valid_until : validUntil,
      holdout,
      totalCouponCents: alloc.totalCouponCents,
      perks: alloc.perks,
    }
    await repo.supersedeCurrentList(trx, customerId)
    let listId = await repo.insertList(trx, { ...base, barcode: newListBarcode(), trigger: ctx.trigger })
    if (listId === undefined) {
      // This customer already has a run list for the cycle. A forced run replaces it with a
      // manual one (the index allows one run list per customer and cycle); otherwise it stands.
      if (!ctx.force) throw new Error(`customer ${customerId} already has a run list for ${base.cycleStart}`)
      listId = await repo.insertList(trx, { ...base, barcode: newListBarcode(), trigger: 'manual' })
    }
    if (listId === undefined) throw new Error('list insert returned no id')
    await repo.insertItems(trx, listId, customerId, alloc.items)
    await repo.insertDecisions(trx, listId, customerId, alloc.decisions)
    await issueDueVouchers(trx, customerId, ctx.asOf)
    await attachVouchersToList(trx, { listId, customerId, day: ctx.asOf })
    result.listsCreated++
    result.lists.set(customerId, listId)
  }
  // In the chunk's transaction: a list.created event exists iff its list committed.
  await recordListsCreated(trx, result.lists.values())
  return result
}
