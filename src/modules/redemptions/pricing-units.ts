import { percentOfCentsCeil, toScaledPercent } from './pricing-math.ts'
import type { BasketLine, CandidateOffer, OfferScope, UnitShare } from './pricing-types.ts'

export const FREE = 0
export const STACKED = 1
export const EXCLUSIVE = 2
/** FREE: no offer yet; STACKED: only stackable offers; EXCLUSIVE: a non-stackable offer. */
export type Claim = typeof FREE | typeof STACKED | typeof EXCLUSIVE

/** One physical unit of a basket line, with the mutable state the search works on. */
export interface UnitSlot {
  readonly lineIndex: number
  readonly unitIndex: number
  /** Position in the whole basket; the last deterministic tie-break. */
  readonly position: number
  readonly gtin: string
  readonly priceCents: number
  /** Candidate offers whose scope holds this unit: units fewer offers want are used first. */
  contention: number
  remainingCents: number
  claim: Claim
  readonly shares: UnitShare[]
}

/** A unit in an offer's scope, with what the reward is worth on it at the regular price. */
export interface ScopedUnit {
  readonly unit: UnitSlot
  /** Never below the discount the offer can grant on this unit (rounded up for percents). */
  readonly faceCents: number
}

export interface PreparedOffer {
  readonly offer: CandidateOffer
  /** Units in scope, in the order this reward prefers to use them. */
  readonly scope: readonly ScopedUnit[]
  /**
   * Percent rewards only, and only when it differs from `scope`: the order the offer would
   * use on its own, without the contention tie-break. Rounding is per GTIN, so which of
   * several equally priced units an offer takes can change its discount by a cent; the
   * search tries both choices (pricing-search.ts).
   */
  readonly ownScope: readonly ScopedUnit[] | null
  /** Infinity when the offer has no unit cap. */
  readonly maxUnits: number
  /** Infinity when the offer has no cents budget. */
  readonly budgetCents: number
  /** percent_off and buy_x_get_y: the percent scaled by 10^4. */
  readonly scaledPercent: number
  /** optimisticCents() before any offer applied: never below what the offer can add. */
  readonly boundCents: number
}

/** The units of each basket line, in basket order. */
export function expandUnits(lines: readonly BasketLine[]): UnitSlot[][] {
  let position = 0
  return lines.map((line, lineIndex) => {
    const units: UnitSlot[] = []
    for (let unitIndex = 0; unitIndex < line.quantity; unitIndex++) {
      units.push({
        lineIndex,
        unitIndex,
        position: position++,
        gtin: line.gtin,
        priceCents: line.unitPriceCents,
        contention: 0,
        remainingCents: line.unitPriceCents,
        claim: FREE,
        shares: [],
      })
    }
    return units
  })
}

function isWithinCategory(path: string, ancestor: string): boolean {
  return path === ancestor || (path.startsWith(ancestor) && path[ancestor.length] === '/')
}

function scopeMatcher(scope: OfferScope): (line: BasketLine) => boolean {
  if ('gtins' in scope) {
    const gtins = new Set(scope.gtins)
    return (line) => gtins.has(line.gtin)
  }
  return (line) =>
    isWithinCategory(line.category, scope.category) &&
    (scope.brandType === undefined || scope.brandType === line.brandType)
}

function isApplicable(offer: CandidateOffer): boolean {
  return (
    offer.remainingUses !== 0 &&
    offer.budgetRemainingRedemptions !== 0 &&
    offer.budgetRemainingCents !== 0 &&
    offer.maxUnits !== 0
  )
}

/** What the reward is worth on one unit at its regular price, before caps. */
function faceValueCents(offer: CandidateOffer, scaledPercent: number, priceCents: number): number {
  const reward = offer.reward
  switch (reward.type) {
    case 'amount_off':
      return Math.min(reward.amountCents, priceCents)
    case 'fixed_price':
      return Math.max(0, priceCents - reward.priceCents)
    case 'percent_off':
    case 'buy_x_get_y':
      return percentOfCentsCeil(priceCents, scaledPercent)
    case 'spend_threshold':
      return priceCents
  }
}

/** Sum of the `count` largest values; values usually arrive sorted, which skips the sort. */
function sumLargest(values: number[], count: number): number {
  if (count < values.length && !isDescending(values)) {
    values.reverse()
    if (!isDescending(values)) values.sort((a, b) => b - a)
  }
  let total = 0
  for (const value of values.slice(0, count)) total += value
  return total
}

function isDescending(values: readonly number[]): boolean {
  for (let i = 1; i < values.length; i++) if ((values[i] ?? 0) > (values[i - 1] ?? 0)) return false
  return true
}

/**
 * An upper bound on the cents the offer can add to the units' current state or any later
 * one, which lets the exact search prune. Units only ever get taken or cheaper, so what
 * the offer grants later comes from today's usable units at no more than today's
 * remaining price each. buy_x_get_y counts groups, not its cheapest units: taking a
 * cheap unit away can make a dearer one the free one.
 */
export function optimisticCents(prepared: PreparedOffer, isUsable: (unit: UnitSlot) => boolean): number {
  const { offer, scope, maxUnits, budgetCents } = prepared
  const reward = offer.reward
  const values: number[] = []
  let spendCents = 0
  for (const { unit, faceCents } of scope) {
    if (!isUsable(unit)) continue
    values.push(Math.min(faceCents, unit.remainingCents))
    spendCents += unit.priceCents
  }
  let bound: number
  if (reward.type === 'spend_threshold') {
    bound = spendCents < reward.minSpendCents ? 0 : Math.min(reward.amountCents, sumLargest(values, maxUnits))
  } else if (reward.type === 'buy_x_get_y') {
    const groups = Math.floor(values.length / (reward.buy + reward.get))
    bound = sumLargest(values, Math.min(groups * reward.get, maxUnits))
  } else {
    bound = sumLargest(values, maxUnits)
  }
  return Math.min(bound, budgetCents)
}

function scaledPercentOf(offer: CandidateOffer): number {
  const reward = offer.reward
  if (reward.type === 'percent_off') return toScaledPercent(reward.percent)
  if (reward.type === 'buy_x_get_y') return toScaledPercent(reward.percentOff ?? 100)
  return 0
}

function isPerUnitReward(offer: CandidateOffer): boolean {
  const type = offer.reward.type
  return type === 'amount_off' || type === 'percent_off' || type === 'fixed_price'
}

/**
 * buy_x_get_y uses the cheapest units; percent_off the dearest (its exact saving grows
 * with the price, which the rounded-up face value does not always show); the others the
 * units where they save the most.
 */
function valueOrder(offer: CandidateOffer): (a: ScopedUnit, b: ScopedUnit) => number {
  switch (offer.reward.type) {
    case 'buy_x_get_y':
      return (a, b) => a.unit.priceCents - b.unit.priceCents
    case 'percent_off':
      return (a, b) => b.unit.priceCents - a.unit.priceCents
    default:
      return (a, b) => b.faceCents - a.faceCents
  }
}

/** Equal units go to whichever fewer offers want, then basket order. */
function preferenceOrder(offer: CandidateOffer): (a: ScopedUnit, b: ScopedUnit) => number {
  const byValue = valueOrder(offer)
  return (a, b) => byValue(a, b) || a.unit.contention - b.unit.contention || a.unit.position - b.unit.position
}

/** What the offer would do alone: every unit is wanted by one offer, so basket order decides. */
function ownOrder(offer: CandidateOffer): (a: ScopedUnit, b: ScopedUnit) => number {
  const byValue = valueOrder(offer)
  return (a, b) => byValue(a, b) || a.unit.position - b.unit.position
}

const WHOLE = toScaledPercent(100)

/**
 * Whether the choice among equally priced units can change what the offer grants: a
 * buy_x_get_y rewards a prefix of its units, a capped percent_off too. An uncapped
 * percent_off takes every usable unit whatever the order, and 100 % (a free unit) has
 * nothing to round.
 */
function dependsOnUnitChoice(prepared: PreparedOffer): boolean {
  const type = prepared.offer.reward.type
  if (prepared.scaledPercent === WHOLE) return false
  return type === 'buy_x_get_y' || (type === 'percent_off' && prepared.maxUnits < prepared.scope.length)
}

function ownScopeOf(prepared: PreparedOffer): ScopedUnit[] | null {
  if (!dependsOnUnitChoice(prepared)) return null
  const own = [...prepared.scope].sort(ownOrder(prepared.offer))
  return own.every((scoped, i) => scoped.unit === prepared.scope[i]?.unit) ? null : own
}

function prepareOffer(
  lines: readonly BasketLine[],
  unitsByLine: readonly (readonly UnitSlot[])[],
  offer: CandidateOffer,
): PreparedOffer & { scope: ScopedUnit[] } {
  const scaledPercent = scaledPercentOf(offer)
  const matches = scopeMatcher(offer.scope)
  const scope: ScopedUnit[] = []
  lines.forEach((line, lineIndex) => {
    // A unit priced 0 can neither be discounted nor count towards a condition.
    if (line.unitPriceCents === 0 || !matches(line)) return
    const faceCents = faceValueCents(offer, scaledPercent, line.unitPriceCents)
    if (faceCents === 0 && isPerUnitReward(offer)) return
    for (const unit of unitsByLine[lineIndex] ?? []) scope.push({ unit, faceCents })
  })
  const prepared = {
    offer,
    scope,
    ownScope: null,
    maxUnits: offer.maxUnits ?? Infinity,
    budgetCents: offer.budgetRemainingCents ?? Infinity,
    scaledPercent,
    boundCents: 0,
  }
  return { ...prepared, boundCents: optimisticCents(prepared, () => true) }
}

/**
 * Drops offers that cannot apply and sorts the rest by offerId, so the result never
 * depends on the order the caller listed them in.
 */
export function prepareOffers(
  lines: readonly BasketLine[],
  unitsByLine: readonly (readonly UnitSlot[])[],
  offers: readonly CandidateOffer[],
): PreparedOffer[] {
  const prepared = offers
    .filter(isApplicable)
    .sort((a, b) => (a.offerId < b.offerId ? -1 : a.offerId > b.offerId ? 1 : 0))
    .map((offer) => prepareOffer(lines, unitsByLine, offer))
    .filter((offer) => offer.boundCents > 0)
  for (const { scope } of prepared) for (const { unit } of scope) unit.contention += 1
  for (const { offer, scope } of prepared) scope.sort(preferenceOrder(offer))
  return prepared.map((offer) => ({ ...offer, ownScope: ownScopeOf(offer) }))
}
