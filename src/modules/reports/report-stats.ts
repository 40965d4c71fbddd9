// The statistics behind the reports, as pure functions over sufficient statistics, so the
// rollup can add cycles together and the tests can check every figure by hand.

export interface GroupSums {
  /** Customers in the group. */
  n: number
  /** Sum of their in-scope spend, cents. */
  sum: number
  /** Sum of squares of their in-scope spend, cents². */
  sumSq: number
}

export interface GroupSummary {
  customers: number
  meanSpendCents: number | null
  sdSpendCents: number | null
}

export type LiftVerdict = 'lift' | 'negative' | 'noise' | 'too_few' | 'no_holdout' | 'pending'

export interface LiftEstimate {
  verdict: LiftVerdict
  /** What the figures say, in words for marketing. */
  says: string
  treated: GroupSummary
  holdout: GroupSummary
  /** Mean in-scope spend per treated customer minus per held-out customer, cents (rounded). */
  differenceCents: number | null
  /** Normal interval of the difference (Welch standard error), cents (rounded outward). */
  interval: { low: number; high: number; level: number } | null
  /** differenceCents x treated customers: the extra spend the offer brought, if real. */
  incrementalSpendCents: number | null
}

export function mean(g: GroupSums): number | null {
  return g.n > 0 ? g.sum / g.n : null
}

/** Sample variance (n - 1) from sums; never below zero (rounding of sumSq - sum²/n). */
export function variance(g: GroupSums): number | null {
  if (g.n < 2) return null
  return Math.max(0, (g.sumSq - (g.sum * g.sum) / g.n) / (g.n - 1))
}

export function addSums(a: GroupSums, b: GroupSums): GroupSums {
  return { n: a.n + b.n, sum: a.sum + b.sum, sumSq: a.sumSq + b.sumSq }
}

/**
 * Welch's difference of means with a normal interval: se = sqrt(s1²/n1 + s2²/n2),
 * difference ± z·se. With fewer than `minGroupSize` customers in a group, or an interval that
 * contains zero, the report says it cannot tell lift from noise.
 */
export function estimateLift(
  treated: GroupSums,
  holdout: GroupSums,
  opts: { minGroupSize: number; z: number; level?: number; targeted: boolean; pendingCycles: number },
): LiftEstimate {
  const summary = (g: GroupSums): GroupSummary => {
    const m = mean(g)
    const v = variance(g)
    return { customers: g.n, meanSpendCents: m === null ? null : Math.round(m), sdSpendCents: v === null ? null : Math.round(Math.sqrt(v)) }
  }
  const base = { treated: summary(treated), holdout: summary(holdout), differenceCents: null, interval: null, incrementalSpendCents: null }
  const level = opts.level ?? 0.95
  if (!opts.targeted) {
    return { ...base, verdict: 'no_holdout', says: 'Offers for every customer are not held out, so there is no group to compare with: lift cannot be measured.' }
  }
  if (treated.n === 0 && holdout.n === 0) {
    return opts.pendingCycles > 0
      ? { ...base, verdict: 'pending', says: 'The lists carrying this offer are still running; lift is measured once their window has ended.' }
      : { ...base, verdict: 'too_few', says: 'No customer the offer was meant for had a finished list in this period: cannot tell lift from noise.' }
  }
  const mt = mean(treated)
  const mh = mean(holdout)
  const diff = mt !== null && mh !== null ? mt - mh : null
  const vt = variance(treated)
  const vh = variance(holdout)
  const est = { ...base, differenceCents: diff === null ? null : Math.round(diff), incrementalSpendCents: diff === null ? null : Math.round(diff * treated.n) }
  if (treated.n < opts.minGroupSize || holdout.n < opts.minGroupSize || diff === null || vt === null || vh === null) {
    return {
      ...est,
      verdict: 'too_few',
      says: `Cannot tell lift from noise: ${treated.n} treated and ${holdout.n} held-out customers, fewer than the ${opts.minGroupSize} needed in each group.`,
    }
  }
  const se = Math.sqrt(vt / treated.n + vh / holdout.n)
  const low = diff - opts.z * se
  const high = diff + opts.z * se
  const interval = { low: Math.floor(low), high: Math.ceil(high), level }
  const pct = `${Math.round(level * 100)}%`
  const money = (c: number) => `${c < 0 ? '-' : ''}$${(Math.abs(c) / 100).toFixed(2)}`
  if (low <= 0 && high >= 0) {
    return {
      ...est,
      interval,
      verdict: 'noise',
      says: `Cannot tell lift from noise: the ${pct} interval of the difference (${money(interval.low)} to ${money(interval.high)} per customer) includes zero.`,
    }
  }
  if (low > 0) {
    return {
      ...est,
      interval,
      verdict: 'lift',
      says: `Treated customers spent ${money(Math.round(diff))} more in the offer's scope than held-out customers (${pct} interval ${money(interval.low)} to ${money(interval.high)}).`,
    }
  }
  return {
    ...est,
    interval,
    verdict: 'negative',
    says: `Treated customers spent ${money(Math.round(-diff))} less in the offer's scope than held-out customers (${pct} interval ${money(interval.low)} to ${money(interval.high)}).`,
  }
}


/** How many customers "the top share" is: rounded up, so 1% of 50 customers is 1 customer. */
export function topCount(customers: number, share: number): number {
  return Math.min(customers, Math.ceil(customers * share - 1e-9))
}
