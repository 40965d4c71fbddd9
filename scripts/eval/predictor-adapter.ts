// The seam between the evaluation and the predictor. Metrics and baselines only see
// `RankingPredictor`; the in-memory version below builds statistics and the model from the
// loaded history. A database-backed version (import the CSV, run the batch job, read each
// customer's stored statistics) only has to implement the same interface.
import { rebuildCustomerStats } from '../../src/modules/prediction/customer-stats.ts'
import { fitPredictionModel, type CustomerHistory, type PredictionModel } from '../../src/modules/prediction/model-fit.ts'
import { predictForCustomer, warmModel } from '../../src/modules/prediction/predictor.ts'
import type { CustomerStats, PredictedItem, PredictionConfig } from '../../src/modules/prediction/prediction.types.ts'
import { globalPopularity, gpTopFreq, pTopFreq } from './baselines.ts'
import type { EvalBasket } from './dataset.ts'
import { tifuKnn, type TifuKnnParams } from './tifu-knn.ts'

export interface RankingPredictor {
  name: string
  /** Top-k product ids per customer, best first. */
  rank(customerIds: readonly string[], k: number): Promise<Map<string, string[]>>
}

export function toCustomerHistories(
  histories: ReadonlyMap<string, readonly EvalBasket[]>,
  categoryOf?: (productId: string) => string | undefined,
): CustomerHistory[] {
  return [...histories].map(([customerId, baskets]) => ({
    customerId,
    transactions: baskets.map((b) => ({
      day: b.day,
      lines: b.lines.map((l) => ({ productId: l.productId, quantity: l.quantity, category: categoryOf?.(l.productId) })),
    })),
  }))
}

export interface InMemoryPredictor extends RankingPredictor {
  model: PredictionModel
  stats: Map<string, CustomerStats>
  predict(customerId: string, k: number): PredictedItem[]
  timings: { statsMs: number; fitMs: number }
  /** Wall-clock and CPU milliseconds per single-customer prediction in `rank`, in call order. */
  latencies: number[]
  cpuLatencies: number[]
}

export function inMemoryPredictor(
  histories: ReadonlyMap<string, readonly EvalBasket[]>,
  config: PredictionConfig,
  categoryOf?: (productId: string) => string | undefined,
): InMemoryPredictor {
  const t0 = performance.now()
  const customerHistories = toCustomerHistories(histories, categoryOf)
  const stats = new Map(customerHistories.map((h) => [h.customerId, rebuildCustomerStats(h.customerId, h.transactions, config)]))
  const t1 = performance.now()
  const model = fitPredictionModel({
    histories: customerHistories,
    config,
    stats: [...stats.values()],
    ...(categoryOf === undefined ? {} : { categoryOf }),
  })
  warmModel(model)
  const t2 = performance.now()
  const predict = (customerId: string, k: number): PredictedItem[] => {
    const s = stats.get(customerId)
    return s === undefined ? [] : predictForCustomer(s, model, { limit: k })
  }
  const latencies: number[] = []
  const cpuLatencies: number[] = []
  return {
    name: 'lanelist',
    model,
    stats,
    predict,
    timings: { statsMs: t1 - t0, fitMs: t2 - t1 },
    latencies,
    cpuLatencies,
    rank: async (customerIds, k) =>
      new Map(
        customerIds.map((c) => {
          const start = performance.now()
          const cpu = process.cpuUsage()
          const ids = predict(c, k).map((p) => p.productId)
          const used = process.cpuUsage(cpu)
          latencies.push(performance.now() - start)
          cpuLatencies.push((used.user + used.system) / 1000)
          return [c, ids]
        }),
      ),
  }
}

export function baselinePredictors(
  histories: ReadonlyMap<string, readonly EvalBasket[]>,
  tifu: TifuKnnParams,
): RankingPredictor[] {
  let popular: string[] | undefined
  const own = (c: string): readonly EvalBasket[] => histories.get(c) ?? []
  return [
    { name: 'P-TopFreq', rank: async (ids, k) => new Map(ids.map((c) => [c, pTopFreq(own(c), k)])) },
    {
      name: 'GP-TopFreq',
      rank: async (ids, k) => {
        popular ??= globalPopularity(histories.values())
        const pop = popular
        return new Map(ids.map((c) => [c, gpTopFreq(own(c), pop, k)]))
      },
    },
    { name: 'TIFU-KNN', rank: async (ids, k) => tifuKnn(histories, ids, k, tifu) },
  ]
}
