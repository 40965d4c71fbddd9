// Offer and manufacturer reports from real lane redemptions, voids and returns: the rollup's
// counts checked against figures worked out by hand, through every path (a void and a return
// before the first rollup, after it, a return then a void).
import t from 'tap'
import { runRollup } from '../../src/modules/reports/rollup.service.ts'
import { checkoutFixture, item, CATALOG } from '../helpers/checkout-fixtures.ts'

const PERIOD = 'from=2026-11-01&to=2026-11-30'
const roll = (db: Parameters<typeof runRollup>[0]) => runRollup(db, { today: '2026-11-23', config: { redemptionLagSeconds: 0 } })

t.test('offer and manufacturer reports follow redemptions, voids and returns', async (t) => {
  const f = await checkoutFixture(t)
  const db = f.database.db
  // A: $1 off each milk, up to 5 units, billed to Dairyland. B: $1.50 off pain relief, the store's.
  const a = await f.createOffer({ name: 'Milk $1', limits: { unitsPerRedemption: 5 }, fundedBy: { manufacturer: 'Dairyland' } })
  const b = await f.createOffer({ name: '=Pain relief', scope: { category: 'Health/Pain relief' }, reward: { type: 'amount_off', amountCents: 150 } })
  const customers: Awaited<ReturnType<typeof f.customerWithList>>[] = []
  for (let i = 0; i < 5; i++) customers.push(await f.customerWithList([a, b]))
  const redeem = async (i: number, items: ReturnType<typeof item>[]) => {
    const res = await f.redeem(f.body(customers[i]!.cardNumber, items))
    t.equal(res.statusCode, 201, res.body)
    return res.json() as { redemptionId: string; totalDiscountCents: number }
  }
  const report = async () => {
    const r = (await f.call(f.officeKey, { method: 'GET', url: `/v1/reports/offers?${PERIOD}` })).json()
    const pick = (id: string) => {
      const o = r.offers.find((x: { offerId: string }) => x.offerId === id)
      return { redemptions: o.redemptions, units: o.units, discountCents: o.discountCents, clawbackCents: o.clawbackCents }
    }
    return { a: pick(a), b: pick(b), raw: r }
  }

  // Phase 1: c1 and c2 redeem; c2 is voided before any rollup.
  t.equal((await redeem(0, [item('milk'), item('ibuprofen')])).totalDiscountCents, 250)
  const c2 = await redeem(1, [item('milk')])
  t.equal((await f.voidIt(c2.redemptionId)).statusCode, 200)
  await roll(db)
  let r = await report()
  t.same(r.a, { redemptions: 1, units: 1, discountCents: 100, clawbackCents: 0 }, 'c2 voided before it was counted')
  t.same(r.b, { redemptions: 1, units: 1, discountCents: 150, clawbackCents: 0 })

  // Phase 2: c3 and c4 redeem both offers.
  const c3 = await redeem(2, [item('milk'), item('ibuprofen')])
  const c4 = await redeem(3, [item('milk'), item('ibuprofen')])
  await roll(db)
  r = await report()
  t.same(r.a, { redemptions: 3, units: 3, discountCents: 300, clawbackCents: 0 })
  t.same(r.b, { redemptions: 3, units: 3, discountCents: 450, clawbackCents: 0 })
  const rerun = await roll(db)
  t.match(rerun.redemptions, { counted: 0, reversals: 0 }, 'a rollup with nothing new changes nothing')
  t.same((await report()).a, r.a)

  // Phase 3: c1 voided after it was counted; c3 returns its milk; c4 returns the ibuprofen and
  // is then voided; c5 buys two milks and returns one before the next rollup.
  const first = (await f.call(f.officeKey, { method: 'GET', url: '/v1/reports/rollup' })).json()
  t.equal(first.pendingReversals, 0)
  const redemptionOf = async (i: number) =>
    String((await db.selectFrom('redemption').select('id').where('customer_id', '=', Number(customers[i]!.id)).where('status', '=', 'recorded').executeTakeFirstOrThrow()).id)
  t.equal((await f.voidIt(await redemptionOf(0))).statusCode, 200)
  const ret = (id: string, name: keyof typeof CATALOG, posReturnId: string) =>
    f.returnIt(id, { posReturnId, items: [{ gtin: CATALOG[name][0], quantity: 1 }] })
  t.equal((await ret(c3.redemptionId, 'milk', 'R1')).json().clawbackCents, 100)
  t.equal((await ret(c4.redemptionId, 'ibuprofen', 'R2')).json().clawbackCents, 150)
  t.equal((await f.voidIt(c4.redemptionId)).statusCode, 200)
  const c5 = await redeem(4, [item('milk', 2)])
  t.equal(c5.totalDiscountCents, 200)
  t.equal((await ret(c5.redemptionId, 'milk', 'R3')).json().clawbackCents, 100)
  const pending = (await f.call(f.officeKey, { method: 'GET', url: '/v1/reports/rollup' })).json()
  t.equal(pending.pendingReversals, 5, 'two voids and three returns queued by the triggers')
  await roll(db)
  r = await report()
  // A: c3 (1 unit, 100 clawed back) and c5 (2 units, 100 of 200 clawed back).
  t.same(r.a, { redemptions: 2, units: 3, discountCents: 100, clawbackCents: 200 })
  // B: c3 only; c4's return and void net out, clawback included.
  t.same(r.b, { redemptions: 1, units: 1, discountCents: 150, clawbackCents: 0 })
  t.equal((await f.call(f.officeKey, { method: 'GET', url: '/v1/reports/rollup' })).json().pendingReversals, 0)

  // Lists carrying: five lists (cycle 2026-11-16) carry both offers.
  const offerA = r.raw.offers.find((o: { offerId: string }) => o.offerId === a)
  t.match(offerA, { name: 'Milk $1', fundedBy: 'Dairyland', lists: 5, customersGiven: 5, redemptionRate: 0.4, lift: { verdict: 'no_holdout' } })
  t.match(r.raw.freshness.redemptions, { stale: false })
  t.ok(r.raw.freshness.redemptions.dataThrough)

  // Outside the period: nothing counted; one offer by id.
  const october = (await f.call(f.officeKey, { method: 'GET', url: '/v1/reports/offers?from=2026-10-01&to=2026-10-31' })).json()
  t.same(october.offers, [])
  const one = (await f.call(f.officeKey, { method: 'GET', url: `/v1/reports/offers?${PERIOD}&offerId=${b}` })).json()
  t.same(one.offers.map((o: { offerId: string }) => o.offerId), [b])

  // Manufacturers: Dairyland bills A's net face value; the store's own offer is not billed.
  const m = (await f.call(f.officeKey, { method: 'GET', url: `/v1/reports/manufacturers?${PERIOD}` })).json()
  t.same(m.manufacturers, [
    { manufacturer: 'Dairyland', redemptions: 2, units: 3, faceValueCents: 100, offers: [{ offerId: a, name: 'Milk $1', redemptions: 2, units: 3, faceValueCents: 100 }] },
  ])
  t.equal(m.totalFaceValueCents, 100)
  const csv = await f.call(f.officeKey, { method: 'GET', url: `/v1/reports/manufacturers?${PERIOD}&manufacturer=Dairyland`, headers: { accept: 'text/csv' } })
  t.equal(csv.body, `manufacturer,offer_id,offer_name,from,to,redemptions,units,face_value_cents\r\nDairyland,${a},Milk $1,2026-11-01,2026-11-30,2,3,100\r\n`)
  const nobody = (await f.call(f.officeKey, { method: 'GET', url: `/v1/reports/manufacturers?${PERIOD}&manufacturer=Acme` })).json()
  t.same(nobody.manufacturers, [])

  // The offers CSV: a formula-looking name is defused, the sentence quoted.
  const offersCsv = (await f.call(f.officeKey, { method: 'GET', url: `/v1/reports/offers?${PERIOD}&offerId=${b}`, headers: { accept: 'text/csv' } })).body
  const [header, row] = offersCsv.split('\r\n')
  t.match(header, /^from,to,offer_id,name,funded_by,lists,customers_given,redemptions,redemption_rate,units,discount_cents/)
  t.match(row, new RegExp(`^2026-11-01,2026-11-30,${b},'=Pain relief,store,5,5,1,0.2,1,150,0,no_holdout,`))
})
