import { splitPercent, splitProRata } from './pricing-math.ts'
import type { Reward } from './pricing-types.ts'
import { FREE, STACKED, type PreparedOffer, type ScopedUnit, type UnitSlot } from './pricing-units.ts'

/** One offer's part in one unit; amountCents 0 marks a unit used only as a condition. */
export interface Grant {
  readonly unit: UnitSlot
  readonly amountCents: number
  /** buy_x_get_y group number, -1 otherwise. */
  readonly group: number
}

/** What applying one offer to the units' current state would grant. */
export interface Application {
  readonly prepared: PreparedOffer
  readonly grants: readonly Grant[]
  readonly totalCents: number
}

type RewardOf<T extends Reward['type']> = Extract<Reward, { type: T }>

/**
 * A non-stackable offer needs a unit no offer has touched; a stackable one may join
 * other stackable ones. A unit with nothing left to pay is of no use to anyone.
 */
export function isUsableBy(prepared: PreparedOffer): (unit: UnitSlot) => boolean {
  const stackable = prepared.offer.stackable
  return (unit) =>
    unit.remainingCents > 0 && (unit.claim === FREE || (unit.claim === STACKED && stackable))
}

function usableUnits(prepared: PreparedOffer, scope: readonly ScopedUnit[], limit = Infinity): UnitSlot[] {
  const usable = isUsableBy(prepared)
  const units: UnitSlot[] = []
  for (const { unit } of scope) {
    if (units.length >= limit) break
    if (usable(unit)) units.push(unit)
  }
  return units
}

/**
 * Percent discounts are rounded once per GTIN (the sum over the units this offer covers),
 * half up, then split back over those units by largest remainder. Rounding each unit
 * would turn 3 x 333 at 10 % into 99 instead of 100.
 */
function percentByUnit(units: readonly UnitSlot[], scaledPercent: number): Map<UnitSlot, number> {
  const byGtin = new Map<string, UnitSlot[]>()
  for (const unit of units) {
    const group = byGtin.get(unit.gtin)
    if (group) group.push(unit)
    else byGtin.set(unit.gtin, [unit])
  }
  const amounts = new Map<UnitSlot, number>()
  for (const group of byGtin.values()) {
    for (const { item, share } of splitPercent(group, (unit) => unit.priceCents, scaledPercent)) {
      amounts.set(item, share)
    }
  }
  return amounts
}

function perUnitAmountCents(reward: Reward, unit: UnitSlot, percentAmounts: Map<UnitSlot, number>): number {
  switch (reward.type) {
    case 'amount_off':
      return reward.amountCents
    case 'fixed_price':
      return Math.max(0, unit.priceCents - reward.priceCents)
    default:
      return percentAmounts.get(unit) ?? 0
  }
}

/**
 * amount_off, fixed_price and percent_off: each unit's discount stands on its own. The
 * budget is spent in preference order, so a cap trims the least valuable units.
 */
function evaluatePerUnit(prepared: PreparedOffer, scope: readonly ScopedUnit[]): Application | null {
  const reward = prepared.offer.reward
  const picked = usableUnits(prepared, scope, prepared.maxUnits)
  const percentAmounts =
    reward.type === 'percent_off' ? percentByUnit(picked, prepared.scaledPercent) : new Map<UnitSlot, number>()

  const grants: Grant[] = []
  let budget = prepared.budgetCents
  for (const unit of picked) {
    const amountCents = Math.min(perUnitAmountCents(reward, unit, percentAmounts), unit.remainingCents, budget)
    if (amountCents <= 0) continue
    grants.push({ unit, amountCents, group: -1 })
    budget -= amountCents
  }
  return toApplication(prepared, grants)
}

/** How many of `usableCount` units a buy_x_get_y discounts: `get` per complete group, at most maxUnits. */
function buyGetRewardedCount(usableCount: number, reward: RewardOf<'buy_x_get_y'>, maxUnits: number): number {
  return Math.min(Math.floor(usableCount / (reward.buy + reward.get)) * reward.get, maxUnits)
}

/**
 * Every complete group of buy + get usable units earns `get` discounted units. The
 * cheapest units are the discounted ones; the next cheapest are the paid ones, which
 * leaves the dearest units free for other offers.
 */
function evaluateBuyGet(
  prepared: PreparedOffer,
  reward: RewardOf<'buy_x_get_y'>,
  scope: readonly ScopedUnit[],
): Application | null {
  const usable = usableUnits(prepared, scope)
  const rewardedCount = buyGetRewardedCount(usable.length, reward, prepared.maxUnits)
  if (rewardedCount === 0) return null
  const groupsUsed = Math.ceil(rewardedCount / reward.get)
  const rewarded = usable.slice(0, rewardedCount)
  const paid = usable.slice(rewardedCount, rewardedCount + groupsUsed * reward.buy)
  const amounts = percentByUnit(rewarded, prepared.scaledPercent)

  const grants: Grant[] = []
  const groupTotals = new Array<number>(groupsUsed).fill(0)
  let budget = prepared.budgetCents
  rewarded.forEach((unit, i) => {
    const amountCents = Math.min(amounts.get(unit) ?? 0, unit.remainingCents, budget)
    const group = Math.floor(i / reward.get)
    grants.push({ unit, amountCents, group })
    groupTotals[group] = (groupTotals[group] ?? 0) + amountCents
    budget -= amountCents
  })
  paid.forEach((unit, i) => grants.push({ unit, amountCents: 0, group: Math.floor(i / reward.buy) }))
  // A group the budget left without a discount must not tie up its units.
  return toApplication(prepared, grants.filter((grant) => (groupTotals[grant.group] ?? 0) > 0))
}

/**
 * Spend is counted at regular prices over the usable units in scope, so it does not
 * depend on the order stackable offers are applied in. The reward is split pro rata to
 * what each unit still costs, so no unit can go below zero, and is capped at that total.
 * With maxUnits only the dearest units share the reward, but every unit that made up the
 * spend is recorded: returning any of them may break the threshold.
 */
function evaluateThreshold(prepared: PreparedOffer, reward: RewardOf<'spend_threshold'>): Application | null {
  const usable = usableUnits(prepared, prepared.scope)
  let spendCents = 0
  for (const unit of usable) spendCents += unit.priceCents
  if (usable.length === 0 || spendCents < reward.minSpendCents) return null

  const spread = usable.slice(0, prepared.maxUnits)
  let payableCents = 0
  for (const unit of spread) payableCents += unit.remainingCents
  const totalCents = Math.min(reward.amountCents, payableCents, prepared.budgetCents)
  if (totalCents <= 0) return null

  const grants: Grant[] = splitProRata(totalCents, spread, (unit) => unit.remainingCents).map(
    ({ item, share }) => ({ unit: item, amountCents: share, group: -1 }),
  )
  for (const unit of usable.slice(spread.length)) grants.push({ unit, amountCents: 0, group: -1 })
  return { prepared, grants, totalCents }
}

function toApplication(prepared: PreparedOffer, grants: Grant[]): Application | null {
  let totalCents = 0
  for (const grant of grants) totalCents += grant.amountCents
  return totalCents > 0 ? { prepared, grants, totalCents } : null
}

/**
 * Whether `other` would reward the very units `prepared.scope` rewards, so the two cannot differ
 * by a cent. Both orders rank by price alike and differ only among equally priced units, which
 * in the usual basket are the units of one line either way. Saves evaluating the offer twice.
 */
function rewardsSameUnits(prepared: PreparedOffer, other: readonly ScopedUnit[]): boolean {
  const reward = prepared.offer.reward
  let count = prepared.maxUnits
  if (reward.type === 'buy_x_get_y') {
    const usable = isUsableBy(prepared)
    let usableCount = 0
    for (const { unit } of prepared.scope) if (usable(unit)) usableCount++
    count = buyGetRewardedCount(usableCount, reward, count)
  }
  const mine = usableUnits(prepared, prepared.scope, count)
  const theirs = usableUnits(prepared, other, count)
  return mine.every((unit, i) => unit === theirs[i])
}

function evaluateInOrder(prepared: PreparedOffer, scope: readonly ScopedUnit[]): Application | null {
  const reward = prepared.offer.reward
  switch (reward.type) {
    case 'amount_off':
    case 'fixed_price':
    case 'percent_off':
      return evaluatePerUnit(prepared, scope)
    case 'buy_x_get_y':
      return evaluateBuyGet(prepared, reward, scope)
    case 'spend_threshold':
      return evaluateThreshold(prepared, reward)
  }
}

/**
 * What the offer could grant given the units' current state: usually one application,
 * none if it grants nothing. A second one when taking the units it would take on its own
 * grants more than sparing the units other offers want (a cent of rounding, see
 * PreparedOffer.ownScope); the search weighs both. Pure: the state changes only through
 * commit() in pricing-search.ts.
 */
export function evaluateOffer(prepared: PreparedOffer): Application[] {
  const considerate = evaluateInOrder(prepared, prepared.scope)
  const own =
    prepared.ownScope && !rewardsSameUnits(prepared, prepared.ownScope) ? evaluateInOrder(prepared, prepared.ownScope) : null
  if (!own || own.totalCents <= (considerate?.totalCents ?? 0)) return considerate ? [considerate] : []
  return considerate ? [considerate, own] : [own]
}
