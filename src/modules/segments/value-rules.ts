// Pure rules for customer value, tiers, trend, lifecycle, share-of-wallet signals and list
// eligibility (DOMAIN.md, "Customer value, as the material frames it").

import type { SegmentConfig } from './segment.config.ts'
import type { LifecycleStage, TierCuts, Trend, ValueTier, WalletShare } from './segment.types.ts'

const DAY_MS = 86_400_000

/** Whole days from a to b ('YYYY-MM-DD'); calendar days, so no time zone can shift them. */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / DAY_MS)
}

export function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10)
}

/** Positions (1-based) of the last customer in A, B and C among n ranked customers. */
export function tierBoundaries(n: number, shares: SegmentConfig['value']['tierShares']): { a: number; b: number; c: number } {
  // Cumulative shares rounded up: a population of 3 still has an A customer.
  return {
    a: Math.ceil(n * shares.A - 1e-9),
    b: Math.ceil(n * (shares.A + shares.B) - 1e-9),
    c: Math.ceil(n * (shares.A + shares.B + shares.C) - 1e-9),
  }
}

/**
 * The lowest value in each tier, from every ranked customer's value. Ties at a boundary all get
 * the better tier (SQL rank(), not row_number()), so one value maps to one tier and a single
 * customer's refresh can be placed by these cut-offs alone. Null for an empty population.
 */
export function tierCutsFromValues(values: number[], shares: SegmentConfig['value']['tierShares']): TierCuts | null {
  if (values.length === 0) return null
  const desc = [...values].sort((x, y) => y - x)
  const { a, b, c } = tierBoundaries(desc.length, shares)
  // a >= 1 whenever there is anyone to rank (A > 0), and b, c >= a.
  const at = (pos: number) => desc[Math.min(desc.length, Math.max(1, pos)) - 1]!
  return { aMin: at(a), bMin: at(b), cMin: at(c) }
}

export function tierForValue(value: number, cuts: TierCuts): ValueTier {
  if (value >= cuts.aMin) return 'A'
  if (value >= cuts.bMin) return 'B'
  if (value >= cuts.cMin) return 'C'
  return 'D'
}

/** Tier of each value by rank in the population (the set-based refresh does the same in SQL). */
export function tiersByRank(values: number[], shares: SegmentConfig['value']['tierShares']): ValueTier[] {
  const cuts = tierCutsFromValues(values, shares)
  return cuts ? values.map((v) => tierForValue(v, cuts)) : []
}

export function trendOf(recentCents: number, previousCents: number, cfg: SegmentConfig['trend']): Trend {
  if (previousCents <= 0) return recentCents > 0 ? 'rising' : 'flat'
  const ratio = recentCents / previousCents
  if (ratio >= cfg.risingRatio) return 'rising'
  if (ratio <= cfg.fallingRatio) return 'falling'
  return 'flat'
}

export interface LifecycleInput {
  asOf: string
  enrolledOn: string
  firstPurchaseDay: string | null
  lastPurchaseDay: string | null
  /** The customer's own median gap between trip days; null with fewer than two trip days. */
  medianGapDays: number | null
  trend: Trend
}

/**
 * Lapsed and declining come first: a new customer who has stopped coming is the one a win-back
 * offer is for. Declining = the days since the last trip are well past the customer's own
 * median gap; lapsed = gone for good by the calendar or far past their own gap.
 */
export function lifecycleStage(input: LifecycleInput, cfg: SegmentConfig['lifecycle']): LifecycleStage {
  const { asOf, lastPurchaseDay, firstPurchaseDay, medianGapDays: gap } = input
  if (!lastPurchaseDay || !firstPurchaseDay) {
    return daysBetween(input.enrolledOn, asOf) < cfg.newDays ? 'new' : 'lapsed'
  }
  const since = daysBetween(lastPurchaseDay, asOf)
  if (since > cfg.lapsedDays) return 'lapsed'
  if (gap !== null && gap > 0) {
    if (since > cfg.lapsedGapMultiple * gap && since > cfg.lapsedMinDays) return 'lapsed'
    if (since > cfg.decliningGapMultiple * gap && since > cfg.decliningMinDays) return 'declining'
  }
  if (daysBetween(firstPurchaseDay, asOf) < cfg.newDays) return 'new'
  return input.trend === 'rising' ? 'growing' : 'stable'
}

export interface Eligibility {
  weeklySpendCents: number
  eligible: boolean
}

/** Compared exactly (spend x 7 against threshold x days), so rounding the average cannot flip it. */
export function eligibility(spendInWindowCents: number, cfg: SegmentConfig['eligibility']): Eligibility {
  return {
    weeklySpendCents: Math.floor((spendInWindowCents * 7) / cfg.windowDays),
    eligible: spendInWindowCents * 7 >= cfg.minWeeklySpendCents * cfg.windowDays,
  }
}

/** Steady gaps over enough trips: the customer shops here on a rhythm, not by chance. */
export function regularCycle(trips: number, meanGap: number | null, stddevGap: number | null, cfg: SegmentConfig['wallet']): boolean {
  if (trips < cfg.regularMinTrips || meanGap === null || stddevGap === null || meanGap <= 0) return false
  return stddevGap / meanGap <= cfg.regularMaxCv
}

/**
 * How much of the household's grocery shopping likely happens here. The store sees only its own
 * baskets, so this is a signal from rhythm and size, not a measurement.
 */
export function walletShare(regular: boolean, weeklySpendCents: number, cfg: SegmentConfig['wallet']): WalletShare {
  if (regular && weeklySpendCents >= cfg.highWeeklySpendCents) return 'high'
  if (weeklySpendCents < cfg.lowWeeklySpendCents) return 'low'
  return 'medium'
}
