import pg from 'pg'
import t from 'tap'
import { catalogCacheStats } from '../../src/modules/redemptions/pricing-catalog-cache.ts'
import { CATALOG, checkoutFixture, item, offerBody, UNKNOWN_GTIN, type CheckoutFixture } from '../helpers/checkout-fixtures.ts'

// The lane's read keeps offer definitions and products in memory per catalog version
// (pricing-catalog-cache.ts, migration 0033). A stale copy must never price a sale: every change
// below is followed at once by a sale that must see it, whether it came through this instance's
// API or from elsewhere (another instance, an import, SQL), and the lane's own budget updates
// must not throw the copy away.

const discountOf = async (f: CheckoutFixture, card: string, items = [item('milk')]) => {
  const res = await f.redeem(f.body(card, items))
  if (res.statusCode !== 201) throw new Error(res.body)
  return res.json().totalDiscountCents as number
}
const version = async (f: CheckoutFixture) =>
  Number((await f.database.pool.query('select version from pricing_catalog_version')).rows[0].version)

/** Another instance, or an operator: a connection of its own, outside this app. */
const elsewhere = async (t: { teardown(fn: () => unknown): void }, f: CheckoutFixture) => {
  const client = new pg.Client({ connectionString: f.database.url })
  await client.connect()
  t.teardown(() => client.end())
  return client
}

t.test('an offer paused, resumed, changed or ended is seen by the very next sale', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ limits: { redemptionsPerCustomer: 100 } })
  const c = await f.customerWithList([offer])
  t.equal(await discountOf(f, c.cardNumber), 100, 'given, and now held in memory')
  t.equal(await discountOf(f, c.cardNumber), 100)

  const call = (url: string, method: 'POST' | 'PATCH' = 'POST', payload?: object) =>
    f.call(f.officeKey, { method, url, ...(payload ? { payload } : {}) })
  t.equal((await call(`/v1/offers/${offer}/pause`)).statusCode, 200)
  t.equal(await discountOf(f, c.cardNumber), 0, 'paused: not given')
  t.equal((await call(`/v1/offers/${offer}/resume`)).statusCode, 200)
  t.equal(await discountOf(f, c.cardNumber), 100, 'resumed: given again')
  const shortened = await call(`/v1/offers/${offer}`, 'PATCH', { validUntil: '2026-11-21' })
  t.equal(shortened.statusCode, 200, shortened.body)
  t.equal(await discountOf(f, c.cardNumber), 0, 'its validity now ends the day before the sale')
  t.equal((await call(`/v1/offers/${offer}`, 'PATCH', { validUntil: '2026-11-30' })).statusCode, 200)
  t.equal(await discountOf(f, c.cardNumber), 100, 'valid again')
  t.equal((await call(`/v1/offers/${offer}`, 'PATCH', { limits: { redemptionsPerCustomer: 4 } })).statusCode, 200)
  t.equal(await discountOf(f, c.cardNumber), 0, 'a limit per customer of 4, all four used: none left')
  t.equal((await call(`/v1/offers/${offer}/end`)).statusCode, 200)
  t.equal(await discountOf(f, c.cardNumber), 0, 'ended: not given')
  const quoted = await f.quote(f.body(c.cardNumber, [item('milk')]))
  t.equal(quoted.json().totalDiscountCents, 0, 'the quote too')
})

t.test('a change made outside this instance is seen by the next sale', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ limits: { redemptionsPerCustomer: 100 }, scope: { category: 'Dairy/Milk' } })
  const c = await f.customerWithList([offer])
  const other = await elsewhere(t, f)
  t.equal(await discountOf(f, c.cardNumber), 100)

  await other.query(`update offer set status = 'paused' where id = $1`, [Number(offer)])
  t.equal(await discountOf(f, c.cardNumber), 0, 'paused by SQL from another connection')
  await other.query(`update offer set status = 'active', valid_until = '2026-11-21' where id = $1`, [Number(offer)])
  t.equal(await discountOf(f, c.cardNumber), 0, 'its validity ended the day before the sale')
  await other.query(`update offer set valid_until = '2026-11-30' where id = $1`, [Number(offer)])
  t.equal(await discountOf(f, c.cardNumber), 100, 'valid again')

  // The scope is a category: moving the product out of it takes the discount away ...
  await other.query(`update product set category = 'Dairy/Cheese' where gtin = $1`, [CATALOG.milk[0]])
  t.equal(await discountOf(f, c.cardNumber), 0, "the product's new category is outside the scope")
  await other.query(`update product set category = 'Dairy/Milk' where gtin = $1`, [CATALOG.milk[0]])
  t.equal(await discountOf(f, c.cardNumber), 100, 'and back')
  // ... and a product the catalog did not have, once added, is priced by the next sale.
  const unknown = { gtin: UNKNOWN_GTIN, quantity: 1, unitPriceCents: 250 }
  t.equal(await discountOf(f, c.cardNumber, [unknown]), 0, 'not in the catalog: never discounted')
  await other.query(`insert into product (gtin, name, category, brand_type) values ($1, 'new milk', 'Dairy/Milk', 'national')`, [UNKNOWN_GTIN])
  t.equal(await discountOf(f, c.cardNumber, [unknown]), 100, 'added to the catalog: in the scope now')
  const res = await f.redeem(f.body(c.cardNumber, [unknown]))
  const line = await f.database.pool.query(
    `select l.product_id from sale_line l join redemption r on r.sale_id = l.sale_id where r.id = $1`,
    [Number(res.json().redemptionId)],
  )
  t.ok(line.rows[0].product_id, 'the line records the new product')
  await other.query(`update product set gtin = $2 where gtin = $1`, [UNKNOWN_GTIN, '04999999999983'])
  t.equal(await discountOf(f, c.cardNumber, [unknown]), 0, 'its GTIN changed: that code is unknown again')
})

t.test('sales and their budget updates leave the copy in place; back-office changes move the version', async (t) => {
  const f = await checkoutFixture(t)
  const budgeted = await f.createOffer({ limits: { redemptionsPerCustomer: 100 }, budget: { maxRedemptions: 50 } })
  const free = await f.createOffer(offerBody({ scope: { gtins: [CATALOG.rice[0]] }, limits: { redemptionsPerCustomer: 100 } }))
  const c = await f.customerWithList([budgeted, free])
  const basket = [item('milk'), item('rice')]
  t.equal(await discountOf(f, c.cardNumber, basket), 200)
  const before = await version(f)
  const full = catalogCacheStats.fullReads
  for (let i = 0; i < 5; i++) t.equal(await discountOf(f, c.cardNumber, basket), 200)
  t.equal(await version(f), before, 'five sales and their budget updates: the version did not move')
  t.equal(catalogCacheStats.fullReads, full, 'and every read used the copy')
  const counters = await f.database.pool.query('select budget_used_redemptions from offer where id = $1', [Number(budgeted)])
  t.equal(counters.rows[0].budget_used_redemptions, 6, 'the budget counted every sale')

  // A void gives budget back, also without moving the version.
  const sale = await f.redeem(f.body(c.cardNumber, basket))
  t.equal((await f.voidIt(sale.json().redemptionId)).statusCode, 200)
  t.equal(await version(f), before, 'a void neither')

  const patched = await f.call(f.officeKey, { method: 'PATCH', url: `/v1/offers/${budgeted}`, payload: { budget: { maxRedemptions: 7 } } })
  t.equal(patched.statusCode, 200, patched.body)
  t.ok((await version(f)) > before, 'a budget change moves it')
  t.equal(await discountOf(f, c.cardNumber, basket), 200, 'the 7th use of the budget (the voided one was given back)')
  t.equal(await discountOf(f, c.cardNumber, basket), 100, 'the new maximum holds: only the offer without a budget')

  const product = await f.call(f.officeKey, { method: 'PATCH', url: `/v1/products/${CATALOG.soup[0]}`, payload: { name: 'Tomato soup' } })
  t.equal(product.statusCode, 200, product.body)
  const afterName = await version(f)
  const renamed = await f.call(f.officeKey, { method: 'PATCH', url: `/v1/products/${CATALOG.soup[0]}`, payload: { name: 'Soup' } })
  t.equal(renamed.statusCode, 200)
  t.equal(await version(f), afterName, "a product's name is not priced: renaming it keeps the copy")
  const none = await f.database.pool.query(`insert into product (gtin, name, category) values ($1, 'x', 'Pantry/Rice') on conflict (gtin) do nothing`, [CATALOG.rice[0]])
  t.equal(none.rowCount, 0)
  t.equal(await version(f), afterName, 'an import statement that inserted nothing keeps it too')
})

t.test('concurrent sales across alternating changes price alike', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ limits: { redemptionsPerCustomer: 100 } })
  const customers = await Promise.all(Array.from({ length: 6 }, () => f.customerWithList([offer])))
  const other = await elsewhere(t, f)
  for (let round = 0; round < 4; round++) {
    const paused = round % 2 === 1
    await other.query(`update offer set status = $2 where id = $1`, [Number(offer), paused ? 'paused' : 'active'])
    const discounts = await Promise.all(customers.map((c) => discountOf(f, c.cardNumber)))
    t.same(discounts, customers.map(() => (paused ? 0 : 100)), `round ${round}: every lane sees the offer ${paused ? 'paused' : 'active'}`)
  }
})
