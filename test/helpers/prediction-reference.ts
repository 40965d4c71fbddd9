// The predictor's request path as it was before the ranking index (commit 765df8d), kept as
// the oracle the fast path must equal bit for bit: the cycle code, the cycle prior, the
// candidates with their features, logit over every candidate and one full sort. Copied, not
// imported, so a change to src/modules/prediction cannot change the oracle with it.
import { decayAt } from '../../src/modules/prediction/customer-stats.ts'
import { EXPLORE_FEATURES, NEIGHBOUR_FLOOR, REPEAT_FEATURES } from '../../src/modules/prediction/features.ts'
import { logit, sigmoid } from '../../src/modules/prediction/logistic.ts'
import type { PredictionModel } from '../../src/modules/prediction/model-fit.ts'
import { indexNeighbours, neighbourScores, type NeighbourIndex, type NeighbourList, type NeighbourScore } from '../../src/modules/prediction/neighbours.ts'
import type { PopulationModel } from '../../src/modules/prediction/population.ts'
import type { CustomerStats, CycleEstimate, Day, ItemStats, PredictedItem, PredictionConfig, PredictionReason } from '../../src/modules/prediction/prediction.types.ts'

const DEFAULT_SIGMA = 0.6
const MIN_SIGMA = 0.1
const MAX_QUANTITY_FACTOR = 4
const PROBABILITY_FLOOR = 1e-4

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

export function weightedMedian(values: readonly number[], weights: readonly number[]): number {
  const order = values.map((_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number))
  const total = weights.reduce((s, w) => s + w, 0)
  let acc = 0
  for (const i of order) {
    acc += weights[i] as number
    if (acc >= total / 2) return values[i] as number
  }
  return Number.NaN
}

/** The customer's usual quantity of this item: the median over the recent purchase days. */
export function typicalQuantity(item: ItemStats): number {
  const q = median(item.recent.map(([, qty]) => qty).filter((qty) => qty > 0))
  return Number.isFinite(q) && q > 0 ? q : 1
}

/** How much longer than usual the last purchase should last (2 packs instead of 1: 2). */
export function quantityFactor(item: ItemStats): number {
  const last = item.recent[item.recent.length - 1]
  if (last === undefined) return 1
  const f = last[1] / typicalQuantity(item)
  return Math.min(MAX_QUANTITY_FACTOR, Math.max(1 / MAX_QUANTITY_FACTOR, f))
}

/**
 * Own intervals normalised to one usual quantity, with intervals close to k times the median
 * (k missed purchases, e.g. bought elsewhere) folded into k intervals.
 */
export function foldedIntervals(item: ItemStats): { values: number[]; weights: number[] } {
  const usual = typicalQuantity(item)
  const raw: number[] = []
  for (let k = 1; k < item.recent.length; k++) {
    const [prevDay, prevQty] = item.recent[k - 1] as [Day, number]
    const [day] = item.recent[k] as [Day, number]
    const f = Math.min(MAX_QUANTITY_FACTOR, Math.max(1 / MAX_QUANTITY_FACTOR, prevQty / usual))
    if (day > prevDay) raw.push((day - prevDay) / f)
  }
  if (raw.length === 0) return { values: [], weights: [] }
  const m0 = median(raw)
  const values: number[] = []
  const weights: number[] = []
  for (const x of raw) {
    const k = Math.max(1, Math.round(x / m0))
    values.push(x / k)
    weights.push(k)
  }
  return { values, weights }
}

export function estimateCycle(item: ItemStats, prior: CyclePrior, config: PredictionConfig): CycleEstimate {
  const { values, weights } = foldedIntervals(item)
  const n = values.length
  if (n === 0) return { cycleDays: prior.cycleDays, sigma: DEFAULT_SIGMA, intervals: 0, source: prior.source }
  const own = weightedMedian(values, weights)
  const logs = values.map((v) => Math.log(v / own))
  // Robust spread (MAD); with fewer than 3 intervals there is no spread to speak of.
  const spread = n >= 3 ? Math.max(MIN_SIGMA, 1.4826 * median(logs.map(Math.abs))) : DEFAULT_SIGMA
  // Normal-normal shrinkage in log space: the prior is worth `priorIntervals` typical intervals.
  const ownPrecision = n / (spread * spread)
  const priorPrecision = config.priorIntervals / (DEFAULT_SIGMA * DEFAULT_SIGMA)
  const w = ownPrecision / (ownPrecision + priorPrecision)
  const cycleDays = Math.exp(w * Math.log(own) + (1 - w) * Math.log(prior.cycleDays))
  const sigma = Math.sqrt((n * spread * spread + config.priorIntervals * DEFAULT_SIGMA ** 2) / (n + config.priorIntervals))
  return { cycleDays, sigma, intervals: n, source: 'own' }
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
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.928510446969, 138.357751867269, -30.66479806614716, 2.506628277459239]
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572]
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783]
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416]
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number]
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number]
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number]
  const [d0, d1, d2, d3] = d as [number, number, number, number]
  const q0 = Math.min(1 - 1e-12, Math.max(1e-12, p))
  const tail = (q: number): number =>
    (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1)
  if (q0 < 0.02425) return tail(Math.sqrt(-2 * Math.log(q0)))
  if (q0 > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - q0)))
  const q = q0 - 0.5
  const r = q * q
  return ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1)
}

/** Days from the last purchase until the next one is due: the cycle, stretched by the last quantity. */
export function dueInterval(cycle: CycleEstimate, item: ItemStats): number {
  return cycle.cycleDays * quantityFactor(item)
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
): number {
  const mu = Math.log(dueInterval(cycle, item))
  const shift = config.timeMode === 'sequence' ? 0.5 : 0
  const start = Math.max(0, asOf - item.lastDay + shift)
  const end = asOf - item.lastDay + config.windowDays + shift
  const cdf = (t: number): number => (t <= 0 ? 0 : normalCdf((Math.log(t) - mu) / cycle.sigma))
  const active = item.days / (item.days + 1)
  const stillWaiting = active * (1 - cdf(start)) + (1 - active)
  return Math.min(1, Math.max(0, (active * (cdf(end) - cdf(start))) / stillWaiting))
}

/**
 * Expected next purchase day: last purchase plus the due interval; if that is already past,
 * the median of the remaining time given that it has not happened yet.
 */
export function expectedNextDay(cycle: CycleEstimate, item: ItemStats, asOf: Day): Day {
  const due = dueInterval(cycle, item)
  const elapsed = asOf - item.lastDay
  if (item.lastDay + due > asOf) return Math.round(item.lastDay + due)
  const zElapsed = (Math.log(Math.max(elapsed, 1e-9)) - Math.log(due)) / cycle.sigma
  const remainingHalf = 1 - (1 - normalCdf(zElapsed)) / 2
  const t = Math.exp(Math.log(due) + cycle.sigma * normalQuantile(remainingHalf))
  return Math.max(asOf + 1, Math.round(item.lastDay + t))
}

export function cyclePrior(stats: CustomerStats, productId: string, population: PopulationModel, config: PredictionConfig): CyclePrior {
  const product = population.products[productId]
  const fallback: CyclePrior =
    product === undefined
      ? { cycleDays: population.globalCycleDays, source: 'population' }
      : { cycleDays: product.cycleDays, source: 'product' }
  const category = product?.category
  const own = category === undefined ? undefined : stats.categories[category]
  if (own === undefined || own.days < 3) return fallback
  const c = estimateCycle(own, fallback, config)
  return { cycleDays: c.cycleDays, source: 'category' }
}

export function candidatesFor(
  stats: CustomerStats,
  population: PopulationModel,
  asOf: Day,
  config: PredictionConfig,
): Candidate[] {
  const owned = Object.entries(stats.products)
  const weights = owned.map(([p, item]): [string, number] => [p, decayAt(item, asOf, config)])
  // Only the product lists are shared state; everything else is the customer's own rows.
  const { scores: neighbours, best } = neighbourScores(weights, neighbourIndexOf(population), config.exploreCandidates, population.trending)
  const logTrips = Math.log(Math.max(1, stats.trips))
  const popFeatures = (productId: string): [number, number] => {
    const p = population.products[productId]
    return [Math.log1p(p?.trending ?? 0), Math.log1p(p?.buyers ?? 0)]
  }
  const logNeighbour = (productId: string): number => Math.log(NEIGHBOUR_FLOOR + (neighbours.get(productId)?.score ?? 0))

  const out: Candidate[] = []
  for (const [productId, item] of owned) {
    const cycle = estimateCycle(item, cyclePrior(stats, productId, population, config), config)
    const [trending, buyers] = popFeatures(productId)
    const neighbour = neighbours.get(productId)
    out.push({
      productId,
      repeat: true,
      item,
      cycle,
      ...(neighbour === undefined ? {} : { neighbour }),
      x: [
        Math.log(item.days),
        logTrips,
        Math.log1p(Math.max(0, asOf - item.lastDay)),
        Math.log(decayAt(item, asOf, config)),
        -Math.log(cycle.cycleDays),
        Math.log(PROBABILITY_FLOOR + windowProbability(cycle, item, asOf, config)),
        trending,
        buyers,
        logNeighbour(productId),
      ],
    })
  }

  // Explore pool: the strongest neighbour-based products (boosted a little by what is selling
  // now, so a long tail of weak co-occurrences does not crowd out current products) plus the
  // population's trending list.
  const pool = new Set<string>()
  for (const productId of best) pool.add(productId)
  for (const productId of population.trending) if (stats.products[productId] === undefined) pool.add(productId)
  for (const productId of pool) {
    const [trending, buyers] = popFeatures(productId)
    const neighbour = neighbours.get(productId)
    out.push({
      productId,
      repeat: false,
      ...(neighbour === undefined ? {} : { neighbour }),
      x: [logNeighbour(productId), trending, buyers, logTrips],
    })
  }
  return out
}

export interface Candidate {
  productId: string
  repeat: boolean
  x: number[]
  item?: ItemStats
  cycle?: CycleEstimate
  neighbour?: NeighbourScore
}

const indexCache = new WeakMap<PopulationModel, NeighbourIndex>()
export function neighbourIndexOf(population: PopulationModel): NeighbourIndex {
  let nx = indexCache.get(population)
  if (nx === undefined) {
    const lists: Record<string, NeighbourList> = {}
    for (const [productId, p] of Object.entries(population.products)) lists[productId] = p.neighbours
    nx = indexNeighbours(lists, (p) => Math.sqrt(1 + (population.products[p]?.trending ?? 0)))
    indexCache.set(population, nx)
  }
  return nx
}

export function predictForCustomer(stats: CustomerStats, model: PredictionModel, options: { asOf?: Day; limit?: number } = {}): PredictedItem[] {
  const asOf = options.asOf ?? stats.lastDay
  const limit = options.limit ?? 20
  const scored = candidatesFor(stats, model.population, asOf, model.config).map((c): [Candidate, number] => [
    c,
    logit(c.repeat ? model.repeat : model.explore, c.x),
  ])
  scored.sort((a, b) => b[1] - a[1] || (a[0].productId < b[0].productId ? -1 : 1))
  return scored.slice(0, limit).map(([c, score]) => ({
    productId: c.productId,
    score,
    probability: sigmoid(score),
    expectedDay: c.item !== undefined && c.cycle !== undefined ? expectedNextDay(c.cycle, c.item, asOf) : null,
    reason: reasonFor(c, model),
  }))
}

function reasonFor(c: Candidate, model: PredictionModel): PredictionReason {
  const timeMode = model.config.timeMode
  if (c.item !== undefined) {
    const lastQuantity = c.item.recent[c.item.recent.length - 1]?.[1] ?? 1
    const base = { timeMode, lastDay: c.item.lastDay, timesBought: c.item.days, lastQuantity }
    if (c.cycle !== undefined && c.cycle.source === 'own') {
      return { kind: 'cycle', ...base, cycleDays: Math.round(c.cycle.cycleDays * 10) / 10 }
    }
    return { kind: 'frequent', ...base }
  }
  // Explore: say "neighbours" when co-purchases lift the score more than current popularity does
  // (EXPLORE_FEATURES: 0 = neighbour score, 1 = trending).
  const w = model.explore.weights
  const neighbourLift = (w[0] ?? 0) * ((c.x[0] ?? 0) - Math.log(NEIGHBOUR_FLOOR))
  const trendingLift = (w[1] ?? 0) * (c.x[1] ?? 0)
  if (c.neighbour !== undefined && neighbourLift >= trendingLift) {
    return { kind: 'neighbours', timeMode, becauseOf: [c.neighbour.via] }
  }
  return { kind: 'popular', timeMode }
}

