// The pricing engine: pure functions from a basket and candidate offers to discounts and
// per-unit allocations. No I/O. The rules are explained in docs/pricing.md.
import type { Application } from './pricing-rewards.ts'
import { chooseApplications } from './pricing-search.ts'
import type {
  AppliedOffer,
  BasketLine,
  CandidateOffer,
  ClawbackRule,
  Discount,
  PricingResult,
  Reward,
  UnitAllocation,
} from './pricing-types.ts'
import { expandUnits, prepareOffers, type UnitSlot } from './pricing-units.ts'
import { assertValidPricingInput } from './pricing-validate.ts'

export type * from './pricing-types.ts'
export { clawbackForReturn } from './pricing-clawback.ts'
export { PricingInputError } from './pricing-validate.ts'

/**
 * Prices a basket: picks the combination of candidate offers that gives the customer the
 * largest total discount within every offer's limits, and records which offer took how
 * many cents from each unit. Deterministic, and independent of the order of `offers`.
 * Throws PricingInputError on malformed input.
 */
export function priceBasket(
  lines: readonly BasketLine[],
  offers: readonly CandidateOffer[],
): PricingResult {
  assertValidPricingInput(lines, offers)
  const unitsByLine = expandUnits(lines)
  const applications = chooseApplications(prepareOffers(lines, unitsByLine, offers))
  recordShares(applications)

  let totalBeforeCents = 0
  for (const line of lines) totalBeforeCents += line.quantity * line.unitPriceCents
  let totalDiscountCents = 0
  for (const application of applications) totalDiscountCents += application.totalCents

  return {
    discounts: summariseDiscounts(applications),
    totalBeforeCents,
    totalDiscountCents,
    totalAfterCents: totalBeforeCents - totalDiscountCents,
    allocations: unitsByLine.flat().map(toAllocation),
    appliedOffers: applications.map(toAppliedOffer).sort(byOfferId),
  }
}

function recordShares(applications: readonly Application[]): void {
  for (const { prepared, grants } of applications) {
    const isGrouped = prepared.offer.reward.type === 'buy_x_get_y'
    for (const { unit, amountCents, group } of grants) {
      unit.shares.push(
        isGrouped
          ? { offerId: prepared.offer.offerId, amountCents, group }
          : { offerId: prepared.offer.offerId, amountCents },
      )
    }
  }
}

function toAllocation(unit: UnitSlot): UnitAllocation {
  return {
    lineIndex: unit.lineIndex,
    unitIndex: unit.unitIndex,
    gtin: unit.gtin,
    unitPriceCents: unit.priceCents,
    shares: unit.shares,
  }
}

/** One row per offer and GTIN, in basket order, as the receipt and the API show them. */
function summariseDiscounts(applications: readonly Application[]): Discount[] {
  const rows: { discount: Discount; firstPosition: number }[] = []
  for (const { prepared, grants } of applications) {
    const byGtin = new Map<string, { discount: Discount; firstPosition: number }>()
    for (const { unit, amountCents } of grants) {
      if (amountCents === 0) continue
      const row = byGtin.get(unit.gtin)
      if (row) {
        row.discount.quantity += 1
        row.discount.amountCents += amountCents
        row.firstPosition = Math.min(row.firstPosition, unit.position)
        continue
      }
      const { offerId, description } = prepared.offer
      const created = {
        discount: { offerId, gtin: unit.gtin, description, quantity: 1, amountCents },
        firstPosition: unit.position,
      }
      byGtin.set(unit.gtin, created)
      rows.push(created)
    }
  }
  // A stable sort: rows that start on the same unit stay in the order the offers applied.
  return rows.sort((a, b) => a.firstPosition - b.firstPosition).map((row) => row.discount)
}

function clawbackRuleOf(reward: Reward): ClawbackRule {
  switch (reward.type) {
    case 'buy_x_get_y':
      return { kind: 'group' }
    case 'spend_threshold':
      return { kind: 'threshold', minSpendCents: reward.minSpendCents }
    default:
      return { kind: 'per_unit' }
  }
}

function toAppliedOffer({ prepared, grants, totalCents }: Application): AppliedOffer {
  const { offer } = prepared
  return {
    offerId: offer.offerId,
    rewardType: offer.reward.type,
    stackable: offer.stackable,
    amountCents: totalCents,
    unitsDiscounted: grants.filter((grant) => grant.amountCents > 0).length,
    clawback: clawbackRuleOf(offer.reward),
  }
}

function byOfferId(a: { offerId: string }, b: { offerId: string }): number {
  return a.offerId < b.offerId ? -1 : a.offerId > b.offerId ? 1 : 0
}
