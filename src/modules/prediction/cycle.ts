// Purchase-cycle estimation for one (customer, item) from its recent purchase days.
// Intervals are robust (median, with missed trips folded back into whole cycles), quantity
// aware (an interval that started with two packs counts as two cycles' worth of consumption),
// and shrunk in log space toward a fallback cycle (the customer's category, the product's
// population, or the whole population) with a weight that grows with the customer's own
// evidence and regularity.
import type { CycleEstimate, Day, ItemStats, PredictionConfig } from './prediction.types.ts'

/** Typical log-scale spread of a household's inter-purchase times (coefficient of variation ~0.6). */
export const DEFAULT_SIGMA = 0.6
const MIN_SIGMA = 0.1
/** A purchase of 4x the usual quantity stretches the next interval at most 4x (bulk buys, pricing units). */
const MAX_QUANTITY_FACTOR = 4

export interface CyclePrior {
  cycleDays: number
  source: Exclude<CycleEstimate['source'], 'own'>
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const s = [...values].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2
}

// The cycle of every product of every customer is estimated on each list, from at most
// `recentLimit` days per item: scratch arrays and insertion sorts instead of fresh arrays and
// Array.sort. Sorting numbers gives the same median whatever the algorithm, so the results are
// those of the plain code above bit for bit (test/unit/predict-ranking.test.ts).
let scratchSize = 0
let sorted = new Float64Array(0)
let raw = new Float64Array(0)
let folded = new Float64Array(0)
let foldWeights = new Float64Array(0)
function ensureScratch(n: number): void {
  if (n <= scratchSize) return
  scratchSize = Math.max(16, n)
  sorted = new Float64Array(scratchSize)
  raw = new Float64Array(scratchSize)
  folded = new Float64Array(scratchSize)
  foldWeights = new Float64Array(scratchSize)
}

/** Median of `sorted[0..n)` after sorting it in place (ascending insertion sort). */
function sortedMedian(n: number): number {
  if (n === 0) return Number.NaN
  for (let i = 1; i < n; i++) {
    const v = sorted[i] as number
    let j = i - 1
    while (j >= 0 && (sorted[j] as number) > v) {
      sorted[j + 1] = sorted[j] as number
      j--
    }
    sorted[j + 1] = v
  }
  const m = n >> 1
  return n % 2 === 1 ? (sorted[m] as number) : ((sorted[m - 1] as number) + (sorted[m] as number)) / 2
}

/**
 * An item's recent purchases as two parallel arrays, days[start..end) and quantities: the
 * decoded ItemStats' `recent` pairs, or the columns the ranking decodes the stored row into.
 */
export interface RecentView {
  days: ArrayLike<number>
  quantities: ArrayLike<number>
  start: number
  end: number
}

// The view of an ItemStats, copied into scratch columns.
let itemDays = new Float64Array(16)
let itemQuantities = new Float64Array(16)
const itemView: RecentView = { days: itemDays, quantities: itemQuantities, start: 0, end: 0 }
function viewOf(item: ItemStats): RecentView {
  const recent = item.recent
  if (recent.length > itemDays.length) {
    itemDays = new Float64Array(recent.length * 2)
    itemQuantities = new Float64Array(recent.length * 2)
    itemView.days = itemDays
    itemView.quantities = itemQuantities
  }
  for (let k = 0; k < recent.length; k++) {
    const entry = recent[k] as [Day, number]
    itemDays[k] = entry[0]
    itemQuantities[k] = entry[1]
  }
  itemView.end = recent.length
  return itemView
}

/** The customer's usual quantity of this item: the median over the recent purchase days. */
export function typicalQuantity(item: ItemStats): number {
  return usualQuantity(viewOf(item))
}

function usualQuantity(v: RecentView): number {
  const { quantities, start, end } = v
  ensureScratch(end - start)
  let n = 0
  for (let k = start; k < end; k++) {
    const qty = quantities[k] as number
    if (qty > 0) sorted[n++] = qty
  }
  const q = sortedMedian(n)
  return Number.isFinite(q) && q > 0 ? q : 1
}

const clampFactor = (f: number): number => Math.min(MAX_QUANTITY_FACTOR, Math.max(1 / MAX_QUANTITY_FACTOR, f))

/** How much longer than usual the last purchase should last (2 packs instead of 1: 2). */
export function quantityFactor(item: ItemStats, usual: number = typicalQuantity(item)): number {
  const last = item.recent[item.recent.length - 1]
  if (last === undefined) return 1
  return clampFactor(last[1] / usual)
}

/** quantityFactor of a recent view. */
export function viewQuantityFactor(v: RecentView, usual: number): number {
  if (v.end <= v.start) return 1
  return clampFactor((v.quantities[v.end - 1] as number) / usual)
}

/** Fills raw[0..n) with the intervals normalised to one usual quantity; returns n. */
function rawIntervals(v: RecentView, usual: number): number {
  const { days, quantities, start, end } = v
  ensureScratch(end - start)
  let n = 0
  for (let k = start + 1; k < end; k++) {
    const prevDay = days[k - 1] as number
    const day = days[k] as number
    const f = clampFactor((quantities[k - 1] as number) / usual)
    if (day > prevDay) raw[n++] = (day - prevDay) / f
  }
  return n
}

/** Folds raw[0..n) into folded/foldWeights (k missed purchases: k intervals). */
function foldRaw(n: number): void {
  for (let i = 0; i < n; i++) sorted[i] = raw[i] as number
  const m0 = sortedMedian(n)
  for (let i = 0; i < n; i++) {
    const x = raw[i] as number
    const k = Math.max(1, Math.round(x / m0))
    folded[i] = x / k
    foldWeights[i] = k
  }
}

/**
 * Own intervals normalised to one usual quantity, with intervals close to k times the median
 * (k missed purchases, e.g. bought elsewhere) folded into k intervals.
 */
export function foldedIntervals(item: ItemStats): { values: number[]; weights: number[] } {
  const v = viewOf(item)
  const n = rawIntervals(v, usualQuantity(v))
  foldRaw(n)
  return { values: Array.from(folded.subarray(0, n)), weights: Array.from(foldWeights.subarray(0, n)) }
}

/**
 * What an item's own purchases say about its cycle, before any fallback: the part of
 * estimateCycle that does not depend on the prior, so a customer's category cycle is worked out
 * once per list rather than once per product of the category.
 */
export interface CycleEvidence {
  /** Own intervals after folding; 0: no evidence, the prior stands. */
  intervals: number
  /** Weighted median of the folded intervals. */
  own: number
  /** Robust log-scale spread of the intervals (DEFAULT_SIGMA below 3 intervals). */
  spread: number
  /** typicalQuantity(item), for the due interval. */
  usual: number
}

export function cycleEvidence(item: ItemStats): CycleEvidence {
  return recentEvidence(viewOf(item))
}

/** cycleEvidence of a recent view. */
export function recentEvidence(v: RecentView): CycleEvidence {
  const usual = usualQuantity(v)
  const n = rawIntervals(v, usual)
  if (n === 0) return { intervals: 0, own: Number.NaN, spread: DEFAULT_SIGMA, usual }
  foldRaw(n)
  // Weighted median: folded values in ascending order (stable: equal values keep their order),
  // weights carried along; the weights are whole numbers, so their sums are exact in any order.
  for (let i = 0; i < n; i++) {
    raw[i] = folded[i] as number
    sorted[i] = foldWeights[i] as number
  }
  for (let i = 1; i < n; i++) {
    const v = raw[i] as number
    const w = sorted[i] as number
    let j = i - 1
    while (j >= 0 && (raw[j] as number) > v) {
      raw[j + 1] = raw[j] as number
      sorted[j + 1] = sorted[j] as number
      j--
    }
    raw[j + 1] = v
    sorted[j + 1] = w
  }
  let total = 0
  for (let i = 0; i < n; i++) total += foldWeights[i] as number
  let own = Number.NaN
  let acc = 0
  for (let i = 0; i < n; i++) {
    acc += sorted[i] as number
    if (acc >= total / 2) {
      own = raw[i] as number
      break
    }
  }
  // Robust spread (MAD); with fewer than 3 intervals there is no spread to speak of.
  let spread = DEFAULT_SIGMA
  if (n >= 3) {
    for (let i = 0; i < n; i++) sorted[i] = Math.abs(Math.log((folded[i] as number) / own))
    spread = Math.max(MIN_SIGMA, 1.4826 * sortedMedian(n))
  }
  return { intervals: n, own, spread, usual }
}

/** The cycle from an item's evidence and a fallback. */
export function shrinkCycle(evidence: CycleEvidence, prior: CyclePrior, config: PredictionConfig): CycleEstimate {
  const n = evidence.intervals
  if (n === 0) return { cycleDays: prior.cycleDays, sigma: DEFAULT_SIGMA, intervals: 0, source: prior.source }
  return { cycleDays: shrunkCycleDays(evidence, prior.cycleDays, config), sigma: shrunkSigma(evidence, config), intervals: n, source: 'own' }
}

/** shrinkCycle's cycleDays without building the estimate (the ranking's hot path). */
export function shrunkCycleDays(evidence: CycleEvidence, priorCycleDays: number, config: PredictionConfig): number {
  const n = evidence.intervals
  if (n === 0) return priorCycleDays
  const { own, spread } = evidence
  // Normal-normal shrinkage in log space: the prior is worth `priorIntervals` typical intervals.
  const ownPrecision = n / (spread * spread)
  const priorPrecision = config.priorIntervals / (DEFAULT_SIGMA * DEFAULT_SIGMA)
  const w = ownPrecision / (ownPrecision + priorPrecision)
  return Math.exp(w * Math.log(own) + (1 - w) * Math.log(priorCycleDays))
}

/** shrinkCycle's sigma: it does not depend on the prior. */
export function shrunkSigma(evidence: CycleEvidence, config: PredictionConfig): number {
  const n = evidence.intervals
  if (n === 0) return DEFAULT_SIGMA
  const spread = evidence.spread
  return Math.sqrt((n * spread * spread + config.priorIntervals * DEFAULT_SIGMA ** 2) / (n + config.priorIntervals))
}

export function estimateCycle(item: ItemStats, prior: CyclePrior, config: PredictionConfig): CycleEstimate {
  return shrinkCycle(cycleEvidence(item), prior, config)
}

// Standard normal CDF (Abramowitz-Stegun 7.1.26 erf approximation, error < 1.5e-7).
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2
  const t = 1 / (1 + 0.3275911 * x)
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
  const erf = 1 - poly * Math.exp(-x * x)
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf)
}

// Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
const [a0, a1, a2, a3, a4, a5] = [-39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716, 2.506628277459239]
const [b0, b1, b2, b3, b4] = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
const [c0, c1, c2, c3, c4, c5] = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
const [d0, d1, d2, d3] = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
const quantileTail = (q: number): number =>
  (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)

export function normalQuantile(p: number): number {
  const q0 = Math.min(1 - 1e-12, Math.max(1e-12, p))
  if (q0 < 0.02425) return quantileTail(Math.sqrt(-2 * Math.log(q0)))
  if (q0 > 1 - 0.02425) return -quantileTail(Math.sqrt(-2 * Math.log(1 - q0)))
  const q = q0 - 0.5
  const r = q * q
  return ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
}

/** Days from the last purchase until the next one is due: the cycle, stretched by the last quantity. */
export function dueInterval(cycle: CycleEstimate, item: ItemStats, usual?: number): number {
  return cycle.cycleDays * quantityFactor(item, usual)
}

/**
 * P(next purchase falls in the window | nothing bought between the last purchase and asOf), with
 * a log-normal interval whose median is the due interval, and a chance that the customer has
 * stopped buying the product here (Laplace: 1 / (purchase days + 1)). The longer a purchase is
 * overdue, the more likely the customer has lapsed, so the probability falls instead of rising
 * (a lapse is a win-back signal, not a sure sale). Sequence mode counts whole visits, so the
 * window is centred on the next visit (continuity correction).
 */
export function windowProbability(
  cycle: CycleEstimate,
  item: ItemStats,
  asOf: Day,
  config: PredictionConfig,
  due: number = dueInterval(cycle, item),
): number {
  return dueWindowProbability(cycle.sigma, due, item.lastDay, item.days, asOf, config)
}

/** windowProbability from the cycle's sigma, the due interval and the item's last day and purchase days. */
export function dueWindowProbability(sigma: number, due: number, lastDay: Day, days: number, asOf: Day, config: PredictionConfig): number {
  const mu = Math.log(due)
  const shift = config.timeMode === 'sequence' ? 0.5 : 0
  const start = Math.max(0, asOf - lastDay + shift)
  const end = asOf - lastDay + config.windowDays + shift
  const active = days / (days + 1)
  const stillWaiting = active * (1 - logNormalCdf(start, mu, sigma)) + (1 - active)
  return Math.min(1, Math.max(0, (active * (logNormalCdf(end, mu, sigma) - logNormalCdf(start, mu, sigma))) / stillWaiting))
}

// A module-level function, not a closure per call: this runs for every product of every list.
const logNormalCdf = (t: number, mu: number, sigma: number): number => (t <= 0 ? 0 : normalCdf((Math.log(t) - mu) / sigma))

/**
 * Expected next purchase day: last purchase plus the due interval; if that is already past,
 * the median of the remaining time given that it has not happened yet.
 */
export function expectedNextDay(cycle: CycleEstimate, item: ItemStats, asOf: Day, due: number = dueInterval(cycle, item)): Day {
  return dueNextDay(cycle.sigma, due, item.lastDay, asOf)
}

/** expectedNextDay from the cycle's sigma, the due interval and the item's last day. */
export function dueNextDay(sigma: number, due: number, lastDay: Day, asOf: Day): Day {
  const elapsed = asOf - lastDay
  if (lastDay + due > asOf) return Math.round(lastDay + due)
  const zElapsed = (Math.log(Math.max(elapsed, 1e-9)) - Math.log(due)) / sigma
  const remainingHalf = 1 - (1 - normalCdf(zElapsed)) / 2
  const t = Math.exp(Math.log(due) + sigma * normalQuantile(remainingHalf))
  return Math.max(asOf + 1, Math.round(lastDay + t))
}
