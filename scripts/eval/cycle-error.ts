// Accuracy of the predicted next-purchase date on synthetic customers whose true cycle per
// product is known (the demo generator feeds it). The date error is measured against the
// actual next purchase in this store: a product not bought again before the data ends is
// censored (its error is only known to be at least `censoredAfter - predicted`) and is counted
// apart, never compared with a guessed date. Cycle error is against the in-store cycle when
// given: a household that buys a need every 10 days but here only a third of the time buys it
// here about every 30.
import { rebuildCustomerStats } from '../../src/modules/prediction/customer-stats.ts'
import { median } from '../../src/modules/prediction/cycle.ts'
import { buildPopulation, type PopulationModel } from '../../src/modules/prediction/population.ts'
import { defaultConfig, type Day, type PredictionConfig, type PurchaseTransaction } from '../../src/modules/prediction/prediction.types.ts'
import { forecastProduct } from '../../src/modules/prediction/predictor.ts'

export interface SyntheticTruth {
  productId: string
  /** The generator's true cycle for one usual quantity, in days. */
  cycleDays: number
  /** The cycle at which it is bought in this store (the household cycle / the share bought here). */
  inStoreCycleDays?: number
  /** The day it was actually bought here next (after asOf), if it was. */
  nextDay?: Day
  /** Not bought here again up to and including this day (the data's end). */
  censoredAfter?: Day
}

export interface SyntheticCustomer {
  customerId: string
  /** Purchases up to and including asOf. */
  transactions: readonly PurchaseTransaction[]
  truth: readonly SyntheticTruth[]
  /** Default: the last transaction day. */
  asOf?: Day
}

export interface CycleErrorReport {
  /** Median |predicted next purchase day - actual next purchase here|, over products bought again. */
  medianAbsErrorDays: number
  /** Median |estimated cycle - true (in-store when given) cycle| in days, over those products. */
  medianCycleErrorDays: number
  /** Products bought again before the data ends (the ones scored above). */
  products: number
  /** Products not bought again before the data ends, and among them how many were predicted before that end. */
  censored: number
  censoredPredictedBeforeEnd: number
  /** Median absolute error with censored products at their lower bound: a lower bound of the true median. */
  medianAbsErrorLowerBoundDays: number
  /** Products with truth that the customer never bought before asOf (no date to predict). */
  skipped: number
  details: Array<{ customerId: string; productId: string; predictedDay: Day; trueDay: Day; cycleDays: number; trueCycleDays: number }>
}

export function measureCycleError(
  customers: readonly SyntheticCustomer[],
  options: { config?: PredictionConfig; population?: PopulationModel } = {},
): CycleErrorReport {
  const config = options.config ?? defaultConfig('calendar')
  const stats = customers.map((c) =>
    rebuildCustomerStats(
      c.customerId,
      c.transactions.filter((t) => c.asOf === undefined || t.day <= c.asOf),
      config,
    ),
  )
  const population = options.population ?? buildPopulation(stats, config)
  const details: CycleErrorReport['details'] = []
  let skipped = 0
  let censored = 0
  let censoredEarly = 0
  const lowerBounds: number[] = []
  customers.forEach((c, n) => {
    const s = stats[n]
    if (s === undefined) return
    const asOf = c.asOf ?? s.lastDay
    for (const truth of c.truth) {
      const forecast = forecastProduct(s, truth.productId, population, config, asOf)
      const item = s.products[truth.productId]
      if (forecast === undefined || item === undefined) {
        skipped++
        continue
      }
      if (truth.nextDay === undefined) {
        if (truth.censoredAfter === undefined) {
          skipped++
          continue
        }
        censored++
        if (forecast.expectedDay <= truth.censoredAfter) censoredEarly++
        lowerBounds.push(Math.max(0, truth.censoredAfter + 1 - forecast.expectedDay))
        continue
      }
      details.push({
        customerId: c.customerId,
        productId: truth.productId,
        predictedDay: forecast.expectedDay,
        trueDay: truth.nextDay,
        cycleDays: forecast.cycle.cycleDays,
        trueCycleDays: truth.inStoreCycleDays ?? truth.cycleDays,
      })
      lowerBounds.push(Math.abs(forecast.expectedDay - truth.nextDay))
    }
  })
  return {
    medianAbsErrorDays: median(details.map((d) => Math.abs(d.predictedDay - d.trueDay))),
    medianCycleErrorDays: median(details.map((d) => Math.abs(d.cycleDays - d.trueCycleDays))),
    products: details.length,
    censored,
    censoredPredictedBeforeEnd: censoredEarly,
    medianAbsErrorLowerBoundDays: median(lowerBounds),
    skipped,
    details,
  }
}
