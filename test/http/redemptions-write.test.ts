import pg from 'pg'
import t from 'tap'
import { checkoutFixture, item, type CheckoutFixture } from '../helpers/checkout-fixtures.ts'

// Offers without a budget are counted from offer_usage rather than on their row (so lanes
// never queue on a popular offer's row); the back office must see the same figures either way.

const figures = async (f: CheckoutFixture, offer: string) => {
  const b = (await f.call(f.officeKey, { method: 'GET', url: `/v1/offers/${offer}` })).json()
  return { used: [b.budget.usedRedemptions, b.budget.usedDiscountCents], given: [b.redemptions, b.discountGivenCents] }
}
const rowCounters = async (f: CheckoutFixture, offer: string) => {
  const o = await f.database.db
    .selectFrom('offer')
    .select(['budget_used_redemptions', 'budget_used_discount_cents'])
    .where('id', '=', Number(offer))
    .executeTakeFirstOrThrow()
  return [o.budget_used_redemptions, o.budget_used_discount_cents]
}

t.test('an offer without a budget: the lane leaves its row alone, the API still counts every use', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer()
  for (let i = 0; i < 3; i++) {
    const c = await f.customerWithList([offer])
    const res = await f.redeem(f.body(c.cardNumber, [item('milk', 2)]))
    t.equal(res.json().totalDiscountCents, 200, res.body)
  }
  t.same(await rowCounters(f, offer), [0, 0], 'no counter update on the shared row')
  t.same(await figures(f, offer), { used: [3, 600], given: [3, 600] })
  const listed = (await f.call(f.officeKey, { method: 'GET', url: '/v1/offers' })).json().items
  t.match(listed.find((o: { id: string }) => o.id === offer), { redemptions: 3, discountGivenCents: 600 }, 'the list route too')

  // A budget added later starts from the uses so far and is enforced from there.
  const tooLow = await f.call(f.officeKey, { method: 'PATCH', url: `/v1/offers/${offer}`, payload: { budget: { maxRedemptions: 2 } } })
  t.equal(tooLow.statusCode, 409, 'cannot go below what is already used')
  const patched = await f.call(f.officeKey, { method: 'PATCH', url: `/v1/offers/${offer}`, payload: { budget: { maxRedemptions: 4 } } })
  t.equal(patched.statusCode, 200, patched.body)
  t.same(await rowCounters(f, offer), [3, 600], 'counters start from the sums')
  const fourth = await f.customerWithList([offer])
  t.equal((await f.redeem(f.body(fourth.cardNumber, [item('milk')]))).json().totalDiscountCents, 100)
  const fifth = await f.customerWithList([offer])
  t.equal((await f.redeem(f.body(fifth.cardNumber, [item('milk')]))).json().totalDiscountCents, 0, 'budget of 4 reached')
  t.same(await figures(f, offer), { used: [4, 700], given: [4, 700] })
})

t.test('a budget added while a lane is writing a sale with the offer: the sale is counted', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer()
  const c = await f.customerWithList([offer])
  const admin = new pg.Client({ connectionString: f.database.url })
  await admin.connect()
  t.teardown(() => admin.end())

  // The back office's change holds the offer row (what PATCH's lock does) ...
  await admin.query('begin')
  await admin.query('select id from offer where id = $1 for update', [Number(offer)])
  const pending = f.redeem(f.body(c.cardNumber, [item('milk')]))
  let waiting = false
  for (let i = 0; i < 200 && !waiting; i++) {
    await admin.query('select pg_stat_clear_snapshot()')
    const r = await admin.query(
      `select 1 from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
          and wait_event_type = 'Lock' and query ilike '%insert into redemption %'`,
    )
    waiting = r.rows.length > 0
    if (!waiting) await new Promise((resolve) => setTimeout(resolve, 25))
  }
  t.ok(waiting, 'the lane waits for the change')
  // ... and commits a budget: the lane read the offer without one, so it must read it again.
  await admin.query('update offer set budget_max_redemptions = 10 where id = $1', [Number(offer)])
  await admin.query('commit')
  const res = await pending
  t.equal(res.statusCode, 201, res.body)
  t.equal(res.json().totalDiscountCents, 100)
  t.same(await rowCounters(f, offer), [1, 100], 'the sale is on the new counters')
})

t.test("the response carries the customer's value tier from their profile", async (t) => {
  const f = await checkoutFixture(t)
  const c = await f.customerWithList([await f.createOffer()])
  const before = await f.quote(f.body(c.cardNumber, [item('milk')]))
  t.equal(before.json().customer.tier, null, 'no profile yet')
  await f.database.pool.query(`insert into customer_profile (customer_id, as_of, value_tier) values ($1, '2026-11-20', 'B')`, [Number(c.id)])
  const res = await f.redeem(f.body(c.cardNumber, [item('milk')]))
  t.equal(res.json().customer.tier, 'B', res.body)
})

t.test('redemption.recorded commits with the sale, with ids and amounts only', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer()
  const c = await f.customerWithList([offer])
  const res = await f.redeem(f.body(c.cardNumber, [item('milk', 2), item('rice')], { posTransactionId: 'T-77' }))
  t.equal(res.statusCode, 201, res.body)
  const r = res.json()
  const events = await f.database.pool.query(`select type, payload from event_outbox where type = 'redemption.recorded'`)
  t.equal(events.rows.length, 1)
  t.same(events.rows[0].payload, {
    redemptionId: r.redemptionId,
    storeId: 'S01',
    laneId: '07',
    posTransactionId: 'T-77',
    customerId: c.id,
    listId: c.listId,
    occurredAt: f.body(c.cardNumber, []).occurredAt,
    offline: false,
    totalBeforeCents: r.totalBeforeCents,
    totalDiscountCents: 200,
    totalAfterCents: r.totalBeforeCents - 200,
    discounts: [{ offerId: offer, gtin: r.discounts[0].gtin, quantity: 2, amountCents: 200 }],
  })
  t.notOk(JSON.stringify(events.rows[0].payload).includes(c.cardNumber), 'no card number')
  const replay = await f.redeem(f.body(c.cardNumber, [item('milk', 2), item('rice')], { posTransactionId: 'T-77' }))
  t.equal(replay.statusCode, 200)
  t.equal((await f.database.pool.query(`select 1 from event_outbox where type = 'redemption.recorded'`)).rows.length, 1, 'a replay records nothing new')
})

t.test('what lane history refers to is never deleted (the references it no longer checks)', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer()
  const c = await f.customerWithList([offer])
  const res = await f.redeem(f.body(c.cardNumber, [item('milk')]))
  t.equal(res.statusCode, 201, res.body)
  const tables = <[string, string][]>[['offer', `id = ${offer}`], ['store', `id = '${f.storeId}'`], ['customer', `id = ${c.id}`], ['redemption', 'true'], ['list', `id = ${c.listId}`]]
  for (const [table, where] of tables) {
    await t.rejects(f.database.pool.query(`delete from ${table} where ${where}`), { code: '23001', message: new RegExp(`${table} rows are never deleted`) }, table)
  }
  t.match(await f.counts(), { redemptions: 1, discounts: 1, usage: 1 }, 'all still there')
})
