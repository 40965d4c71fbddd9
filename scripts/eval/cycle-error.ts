// Accuracy of the predicted next-purchase date on synthetic customers whose true cycle per
// product is known (the demo generator feeds it). Error is measured against the actual next
// purchase when the generator provides one, else against last purchase + true cycle.
import { rebuildCustomerStats } from '../../src/modules/prediction/customer-stats.ts'
import { median } from '../../src/modules/prediction/cycle.ts'
import { buildPopulation, type PopulationModel } from '../../src/modules/prediction/population.ts'
import { defaultConfig, type Day, type PredictionConfig, type PurchaseTransaction } from '../../src/modules/prediction/prediction.types.ts'
import { forecastProduct } from '../../src/modules/prediction/predictor.ts'

export interface SyntheticTruth {
  productId: string
  /** The generator's true cycle for one usual quantity, in days. */
  cycleDays: number
  /** The day the generator actually bought it next (after asOf), if simulated. */
  nextDay?: Day
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
  /** Median |predicted next purchase day - true day| in days. */
  medianAbsErrorDays: number
  /** Median |estimated cycle - true cycle| in days. */
  medianCycleErrorDays: number
  products: number
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
      details.push({
        customerId: c.customerId,
        productId: truth.productId,
        predictedDay: forecast.expectedDay,
        trueDay: truth.nextDay ?? item.lastDay + truth.cycleDays,
        cycleDays: forecast.cycle.cycleDays,
        trueCycleDays: truth.cycleDays,
      })
    }
  })
  return {
    medianAbsErrorDays: median(details.map((d) => Math.abs(d.predictedDay - d.trueDay))),
    medianCycleErrorDays: median(details.map((d) => Math.abs(d.cycleDays - d.trueCycleDays))),
    products: details.length,
    skipped,
    details,
  }
}
