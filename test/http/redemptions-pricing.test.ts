import t from 'tap'
import { CATALOG, checkoutFixture, item } from '../helpers/checkout-fixtures.ts'

type D = { offerId: string; gtin: string; description: string; quantity: number; amountCents: number }

t.test('buy-X-get-Y through the route: multiples of X and mixed quantities', async (t) => {
  const f = await checkoutFixture(t)
  const yogurt = await f.createOffer({ description: 'yogurt: buy 2 get 1 free', scope: { gtins: [CATALOG.yogurt[0]] }, reward: { type: 'buy_x_get_y', buy: 2, get: 1 } })
  const soup = await f.createOffer({
    description: 'soup: buy 1 get 1 half price',
    scope: { category: 'Pantry/Soup' },
    reward: { type: 'buy_x_get_y', buy: 1, get: 1, percentOff: 50 },
    limits: { redemptionsPerCustomer: 10 },
  })
  const c = await f.customerWithList([yogurt, soup])
  const cases: [string, ReturnType<typeof item>[], number, number][] = [
    // [what, basket, yogurt discount, soup discount]
    ['2 yogurts: no complete group', [item('yogurt', 2)], 0, 0],
    ['3 yogurts: one free', [item('yogurt', 3)], 99, 0],
    ['5 yogurts on two lines (2 + 3): one free', [item('yogurt', 2), item('yogurt', 3)], 99, 0],
    ['6 yogurts on three lines (1 + 4 + 1): two free', [item('yogurt', 1), item('yogurt', 4), item('yogurt', 1)], 198, 0],
    ['9 yogurts: three free', [item('yogurt', 9)], 297, 0],
    ['3 soups at two prices: the cheapest is the half-price one', [item('soup', 2, 333), item('soup', 1, 289)], 0, 145],
    ['4 soups: two groups, each cheaper unit half price', [item('soup', 1, 400), item('soup', 1, 300), item('soup', 2, 333)], 0, 150 + 167],
  ]
  for (const [what, basket, yogurtCents, soupCents] of cases) {
    const q = await f.quote(f.body(c.cardNumber, basket))
    t.equal(q.statusCode, 200, q.body)
    const ds = q.json().discounts as D[]
    const sum = (id: string) => ds.filter((d) => d.offerId === id).reduce((s, d) => s + d.amountCents, 0)
    t.equal(sum(yogurt), yogurtCents, `${what}: yogurt`)
    t.equal(sum(soup), soupCents, `${what}: soup`)
  }
  // Redeemed for real: the stored per-unit shares add up to the discount.
  const res = await f.redeem(f.body(c.cardNumber, [item('yogurt', 1), item('yogurt', 4), item('yogurt', 1)]))
  t.equal(res.json().totalDiscountCents, 198)
  const row = await f.database.db.selectFrom('redemption_discount').select(['quantity', 'amount_cents', 'unit_cents']).executeTakeFirstOrThrow()
  t.same([row.quantity, row.amount_cents, row.unit_cents], [2, 198, [99, 99]])
})

t.test('a percent discount is never computed on an already-discounted price', async (t) => {
  const f = await checkoutFixture(t)
  const amount = await f.createOffer({ description: '$1 off cheese', scope: { gtins: [CATALOG.cheese[0]] }, reward: { type: 'amount_off', amountCents: 100 }, stackable: true })
  const percent = await f.createOffer({ description: '10% off dairy', scope: { category: 'Dairy' }, reward: { type: 'percent_off', percent: 10 }, stackable: true })
  const c = await f.customerWithList([amount, percent])
  const res = await f.redeem(f.body(c.cardNumber, [item('cheese', 3)]))
  t.equal(res.statusCode, 201, res.body)
  const ds = res.json().discounts as D[]
  const byOffer = Object.fromEntries(ds.map((d) => [d.offerId, d.amountCents]))
  t.equal(byOffer[percent], 150, '10% of 3 x $4.99 at the shelf price ($14.97 -> $1.50), not of $11.97')
  t.equal(byOffer[amount], 300)
  t.equal(res.json().totalDiscountCents, 450)

  const single = await f.customerWithList([
    await f.createOffer({ description: '$1 off cheese, alone', scope: { gtins: [CATALOG.cheese[0]] }, reward: { type: 'amount_off', amountCents: 100 } }),
    await f.createOffer({ description: '30% off dairy, alone', scope: { category: 'Dairy' }, reward: { type: 'percent_off', percent: 30 } }),
  ])
  const best = await f.quote(f.body(single.cardNumber, [item('cheese')]))
  t.same(best.json().discounts.map((d: D) => [d.description, d.amountCents]), [['30% off dairy, alone', 150]], 'non-stackable offers compete: the better one for the customer wins, alone')
})

t.test('an offline sale posted late: history recorded, no discount, a rain check honoured once', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ description: '$1 off milk', budget: { maxRedemptions: 100 } })
  const c = await f.customerWithList([offer])
  const body = f.body(c.barcode, [item('milk', 2), item('rice')], { offline: true, occurredAt: '2026-11-21T10:00:00-06:00' })
  const res = await f.redeem(body)
  t.equal(res.statusCode, 201, res.body)
  const r = res.json()
  t.match(r, { discounts: [], totalBeforeCents: 997, totalDiscountCents: 0, totalAfterCents: 997 })
  t.same(r.rainChecks, [{ offerId: offer, description: '$1 off milk', valueCents: 200, expiresOn: '2026-12-19' }])
  t.ok(r.receiptLines.includes('Offline sale: no discounts at the lane'))
  t.ok(r.receiptLines.includes('Rain check: $2.00 off on next visit'))
  for (const line of r.receiptLines) t.ok(line.length <= 40, line)

  const sale = await f.database.db.selectFrom('sale').select(['source', 'day', 'total_discount_cents', 'status']).executeTakeFirstOrThrow()
  t.same(sale, { source: 'offline', day: '2026-11-21', total_discount_cents: 0, status: 'recorded' }, 'history recorded on the day it happened')
  const rc = await f.database.db.selectFrom('rain_check').selectAll().executeTakeFirstOrThrow()
  t.match(rc, { customer_id: Number(c.id), offer_id: Number(offer), value_cents: 200, redeemed_by: null, expires_on: '2026-12-19' })
  t.match(await f.counts(), { discounts: 0, usage: 1, jobs: 1 }, 'the offer counts as used: it lives on as the rain check')
  const o = await f.database.db.selectFrom('offer').select(['budget_used_redemptions', 'budget_used_discount_cents']).executeTakeFirstOrThrow()
  t.same(o, { budget_used_redemptions: 1, budget_used_discount_cents: 200 })

  const replay = await f.redeem(body)
  t.equal(replay.statusCode, 200)
  t.equal((await f.counts()).rainChecks, 1, 'a replay earns nothing twice')

  // Next visit: the list offer is used up, the rain check pays out, once.
  const next = await f.redeem(f.body(c.cardNumber, [item('milk', 3)]))
  t.equal(next.statusCode, 201, next.body)
  t.same(next.json().discounts.map((d: D) => [d.offerId, d.description, d.amountCents]), [[offer, 'Rain check: $1 off milk', 200]])
  const used = await f.database.db.selectFrom('rain_check').select('redeemed_by').executeTakeFirstOrThrow()
  t.equal(String(used.redeemed_by), next.json().redemptionId)
  const after = await f.redeem(f.body(c.cardNumber, [item('milk', 3)]))
  t.same(after.json().discounts, [], 'a rain check pays out once')

  // Voiding the sale that used it reopens it; voiding the offline sale then cancels it.
  await f.voidIt(next.json().redemptionId)
  t.equal((await f.database.db.selectFrom('rain_check').select('redeemed_by').executeTakeFirstOrThrow()).redeemed_by, null)
  const v = await f.voidIt(r.redemptionId)
  t.equal(v.statusCode, 200)
  const cancelled = await f.database.db.selectFrom('rain_check').select('cancelled_at').executeTakeFirstOrThrow()
  t.ok(cancelled.cancelled_at, 'the rain check of a voided offline sale is cancelled')
  const o2 = await f.database.db.selectFrom('offer').select(['budget_used_redemptions', 'budget_used_discount_cents']).executeTakeFirstOrThrow()
  t.same(o2, { budget_used_redemptions: 0, budget_used_discount_cents: 0 }, 'its use and budget come back')
  const quote = await f.quote(f.body(c.cardNumber, [item('milk')]))
  t.equal(quote.json().totalDiscountCents, 100, 'the list offer is usable again')
})

t.test('an offline sale uses the list the customer held when it happened', async (t) => {
  const f = await checkoutFixture(t)
  const then = await f.createOffer({ description: 'then' })
  const now = await f.createOffer({ description: 'now' })
  const c = await f.createCustomer()
  const old = await f.createList(c.id, [then], { createdAt: '2026-11-10T08:00:00Z' })
  await f.createList(c.id, [now], { createdAt: '2026-11-22T08:00:00Z' })
  const res = await f.redeem(f.body(c.cardNumber, [item('milk')], { offline: true, occurredAt: '2026-11-20T10:00:00-06:00' }))
  t.equal(res.statusCode, 201, res.body)
  t.equal(res.json().listId, old.id)
  t.same(res.json().rainChecks.map((r: { description: string }) => r.description), ['then'])
})

t.test("an offline sale's rain checks are on the customer's next lists, each as it was made", async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ name: 'Milk: $1 off', description: '$1 off milk' })
  const c = await f.customerWithList([offer])
  const list = async (id: string) => {
    const res = await f.call(f.officeKey, { method: 'GET', url: `/v1/lists/${id}` })
    t.equal(res.statusCode, 200, res.body)
    return res.json().rainChecks as { offerId: string; name: string; valueCents: number; expiresOn: string }[]
  }
  const off = await f.redeem(f.body(c.cardNumber, [item('milk', 2)], { offline: true, occurredAt: '2026-11-21T10:00:00-06:00' }))
  t.equal(off.statusCode, 201, off.body)
  t.same(await list(c.listId), [], 'the list made before the sale was posted did not carry it')

  const next = await f.createList(c.id, [])
  const carried = [{ offerId: offer, name: 'Milk: $1 off', description: '$1 off milk', valueCents: 200, expiresOn: '2026-12-19' }]
  t.match(await list(next.id), carried, 'the next list does')
  const page = (await f.call(f.officeKey, { method: 'GET', url: `/v1/lists/${next.id}/print` })).body
  t.match(page, /Your rain checks<\/h2>[\s\S]*\$2\.00[\s\S]*Milk: \$1 off[\s\S]*use it by Saturday, December 19, 2026/)

  const spent = await f.redeem(f.body(c.cardNumber, [item('milk', 2)]))
  t.equal(spent.json().totalDiscountCents, 200, 'the lane takes it off')
  t.same(await list((await f.createList(c.id, [])).id), [], 'a list made after it was spent does not carry it')
  t.match(await list(next.id), carried, 'the list it was printed on still reads as printed')

  await f.voidIt(spent.json().redemptionId)
  t.match(await list((await f.createList(c.id, [])).id), carried, 'reopened by the void: on the next list again')
  await f.voidIt(off.json().redemptionId)
  t.same(await list((await f.createList(c.id, [])).id), [], 'cancelled with the offline sale')
})

t.test('discounts never take a line below zero; zero-priced units are never discounted', async (t) => {
  const f = await checkoutFixture(t)
  const big = await f.createOffer({ description: '$5 off yogurt', scope: { gtins: [CATALOG.yogurt[0]] }, reward: { type: 'amount_off', amountCents: 500 } })
  const c = await f.customerWithList([big])
  const res = await f.redeem(f.body(c.cardNumber, [item('yogurt', 2), item('yogurt', 1, 0)]))
  t.equal(res.json().totalDiscountCents, 198, 'capped at the price of each unit')
  t.equal(res.json().totalAfterCents, 0)
})

t.test('an offline post under the key of a recorded online attempt: 409 naming it, void, post again', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ description: '$1 off milk' })
  const c = await f.customerWithList([offer])
  const online = f.body(c.cardNumber, [item('milk')])
  const first = await f.redeem(online)
  t.equal(first.statusCode, 201)
  const id = first.json().redemptionId
  const offline = { ...online, offline: true }
  const conflict = await f.redeem(offline)
  t.equal(conflict.statusCode, 409)
  t.match(conflict.json().detail, new RegExp(`redemption ${id}`))
  t.equal((await f.voidIt(id)).statusCode, 200)
  const posted = await f.redeem({ ...offline, posTransactionId: `${online.posTransactionId}-offline` })
  t.equal(posted.statusCode, 201, posted.body)
  t.same(posted.json().rainChecks.map((r: { valueCents: number }) => r.valueCents), [100], 'the discount not given at the lane becomes a rain check')
})

t.test('returns from an offline sale shrink the rain checks it earned, or claw back one already used', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ description: '$1 off milk', budget: { maxRedemptions: 100 } })
  const c = await f.customerWithList([offer])
  const offline = (n: number, milk: number) =>
    f.body(c.cardNumber, [item('milk', milk), item('rice')], { offline: true, occurredAt: '2026-11-21T10:00:00-06:00', posTransactionId: `OFF-${n}` })
  const ret = (id: string, posReturnId: string, quantity: number) => f.returnIt(id, { posReturnId, items: [{ gtin: CATALOG.milk[0], quantity }] })
  const rainCheck = async () => f.database.db.selectFrom('rain_check').select(['value_cents', 'cancelled_at', 'redeemed_by']).orderBy('id', 'desc').executeTakeFirstOrThrow()
  const budget = async () => f.database.db.selectFrom('offer').select(['budget_used_redemptions', 'budget_used_discount_cents']).executeTakeFirstOrThrow()
  const usage = async () => f.database.db.selectFrom('offer_usage').select(['redemptions', 'discount_cents']).executeTakeFirstOrThrow()

  const sale = (await f.redeem(offline(1, 2))).json()
  t.equal(sale.rainChecks[0].valueCents, 200, JSON.stringify(sale))
  const r1 = await ret(sale.redemptionId, 'R1', 1)
  t.equal(r1.statusCode, 201, r1.body)
  t.match(r1.json(), { clawbackCents: 0, clawbacks: [] }, 'nothing was discounted at the lane, so nothing comes off the refund')
  t.ok(r1.json().receiptLines.includes('Rain check reduced: $1.00'), JSON.stringify(r1.json().receiptLines))
  t.match(await rainCheck(), { value_cents: 100, cancelled_at: null })
  t.same(await budget(), { budget_used_redemptions: 1, budget_used_discount_cents: 100 }, 'the cents come back to the budget')
  t.same(await usage(), { redemptions: 1, discount_cents: 100 })
  t.same((await ret(sale.redemptionId, 'R1', 1)).json(), r1.json(), 'a replayed return shrinks nothing twice')
  t.match(await rainCheck(), { value_cents: 100 })

  const r2 = await ret(sale.redemptionId, 'R2', 1)
  t.equal(r2.statusCode, 201, r2.body)
  t.match(await rainCheck(), { value_cents: 0 })
  t.ok((await rainCheck()).cancelled_at, 'nothing left: cancelled')
  t.same(await budget(), { budget_used_redemptions: 0, budget_used_discount_cents: 0 }, 'and its use comes back')
  t.same(await usage(), { redemptions: 0, discount_cents: 0 })
  const q = await f.quote(f.body(c.cardNumber, [item('milk')]))
  t.equal(q.json().totalDiscountCents, 100, 'the list offer is usable again')

  // A rain check spent before the return: the return's share comes off the refund.
  const sale2 = (await f.redeem(offline(2, 2))).json()
  const spent = await f.redeem(f.body(c.cardNumber, [item('milk', 2)], { posTransactionId: 'NEXT-1' }))
  t.same(spent.json().discounts.map((d: D) => [d.description, d.amountCents]), [['Rain check: $1 off milk', 200]], spent.body)
  const r3 = await ret(sale2.redemptionId, 'R3', 1)
  t.equal(r3.statusCode, 201, r3.body)
  t.match(r3.json(), { clawbackCents: 100, clawbacks: [{ offerId: offer, gtin: CATALOG.milk[0], amountCents: 100 }] })
  t.ok(r3.json().receiptLines.includes('List savings returned: $1.00'))
  t.match(await rainCheck(), { value_cents: 200, cancelled_at: null }, 'a spent rain check keeps its value')
})
