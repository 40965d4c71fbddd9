// The request-time ranking (ranking-index.ts, predictor.ts) against the predictor as it was
// before it (test/helpers/prediction-reference.ts), on random populations and customers: the
// same items, order, scores, probabilities, expected days and reasons, bit for bit.
import fc from 'fast-check'
import t from 'tap'
import { cycleEvidence, estimateCycle, expectedNextDay, foldedIntervals, normalQuantile, quantityFactor, typicalQuantity, windowProbability } from '../../src/modules/prediction/cycle.ts'
import { rebuildCustomerStats, decayAt } from '../../src/modules/prediction/customer-stats.ts'
import { candidatesFor, cyclePrior } from '../../src/modules/prediction/features.ts'
import { fitPredictionModel, type CustomerHistory, type PredictionModel } from '../../src/modules/prediction/model-fit.ts'
import { neighbourScores } from '../../src/modules/prediction/neighbours.ts'
import { defaultConfig, type ItemStats, type PurchaseTransaction, type TimeMode } from '../../src/modules/prediction/prediction.types.ts'
import { bestCandidates, predictForCustomer } from '../../src/modules/prediction/predictor.ts'
import { rankingIndexOf } from '../../src/modules/prediction/ranking-index.ts'
import { ByteWriter, decodeStats, decodeStatsLazily, encodedColumns, encodeStats } from '../../src/modules/prediction/stats-codec.ts'
import * as ref from '../../test/helpers/prediction-reference.ts'

// JSON keeps every bit of a double (and the key order), so equal text is equal output.
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b)

const PRODUCTS = 40
const categoryOf = (p: string): string | undefined => (Number(p) % 5 === 0 ? undefined : `c${Number(p) % 7}`)

// A customer's history: trips on increasing days, each with a few products and quantities.
const history = (maxDay: number) =>
  fc.array(
    fc.record({
      day: fc.integer({ min: 0, max: maxDay }),
      lines: fc.array(fc.tuple(fc.integer({ min: 1, max: PRODUCTS }), fc.integer({ min: -1, max: 4 })), { minLength: 1, maxLength: 6 }),
    }),
    { minLength: 1, maxLength: 30 },
  )
const txs = (h: { day: number; lines: [number, number][] }[]): PurchaseTransaction[] =>
  h.map((t) => ({ day: t.day, lines: t.lines.map(([p, q]) => ({ productId: String(p), quantity: q, category: categoryOf(String(p)) })) }))

const world = (mode: TimeMode) =>
  fc.record({
    histories: fc.array(history(mode === 'calendar' ? 300 : 40), { minLength: 2, maxLength: 25 }),
    customer: history(mode === 'calendar' ? 300 : 40),
    // A product the model never saw, bought by the customer.
    unknown: fc.boolean(),
    later: fc.integer({ min: -3, max: 120 }),
    limit: fc.constantFrom(1, 5, 20, 40, 1000),
    viaJson: fc.boolean(),
  })

function modelOf(mode: TimeMode, histories: { day: number; lines: [number, number][] }[][], viaJson: boolean): PredictionModel {
  const config = defaultConfig(mode)
  const hs: CustomerHistory[] = histories.map((h, i) => ({ customerId: `c${i}`, transactions: txs(h) }))
  const model = fitPredictionModel({ histories: hs, config, categoryOf })
  // The service's model comes back from jsonb.
  return viaJson ? (JSON.parse(JSON.stringify(model)) as PredictionModel) : model
}

for (const mode of ['calendar', 'sequence'] as const) {
  t.test(`${mode}: the ranking equals the direct computation bit for bit`, async (t) => {
    const config = defaultConfig(mode)
    let compared = 0
    fc.assert(
      fc.property(world(mode), (w) => {
        const model = modelOf(mode, w.histories, w.viaJson)
        const tx = txs(w.customer)
        if (w.unknown) tx.push({ day: tx[0]!.day, lines: [{ productId: '999', quantity: 1, category: 'c1' }] })
        const stats = rebuildCustomerStats('x', tx, config)
        const asOf = stats.lastDay + w.later
        const fast = predictForCustomer(stats, model, { asOf, limit: w.limit })
        const direct = ref.predictForCustomer(stats, model, { asOf, limit: w.limit })
        if (!same(fast, direct)) t.fail(`differs:\n${JSON.stringify(fast)}\n${JSON.stringify(direct)}`)
        // As the lists read them: from the stored bytes, columns without objects.
        const lazy = decodeStatsLazily('x', encodeStats(stats))
        if (!same(predictForCustomer(lazy, model, { asOf, limit: w.limit }), direct)) t.fail('from the bytes differs')
        if (!same(lazy, stats)) t.fail('lazily decoded statistics differ')
        // The candidates the fit learns from, too.
        const cands = candidatesFor(stats, model.population, asOf, config)
        if (!same(cands, ref.candidatesFor(stats, model.population, asOf, config))) t.fail('candidatesFor differs')
        compared += fast.length
        return true
      }),
      { numRuns: 60 },
    )
    t.ok(compared > 0, `${compared} items compared`)
  })
}

t.test('the default as-of day and limit are the direct computation\'s', async (t) => {
  const config = defaultConfig('calendar')
  const histories = fc.sample(history(300), { numRuns: 20, seed: 3 })
  const model = modelOf('calendar', histories, true)
  for (const h of histories) {
    const stats = rebuildCustomerStats('x', txs(h), config)
    t.ok(same(predictForCustomer(stats, model), ref.predictForCustomer(stats, model)))
  }
  // A customer without statistics gets the population's picks, the same way.
  const empty = rebuildCustomerStats('e', [], config)
  t.ok(same(predictForCustomer(empty, model, { asOf: 200 }), ref.predictForCustomer(empty, model, { asOf: 200 })))
})

// One item's recent (day, quantity) purchases, ascending days.
const item = fc
  .array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: -2, max: 6 })), { minLength: 0, maxLength: 12 })
  .map((steps): ItemStats => {
    let day = 100
    const recent = steps.map(([gap, q]): [number, number] => [(day += gap), q])
    const last = recent[recent.length - 1]?.[0] ?? 100
    return { days: Math.max(1, recent.length), quantity: recent.reduce((s, [, q]) => s + q, 0), firstDay: recent[0]?.[0] ?? 100, lastDay: last, recent, decay: 1.5 }
  })

t.test('the cycle code equals the plain code it replaced', async (t) => {
  const config = defaultConfig('calendar')
  fc.assert(
    fc.property(item, fc.double({ min: 1, max: 400, noNaN: true }), fc.integer({ min: 0, max: 200 }), (it, priorDays, after) => {
      const prior = { cycleDays: priorDays, source: 'product' as const }
      const asOf = it.lastDay + after
      const cycle = estimateCycle(it, prior, config)
      const checks: [unknown, unknown][] = [
        [typicalQuantity(it), ref.typicalQuantity(it)],
        [quantityFactor(it), ref.quantityFactor(it)],
        [quantityFactor(it, cycleEvidence(it).usual), ref.quantityFactor(it)],
        [foldedIntervals(it), ref.foldedIntervals(it)],
        [cycle, ref.estimateCycle(it, prior, config)],
        [windowProbability(cycle, it, asOf, config), ref.windowProbability(cycle, it, asOf, config)],
        [expectedNextDay(cycle, it, asOf), ref.expectedNextDay(cycle, it, asOf)],
      ]
      return checks.every(([a, b]) => same(a, b))
    }),
    { numRuns: 2000 },
  )
  fc.assert(fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (p) => Object.is(normalQuantile(p), ref.normalQuantile(p))), { numRuns: 2000 })
  t.pass()
})

t.test('the ranking index holds the population\'s neighbours and features', async (t) => {
  fc.assert(
    fc.property(fc.array(history(300), { minLength: 2, maxLength: 20 }), history(300), fc.boolean(), (histories, customer, viaJson) => {
      const model = modelOf('calendar', histories, viaJson)
      const pop = model.population
      const ri = rankingIndexOf(pop)
      t.equal(rankingIndexOf(pop), ri, 'built once per model')
      for (const [p, facts] of Object.entries(pop.products)) {
        const j = ri.nx.index.get(p)!
        if (ri.product[j] !== facts || ri.logTrending[j] !== Math.log1p(facts.trending) || ri.logBuyers[j] !== Math.log1p(facts.buyers)) return false
      }
      if (!same([...ri.trending].map((j) => ri.nx.ids[j]), pop.trending)) return false
      // Neighbour scores from the packed index equal a direct sum over the population's lists.
      const stats = rebuildCustomerStats('x', txs(customer), model.config)
      const asOf = stats.lastDay
      const owned = Object.entries(stats.products).map(([p, it]): [string, number] => [p, decayAt(it, asOf, model.config)])
      const direct = new Map<string, { score: number; via: string; top: number }>()
      for (const [p, w] of owned) {
        const l = pop.products[p]?.neighbours
        if (l === undefined) continue
        l.ids.forEach((q, k) => {
          const c = w * l.sims[k]!
          const d = direct.get(q) ?? { score: 0, via: p, top: 0 }
          d.score += c
          if (c > d.top) Object.assign(d, { via: p, top: c })
          direct.set(q, d)
        })
      }
      const fast = neighbourScores(owned, ri.nx, 1000, Object.keys(pop.products))
      for (const [q, d] of direct) {
        const f = fast.scores.get(q)
        if (d.score > 0 && (f === undefined || f.score !== d.score || f.via !== d.via)) return false
      }
      return [...fast.scores.keys()].every((q) => direct.has(q)) && ri.mark.every((m) => m === 0) && ri.nx.scores.every((s) => s === 0)
    }),
    { numRuns: 40 },
  )
  t.pass()
})

t.test('the bounded top-k picks what a full sort does', async (t) => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom(-1, 0, 0.5, 2, 3.25, Number.NaN, -Infinity), fc.integer({ min: 1, max: 500 })), { maxLength: 80 }),
      fc.integer({ min: -2, max: 90 }),
      (rows, limit) => {
        const ids = [...new Set(rows.map(([, id]) => String(id)))]
        const score = Float64Array.from(ids, (_, i) => rows[i]![0])
        const order = ids.map((_, i) => i).sort((a, b) => score[b]! - score[a]! || (ids[a]! < ids[b]! ? -1 : 1))
        return same(bestCandidates(score, ids, limit), order.slice(0, limit))
      },
    ),
    { numRuns: 2000 },
  )
  t.pass()
})

t.test('cyclePrior is unchanged', async (t) => {
  const config = defaultConfig('calendar')
  fc.assert(
    fc.property(fc.array(history(300), { minLength: 2, maxLength: 10 }), history(300), (histories, customer) => {
      const model = modelOf('calendar', histories, false)
      const stats = rebuildCustomerStats('x', txs(customer), config)
      return Object.keys(stats.products).every((p) => same(cyclePrior(stats, p, model.population, config), ref.cyclePrior(stats, p, model.population, config)))
    }),
    { numRuns: 30 },
  )
  t.pass()
})

t.test('statistics decoded lazily are decodeStats\' objects once read, and the ranking then uses those', async (t) => {
  const config = defaultConfig('calendar')
  const histories = fc.sample(history(300), { numRuns: 12, seed: 5 })
  const model = modelOf('calendar', histories, true)
  const stats = rebuildCustomerStats('x', txs(histories[0]!), config)
  const bytes = encodeStats(stats)
  const lazy = decodeStatsLazily('x', bytes)
  t.ok(encodedColumns(lazy) !== undefined, 'unread: columns from the bytes')
  t.strictSame(JSON.parse(JSON.stringify(lazy)), JSON.parse(JSON.stringify(decodeStats('x', bytes))))
  t.equal(encodedColumns(lazy), undefined, 'once read, the objects are the statistics')
  // A change to the objects shows in the ranking, as with decodeStats' objects.
  const changed = decodeStatsLazily('x', bytes)
  const eager = decodeStats('x', bytes)
  const first = Object.keys(eager.products)[0]!
  for (const s of [changed, eager]) s.products[first] = { ...s.products[first]!, days: 40, lastDay: s.lastDay, recent: [[s.lastDay - 7, 1], [s.lastDay, 1]] }
  t.ok(same(predictForCustomer(changed, model, { limit: 40 }), predictForCustomer(eager, model, { limit: 40 })))
  const replaced = decodeStatsLazily('x', bytes)
  replaced.products = {}
  t.same(replaced.products, {})
  t.ok(same(predictForCustomer(replaced, model), predictForCustomer({ ...eager, products: {} }, model)))
  // A JSON (version 0) row decodes eagerly.
  t.equal(encodedColumns(decodeStatsLazily('x', Buffer.concat([Buffer.from([0]), Buffer.from(JSON.stringify({ ...stats, customerId: undefined }))]))), undefined)
})

t.test('bytes whose items are not in their object\'s key order rank from the objects', async (t) => {
  const config = defaultConfig('calendar')
  const histories = fc.sample(history(300), { numRuns: 12, seed: 9 })
  const model = modelOf('calendar', histories, true)
  // Version 1 by hand: products "7" then "3" (an object lists "3" first), then no categories.
  const w = new ByteWriter(64)
  w.byte(1)
  w.uint(3) // trips
  w.int(100) // first day
  w.int(20) // last day - first day
  w.uint(0) // recent trips
  w.uint(2)
  for (const [key, first] of [['7', 100], ['3', 104]] as const) {
    w.key(key)
    w.uint(3 * 2 + 1) // 3 days, decay 1
    w.int(3) // quantity
    w.int(first - 100)
    w.int(16 - (first - 100))
    w.uint(3)
    for (const [d, q] of [[first - first, 1], [8, 1], [120 - first - 8, 1]]) {
      w.int(d!)
      w.int(q!)
    }
  }
  w.uint(0)
  const bytes = w.buf.slice(0, w.at)
  const lazy = decodeStatsLazily('x', bytes)
  t.equal(encodedColumns(lazy), undefined)
  t.same(Object.keys(lazy.products), ['3', '7'])
  t.ok(same(predictForCustomer(decodeStatsLazily('x', bytes), model, { asOf: 125, limit: 40 }), ref.predictForCustomer(decodeStats('x', bytes), model, { asOf: 125, limit: 40 })))
  t.ok(config.windowDays > 0)
})
