import fc from 'fast-check'
import t from 'tap'
import {
  decayAt,
  emptyCustomerStats,
  rebuildCustomerStats,
  recordReturn,
  recordTransaction,
  voidTransaction,
} from '../../src/modules/prediction/customer-stats.ts'
import { defaultConfig, type CustomerStats, type PurchaseTransaction } from '../../src/modules/prediction/prediction.types.ts'

const config = defaultConfig('calendar')

// Decay scores are sums of powers of two; incremental and rebuilt sums may differ in the last bits.
function normalised(s: CustomerStats): unknown {
  const round = (x: number): number => Math.round(x * 1e9) / 1e9
  const items = (r: CustomerStats['products']) =>
    Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, { ...v, decay: round(v.decay) }]))
  return { ...s, products: items(s.products), categories: items(s.categories) }
}

const tx = (day: number, ...lines: Array<[string, number]>): PurchaseTransaction => ({
  day,
  lines: lines.map(([productId, quantity]) => ({ productId, quantity, category: productId.startsWith('milk') ? 'milk' : undefined })),
})

t.test('recording builds the statistics a rebuild would', async (t) => {
  const history = [tx(10, ['milk-a', 1], ['bread', 1]), tx(17, ['milk-a', 2]), tx(17, ['milk-b', 1]), tx(24, ['milk-a', 1], ['bread', 1])]
  let s = emptyCustomerStats('c1')
  for (const h of history) s = recordTransaction(s, h, config)
  t.same(normalised(s), normalised(rebuildCustomerStats('c1', history, config)))
  t.equal(s.trips, 3, 'two transactions on day 17 are one trip')
  t.same(s.recentTrips, [[10, 2], [17, 2], [24, 2]])
  const milk = s.products['milk-a']
  t.same(milk && { days: milk.days, quantity: milk.quantity, firstDay: milk.firstDay, lastDay: milk.lastDay }, { days: 3, quantity: 4, firstDay: 10, lastDay: 24 })
  t.same(s.categories.milk?.recent, [[10, 1], [17, 3], [24, 1]])
  t.ok(Math.abs((milk?.decay ?? 0) - (1 + 2 ** (-7 / 28) + 2 ** (-14 / 28))) < 1e-12)
  t.ok(Math.abs(decayAt(milk!, 52, config) - (milk?.decay ?? 0) / 2) < 1e-12, 'one half-life later')
})

t.test('a late (back-dated) transaction gives the same statistics as the rebuild', async (t) => {
  const history = [tx(10, ['a', 1]), tx(20, ['a', 1]), tx(30, ['b', 1])]
  const late = tx(15, ['a', 1], ['b', 2])
  let s = emptyCustomerStats('c')
  for (const h of [...history, late]) s = recordTransaction(s, h, config)
  t.same(normalised(s), normalised(rebuildCustomerStats('c', [...history, late], config)))
})

t.test('void and return equal a rebuild from the corrected history', async (t) => {
  const a = tx(10, ['milk-a', 2], ['bread', 1])
  const b = tx(17, ['milk-a', 1])
  const c = tx(17, ['bread', 1])
  const d = tx(24, ['milk-a', 3], ['eggs', 1])
  const full = rebuildCustomerStats('c', [a, b, c, d], config)

  t.same(normalised(voidTransaction(full, d, config)), normalised(rebuildCustomerStats('c', [a, b, c], config)), 'void of the latest trip')
  t.same(normalised(voidTransaction(full, a, config)), normalised(rebuildCustomerStats('c', [b, c, d], config)), 'void of the first trip')
  t.same(normalised(voidTransaction(full, b, config)), normalised(rebuildCustomerStats('c', [a, c, d], config)), 'void of one of two same-day transactions')

  const partial = recordReturn(full, tx(24, ['milk-a', 2]), config)
  t.same(normalised(partial), normalised(rebuildCustomerStats('c', [a, b, c, tx(24, ['milk-a', 1], ['eggs', 1])], config)), 'partial return')
  const whole = recordReturn(full, tx(24, ['eggs', 1]), config)
  t.same(normalised(whole), normalised(rebuildCustomerStats('c', [a, b, c, tx(24, ['milk-a', 3])], config)), 'a line returned in full')
  t.same(voidTransaction(full, tx(99, ['milk-a', 1]), config), full, 'voiding something never bought changes nothing')
  const everything = [a, b, c, d].reduce((s, x) => voidTransaction(s, x, config), full)
  t.same(everything, emptyCustomerStats('c'), 'voiding every transaction empties the statistics')
  t.same(full, rebuildCustomerStats('c', [a, b, c, d], config), 'updates never modify their input')
})

t.test('beyond the kept window counts stay exact and the recent days stay a suffix of the truth', async (t) => {
  const history = Array.from({ length: 15 }, (_, i) => tx(7 * i, ['a', 1]))
  const full = rebuildCustomerStats('c', history, config)
  t.equal(full.products.a?.recent.length, config.recentLimit)
  const last = history[14] as PurchaseTransaction
  const voided = voidTransaction(full, last, config)
  const truth = rebuildCustomerStats('c', history.slice(0, 14), config)
  const v = voided.products.a
  const r = truth.products.a
  t.same(v && [v.days, v.quantity, v.firstDay, v.lastDay], r && [r.days, r.quantity, r.firstDay, r.lastDay])
  t.ok(Math.abs((v?.decay ?? 0) - (r?.decay ?? 0)) < 1e-9)
  t.same(v?.recent, r?.recent.slice(1), 'one fewer recent day until the next rebuild')
  t.equal(voided.trips, truth.trips)
  t.equal(voided.lastDay, truth.lastDay)
  const old = voidTransaction(full, history[0] as PurchaseTransaction, config)
  t.equal(old.products.a?.days, 14, 'a void older than the window is counted')
  t.equal(old.trips, 14)

  const emptied = history.slice(5).reduce((s, x) => voidTransaction(s, x, config), full)
  t.same(emptied.products.a?.recent, [], 'every kept day voided')
  t.equal(emptied.products.a?.days, 5)
  const again = recordTransaction(emptied, tx(200, ['a', 1]), config)
  t.same(again.products.a?.recent, [[200, 1]], 'a new purchase is kept again')
  t.equal(again.products.a?.lastDay, 200)
  t.equal(again.trips, 6)
})

t.test('property: any order of recording, then voids and returns, equals the rebuild', async (t) => {
  const line = fc.tuple(fc.constantFrom('milk-a', 'milk-b', 'bread', 'eggs'), fc.integer({ min: 1, max: 3 }))
  const txArb = fc.record({ day: fc.integer({ min: 0, max: 12 }), lines: fc.array(line, { minLength: 1, maxLength: 3 }) })
  fc.assert(
    fc.property(
      fc.array(txArb, { minLength: 1, maxLength: 9 }),
      fc.func(fc.integer({ min: 0, max: 2 })),
      (raw, action) => {
        const txs = raw.map((r) => tx(r.day, ...r.lines))
        let s = emptyCustomerStats('c')
        for (const x of txs) s = recordTransaction(s, x, config)
        const kept: PurchaseTransaction[] = []
        txs.forEach((x, i) => {
          const what = action(i)
          if (what === 1) s = voidTransaction(s, x, config)
          else if (what === 2) {
            // Return one unit of the first line.
            const [first] = x.lines
            if (first === undefined) return
            s = recordReturn(s, { day: x.day, lines: [{ ...first, quantity: 1 }] }, config)
            kept.push({ day: x.day, lines: [{ ...first, quantity: first.quantity - 1 }, ...x.lines.slice(1)] })
          } else kept.push(x)
        })
        const rebuilt = rebuildCustomerStats('c', kept, config)
        return JSON.stringify(normalised(s)) === JSON.stringify(normalised(rebuilt))
      },
    ),
    { numRuns: 300 },
  )
  t.pass('300 random histories')
})
