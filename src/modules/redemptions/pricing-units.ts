import { percentOfCentsCeil, toScaledPercent } from './pricing-math.ts';
import type { BasketLine, CandidateOffer, OfferScope, UnitShare } from './pricing-types.ts';

export const FREE = 0;
export const STACKED = 1;
export const EXCLUSIVE = 2;
/** FREE: no offer yet; STACKED: only stackable offers; EXCLUSIVE: a non-stackable offer. */
export type Claim = typeof FREE | typeof STACKED | typeof EXCLUSIVE;

/** One physical unit of a basket line, with the mutable state the search works on. */
export interface UnitSlot {
  readonly lineIndex: number;
  readonly unitIndex: number;
  /** Position in the whole basket; the last deterministic tie-break. */
  readonly position: number;
  readonly gtin: string;
  readonly priceCents: number;
  /** Candidate offers whose scope holds this unit: units fewer offers want are used first. */
  contention: number;
  remainingCents: number;
  claim: Claim;
  readonly shares: UnitShare[];
}

export interface PreparedOffer {
  readonly offer: CandidateOffer;
  /** Units in scope, in the order this reward prefers to use them. */
  readonly units: readonly UnitSlot[];
  /** Infinity when the offer has no unit cap. */
  readonly maxUnits: number;
  /** Infinity when the offer has no cents budget. */
  readonly budgetCents: number;
  /** percent_off and buy_x_get_y: the percent scaled by 10^4. */
  readonly scaledPercent: number;
  /** Never below what this offer can add in any search state (see boundCents()). */
  readonly boundCents: number;
}

export function expandUnits(lines: readonly BasketLine[]): UnitSlot[] {
  const slots: UnitSlot[] = [];
  lines.forEach((line, lineIndex) => {
    for (let unitIndex = 0; unitIndex < line.quantity; unitIndex++) {
      slots.push({
        lineIndex,
        unitIndex,
        position: slots.length,
        gtin: line.gtin,
        priceCents: line.unitPriceCents,
        contention: 0,
        remainingCents: line.unitPriceCents,
        claim: FREE,
        shares: [],
      });
    }
  });
  return slots;
}

function isWithinCategory(path: string, ancestor: string): boolean {
  return path === ancestor || (path.startsWith(ancestor) && path[ancestor.length] === '/');
}

function scopeMatcher(scope: OfferScope): (line: BasketLine) => boolean {
  if ('gtins' in scope) {
    const gtins = new Set(scope.gtins);
    return (line) => gtins.has(line.gtin);
  }
  return (line) =>
    isWithinCategory(line.category, scope.category) &&
    (scope.brandType === undefined || scope.brandType === line.brandType);
}

function isApplicable(offer: CandidateOffer): boolean {
  return (
    offer.remainingUses !== 0 &&
    offer.budgetRemainingRedemptions !== 0 &&
    offer.budgetRemainingCents !== 0 &&
    offer.maxUnits !== 0
  );
}

/** What the reward is worth on one unit at its regular price, before caps. */
export function faceValueCents(offer: CandidateOffer, scaledPercent: number, priceCents: number): number {
  const reward = offer.reward;
  switch (reward.type) {
    case 'amount_off':
      return Math.min(reward.amountCents, priceCents);
    case 'fixed_price':
      return Math.max(0, priceCents - reward.priceCents);
    case 'percent_off':
    case 'buy_x_get_y':
      return percentOfCentsCeil(priceCents, scaledPercent);
    case 'spend_threshold':
      return priceCents;
  }
}

function sumTop(values: readonly number[], count: number): number {
  let total = 0;
  for (const value of values.slice(0, count)) total += value;
  return total;
}

/**
 * An upper bound on the cents this offer can add in any state the search reaches. It
 * lets the exact search prune; it must never be low. buy_x_get_y needs its own bound
 * because removing a cheap unit can make a dearer unit the free one.
 */
function boundCents(prepared: Omit<PreparedOffer, 'boundCents'>): number {
  const { offer, units, maxUnits, scaledPercent } = prepared;
  const reward = offer.reward;
  const faceDesc = units
    .map((unit) => faceValueCents(offer, scaledPercent, unit.priceCents))
    .sort((a, b) => b - a);
  let bound: number;
  if (reward.type === 'buy_x_get_y') {
    const groups = Math.floor(units.length / (reward.buy + reward.get));
    bound = sumTop(faceDesc, Math.min(groups * reward.get, maxUnits));
  } else if (reward.type === 'spend_threshold') {
    const spend = sumTop(faceDesc, units.length);
    bound = spend < reward.minSpendCents ? 0 : Math.min(reward.amountCents, sumTop(faceDesc, maxUnits));
  } else {
    bound = sumTop(faceDesc, maxUnits);
  }
  return Math.min(bound, prepared.budgetCents);
}

function preferenceOrder(offer: CandidateOffer, scaledPercent: number) {
  const cheapestFirst = offer.reward.type === 'buy_x_get_y';
  return (a: UnitSlot, b: UnitSlot): number => {
    const byValue = cheapestFirst
      ? a.priceCents - b.priceCents
      : faceValueCents(offer, scaledPercent, b.priceCents) - faceValueCents(offer, scaledPercent, a.priceCents);
    return byValue || a.contention - b.contention || a.position - b.position;
  };
}

function scaledPercentOf(offer: CandidateOffer): number {
  const reward = offer.reward;
  if (reward.type === 'percent_off') return toScaledPercent(reward.percent);
  if (reward.type === 'buy_x_get_y') return toScaledPercent(reward.percentOff ?? 100);
  return 0;
}

function isPerUnitReward(offer: CandidateOffer): boolean {
  const type = offer.reward.type;
  return type === 'amount_off' || type === 'percent_off' || type === 'fixed_price';
}

/**
 * Drops offers that cannot apply and sorts the rest by offerId, so the result never
 * depends on the order the caller listed them in.
 */
export function prepareOffers(
  lines: readonly BasketLine[],
  slots: readonly UnitSlot[],
  offers: readonly CandidateOffer[],
): PreparedOffer[] {
  const prepared = [...offers]
    .filter(isApplicable)
    .sort((a, b) => (a.offerId < b.offerId ? -1 : a.offerId > b.offerId ? 1 : 0))
    .map((offer) => {
      const scaledPercent = scaledPercentOf(offer);
      const inScope = lines.map(scopeMatcher(offer.scope));
      // A unit priced 0 can neither be discounted nor count towards a condition.
      const units = slots.filter(
        (slot) =>
          slot.priceCents > 0 &&
          inScope[slot.lineIndex] === true &&
          (!isPerUnitReward(offer) || faceValueCents(offer, scaledPercent, slot.priceCents) > 0),
      );
      const base = {
        offer,
        units,
        maxUnits: offer.maxUnits ?? Infinity,
        budgetCents: offer.budgetRemainingCents ?? Infinity,
        scaledPercent,
      };
      return { ...base, boundCents: boundCents(base) };
    })
    .filter((offer) => offer.boundCents > 0);

  for (const { units } of prepared) for (const unit of units) unit.contention += 1;
  for (const { offer, units, scaledPercent } of prepared) units.sort(preferenceOrder(offer, scaledPercent));
  return prepared;
}
