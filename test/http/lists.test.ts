import t from 'tap'
import { classifyScannedCode } from '../../src/lib/codes.ts'
import { buildTestApp } from '../helpers/app.ts'
import { insertCustomer, insertList, insertOffer, insertProduct, insertSale } from '../helpers/list-fixtures.ts'

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const ta = await buildTestApp(t)
  const key = await ta.createKey('backoffice')
  const get = (url: string, k: string | null = key) => ta.call(k, { method: 'GET', url })
  const db = ta.database.db
  const storeId = await ta.createStore('S07')
  await db.updateTable('store').set({ name: 'Badger Foods — Main St' }).where('id', '=', storeId).execute()
  const customer = await insertCustomer(db, { firstName: 'Maria', homeStoreId: storeId, household: { postalCode: '53703' } })
  await db.insertInto('card').values({ number: '2912345678906', customer_id: customer }).execute()
  const milk = await insertProduct(db, { category: 'Dairy/Milk', name: 'Badger Valley 2% milk 1 gal', brand: 'Badger Valley', priceCents: 299 })
  const aspirin = await insertProduct(db, { category: 'Health/Pain relief', name: 'Hometown ibuprofen 200 mg 100 ct', brandType: 'store' })
  const offer = await insertOffer(db, { name: 'Store brand trial', reward: { type: 'amount_off', amountCents: 150 }, scope: { category: 'Health/Pain relief' } })
  const perk = await insertOffer(db, { name: 'Recipe', kind: 'perk', reward: { type: 'perk', perkType: 'recipe', content: 'x' }, scope: {} })
  const list = await insertList(db, {
    customerId: customer,
    items: [
      { productId: milk.id, expectedDate: '2026-11-24', probability: 0.9, reason: 'You buy this about every week' },
      { productId: aspirin.id, expectedDate: '2026-12-01', reason: 'You usually buy pain relief every 5 weeks', offerId: offer, offerValueCents: 150 },
      { category: 'Produce/Fruit', expectedDate: '2026-11-23', reason: 'You buy fruit on most trips' },
    ],
    perks: [
      { offerId: String(perk), perkType: 'recipe', name: 'Sheet-pan chicken', content: 'Chicken, potatoes and carrots: 40 minutes.' },
      { broken: true },
    ],
  })
  return { ta, key, get, db, customer, milk, aspirin, offer, list }
}

t.test('the current list and a list by id: items with products, offers, perks and totals', async (t) => {
  const { get, customer, milk, aspirin, offer, list, db } = await setup(t)
  const res = await get(`/v1/customers/${customer}/lists/current`)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'private, no-cache')
  const body = res.json()
  t.match(body, {
    id: String(list.id),
    customerId: String(customer),
    barcode: list.barcode,
    validFrom: '2026-11-23',
    validUntil: '2026-12-06',
    status: 'current',
    trigger: 'manual',
    holdout: false,
    totalCouponCents: 150,
    perks: [{ perkType: 'recipe', name: 'Sheet-pan chicken' }],
    vouchers: [],
  })
  t.equal(body.perks.length, 1, 'a malformed perk entry is left off')
  t.equal(classifyScannedCode(body.barcode).kind, 'list')
  t.same(
    body.items.map((i: { rank: number; department: string; expectedDate: string }) => [i.rank, i.department, i.expectedDate]),
    [
      [1, 'Dairy', '2026-11-24'],
      [2, 'Health', '2026-12-01'],
      [3, 'Produce', '2026-11-23'],
    ],
  )
  t.match(body.items[0], { product: { id: String(milk.id), gtin: milk.gtin, name: 'Badger Valley 2% milk 1 gal', category: 'Dairy/Milk' }, offer: null, probability: 0.9 })
  t.match(body.items[1], { product: { id: String(aspirin.id) }, offer: { id: String(offer), name: 'Store brand trial', reward: { type: 'amount_off', amountCents: 150 }, valueCents: 150 } })
  t.match(body.items[2], { product: null, category: 'Produce/Fruit', reason: 'You buy fruit on most trips' })

  const byId = await get(`/v1/lists/${list.id}`)
  t.equal(byId.statusCode, 200)
  t.same(byId.json(), body, 'same shape by id')

  // A newer list supersedes this one: the old one still reads, as superseded.
  await db.updateTable('list').set({ status: 'superseded' }).where('id', '=', list.id).execute()
  const newer = await insertList(db, { customerId: customer, validFrom: '2026-11-30', validUntil: '2026-12-13' })
  t.equal((await get(`/v1/customers/${customer}/lists/current`)).json().id, String(newer.id))
  t.equal((await get(`/v1/lists/${list.id}`)).json().status, 'superseded')
  t.same((await get(`/v1/lists/${newer.id}`)).json().items, [])
})

t.test('404s, 400s, 401 and 403', async (t) => {
  const { ta, get, db, list } = await setup(t)
  const noList = await insertCustomer(db)
  const missing = await get(`/v1/customers/${noList}/lists/current`)
  t.equal(missing.statusCode, 404)
  t.equal(missing.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.match(missing.json().detail, /has no current list/)
  t.match((await get('/v1/customers/999999999/lists/current')).json(), { status: 404, detail: /customer 999999999 does not exist/ })
  for (const url of ['/v1/lists/999999999', '/v1/lists/999999999/barcode.svg', '/v1/lists/999999999/barcode.png', '/v1/lists/999999999/print']) {
    t.equal((await get(url)).statusCode, 404, url)
  }
  const bad = await get('/v1/lists/abc')
  t.equal(bad.statusCode, 400)
  t.match(bad.json().errors, [{ path: 'params.listId' }])
  t.equal((await get('/v1/customers/x1/lists/current')).statusCode, 400)
  t.equal((await get(`/v1/lists/${list.id}`, null)).statusCode, 401)
  const pos = await ta.createKey('pos', 'S07')
  t.equal((await get(`/v1/lists/${list.id}/print`, pos)).statusCode, 403)
})

t.test('barcode images: SVG and PNG with their content types and long-lived private caching', async (t) => {
  const { get, list } = await setup(t)
  const svg = await get(`/v1/lists/${list.id}/barcode.svg`)
  t.equal(svg.statusCode, 200)
  t.equal(svg.headers['content-type'], 'image/svg+xml; charset=utf-8')
  t.equal(svg.headers['cache-control'], 'private, max-age=31536000, immutable')
  t.equal(svg.headers.etag, `"${list.barcode}"`)
  t.match(svg.body, /^<svg width="\d+" height="\d+" role="img" aria-label="List barcode LL\d{13}"/)
  t.match(svg.body, `<title>List barcode ${list.barcode}</title>`)
  t.match(svg.body, /<path /, 'bars are drawn')

  const png = await get(`/v1/lists/${list.id}/barcode.png`)
  t.equal(png.statusCode, 200)
  t.equal(png.headers['content-type'], 'image/png')
  t.equal(png.headers['cache-control'], 'private, max-age=31536000, immutable')
  t.same([...png.rawPayload.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature')
  t.ok(png.rawPayload.length > 200)
})

t.test('the print page: a real shopping list, first name only, every text escaped, nothing loaded from outside', async (t) => {
  const { get, db, customer, list, milk } = await setup(t)
  const res = await get(`/v1/lists/${list.id}/print`)
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'text/html; charset=utf-8')
  const html = res.body
  t.match(html, /^<!doctype html>\n<html lang="en">/)
  t.match(html, 'Badger Foods — Main St', 'store name')
  t.match(html, 'Maria’s shopping list')
  t.match(html, 'Monday, November 23, 2026 to Sunday, December 6, 2026')
  t.match(html, /<h3>Dairy<\/h3>[\s\S]*<h3>Health<\/h3>[\s\S]*<h3>Produce<\/h3>/, 'grouped by department in rank order')
  t.match(html, 'This week, around Tue, Nov 24')
  t.match(html, 'Next week, around Tue, Dec 1')
  t.match(html, 'Running low now')
  t.match(html, 'Any fruit')
  t.match(html, '$1.50 off')
  t.match(html, 'You save $1.50')
  t.match(html, /Your coupons<\/p>\s*<p class="total-value">\$1\.50<\/p>/)
  t.match(html, 'Sheet-pan chicken')
  t.match(html, `aria-label="List barcode ${list.barcode}"`, 'the barcode, inline')
  t.match(html, '@page', 'print CSS')
  t.notMatch(html, '2912345678906', 'no card number')
  t.notMatch(html, '53703', 'no postal code or other household facts')
  t.notMatch(html, /<(link|script|img|iframe)\b|src=|url\(|@import/i, 'no external resources')

  await db.updateTable('customer').set({ first_name: '<script>alert(1)</script>' }).where('id', '=', customer).execute()
  await db.updateTable('product').set({ name: 'Milk "fresh" & <b>cold</b>', brand: "O'Brien" }).where('id', '=', milk.id).execute()
  const evil = (await get(`/v1/lists/${list.id}/print`)).body
  t.notMatch(evil, '<script>')
  t.notMatch(evil, '<b>cold</b>')
  t.match(evil, '&lt;script&gt;alert(1)&lt;/script&gt;’s shopping list')
  t.match(evil, 'Milk &quot;fresh&quot; &amp; &lt;b&gt;cold&lt;/b&gt;')
  t.match(evil, 'O&#39;Brien')

  // Without a first name or a home store: generic title, the store of the latest sale.
  const other = await insertCustomer(db)
  await db.insertInto('store').values({ id: 'S09', name: 'Badger Foods — Lakeside', timezone: 'America/Chicago' }).execute()
  await insertSale(db, other, '2026-11-01', [], { storeId: 'S09' })
  const plain = await insertList(db, { customerId: other })
  const plainHtml = (await get(`/v1/lists/${plain.id}/print`)).body
  t.match(plainHtml, 'Your shopping list')
  t.match(plainHtml, 'Badger Foods — Lakeside')
  t.match(plainHtml, 'Nothing to remind you of this time')

  // An offer placed in a category the customer buys, on products they do not: a coupon beside
  // the shopping list, named by the offer (it is not "any" product of the category), not an item.
  const cheese = await insertOffer(db, { name: 'Badger Valley cheese: buy 2, get 1 free', reward: { type: 'buy_x_get_y', buy: 2, get: 1, percentOff: 100 }, scope: { category: 'Dairy/Cheese' } })
  const withCoupon = await insertList(db, {
    customerId: await insertCustomer(db),
    items: [
      { productId: milk.id, expectedDate: '2026-11-24', reason: 'You buy this about every week' },
      { category: 'Dairy/Cheese', expectedDate: '2026-11-26', reason: 'An offer picked for you. Timed to when you usually buy cheese.', offerId: cheese, offerValueCents: 299 },
    ],
  })
  const couponHtml = (await get(`/v1/lists/${withCoupon.id}/print`)).body
  const needs = couponHtml.slice(couponHtml.indexOf('What you will likely need'), couponHtml.indexOf('More offers picked for you'))
  t.match(needs, 'Milk &quot;fresh&quot;', 'the predicted item is on the shopping list')
  t.notMatch(needs, 'cheese', 'the coupon is not one of its items')
  t.notMatch(couponHtml, 'Any cheese')
  const coupons = couponHtml.slice(couponHtml.indexOf('More offers picked for you'))
  t.match(coupons, /class="coupon-card">\s*<p><strong class="coupon-deal">Buy 2, get 1 free<\/strong>[\s\S]*?<p class="coupon-card-name">Badger Valley cheese: buy 2, get 1 free<\/p>/)
  t.match(coupons, 'Cheese · This week, around Thu, Nov 26')
  t.match(coupons, 'You save $2.99')
  t.match(couponHtml, /Your coupons<\/p>\s*<p class="total-value">\$2\.99<\/p>/)
})
