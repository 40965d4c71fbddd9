import t from 'tap'
import { measureCycleError, type SyntheticCustomer } from '../../scripts/eval/cycle-error.ts'
import { emptyCustomerStats, rebuildCustomerStats } from '../../src/modules/prediction/customer-stats.ts'
import { fitPredictionModel, type CustomerHistory } from '../../src/modules/prediction/model-fit.ts'
import { defaultConfig, type PurchaseTransaction } from '../../src/modules/prediction/prediction.types.ts'
import { forecastProduct, predictForCustomer } from '../../src/modules/prediction/predictor.ts'
import { describeReason } from '../../src/modules/prediction/reasons.ts'

// Deterministic generator (mulberry32).
function rng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}

const config = defaultConfig('calendar')
const END = 200

/**
 * Weekly shoppers joining at different times; each household buys its staples on its own cycle,
 * pet owners also cat food and litter, and some a snack.
 */
function population(n: number, seed: number): CustomerHistory[] {
  const r = rng(seed)
  const out: CustomerHistory[] = []
  for (let c = 0; c < n; c++) {
    const pet = c % 3 === 0
    const cycles: Array<[string, number]> = [
      ['milk', 7],
      ['coffee', 21],
      ['rice', 28],
      ...(pet ? ([['cat-food', 10], ['cat-litter', 20]] as Array<[string, number]>) : []),
    ]
    const start = (c % 7) + 7 * Math.floor(r() * 27)
    // A new household discovers its staples during its first cycle, not all on day one.
    const due = new Map(cycles.map(([p, k]) => [p, start + Math.floor(r() * k)]))
    const txs: PurchaseTransaction[] = []
    for (let day = start; day <= END; day += 7) {
      const lines = []
      for (const [p, k] of cycles) {
        if ((due.get(p) ?? 0) <= day) {
          lines.push({ productId: p, quantity: 1 })
          due.set(p, day + k + Math.round((r() - 0.5) * 2))
        }
      }
      if (r() < 0.3) lines.push({ productId: `snack-${Math.floor(r() * 30)}`, quantity: 1 })
      if (lines.length > 0) txs.push({ day, lines })
    }
    out.push({ customerId: `c${c}`, transactions: txs })
  }
  return out
}

const histories = population(150, 7)
const model = fitPredictionModel({ histories, config })

const loyal = histories.reduce((best, h) => (h.transactions.length > best.transactions.length ? h : best))

t.test('a regular customer gets their due staples first, with cycle reasons', async (t) => {
  const h = loyal
  const stats = rebuildCustomerStats(h.customerId, h.transactions, config)
  const list = predictForCustomer(stats, model, { asOf: stats.lastDay, limit: 10 })
  t.ok(list.length >= 5)
  const milk = list.find((i) => i.productId === 'milk')
  t.ok(milk !== undefined, 'milk is on the list')
  t.equal(milk?.reason.kind, 'cycle')
  t.ok(Math.abs((milk?.reason.cycleDays ?? 0) - 7) <= 1, `milk cycle ${milk?.reason.cycleDays}`)
  t.ok((milk?.probability ?? 0) > 0.5, 'bought every week, so very likely within two weeks')
  t.ok(list.slice(0, 3).some((i) => i.productId === 'milk'))
  const lastMilk = stats.products.milk?.lastDay ?? 0
  t.ok(Math.abs((milk?.expectedDay ?? 0) - (lastMilk + 7)) <= 1)
  for (let i = 1; i < list.length; i++) t.ok((list[i - 1]?.score ?? 0) >= (list[i]?.score ?? 0), 'sorted by score')
  t.match(describeReason(milk!.reason), /^You buy this about every 7 days; last on \d+ \w{3}\.$/)
})

t.test('a new customer gets neighbour and popular products', async (t) => {
  const newcomer = rebuildCustomerStats('new', [{ day: END, lines: [{ productId: 'cat-food', quantity: 1 }] }], config)
  const list = predictForCustomer(newcomer, model, { limit: 6 })
  const litter = list.find((i) => i.productId === 'cat-litter')
  t.ok(litter !== undefined, 'cat owners buy litter')
  t.equal(litter?.reason.kind, 'neighbours')
  t.same(litter?.reason.becauseOf, ['cat-food'])
  t.equal(litter?.expectedDay, null)
  const nobody = predictForCustomer(emptyCustomerStats('none'), model, { asOf: END, limit: 5 })
  t.equal(nobody.length, 5, 'a customer without history still gets a list')
  t.ok(nobody.every((i) => i.reason.kind === 'popular' && i.probability > 0 && i.probability < 1))
})

t.test('forecasts one product and measures next-date error on synthetic truth', async (t) => {
  const h = histories.filter((x, i) => i % 3 === 0).reduce((best, x) => (x.transactions.length > best.transactions.length ? x : best))
  const stats = rebuildCustomerStats(h.customerId, h.transactions, config)
  const f = forecastProduct(stats, 'cat-litter', model.population, config)
  t.ok(f !== undefined && Math.abs(f.cycle.cycleDays - 20) <= 2, `litter cycle ${f?.cycle.cycleDays}`)
  t.equal(forecastProduct(stats, 'never-bought', model.population, config), undefined)

  // The regular shoppers buy again one cycle after their last purchase; the first customer's
  // coffee is censored: not bought again by a day before that.
  const last = (x: CustomerHistory, p: string) => Math.max(...x.transactions.filter((tx) => tx.lines.some((l) => l.productId === p)).map((tx) => tx.day))
  const synthetic: SyntheticCustomer[] = histories.slice(0, 30).map((x, i) => ({
    customerId: x.customerId,
    transactions: x.transactions,
    truth: [
      { productId: 'milk', cycleDays: 7, nextDay: last(x, 'milk') + 7 },
      i === 0 ? { productId: 'coffee', cycleDays: 21, censoredAfter: last(x, 'coffee') + 5 } : { productId: 'coffee', cycleDays: 21, nextDay: last(x, 'coffee') + 21 },
      ...(i % 3 === 0 ? [{ productId: 'cat-food', cycleDays: 10, nextDay: last(x, 'cat-food') + 10 }] : []),
    ],
  }))
  const report = measureCycleError(synthetic, { config })
  t.equal(report.products, 69)
  t.equal(report.censored, 1)
  t.equal(report.censoredPredictedBeforeEnd, 0, 'predicted about 21 days after, past the 5 observed')
  t.equal(report.skipped, 0)
  t.ok(report.medianAbsErrorDays <= 2, `median error ${report.medianAbsErrorDays} days`)
  t.ok(report.medianCycleErrorDays <= 1.5, `median cycle error ${report.medianCycleErrorDays} days`)
})

t.test('sequence mode works on visit indices', async (t) => {
  const seq = defaultConfig('sequence')
  const visits: CustomerHistory[] = histories.map((h) => ({
    customerId: h.customerId,
    transactions: h.transactions.map((x, i) => ({ day: i + 1, lines: x.lines })),
  }))
  const m = fitPredictionModel({ histories: visits, config: seq })
  const v = visits.find((x) => x.customerId === loyal.customerId) as CustomerHistory
  const list = predictForCustomer(rebuildCustomerStats(v.customerId, v.transactions, seq), m, { limit: 5 })
  const milk = list.find((i) => i.productId === 'milk')
  t.equal(milk?.reason.kind, 'cycle')
  t.ok(Math.abs((milk?.reason.cycleDays ?? 0) - 1) < 0.3, 'milk on every visit')
  t.equal(describeReason(milk!.reason, { asOf: v.transactions.length }), 'You buy this on almost every visit; last on your latest visit.')
})

t.test('an empty store fits and answers without errors', async (t) => {
  const empty = fitPredictionModel({ histories: [], config })
  t.same(empty.repeat.weights, new Array(10).fill(0))
  t.same(predictForCustomer(emptyCustomerStats('x'), empty), [])
})
