// Segment and value reports on profiles made by the real population refresh (as a list run
// makes them), checked against cells, moves, concentration, early warnings and negative value
// worked out by hand from the fixture's sales.
import t from 'tap'
import { runRollup } from '../../src/modules/reports/rollup.service.ts'
import { refreshAllProfiles } from '../../src/modules/segments/segment.service.ts'
import { buildTestApp } from '../helpers/app.ts'
import { insertCustomer, insertOffer, insertProduct, insertSale } from '../helpers/list-fixtures.ts'

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)

t.test('segments: nine cells and moves since the last run; value: concentration, tiers, warnings', async (t) => {
  const { call, createKey, createStore, database } = await buildTestApp(t)
  const { db } = database
  const key = await createKey('backoffice')
  const store = await createStore('S01')
  const natPain = await insertProduct(db, { category: 'Health/Pain relief', brandType: 'national', priceCents: 500 })
  const ownPain = await insertProduct(db, { category: 'Health/Pain relief', brandType: 'store', priceCents: 300 })
  const coffee = await insertProduct(db, { category: 'Pantry/Coffee', priceCents: 500 })
  const offer = await insertOffer(db, { name: 'Try our own', scope: { category: 'Health/Pain relief', brandType: 'store' } })

  // N: a heavy national buyer (8 units) who switches to the store brand after a trial offer.
  const n = await insertCustomer(db, { createdAt: '2026-01-01' })
  await insertSale(db, n, '2026-10-01', [{ product: natPain, quantity: 8, unitPriceCents: 500 }])
  // S: one store-brand unit (low, store) both times. M: four national units in May, out of the
  // 182-day window by the second run. K: starts buying between the runs.
  const s = await insertCustomer(db, { createdAt: '2026-01-01' })
  await insertSale(db, s, '2026-10-02', [{ product: ownPain, quantity: 1, unitPriceCents: 300 }])
  const m = await insertCustomer(db, { createdAt: '2026-01-01' })
  await insertSale(db, m, '2026-05-20', [{ product: natPain, quantity: 4, unitPriceCents: 500 }])
  const k = await insertCustomer(db, { createdAt: '2026-01-01' })
  // B: the big spender. E: weekly until 3 Nov; E2: fortnightly until 15 Oct.
  const b = await insertCustomer(db, { createdAt: '2026-01-01' })
  await insertSale(db, b, '2026-11-20', [{ product: coffee, quantity: 200, unitPriceCents: 500 }])
  const e = await insertCustomer(db, { createdAt: '2026-01-01' })
  for (let d = '2026-09-01'; d <= '2026-11-03'; d = addDays(d, 7)) await insertSale(db, e, d, [{ product: coffee, unitPriceCents: 500 }])
  const e2 = await insertCustomer(db, { createdAt: '2026-01-01' })
  for (let d = '2026-07-16'; d <= '2026-10-15'; d = addDays(d, 14)) await insertSale(db, e2, d, [{ product: coffee, unitPriceCents: 500 }])

  await refreshAllProfiles(db, '2026-11-09')
  const r1 = await runRollup(db, { today: '2026-11-09' })
  t.type(r1.segmentSnapshot, 'number', 'a snapshot after the population refresh')
  t.equal((await runRollup(db, { today: '2026-11-09' })).segmentSnapshot, null, 'no new snapshot without a new refresh')

  // Between the runs: N redeems the trial offer on 40 store-brand units; K buys twice.
  const sale = await insertSale(db, n, '2026-11-15', [{ product: ownPain, quantity: 40, unitPriceCents: 300 }], { storeId: store })
  const red = await db
    .insertInto('redemption')
    .values({ store_id: store, pos_transaction_id: 'T-1', request_hash: 'x', customer_id: n, sale_id: sale, response: JSON.stringify({}) })
    .returning('id')
    .executeTakeFirstOrThrow()
  await db.insertInto('redemption_discount').values({ redemption_id: red.id, offer_id: offer, gtin: ownPain.gtin, quantity: 40, amount_cents: 5000, unit_cents: Array(40).fill(125) }).execute()
  await insertSale(db, k, '2026-11-16', [{ product: natPain, quantity: 2, unitPriceCents: 500 }])

  await refreshAllProfiles(db, '2026-11-23')
  const r2 = await runRollup(db, { today: '2026-11-23' })
  t.type(r2.segmentSnapshot, 'number')

  const seg = (await call(key, { method: 'GET', url: '/v1/reports/segments?category=Health' })).json()
  t.match(seg.snapshot, { asOf: '2026-11-23', customers: 6, previous: { asOf: '2026-11-09' } })
  t.equal(seg.freshness.stale, false)
  t.equal(seg.categories.length, 1)
  const pain = seg.categories[0]
  t.equal(pain.category, 'Health/Pain relief')
  t.equal(pain.cells.length, 9, 'all nine cells, empty ones included')
  const nonEmpty = pain.cells.filter((c: { customers: number }) => c.customers > 0)
  t.same(nonEmpty, [
    { brandGroup: 'national', usage: 'low', customers: 1, units: 2, spendCents: 1000, shareOfCustomers: 1 / 3 },
    { brandGroup: 'store', usage: 'low', customers: 1, units: 1, spendCents: 300, shareOfCustomers: 1 / 3 },
    { brandGroup: 'store', usage: 'high', customers: 1, units: 48, spendCents: 16000, shareOfCustomers: 1 / 3 },
  ].sort((x, y) => ['low', 'medium', 'high'].indexOf(x.usage) - ['low', 'medium', 'high'].indexOf(y.usage) || x.brandGroup.localeCompare(y.brandGroup)).sort((x, y) => ['national', 'store', 'switcher'].indexOf(x.brandGroup) - ['national', 'store', 'switcher'].indexOf(y.brandGroup)))
  t.equal(pain.customers, 3)
  t.equal(pain.spendCents, 17300)
  const byJson = (x: unknown, y: unknown) => JSON.stringify(x).localeCompare(JSON.stringify(y))
  t.same([...pain.moves].sort(byJson), [
    { from: null, to: { brandGroup: 'national', usage: 'low' }, customers: 1, afterOffer: 0 },
    { from: { brandGroup: 'national', usage: 'high' }, to: { brandGroup: 'store', usage: 'high' }, customers: 1, afterOffer: 1 },
    { from: { brandGroup: 'national', usage: 'medium' }, to: null, customers: 1, afterOffer: 0 },
  ].sort(byJson))
  t.same(pain.toStoreBrand, { customers: 1, afterOffer: 1, fromNationalHigh: 1, fromNationalHighAfterOffer: 1 })
  const csv = (await call(key, { method: 'GET', url: '/v1/reports/segments?category=Health/Pain%20relief', headers: { accept: 'text/csv' } })).body.split('\r\n')
  t.equal(csv[0], 'as_of,category,brand_group,usage,customers,units,spend_cents')
  t.equal(csv.length, 11, 'header, nine cells, final newline')
  t.ok(csv.includes('2026-11-23,Health/Pain relief,store,high,1,48,16000'))
  const movesCsv = (await call(key, { method: 'GET', url: '/v1/reports/segments?table=moves', headers: { accept: 'text/csv' } })).body
  t.match(movesCsv, /2026-11-23,Health\/Pain relief,national,high,store,high,1,1\r\n/)
  t.match(movesCsv, /2026-11-23,Health\/Pain relief,national,medium,none,none,1,0\r\n/)

  // Value: spend over 364 days. B 100000, N 16000, E 10 x 500, E2 7 x 500 (16 Jul to 8 Oct), M 2000, K 1000, S 300.
  const v = (await call(key, { method: 'GET', url: '/v1/reports/value' })).json()
  const total = 100000 + 16000 + 5000 + 3500 + 2000 + 1000 + 300
  t.equal(v.customers, 7)
  t.equal(v.spendCents, total)
  // Top 1%, 2.5% and 10% of 7 customers is 1 (B); 20% is 2 (B and N).
  t.same(v.concentration, [
    { topShare: 0.01, customers: 1, spendCents: 100000, shareOfSales: 100000 / total },
    { topShare: 0.025, customers: 1, spendCents: 100000, shareOfSales: 100000 / total },
    { topShare: 0.1, customers: 1, spendCents: 100000, shareOfSales: 100000 / total },
    { topShare: 0.2, customers: 2, spendCents: 116000, shareOfSales: 116000 / total },
  ])
  t.equal(v.curve.at(-1).shareOfSales, 1)
  t.equal(v.tiers.reduce((sum: number, x: { customers: number }) => sum + x.customers, 0), 7)
  t.match(v.tiers[0], { tier: 'A', customers: 1, spendCents: 100000 })
  t.equal(v.lifecycles.find((x: { lifecycle: string }) => x.lifecycle === 'declining').customers, 2)
  // E fell behind on 18 Nov (last trip 3 Nov + 15: more than 2 x 7 and more than 14 days),
  // E2 on 6 Nov (last trip 8 Oct + 29). Within 14 days of the 23rd only E; within 30 both.
  t.same(v.earlyWarning.customers.map((c: { customerId: string; behindSince: string }) => [c.customerId, c.behindSince]), [[String(e), '2026-11-18']])
  t.match(v.earlyWarning, { days: 14, total: 1 })
  const month = (await call(key, { method: 'GET', url: '/v1/reports/value?days=30' })).json()
  t.same(month.earlyWarning.customers.map((c: { customerId: string; behindSince: string }) => [c.customerId, c.behindSince]).sort(), [
    [String(e), '2026-11-18'],
    [String(e2), '2026-11-06'],
  ].sort())
  t.equal(month.earlyWarning.total, 2)
  // N's $50 of rewards exceed the margin on $160 (25%: $40): value -$10.
  t.same(v.negativeValue.customers, [
    { customerId: String(n), valueCents: -1000, marginCents: 4000, rewardsCents: 5000, spendCents: 16000, valueTier: v.negativeValue.customers[0]?.valueTier, lifecycle: v.negativeValue.customers[0]?.lifecycle },
  ])
  t.match(v.negativeValue, { total: 1, valueCents: -1000 })
  const warnCsv = (await call(key, { method: 'GET', url: '/v1/reports/value?table=early-warning', headers: { accept: 'text/csv' } })).body
  t.match(warnCsv, new RegExp(`^customer_id,behind_since,last_purchase_day,median_gap_days,value_tier,value_cents,spend_cents,profile_as_of\\r\\n${e},2026-11-18,2026-11-03,7,`))
  const concCsv = (await call(key, { method: 'GET', url: '/v1/reports/value?table=concentration', headers: { accept: 'text/csv' } })).body
  t.match(concCsv, /^top_share,customers,spend_cents,share_of_sales\r\n0\.01,1,100000,/)
})
