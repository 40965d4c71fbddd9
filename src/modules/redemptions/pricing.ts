// The pricing engine: pure functions from a basket and candidate offers to discounts and
// per-unit allocations. No I/O. The rules are explained in docs/pricing.md.
import type { Application } from './pricing-rewards.ts';
import { chooseApplications } from './pricing-search.ts';
import type {
  AppliedOffer,
  BasketLine,
  CandidateOffer,
  ClawbackRule,
  Discount,
  PricingResult,
  Reward,
  UnitAllocation,
} from './pricing-types.ts';
import { expandUnits, prepareOffers, type UnitSlot } from './pricing-units.ts';
import { assertValidPricingInput } from './pricing-validate.ts';

export type * from './pricing-types.ts';
export { clawbackForReturn } from './pricing-clawback.ts';
export { PricingInputError } from './pricing-validate.ts';

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
  assertValidPricingInput(lines, offers);
  const units = expandUnits(lines);
  const applications = chooseApplications(prepareOffers(lines, units, offers));
  recordShares(applications);

  let totalBeforeCents = 0;
  for (const line of lines) totalBeforeCents += line.quantity * line.unitPriceCents;
  let totalDiscountCents = 0;
  for (const application of applications) totalDiscountCents += application.totalCents;

  return {
    discounts: summariseDiscounts(units, applications),
    totalBeforeCents,
    totalDiscountCents,
    totalAfterCents: totalBeforeCents - totalDiscountCents,
    allocations: units.map(toAllocation),
    appliedOffers: applications.map(toAppliedOffer).sort(byOfferId),
  };
}

function recordShares(applications: readonly Application[]): void {
  for (const { prepared, grants } of applications) {
    const isGrouped = prepared.offer.reward.type === 'buy_x_get_y';
    for (const { unit, amountCents, group } of grants) {
      unit.shares.push(
        isGrouped
          ? { offerId: prepared.offer.offerId, amountCents, group }
          : { offerId: prepared.offer.offerId, amountCents },
      );
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
  };
}

/** One row per offer and GTIN, in basket order, as the receipt and the API show them. */
function summariseDiscounts(units: readonly UnitSlot[], applications: readonly Application[]): Discount[] {
  const descriptions = new Map(
    applications.map(({ prepared }) => [prepared.offer.offerId, prepared.offer.description]),
  );
  const rows = new Map<string, Discount>();
  for (const unit of units) {
    for (const share of unit.shares) {
      if (share.amountCents === 0) continue;
      const key = `${share.offerId}\u0000${unit.gtin}`;
      const row = rows.get(key);
      if (row) {
        row.quantity += 1;
        row.amountCents += share.amountCents;
      } else {
        rows.set(key, {
          offerId: share.offerId,
          gtin: unit.gtin,
          description: descriptions.get(share.offerId) ?? '',
          quantity: 1,
          amountCents: share.amountCents,
        });
      }
    }
  }
  return [...rows.values()];
}

function clawbackRuleOf(reward: Reward): ClawbackRule {
  switch (reward.type) {
    case 'buy_x_get_y':
      return { kind: 'group' };
    case 'spend_threshold':
      return { kind: 'threshold', minSpendCents: reward.minSpendCents };
    default:
      return { kind: 'per_unit' };
  }
}

function toAppliedOffer({ prepared, grants, totalCents }: Application): AppliedOffer {
  const { offer } = prepared;
  return {
    offerId: offer.offerId,
    rewardType: offer.reward.type,
    stackable: offer.stackable,
    amountCents: totalCents,
    unitsDiscounted: grants.filter((grant) => grant.amountCents > 0).length,
    clawback: clawbackRuleOf(offer.reward),
  };
}

function byOfferId(a: { offerId: string }, b: { offerId: string }): number {
  return a.offerId < b.offerId ? -1 : a.offerId > b.offerId ? 1 : 0;
}
