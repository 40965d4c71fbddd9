// Lift against the holdout, checked by hand: the rollup's sums per group and cycle, Welch's
// difference with its normal interval, and each case in which the report must say it cannot
// tell lift from noise. Lists and decisions are written as the list generator writes them.
import t from 'tap'
import { REASONS } from '../../src/modules/lists/list-allocation.ts'
import { estimateLift } from '../../src/modules/reports/report-stats.ts'
import { runRollup } from '../../src/modules/reports/rollup.service.ts'
import { buildTestApp } from '../helpers/app.ts'
import { insertCustomer, insertList, insertOffer, insertProduct, insertSale } from '../helpers/list-fixtures.ts'

const TODAY = '2026-11-23'

t.test('offer lift: treated vs held out, interval, and "cannot tell"', async (t) => {
  const { call, createKey, database } = await buildTestApp(t)
  const { db } = database
  const key = await createKey('backoffice')
  const coffee = await insertProduct(db, { category: 'Pantry/Coffee', brandType: 'national', priceCents: 1000 })
  const storeCoffee = await insertProduct(db, { category: 'Pantry/Coffee', brandType: 'store', priceCents: 300 })
  const tea = await insertProduct(db, { category: 'Pantry/Tea', priceCents: 250 })
  const targeted = async (name: string, scope: Record<string, unknown>) => {
    const id = await insertOffer(db, { name, scope, validFrom: '2026-10-01', validUntil: '2026-11-30' })
    await db.updateTable('offer').set({ targeting: JSON.stringify({ valueTiers: ['A', 'B', 'C', 'D'] }) }).where('id', '=', id).execute()
    return id
  }
  const x = await targeted('National coffee', { category: 'Pantry/Coffee', brandType: 'national' })
  const y = await targeted('Store coffee', { gtins: [storeCoffee.gtin] })
  const z = await targeted('Small test', { category: 'Pantry/Coffee' })
  const w = await insertOffer(db, { name: 'Everyone', scope: { category: 'Pantry/Tea' }, validFrom: '2026-10-01', validUntil: '2026-11-30' })

  const decide = (listId: number, customerId: number, rows: [number, boolean, string][]) =>
    db.insertInto('list_offer_decision').values(rows.map(([offerId, given, reason]) => ({ list_id: listId, offer_id: offerId, customer_id: customerId, given, reason }))).execute()

  for (let i = 0; i < 30; i++) {
    // Treated: X in play for all 30 (25 given, 5 withheld for budget: intention to treat
    // counts them), Y for all, Z for the first 10, W given to all.
    const c = await insertCustomer(db)
    const givenX = i >= 5
    const list = await insertList(db, {
      customerId: c,
      validFrom: '2026-10-05',
      validUntil: '2026-10-18',
      items: [...(givenX ? [{ productId: coffee.id, offerId: x, offerValueCents: 100 }] : []), { productId: storeCoffee.id, offerId: y, offerValueCents: 50 }],
    })
    await decide(list.id, c, [
      [x, givenX, givenX ? 'You are in value tier B. It saves you about $1.00.' : REASONS.budget],
      [y, true, 'It saves you about $0.50.'],
      [w, true, 'This offer is for every customer.'],
      ...(i < 10 ? [[z, true, 'It saves you.'] as [number, boolean, string]] : []),
    ])
    await insertSale(db, c, '2026-10-10', [
      { product: coffee, unitPriceCents: 1000 + 10 * i },
      ...(i % 2 === 0 ? [{ product: storeCoffee, unitPriceCents: 300 }] : []),
      { product: tea, unitPriceCents: 250 },
    ])
    // Outside the window, voided, or another cycle: none of it counts.
    if (i === 0) {
      await insertSale(db, c, '2026-10-20', [{ product: coffee, unitPriceCents: 9999 }])
      await insertSale(db, c, '2026-10-11', [{ product: coffee, unitPriceCents: 9999 }], { status: 'voided' })
      await insertSale(db, c, '2026-10-04', [{ product: coffee, unitPriceCents: 9999 }])
    }
  }
  for (let i = 0; i < 30; i++) {
    const c = await insertCustomer(db)
    const list = await insertList(db, { customerId: c, validFrom: '2026-10-05', validUntil: '2026-10-18', holdout: true })
    await decide(list.id, c, [
      [x, false, REASONS.holdout],
      [y, false, REASONS.holdout],
      [w, true, 'This offer is for every customer.'],
      ...(i < 10 ? [[z, false, REASONS.holdout] as [number, boolean, string]] : []),
    ])
    await insertSale(db, c, '2026-10-12', [
      { product: coffee, unitPriceCents: 800 + 10 * i },
      ...(i % 2 === 1 ? [{ product: storeCoffee, unitPriceCents: 300 }] : []),
    ])
  }
  // Not meant for them: a customer whose targeting did not match is in neither group.
  const outsider = await insertCustomer(db)
  const ol = await insertList(db, { customerId: outsider, validFrom: '2026-10-05', validUntil: '2026-10-18' })
  await decide(ol.id, outsider, [[x, false, 'This offer is for customers in value tier A (from what they spent with us over the last year); you are in tier D.']])
  await insertSale(db, outsider, '2026-10-10', [{ product: coffee, unitPriceCents: 50_000 }])
  // A cycle still running carries X too.
  const late = await insertCustomer(db)
  const ll = await insertList(db, { customerId: late, validFrom: '2026-11-16', validUntil: '2026-11-29', items: [{ productId: coffee.id, offerId: x, offerValueCents: 100 }] })
  await decide(ll.id, late, [[x, true, 'It saves you about $1.00.']])

  const first = await runRollup(db, { today: TODAY })
  t.match(first.cycles, { computed: 2, finalised: 1 })
  const cycle = await db.selectFrom('list').select('id').where('cycle_start', '=', '2026-10-05').execute()
  t.equal(cycle.length, 61)

  const get = async (q: string) => (await call(key, { method: 'GET', url: `/v1/reports/offers?${q}` })).json()
  const r = await get('from=2026-10-01&to=2026-11-30')
  const offer = (id: number) => r.offers.find((o: { offerId: string }) => o.offerId === String(id))

  // X: treated mean 1145 (1000..1290), held out 945 (800..990); each sample variance 7750.
  // se = sqrt(7750/30 + 7750/30) = 22.730; 200 +- 1.959964 x 22.730 = [155.45, 244.55].
  const lx = offer(x)
  t.match(lx, { lists: 26, customersGiven: 26, lift: { cycles: 1, pendingCycles: 1 } })
  t.same(lx.lift.treated, { customers: 30, meanSpendCents: 1145, sdSpendCents: 88 })
  t.same(lx.lift.holdout, { customers: 30, meanSpendCents: 945, sdSpendCents: 88 })
  t.equal(lx.lift.differenceCents, 200)
  t.same(lx.lift.interval, { low: 155, high: 245, level: 0.95 })
  t.equal(lx.lift.incrementalSpendCents, 6000)
  t.equal(lx.lift.verdict, 'lift')
  t.match(lx.lift.says, /spent \$2\.00 more.*\$1\.55 to \$2\.45/)

  // Y: 15 of 30 bought one store coffee (300) in each group: same mean, interval around zero.
  // variance 30 x 150² / 29 = 23275.86; se 39.392; +-77.21.
  const ly = offer(y)
  t.same(ly.lift.treated, { customers: 30, meanSpendCents: 150, sdSpendCents: 153 })
  t.equal(ly.lift.differenceCents, 0)
  t.same(ly.lift.interval, { low: -78, high: 78, level: 0.95 })
  t.equal(ly.lift.verdict, 'noise')
  t.match(ly.lift.says, /^Cannot tell lift from noise: the 95% interval.*includes zero/)

  // Z: 10 against 10 is too few to call, whatever the means say.
  const lz = offer(z)
  t.match(lz.lift, { verdict: 'too_few', treated: { customers: 10 }, holdout: { customers: 10 }, interval: null })
  t.match(lz.lift.says, /^Cannot tell lift from noise: 10 treated and 10 held-out customers, fewer than the 30/)

  // W is for everyone: held-out customers got it too, so there is nothing to compare with.
  t.match(offer(w).lift, { verdict: 'no_holdout', differenceCents: null })

  // Only the running cycle in the period: pending.
  const nov = await get('from=2026-11-01&to=2026-11-30')
  t.match(nov.offers.find((o: { offerId: string }) => o.offerId === String(x)).lift, { verdict: 'pending', pendingCycles: 1, cycles: 0 })

  // Once the running cycle ends it is measured (the one customer has no held-out peer) and frozen.
  const later = await runRollup(db, { today: '2026-12-15' })
  t.match(later.cycles, { computed: 1, finalised: 1 })
  t.match((await runRollup(db, { today: '2026-12-16' })).cycles, { computed: 0 })
  const decDone = await get('from=2026-11-01&to=2026-11-30')
  t.match(decDone.offers.find((o: { offerId: string }) => o.offerId === String(x)).lift, { verdict: 'too_few', cycles: 1, pendingCycles: 0, treated: { customers: 1 }, holdout: { customers: 0 } })

  // CSV carries the interval and the sentence.
  const csv = await call(key, { method: 'GET', url: `/v1/reports/offers?from=2026-10-01&to=2026-10-31&offerId=${x}`, headers: { accept: 'text/csv' } })
  t.match(csv.body.split('\r\n')[1], new RegExp(`,${x},National coffee,store,25,25,0,0,0,0,0,lift,30,1145,30,945,200,155,245,6000,`))
})

t.test('estimateLift edge cases', async (t) => {
  const opts = { minGroupSize: 2, z: 1.959964, targeted: true, pendingCycles: 0 }
  // No spread at all: a point interval away from zero is a lift; at zero it is noise.
  t.match(estimateLift({ n: 3, sum: 300, sumSq: 30_000 }, { n: 3, sum: 0, sumSq: 0 }, opts), { verdict: 'lift', interval: { low: 100, high: 100 } })
  t.match(estimateLift({ n: 3, sum: 0, sumSq: 0 }, { n: 3, sum: 0, sumSq: 0 }, opts), { verdict: 'noise' })
  // Held out spent more, clearly: negative.
  t.match(estimateLift({ n: 2, sum: 0, sumSq: 0 }, { n: 2, sum: 400, sumSq: 80_000 }, opts), { verdict: 'negative', differenceCents: -200 })
  t.match(estimateLift({ n: 0, sum: 0, sumSq: 0 }, { n: 0, sum: 0, sumSq: 0 }, { ...opts, pendingCycles: 2 }), { verdict: 'pending' })
  t.match(estimateLift({ n: 0, sum: 0, sumSq: 0 }, { n: 0, sum: 0, sumSq: 0 }, opts), { verdict: 'too_few' })
})
