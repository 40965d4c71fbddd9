// Between the database rows and the pure pricing engine: which offers are candidates for
// this basket, in the engine's terms, and how the engine's answer is stored.
import { priceBasket, type BasketLine, type CandidateOffer, type OfferScope, type PricingResult, type Reward, type SaleRecord, type UnitAllocation } from './pricing.ts'
import type { CheckoutOfferRow, CheckoutRainCheckRow, CheckoutRow } from './redemption.repository.ts'
import type { RedemptionRequest } from './redemption.schemas.ts'

/** Engine offer ids: a list offer is its own id; an open rain check is "rc:<rain check id>". */
export const RAIN_CHECK_PREFIX = 'rc:'

export function isRainCheckId(engineOfferId: string): boolean {
  return engineOfferId.startsWith(RAIN_CHECK_PREFIX)
}

/**
 * A list offer applies when it is a price offer, active, valid on the sale's day (store time
 * zone) and the customer has uses left: redemptionsPerCustomer, or once when it says nothing.
 * Budgets go to the engine, which caps the discount at the cents left.
 */
function listOfferCandidate(o: CheckoutOfferRow, day: string): CandidateOffer | null {
  if (o.kind !== 'offer' || o.status !== 'active' || day < o.valid_from || day > o.valid_until) return null
  const remainingUses = Math.max(0, (o.redemptions_per_customer ?? 1) - o.used)
  return {
    offerId: String(o.id),
    description: o.description || o.name,
    scope: o.scope as unknown as OfferScope,
    reward: o.reward as unknown as Reward,
    stackable: o.stackable,
    ...(o.units_per_redemption === null ? {} : { maxUnits: o.units_per_redemption }),
    remainingUses,
    budgetRemainingRedemptions:
      o.budget_max_redemptions === null ? null : Math.max(0, o.budget_max_redemptions - o.budget_used_redemptions),
    budgetRemainingCents:
      o.budget_max_discount_cents === null ? null : Math.max(0, o.budget_max_discount_cents - o.budget_used_discount_cents),
  }
}

/**
 * A rain check is worth up to its value off the units in its offer's scope (spread over them
 * pro rata, never below zero), once. Its use and budget were taken when it was earned, so it
 * is honoured even after the offer itself has ended.
 */
function rainCheckCandidate(r: CheckoutRainCheckRow): CandidateOffer {
  return {
    offerId: `${RAIN_CHECK_PREFIX}${r.id}`,
    description: `Rain check: ${r.description}`,
    scope: r.scope as unknown as OfferScope,
    reward: { type: 'spend_threshold', minSpendCents: 0, amountCents: r.value_cents },
    stackable: false,
    remainingUses: 1,
    budgetRemainingRedemptions: null,
    budgetRemainingCents: null,
  }
}

export interface PricedBasket {
  result: PricingResult
  /** basket line index -> catalog product id (null: not in the catalog, never discounted). */
  productIds: (number | null)[]
  /** Index of each engine line in the basket. */
  basketIndex: number[]
  offers: Map<string, CheckoutOfferRow>
  rainChecks: Map<string, CheckoutRainCheckRow>
  hasList: boolean
}

/**
 * Prices the basket against the candidates, or against nothing when `withOffers` is false.
 * Lines whose GTIN is not in the catalog stay out of the engine: without a category no scope
 * can be checked, so they are recorded but never discounted.
 */
export function priceCheckout(
  body: RedemptionRequest,
  loaded: CheckoutRow,
  day: string,
  opts: { listOffers: boolean; rainChecks: boolean; excluded: ReadonlySet<string> },
): PricedBasket {
  const products = new Map(loaded.products.map(([gtin, id, category, brandType]) => [gtin, { id, category, brandType }]))
  const lines: BasketLine[] = []
  const basketIndex: number[] = []
  const productIds = body.items.map((item, i) => {
    const p = products.get(item.gtin)
    if (!p) return null
    lines.push({ gtin: item.gtin, quantity: item.quantity, unitPriceCents: item.unitPriceCents, category: p.category, brandType: p.brandType })
    basketIndex.push(i)
    return p.id
  })
  const offers = new Map<string, CheckoutOfferRow>()
  const rainChecks = new Map<string, CheckoutRainCheckRow>()
  const candidates: CandidateOffer[] = []
  if (opts.listOffers) {
    for (const o of loaded.offers) {
      const c = listOfferCandidate(o, day)
      if (c && !opts.excluded.has(c.offerId)) {
        candidates.push(c)
        offers.set(c.offerId, o)
      }
    }
  }
  if (opts.rainChecks) {
    for (const r of loaded.rain_checks) {
      const c = rainCheckCandidate(r)
      candidates.push(c)
      rainChecks.set(c.offerId, r)
    }
  }
  const result = priceBasket(lines, candidates)
  // Allocations carry basket line indexes from here on: what sale_line.line_no (1-based) records.
  for (const unit of result.allocations) unit.lineIndex = basketIndex[unit.lineIndex] ?? unit.lineIndex
  return { result, productIds, basketIndex, offers, rainChecks, hasList: loaded.list_id !== null }
}

/** Compact stored form: [lineIndex, unitIndex, [[offerId, cents, group?], ...]] per discounted or used unit. */
export type StoredUnit = [number, number, ([string, number] | [string, number, number])[]]
export interface StoredPricing {
  units: StoredUnit[]
  applied: SaleRecord['appliedOffers']
  /** Engine id of each rain check applied -> the offer it came from. */
  rainCheckOffers: Record<string, number>
}

export function toStoredPricing(priced: PricedBasket): StoredPricing | null {
  const { result } = priced
  if (result.appliedOffers.length === 0) return null
  const rainCheckOffers: Record<string, number> = {}
  for (const a of result.appliedOffers) {
    const rc = priced.rainChecks.get(a.offerId)
    if (rc) rainCheckOffers[a.offerId] = rc.offer_id
  }
  const units: StoredUnit[] = []
  for (const u of result.allocations) {
    if (u.shares.length === 0) continue
    units.push([u.lineIndex, u.unitIndex, u.shares.map((s) => (s.group === undefined ? [s.offerId, s.amountCents] : [s.offerId, s.amountCents, s.group]))])
  }
  return { units, applied: result.appliedOffers, rainCheckOffers }
}

export interface StoredLine {
  gtin: string
  quantity: number
  unitPriceCents: number
}

/** The engine's SaleRecord again: every unit of every line, with the stored shares put back. */
export function toSaleRecord(lines: StoredLine[], stored: StoredPricing | null): SaleRecord {
  const shares = new Map<string, UnitAllocation['shares']>()
  for (const [lineIndex, unitIndex, list] of stored?.units ?? []) {
    shares.set(
      `${lineIndex}:${unitIndex}`,
      list.map(([offerId, amountCents, group]) => (group === undefined ? { offerId, amountCents } : { offerId, amountCents, group })),
    )
  }
  const allocations: UnitAllocation[] = []
  lines.forEach((line, lineIndex) => {
    for (let unitIndex = 0; unitIndex < line.quantity; unitIndex++) {
      allocations.push({
        lineIndex,
        unitIndex,
        gtin: line.gtin,
        unitPriceCents: line.unitPriceCents,
        shares: shares.get(`${lineIndex}:${unitIndex}`) ?? [],
      })
    }
  })
  return { allocations, appliedOffers: stored?.applied ?? [] }
}
