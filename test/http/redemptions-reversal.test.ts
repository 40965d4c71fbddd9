import t from 'tap'
import { CATALOG, checkoutFixture, item, type CheckoutFixture } from '../helpers/checkout-fixtures.ts'

const ret = (posReturnId: string, items: [keyof typeof CATALOG, number][]) => ({
  posReturnId,
  items: items.map(([name, quantity]) => ({ gtin: CATALOG[name][0], quantity })),
})

// The offer's figures as the back office sees them (kept on the offer row only when it has a
// budget, summed from usage otherwise), and the customer's own usage row.
async function offerState(f: CheckoutFixture, offerId: string, customerId: string) {
  const o = (await f.call(f.officeKey, { method: 'GET', url: `/v1/offers/${offerId}` })).json().budget
  const u = await f.database.db.selectFrom('offer_usage').select(['redemptions', 'discount_cents']).where('offer_id', '=', Number(offerId)).where('customer_id', '=', Number(customerId)).executeTakeFirst()
  return { budget: [o.usedRedemptions, o.usedDiscountCents], usage: u ? [u.redemptions, u.discount_cents] : null }
}

t.test('void reverses discounts, usage, budget and history; a replay of the void answers the same', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ budget: { maxRedemptions: 1 } })
  const c = await f.customerWithList([offer])
  const res = await f.redeem(f.body(c.cardNumber, [item('milk', 2)]))
  t.equal(res.json().totalDiscountCents, 200)
  const id = res.json().redemptionId
  t.same(await offerState(f, offer, c.id), { budget: [1, 200], usage: [1, 200] })
  const jobsBefore = (await f.counts()).jobs

  const v = await f.voidIt(id)
  t.equal(v.statusCode, 200, v.body)
  t.match(v.json(), { redemptionId: id, status: 'voided', reversedDiscountCents: 200 })
  t.match(v.json().receiptLines, ['Sale voided', 'List savings reversed: $2.00'])
  t.same(await offerState(f, offer, c.id), { budget: [0, 0], usage: [0, 0] }, 'use and budget given back')
  const sale = await f.database.db.selectFrom('sale').select('status').executeTakeFirstOrThrow()
  t.equal(sale.status, 'voided', 'the sale leaves purchase history')
  t.equal((await f.counts()).jobs, jobsBefore, 'regeneration requested (one request per customer)')
  const request = await f.database.pool.query(`select 1 from list_regen_request where customer_id = $1`, [Number(c.id)])
  t.equal(request.rows.length, 1)

  const again = await f.voidIt(id)
  t.equal(again.statusCode, 200)
  t.same(again.json(), v.json(), 'idempotent: same response')
  t.same(await offerState(f, offer, c.id), { budget: [0, 0], usage: [0, 0] }, 'nothing reversed twice')

  const redo = await f.redeem(f.body(c.cardNumber, [item('milk')]))
  t.equal(redo.json().totalDiscountCents, 100, 'the offer is redeemable again, budget allowing')
  const back = await f.returnIt(id, ret('R1', [['milk', 1]]))
  t.equal(back.statusCode, 409, 'nothing can be returned from a voided sale')
})

t.test('partial returns up to and beyond what was sold', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ description: '$1 off milk' })
  const c = await f.customerWithList([offer])
  const res = await f.redeem(f.body(c.cardNumber, [item('milk', 2), item('cheese'), item('milk', 1)]))
  const id = res.json().redemptionId
  t.equal(res.json().totalDiscountCents, 300)

  const r1 = await f.returnIt(id, ret('R1', [['milk', 1]]))
  t.equal(r1.statusCode, 201, r1.body)
  t.match(r1.json(), { redemptionId: id, posReturnId: 'R1', clawbackCents: 100, clawbacks: [{ offerId: offer, gtin: CATALOG.milk[0], amountCents: 100 }] })
  t.same(await offerState(f, offer, c.id), { budget: [1, 200], usage: [1, 200] }, 'cents back, the use still taken')

  const tooMany = await f.returnIt(id, ret('R2', [['cheese', 1], ['milk', 3]]))
  t.equal(tooMany.statusCode, 422, tooMany.body)
  t.same(tooMany.json().errors, [{ path: 'items.1.quantity', message: `only 2 of ${CATALOG.milk[0]} left to return (3 sold, 1 returned), asked 3` }])
  const notSold = await f.returnIt(id, ret('R2', [['rice', 1]]))
  t.equal(notSold.statusCode, 422)
  t.match(notSold.json().errors[0], { path: 'items.0.quantity', message: /was not sold/ })

  const r2 = await f.returnIt(id, ret('R2', [['milk', 2], ['cheese', 1]]))
  t.equal(r2.statusCode, 201, r2.body)
  t.equal(r2.json().clawbackCents, 200)
  t.same(await offerState(f, offer, c.id), { budget: [0, 0], usage: [0, 0] }, 'whole discount back: the use comes back too')
  const lines = await f.database.db.selectFrom('sale_line').select(['line_no', 'quantity', 'returned_quantity']).orderBy('line_no').execute()
  t.same(lines.map((l) => [l.line_no, l.quantity, l.returned_quantity]), [[1, 2, 2], [2, 1, 1], [3, 1, 1]])

  const more = await f.returnIt(id, ret('R3', [['milk', 1]]))
  t.equal(more.statusCode, 422, 'everything is back already')
  t.equal((await f.counts()).returns, 2)
})

t.test('returns never re-credit or double-debit', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ description: '$1 off milk' })
  const c = await f.customerWithList([offer])
  const id = (await f.redeem(f.body(c.cardNumber, [item('milk', 3)]))).json().redemptionId

  const first = await f.returnIt(id, ret('R1', [['milk', 1]]))
  t.equal(first.statusCode, 201)
  const state = await offerState(f, offer, c.id)
  const replay = await f.returnIt(id, ret('R1', [['milk', 1]]))
  t.equal(replay.statusCode, 200, 'a retried return is a replay')
  t.same(replay.json(), first.json())
  t.same(await offerState(f, offer, c.id), state, 'a replay takes nothing back twice')
  const conflict = await f.returnIt(id, ret('R1', [['milk', 2]]))
  t.equal(conflict.statusCode, 409)
  t.match(conflict.json().type, /idempotency-conflict$/)

  // Concurrent returns of the last units: together they can take back at most what was given.
  const results = await Promise.all([f.returnIt(id, ret('R2', [['milk', 2]])), f.returnIt(id, ret('R3', [['milk', 2]]))])
  t.same(results.map((r) => r.statusCode).sort(), [201, 422])
  const total = await f.database.db.selectFrom('redemption_return').select((eb) => eb.fn.sum<number>('clawback_cents').as('sum')).executeTakeFirstOrThrow()
  t.equal(Number(total.sum), 300, 'all returns together claw back exactly the discount')
  t.same(await offerState(f, offer, c.id), { budget: [0, 0], usage: [0, 0] })

  const v = await f.voidIt(id)
  t.equal(v.json().reversedDiscountCents, 0, 'a void after full returns reverses nothing more')
  t.same(await offerState(f, offer, c.id), { budget: [0, 0], usage: [0, 0] }, 'never below zero, never released twice')
})

t.test('a void after a partial return reverses only what is left', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ description: '$1 off milk' })
  const c = await f.customerWithList([offer])
  const id = (await f.redeem(f.body(c.cardNumber, [item('milk', 3)]))).json().redemptionId
  await f.returnIt(id, ret('R1', [['milk', 1]]))
  const v = await f.voidIt(id)
  t.equal(v.json().reversedDiscountCents, 200)
  t.same(await offerState(f, offer, c.id), { budget: [0, 0], usage: [0, 0] })
})

t.test('buy-2-get-1: returning a paid unit takes back the free unit\'s discount, once', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ description: 'yogurt 3 for 2', scope: { gtins: [CATALOG.yogurt[0]] }, reward: { type: 'buy_x_get_y', buy: 2, get: 1 } })
  const c = await f.customerWithList([offer])
  const id = (await f.redeem(f.body(c.cardNumber, [item('yogurt', 3)]))).json().redemptionId
  const r1 = await f.returnIt(id, ret('R1', [['yogurt', 1]]))
  t.equal(r1.json().clawbackCents, 99, 'the group is broken: its free unit is paid for')
  const r2 = await f.returnIt(id, ret('R2', [['yogurt', 2]]))
  t.equal(r2.json().clawbackCents, 0, 'nothing left to take back')
})

t.test('spend threshold: the reward is kept while the kept units still reach the threshold', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ description: '$2 off $10 of dairy', scope: { category: 'Dairy' }, reward: { type: 'spend_threshold', minSpendCents: 1000, amountCents: 200 } })
  const c = await f.customerWithList([offer])
  const res = await f.redeem(f.body(c.cardNumber, [item('cheese', 3), item('milk')]))
  t.equal(res.json().totalDiscountCents, 200, '$18.46 of dairy')
  const id = res.json().redemptionId
  const milkShare = (await f.database.db.selectFrom('sale_line').select('discount_cents').where('line_no', '=', 2).executeTakeFirstOrThrow()).discount_cents
  const r1 = await f.returnIt(id, ret('R1', [['milk', 1]]))
  t.equal(r1.json().clawbackCents, milkShare, `$14.97 kept, still over $10: only the milk's own share (${milkShare}) goes back`)
  const r2 = await f.returnIt(id, ret('R2', [['cheese', 1]]))
  t.equal(r2.json().clawbackCents, 200 - milkShare, '$9.98 kept, under $10: the rest of the reward goes back')
  const r3 = await f.returnIt(id, ret('R3', [['cheese', 2]]))
  t.equal(r3.json().clawbackCents, 0, 'never more than was given')
  t.same(await offerState(f, offer, c.id), { budget: [0, 0], usage: [0, 0] })
})

t.test('a lane sale accrues voucher units on what was paid; returns and a void take them back once', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ description: '$1 off milk' })
  const c = await f.customerWithList([offer])
  const entries = async () =>
    (
      await f.database.pool.query(`select kind, reference, spend_cents::int, rate_bp, units::int from voucher_entry where customer_id = $1 order by id`, [Number(c.id)])
    ).rows
  const balance = async () => (await f.call(f.officeKey, { method: 'GET', url: `/v1/customers/${c.id}/profile` })).json().voucherBalanceCents

  // 2 milk at 349 less $2.00, a cheese at 499: paid 997; 1% is 9.97 cents, kept exact in units.
  const body = f.body(c.cardNumber, [item('milk', 2), item('cheese')])
  const res = await f.redeem(body)
  t.equal(res.json().totalAfterCents, 997, res.body)
  t.same(await entries(), [{ kind: 'accrual', reference: 'sale', spend_cents: 997, rate_bp: 100, units: 99_700 }])
  t.equal(await balance(), 9, 'whole cents in the profile (9.97 floors to 9)')
  t.equal((await f.redeem(body)).statusCode, 200, 'a replay')
  t.equal((await entries()).length, 1, 'a replay accrues nothing')

  // One milk back: refund 349 less its $1.00 share = 249 of spend.
  const id = res.json().redemptionId
  const r1 = await f.returnIt(id, ret('R1', [['milk', 1]]))
  t.equal(r1.json().clawbackCents, 100, r1.body)
  t.same((await entries()).at(-1), { kind: 'reversal', reference: 'return:R1', spend_cents: 249, rate_bp: 100, units: -24_900 })
  await f.returnIt(id, ret('R1', [['milk', 1]]))
  t.equal((await entries()).length, 2, 'a replayed return takes nothing twice')

  const v = await f.voidIt(id)
  t.equal(v.statusCode, 200, v.body)
  t.same((await entries()).at(-1), { kind: 'reversal', reference: 'void', spend_cents: 748, rate_bp: 100, units: -74_800 }, 'the void takes back only what is left')
  await f.voidIt(id)
  t.equal((await entries()).length, 3, 'a replayed void takes nothing twice')
  t.equal(await balance(), 0)

  const offline = await f.redeem(f.body(c.cardNumber, [item('cheese', 2)], { offline: true, posTransactionId: 'OFF-1', occurredAt: '2026-11-21T10:00:00-06:00' }))
  t.equal(offline.statusCode, 201, offline.body)
  t.same((await entries()).at(-1), { kind: 'accrual', reference: 'sale', spend_cents: 998, rate_bp: 100, units: 99_800 }, 'an offline sale accrues on its full price')
})
