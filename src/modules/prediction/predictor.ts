// Ranked shopping list for one customer from their own statistics plus the shared model.
// Pure and synchronous: the caller loads the customer's rows and the cached model.
import { estimateCycle, expectedNextDay, windowProbability } from './cycle.ts'
import { candidatesFor, cyclePrior, NEIGHBOUR_FLOOR, neighbourIndexOf, type Candidate } from './features.ts'
import { logit, sigmoid } from './logistic.ts'
import type { PredictionModel } from './model-fit.ts'
import type { PopulationModel } from './population.ts'
import type {
  CustomerStats,
  CycleEstimate,
  Day,
  PredictedItem,
  PredictionConfig,
  PredictionReason,
  PredictOptions,
} from './prediction.types.ts'

const DEFAULT_LIMIT = 20

/**
 * Default as-of day: the customer's latest trip, i.e. the list printed at checkout (in sequence
 * data: before the next visit). Lists mailed on a schedule pass their own `asOf`.
 */
export function defaultAsOf(stats: CustomerStats): Day {
  return stats.lastDay
}

/** Builds the request-time neighbour index now (about 0.5 s per 10,000 products) instead of on the first request. */
export function warmModel(model: PredictionModel): void {
  neighbourIndexOf(model.population)
}

export function predictForCustomer(
  stats: CustomerStats,
  model: PredictionModel,
  options: PredictOptions = {},
): PredictedItem[] {
  const asOf = options.asOf ?? defaultAsOf(stats)
  const limit = options.limit ?? DEFAULT_LIMIT
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

export interface ProductForecast {
  cycle: CycleEstimate
  expectedDay: Day
  /** Cycle-only probability of buying within the window (before calibration). */
  windowProbability: number
}

/** The purchase-cycle view of one product the customer has bought, or undefined if never bought. */
export function forecastProduct(
  stats: CustomerStats,
  productId: string,
  population: PopulationModel,
  config: PredictionConfig,
  asOf: Day = defaultAsOf(stats),
): ProductForecast | undefined {
  const item = stats.products[productId]
  if (item === undefined) return undefined
  const cycle = estimateCycle(item, cyclePrior(stats, productId, population, config), config)
  return {
    cycle,
    expectedDay: expectedNextDay(cycle, item, asOf),
    windowProbability: windowProbability(cycle, item, asOf, config),
  }
}
