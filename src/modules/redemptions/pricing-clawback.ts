// Discount to take back when units of a sale come back. The rule (docs/pricing.md,
// "Returns"): the customer keeps exactly the discounts that would still hold for the
// units they keep. That "kept discount" only shrinks as more units come back, so each
// return claws back the difference: never negative, never more than was granted, and
// all returns together claw back exactly the sale's whole discount.
import type {
  Clawback,
  ClawbackRule,
  ClawbackShare,
  ReturnItem,
  SaleRecord,
  UnitAllocation,
  UnitShare,
} from './pricing-types.ts'
import { assertValidReturnItems } from './pricing-validate.ts'

interface SaleIndex {
  readonly sale: SaleRecord
  readonly rules: Map<string, ClawbackRule>
  /** Units of each GTIN in the order they are deemed to come back. */
  readonly returnOrder: Map<string, UnitAllocation[]>
}

function groupKey(offerId: string, group: number | undefined): string {
  return `${offerId}\u0000${group ?? ''}`
}

function isGroupShare(rules: Map<string, ClawbackRule>, share: UnitShare): boolean {
  return rules.get(share.offerId)?.kind === 'group' && share.group !== undefined
}

function groupTotals(sale: SaleRecord, rules: Map<string, ClawbackRule>): Map<string, number> {
  const totals = new Map<string, number>()
  for (const unit of sale.allocations) {
    for (const share of unit.shares) {
      if (!isGroupShare(rules, share)) continue
      const key = groupKey(share.offerId, share.group)
      totals.set(key, (totals.get(key) ?? 0) + share.amountCents)
    }
  }
  return totals
}

/**
 * The store cannot tell identical units apart, so it assumes the unit whose return costs
 * the customer least comes back first: undiscounted units, then smaller discounts. For a
 * buy-X-get-Y member that cost is the whole group's discount; members of one group sit
 * next to each other so a broken group absorbs further returns before another breaks.
 */
function buildReturnOrder(sale: SaleRecord, rules: Map<string, ClawbackRule>): Map<string, UnitAllocation[]> {
  const totals = groupTotals(sale, rules)
  const ranked = sale.allocations.map((unit) => {
    let stakeCents = 0
    let firstGroup = ''
    for (const share of unit.shares) {
      if (isGroupShare(rules, share)) {
        const key = groupKey(share.offerId, share.group)
        stakeCents += totals.get(key) ?? 0
        firstGroup ||= key
      } else {
        stakeCents += share.amountCents
      }
    }
    return { unit, stakeCents, firstGroup }
  })
  ranked.sort(
    (a, b) =>
      a.stakeCents - b.stakeCents ||
      (a.firstGroup < b.firstGroup ? -1 : a.firstGroup > b.firstGroup ? 1 : 0) ||
      b.unit.lineIndex - a.unit.lineIndex ||
      b.unit.unitIndex - a.unit.unitIndex,
  )
  const order = new Map<string, UnitAllocation[]>()
  for (const { unit } of ranked) {
    const units = order.get(unit.gtin)
    if (units) units.push(unit)
    else order.set(unit.gtin, [unit])
  }
  return order
}

function indexSale(sale: SaleRecord): SaleIndex {
  const rules = new Map(sale.appliedOffers.map((offer) => [offer.offerId, offer.clawback]))
  return { sale, rules, returnOrder: buildReturnOrder(sale, rules) }
}

function countByGtin(...lists: (readonly ReturnItem[])[]): Map<string, number> {
  const counts = new Map<string, number>()
  for (const items of lists) {
    for (const { gtin, quantity } of items) counts.set(gtin, (counts.get(gtin) ?? 0) + quantity)
  }
  return counts
}

/** Returning more units than were sold is the caller's error; here it just returns all. */
function returnedUnits(index: SaleIndex, counts: Map<string, number>): Set<UnitAllocation> {
  const returned = new Set<UnitAllocation>()
  for (const [gtin, count] of counts) {
    for (const unit of (index.returnOrder.get(gtin) ?? []).slice(0, count)) returned.add(unit)
  }
  return returned
}

/** The shares the customer still keeps once `returned` units are back. */
function keptShares(index: SaleIndex, returned: Set<UnitAllocation>): Set<UnitShare> {
  const brokenGroups = new Set<string>()
  const keptSpend = new Map<string, number>()
  for (const unit of index.sale.allocations) {
    const isReturned = returned.has(unit)
    for (const share of unit.shares) {
      const rule = index.rules.get(share.offerId)
      if (rule?.kind === 'group' && isReturned) brokenGroups.add(groupKey(share.offerId, share.group))
      if (rule?.kind === 'threshold' && !isReturned) {
        keptSpend.set(share.offerId, (keptSpend.get(share.offerId) ?? 0) + unit.unitPriceCents)
      }
    }
  }

  const kept = new Set<UnitShare>()
  for (const unit of index.sale.allocations) {
    if (returned.has(unit)) continue
    for (const share of unit.shares) {
      const rule = index.rules.get(share.offerId)
      const holds =
        rule?.kind === 'group'
          ? !brokenGroups.has(groupKey(share.offerId, share.group))
          : rule?.kind === 'threshold'
            ? (keptSpend.get(share.offerId) ?? 0) >= rule.minSpendCents
            : true
      if (holds && share.amountCents > 0) kept.add(share)
    }
  }
  return kept
}

function byOfferThenGtin(a: ClawbackShare, b: ClawbackShare): number {
  if (a.offerId !== b.offerId) return a.offerId < b.offerId ? -1 : 1
  return a.gtin < b.gtin ? -1 : a.gtin > b.gtin ? 1 : 0
}

/**
 * Cents of discount to take back when `returning` units come back, given the units of
 * the same sale already returned. Works on the whole sale record because a returned
 * unit can void a discount granted on another GTIN (a broken buy-X-get-Y group, a spend
 * threshold no longer met).
 */
export function clawbackForReturn(
  sale: SaleRecord,
  alreadyReturned: readonly ReturnItem[],
  returning: readonly ReturnItem[],
): Clawback {
  assertValidReturnItems(alreadyReturned, 'alreadyReturned')
  assertValidReturnItems(returning, 'returning')
  const index = indexSale(sale)
  const keptBefore = keptShares(index, returnedUnits(index, countByGtin(alreadyReturned)))
  const keptAfter = keptShares(index, returnedUnits(index, countByGtin(alreadyReturned, returning)))

  const rows = new Map<string, ClawbackShare>()
  let amountCents = 0
  for (const unit of sale.allocations) {
    for (const share of unit.shares) {
      if (!keptBefore.has(share) || keptAfter.has(share)) continue
      const key = `${share.offerId}\u0000${unit.gtin}`
      const row = rows.get(key) ?? { offerId: share.offerId, gtin: unit.gtin, amountCents: 0 }
      row.amountCents += share.amountCents
      rows.set(key, row)
      amountCents += share.amountCents
    }
  }
  return { amountCents, shares: [...rows.values()].sort(byOfferThenGtin) }
}
