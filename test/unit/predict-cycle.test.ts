import t from 'tap'
import {
  estimateCycle,
  expectedNextDay,
  foldedIntervals,
  normalCdf,
  normalQuantile,
  windowProbability,
  type CyclePrior,
} from '../../src/modules/prediction/cycle.ts'
import { rebuildCustomerStats } from '../../src/modules/prediction/customer-stats.ts'
import { cyclePrior } from '../../src/modules/prediction/features.ts'
import { buildPopulation } from '../../src/modules/prediction/population.ts'
import { defaultConfig, type ItemStats, type PurchaseTransaction } from '../../src/modules/prediction/prediction.types.ts'

const config = defaultConfig('calendar')
const PRIOR: CyclePrior = { cycleDays: 30, source: 'product' }

/** Item statistics for one product bought on `days` (quantity 1 unless given). */
function item(days: number[], quantities: number[] = []): ItemStats {
  const txs: PurchaseTransaction[] = days.map((day, i) => ({ day, lines: [{ productId: 'p', quantity: quantities[i] ?? 1 }] }))
  const s = rebuildCustomerStats('c', txs, config)
  const it = s.products.p
  if (it === undefined) throw new Error('no item')
  return it
}

t.test('a regular cycle is recovered and the next purchase is one cycle after the last', async (t) => {
  const it = item([100, 110, 120, 130, 140, 150])
  const c = estimateCycle(it, PRIOR, config)
  t.equal(c.source, 'own')
  t.equal(c.intervals, 5)
  t.ok(Math.abs(c.cycleDays - 10) < 0.2, `cycle ${c.cycleDays}`)
  t.equal(expectedNextDay(c, it, 150), 160)
})

t.test('a missed trip (one doubled interval) does not stretch the cycle', async (t) => {
  const it = item([100, 110, 120, 140, 150, 160])
  t.same(foldedIntervals(it).values, [10, 10, 10, 10, 10], 'the 20-day gap counts as two cycles')
  t.same(foldedIntervals(it).weights, [1, 1, 2, 1, 1])
  const c = estimateCycle(it, PRIOR, config)
  t.ok(Math.abs(c.cycleDays - 10) < 0.2, `cycle ${c.cycleDays}`)
})

t.test('an outlier interval barely moves the estimate', async (t) => {
  const it = item([100, 110, 120, 130, 173, 183, 193])
  const c = estimateCycle(it, PRIOR, config)
  t.ok(Math.abs(c.cycleDays - 10) < 0.3, `cycle ${c.cycleDays}`)
  const noisy = item([100, 109, 120, 130, 141, 150])
  t.ok(Math.abs(estimateCycle(noisy, PRIOR, config).cycleDays - 10) < 1, 'irregular but centred on 10')
})

t.test('two packs last about twice as long', async (t) => {
  const it = item([100, 110, 120, 130, 140], [1, 1, 1, 1, 2])
  const c = estimateCycle(it, PRIOR, config)
  t.ok(Math.abs(c.cycleDays - 10) < 0.2)
  t.equal(expectedNextDay(c, it, 140), 160, 'the 2-pack bought on day 140 lasts until day 160')
  const after = item([100, 110, 130, 140], [1, 2, 1, 1])
  t.same(foldedIntervals(after).values, [10, 10, 10], 'the 20 days after a 2-pack are one cycle per pack')
  t.ok(
    windowProbability(c, it, 140, { ...config, windowDays: 7 }) < windowProbability(estimateCycle(item([100, 110, 120, 130, 140]), PRIOR, config), item([100, 110, 120, 130, 140]), 140, { ...config, windowDays: 14 }),
    'not yet due within the week after a 2-pack',
  )
})

t.test('a single purchase falls back to the category, then the product, then the population', async (t) => {
  const single = item([100])
  const c = estimateCycle(single, PRIOR, config)
  t.equal(c.source, 'product')
  t.equal(c.cycleDays, 30)
  t.equal(c.intervals, 0)
  t.equal(expectedNextDay(c, single, 100), 130)

  // Population: customer a buys p1 every 7 days; b bought p1 once. Category "milk" holds p1 and p2.
  const categoryOf = (p: string): string | undefined => (p === 'p1' || p === 'p2' ? 'milk' : undefined)
  const tx = (day: number, productId: string): PurchaseTransaction => ({ day, lines: [{ productId, quantity: 1, category: categoryOf(productId) }] })
  const a = rebuildCustomerStats('a', [0, 7, 14, 21, 28].map((d) => tx(d, 'p1')), config)
  // b buys milk every 10 days, switching brands, and p2 only once.
  const b = rebuildCustomerStats('b', [tx(0, 'p1'), tx(10, 'p1'), tx(20, 'p1'), tx(30, 'p2')], config)
  const pop = buildPopulation([a, b], config, { categoryOf })
  const viaCategory = cyclePrior(b, 'p2', pop, config)
  t.equal(viaCategory.source, 'category', "b's own milk cycle")
  t.ok(Math.abs(viaCategory.cycleDays - 10) < 1.5, `category cycle ${viaCategory.cycleDays}`)
  const viaProduct = cyclePrior(a, 'p2', pop, config)
  t.equal(viaProduct.source, 'category', "a's own milk cycle (7 days)")
  const c1 = rebuildCustomerStats('c', [tx(50, 'p1')], config)
  const viaPopulation = cyclePrior(c1, 'p1', pop, config)
  t.equal(viaPopulation.source, 'product', 'a one-time buyer falls back to the product population cycle')
  t.ok(viaPopulation.cycleDays > 5 && viaPopulation.cycleDays < 40)
  t.equal(cyclePrior(c1, 'unknown', pop, config).source, 'population')
})

t.test('the window probability peaks when the purchase is due', async (t) => {
  const it = item([100, 110, 120, 130, 140])
  const c = estimateCycle(it, PRIOR, config)
  const week = { ...config, windowDays: 7 }
  const justBought = windowProbability(c, it, 140, { ...config, windowDays: 3 })
  const due = windowProbability(c, it, 147, week)
  t.ok(due > 0.5, `due ${due}`)
  t.ok(justBought < 0.1, `just bought ${justBought}`)
  t.ok(windowProbability(c, it, 200, week) < due, 'long overdue: probably bought elsewhere')
})

t.test('normal distribution helpers', async (t) => {
  t.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7)
  t.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6)
  for (const p of [0.001, 0.1, 0.5, 0.8, 0.999]) t.ok(Math.abs(normalCdf(normalQuantile(p)) - p) < 1e-6, `p=${p}`)
})
