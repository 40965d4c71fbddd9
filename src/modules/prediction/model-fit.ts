// The batch run: population statistics plus the two calibration models. The calibration is
// learned without any held-out labels: each customer's latest visit (sequence data) or the
// last window of the data (calendar data) is hidden, the rest becomes "history", and the
// scorer learns how the features of that history predict what was then bought. The same
// code serves the offline evaluation and the nightly job, and nothing is tuned by hand.
import { rebuildCustomerStats } from './customer-stats.ts'
import { candidatesFor, EXPLORE_FEATURES, REPEAT_FEATURES } from './features.ts'
import { fitLogistic, type LogisticModel } from './logistic.ts'
import { buildPopulation, type PopulationModel } from './population.ts'
import type { CustomerStats, Day, PredictionConfig, PurchaseTransaction } from './prediction.types.ts'

export interface CustomerHistory {
  customerId: string
  transactions: readonly PurchaseTransaction[]
}

export interface PredictionModel {
  version: 1
  config: PredictionConfig
  population: PopulationModel
  repeat: LogisticModel
  explore: LogisticModel
  fittedOn: { asOf: Day; customers: number; repeatRows: number; exploreRows: number }
}

export interface FitInput {
  histories: readonly CustomerHistory[]
  config: PredictionConfig
  /** Current statistics of the same customers, if already built (else rebuilt from histories). */
  stats?: readonly CustomerStats[]
  /** Calendar "now" of the data; default: the latest day in the histories. */
  asOf?: Day
  categoryOf?: (productId: string) => string | undefined
  /** Share of non-purchased explore candidates kept for fitting (reweighted); default 0.25. */
  exploreNegativeRate?: number
}

interface PseudoCustomer {
  stats: CustomerStats
  asOf: Day
  bought: Set<string>
}

function pseudoTargets(input: FitInput, dataEnd: Day): { customers: PseudoCustomer[]; populationAsOf?: Day } {
  const { config } = input
  const customers: PseudoCustomer[] = []
  const cutoff = dataEnd - config.windowDays
  for (const h of input.histories) {
    const lastDay = h.transactions.reduce((m, t) => Math.max(m, t.day), Number.NEGATIVE_INFINITY)
    // Sequence data: hide the latest visit. Calendar data: hide the last window of the data.
    const isPast = (day: Day): boolean => (config.timeMode === 'sequence' ? day < lastDay : day <= cutoff)
    const isTarget = (day: Day): boolean =>
      config.timeMode === 'sequence' ? day === lastDay : day > cutoff && day <= cutoff + config.windowDays
    const past = h.transactions.filter((t) => isPast(t.day))
    if (past.length === 0) continue
    const bought = new Set<string>()
    for (const t of h.transactions) {
      if (!isTarget(t.day)) continue
      for (const l of t.lines) if (l.quantity > 0) bought.add(l.productId)
    }
    const stats = rebuildCustomerStats(h.customerId, past, config)
    customers.push({ stats, asOf: config.timeMode === 'sequence' ? stats.lastDay : cutoff, bought })
  }
  return config.timeMode === 'sequence' ? { customers } : { customers, populationAsOf: cutoff }
}

// Deterministic subsampling, so two fits on the same data give the same model.
function keep(customerId: string, productId: string, rate: number): boolean {
  let h = 2166136261
  const s = `${customerId}:${productId}`
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619)
  return (h >>> 0) / 4294967296 < rate
}

export function fitPredictionModel(input: FitInput): PredictionModel {
  const { config } = input
  let dataEnd = input.asOf ?? Number.NEGATIVE_INFINITY
  if (input.asOf === undefined) for (const h of input.histories) for (const t of h.transactions) dataEnd = Math.max(dataEnd, t.day)
  const popOptions = input.categoryOf === undefined ? {} : { categoryOf: input.categoryOf }

  const pseudo = pseudoTargets(input, dataEnd)
  const pseudoPopulation = buildPopulation(
    pseudo.customers.map((c) => c.stats),
    config,
    pseudo.populationAsOf === undefined ? popOptions : { ...popOptions, asOf: pseudo.populationAsOf },
  )
  const rate = input.exploreNegativeRate ?? 0.25
  const repeatRows: number[][] = []
  const repeatLabels: number[] = []
  const exploreRows: number[][] = []
  const exploreLabels: number[] = []
  const exploreWeights: number[] = []
  for (const c of pseudo.customers) {
    for (const cand of candidatesFor(c.stats, pseudoPopulation, c.asOf, config)) {
      const y = c.bought.has(cand.productId) ? 1 : 0
      if (cand.repeat) {
        repeatRows.push(cand.x)
        repeatLabels.push(y)
      } else if (y === 1 || keep(c.stats.customerId, cand.productId, rate)) {
        exploreRows.push(cand.x)
        exploreLabels.push(y)
        exploreWeights.push(y === 1 ? 1 : 1 / rate)
      }
    }
  }
  const repeat = fitLogistic(repeatRows, repeatLabels, undefined, { features: REPEAT_FEATURES.length })
  const explore = fitLogistic(exploreRows, exploreLabels, exploreWeights, { features: EXPLORE_FEATURES.length })

  const stats = input.stats ?? input.histories.map((h) => rebuildCustomerStats(h.customerId, h.transactions, config))
  const population = buildPopulation(stats, config, input.asOf === undefined ? popOptions : { ...popOptions, asOf: dataEnd })
  return {
    version: 1,
    config,
    population,
    repeat,
    explore,
    fittedOn: { asOf: dataEnd, customers: pseudo.customers.length, repeatRows: repeatRows.length, exploreRows: exploreRows.length },
  }
}
