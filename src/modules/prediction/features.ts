// Candidate products for one customer and the features the calibrated scorer reads.
// Two kinds of candidates, after the Reality Check finding that repeat and explore items
// behave differently and must be ranked on one comparable scale:
// - repeat: products the customer has bought (own cycle, frequency, recency);
// - explore: never-bought products similar to theirs, or selling well right now.
// Each kind has its own small logistic model, so both yield probabilities that can be merged.
import { decayAt } from './customer-stats.ts'
import { cycleEvidence, estimateCycle, quantityFactor, shrinkCycle, windowProbability, type CycleEvidence, type CyclePrior } from './cycle.ts'
import { neighbourScores, type NeighbourIndex, type NeighbourScore } from './neighbours.ts'
import type { PopulationModel, ProductPopulation } from './population.ts'
import { rankingIndexOf } from './ranking-index.ts'
import type { CustomerStats, CycleEstimate, Day, ItemStats, PredictionConfig } from './prediction.types.ts'

export const REPEAT_FEATURES = [
  'log times bought',
  'log trips',
  'log(1 + days since last purchase)',
  'log decayed frequency',
  'log purchase rate (1 / cycle)',
  'log P(due in window | cycle)',
  'log(1 + trending)',
  'log(1 + buyers)',
  'log neighbour score',
] as const

export const EXPLORE_FEATURES = ['log neighbour score', 'log(1 + trending)', 'log(1 + buyers)', 'log trips'] as const

/** Keeps log() finite for products with no neighbour evidence. */
export const NEIGHBOUR_FLOOR = 1e-3
export const PROBABILITY_FLOOR = 1e-4

export interface Candidate {
  productId: string
  repeat: boolean
  x: number[]
  item?: ItemStats
  cycle?: CycleEstimate
  neighbour?: NeighbourScore
}

/** The cycle fallback for one product: the customer's own category cycle, else the product's population. */
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

/**
 * cyclePrior for all of one customer's products: each category's own evidence is worked out
 * once (a customer buys many products of a category), then shrunk toward each product's own
 * fallback exactly as cyclePrior does.
 */
export function cyclePriors(
  stats: CustomerStats,
  population: PopulationModel,
  config: PredictionConfig,
): (product: ProductPopulation | undefined) => CyclePrior {
  const evidence = new Map<string, CycleEvidence>()
  return (product) => {
    const fallback: CyclePrior =
      product === undefined
        ? { cycleDays: population.globalCycleDays, source: 'population' }
        : { cycleDays: product.cycleDays, source: 'product' }
    const category = product?.category
    if (category === undefined) return fallback
    const own = stats.categories[category]
    if (own === undefined || own.days < 3) return fallback
    let e = evidence.get(category)
    if (e === undefined) evidence.set(category, (e = cycleEvidence(own)))
    return { cycleDays: shrinkCycle(e, fallback, config).cycleDays, source: 'category' }
  }
}

export function candidatesFor(
  stats: CustomerStats,
  population: PopulationModel,
  asOf: Day,
  config: PredictionConfig,
): Candidate[] {
  const owned = Object.entries(stats.products)
  const weights = owned.map(([p, item]): [string, number] => [p, decayAt(item, asOf, config)])
  const priorOf = cyclePriors(stats, population, config)
  // Only the product lists are shared state; everything else is the customer's own rows.
  const { scores: neighbours, best } = neighbourScores(weights, neighbourIndexOf(population), config.exploreCandidates, population.trending)
  const logTrips = Math.log(Math.max(1, stats.trips))
  const popFeatures = (productId: string): [number, number] => {
    const p = population.products[productId]
    return [Math.log1p(p?.trending ?? 0), Math.log1p(p?.buyers ?? 0)]
  }
  const logNeighbour = (productId: string): number => Math.log(NEIGHBOUR_FLOOR + (neighbours.get(productId)?.score ?? 0))

  const out: Candidate[] = []
  for (let n = 0; n < owned.length; n++) {
    const [productId, item] = owned[n] as [string, ItemStats]
    const evidence = cycleEvidence(item)
    const cycle = shrinkCycle(evidence, priorOf(population.products[productId]), config)
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
        Math.log((weights[n] as [string, number])[1]),
        -Math.log(cycle.cycleDays),
        Math.log(PROBABILITY_FLOOR + windowProbability(cycle, item, asOf, config, cycle.cycleDays * quantityFactor(item, evidence.usual))),
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

/** The request-time neighbour index of a population, built once per population object (ranking-index.ts). */
export function neighbourIndexOf(population: PopulationModel): NeighbourIndex {
  return rankingIndexOf(population).nx
}
