import t from 'tap'
import { withCheckDigit } from '../../src/lib/codes.ts'
import { findProductsByGtins } from '../../src/modules/products/product.service.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'

const EAN13 = '4006381333931'
const UPCA = '036000291452'
const EAN8 = '96385074'

const item = (gtin: string, over: Record<string, unknown> = {}) => ({
  gtin,
  name: `Product ${gtin}`,
  category: 'Health/Pain relief',
  brand: 'Acme',
  brandType: 'national',
  regularPriceCents: 499,
  ...over,
})

/** n distinct valid GTIN-13s. */
const gtins = (n: number, prefix = '20') => Array.from({ length: n }, (_, i) => withCheckDigit(prefix + String(i).padStart(10, '0')))

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const ta = await buildTestApp(t)
  const key = await ta.createKey('backoffice')
  const post = (products: unknown[]) => ta.call(key, { method: 'POST', url: '/v1/products', payload: { products } })
  return { ta, key, post }
}

const count = (ta: TestApp) => ta.database.db.selectFrom('product').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()

t.test('EAN-13 and its GTIN-14 form upsert to one product, stored and returned as 14 digits', async (t) => {
  const { ta, key, post } = await setup(t)
  const first = await post([item(EAN13), item(UPCA), item(EAN8)])
  t.equal(first.statusCode, 200, first.body)
  t.same(first.json(), { created: 3, updated: 0, unchanged: 0 })

  const again = await post([item(`0${EAN13}`, { name: 'Renamed', regularPriceCents: 450 })])
  t.same(again.json(), { created: 0, updated: 1, unchanged: 0 })
  t.equal((await count(ta)).n, 3)

  for (const form of [EAN13, `0${EAN13}`]) {
    const res = await ta.call(key, { method: 'GET', url: `/v1/products/${form}` })
    t.equal(res.statusCode, 200)
    t.match(res.json(), { gtin: `0${EAN13}`, name: 'Renamed', regularPriceCents: 450, brandType: 'national', active: true })
    t.match(res.json().id, /^[0-9]+$/)
  }
  t.equal((await ta.call(key, { method: 'GET', url: `/v1/products/${UPCA}` })).json().gtin, `00${UPCA}`)
  t.equal((await ta.call(key, { method: 'GET', url: `/v1/products/${EAN8}` })).json().gtin, `000000${EAN8}`)

  // Exactly the stored values again: not rewritten.
  const same = await post([item(EAN13, { name: 'Renamed', regularPriceCents: 450 })])
  t.same(same.json(), { created: 0, updated: 0, unchanged: 1 })

  const audit = await ta.database.db.selectFrom('audit_log').select(['action', 'detail']).where('entity', '=', 'product').orderBy('id').execute()
  t.same(audit.map((a) => a.action), ['product.upsert_batch', 'product.upsert_batch', 'product.upsert_batch'])
  t.match(audit[0]!.detail, { count: 3, created: 3 })
})

t.test('an item is the whole record: optional fields default; category is trimmed', async (t) => {
  const { ta, key, post } = await setup(t)
  await post([item(EAN13, { manufacturer: 'Acme Corp', size: '24 ct', category: ' Health /  Pain relief / Tablets ' })])
  let p = (await ta.call(key, { method: 'GET', url: `/v1/products/${EAN13}` })).json()
  t.match(p, { manufacturer: 'Acme Corp', size: '24 ct', category: 'Health/Pain relief/Tablets' })
  const odd = 'Crème "Fraîche", {Bio} \\ 50% NULL'
  await post([item(UPCA, { name: odd, brand: 'NULL', size: null })])
  t.match((await ta.call(key, { method: 'GET', url: `/v1/products/${UPCA}` })).json(), { name: odd, brand: 'NULL', size: null }, 'array quoting is safe')
  await post([{ gtin: EAN13, name: 'Bare', category: 'Produce' }])
  p = (await ta.call(key, { method: 'GET', url: `/v1/products/${EAN13}` })).json()
  t.match(p, { name: 'Bare', category: 'Produce', brand: null, brandType: 'national', manufacturer: null, size: null, regularPriceCents: null, active: true })
})

t.test('a batch with any invalid item is rejected whole, every bad field named', async (t) => {
  const { ta, post } = await setup(t)
  const bad = [
    item(EAN13),
    item('4006381333932'), // wrong check digit
    item('40063813339x1', { category: 'A/B/C/D', regularPriceCents: -1 }),
    item(`0${EAN13}`), // same product as item 0
    { gtin: '12345', category: 'Health//Pain', brandType: 'generic', regularPriceCents: 1.5 },
    item(UPCA, { extra: true }),
  ]
  const res = await post(bad)
  t.equal(res.statusCode, 400)
  t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
  const errors = res.json().errors as { path: string; message: string }[]
  const by = (path: string) => errors.filter((e) => e.path === path).map((e) => e.message)
  t.same(by('products.1.gtin'), ['the check digit does not match (mistyped GTIN?)'])
  t.same(by('products.2.gtin'), ['a GTIN has only digits'])
  t.match(by('products.2.category'), [/at most 3 segments/])
  t.equal(by('products.2.regularPriceCents').length, 1)
  t.match(by('products.3.gtin'), [/same product as products\.0\.gtin/])
  t.same(by('products.4.gtin'), ['a GTIN has 8, 12, 13 or 14 digits'])
  t.equal(by('products.4.name').length, 1, 'missing name')
  t.match(by('products.4.category'), [/no empty segments/])
  t.equal(by('products.4.brandType').length, 1)
  t.equal(by('products.4.regularPriceCents').length, 1, 'not an integer')
  t.match(by('products.5'), [/extra/], 'unknown field')
  t.notOk(errors.some((e) => e.path.startsWith('products.0.')), 'the valid item is not blamed')
  t.equal((await count(ta)).n, 0, 'nothing written')
  t.equal((await ta.database.db.selectFrom('audit_log').select('id').where('entity', '=', 'product').execute()).length, 0)

  t.equal((await post([])).statusCode, 400, 'empty batch')
  const tooMany = await post(gtins(5001).map((g) => ({ gtin: g, name: 'x', category: 'A' })))
  t.equal(tooMany.statusCode, 400)
  t.equal(tooMany.json().errors[0].path, 'products')
})

t.test('5,000 products in one call, then 5,000 updates', async (t) => {
  const { ta, post } = await setup(t)
  const codes = gtins(5000)
  const full = (price: number) => codes.map((g) => item(g, { manufacturer: 'A manufacturer with a long name', size: '500 g', regularPriceCents: price }))
  t.ok(JSON.stringify({ products: full(1) }).length > 1024 * 1024, 'bigger than the app-wide body limit')
  const created = await post(full(100))
  t.equal(created.statusCode, 200, created.body.slice(0, 300))
  t.same(created.json(), { created: 5000, updated: 0, unchanged: 0 })
  const updated = await post(full(101))
  t.same(updated.json(), { created: 0, updated: 5000, unchanged: 0 })
  t.equal((await count(ta)).n, 5000)
})

t.test('listing pages by cursor without duplicates or gaps; filters', async (t) => {
  const { ta, key, post } = await setup(t)
  const codes = gtins(23)
  await post(codes.map((g, i) => item(g, { category: i % 2 ? 'Health/Pain relief' : 'Healthy snacks', name: i === 7 ? 'Ibuprofen 200mg' : `P${i}` })))
  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const url: string = `/v1/products?limit=5${cursor ? `&cursor=${cursor}` : ''}`
    const res = await ta.call(key, { method: 'GET', url })
    t.equal(res.statusCode, 200)
    const body = res.json() as { items: { gtin: string }[]; nextCursor: string | null }
    t.ok(body.items.length <= 5)
    seen.push(...body.items.map((p) => p.gtin))
    cursor = body.nextCursor
    pages++
  } while (cursor && pages < 10)
  t.equal(pages, 5)
  t.equal(seen.length, 23)
  t.equal(new Set(seen).size, 23, 'no duplicates')
  t.same([...seen].sort(), codes.map((g) => `0${g}`).sort(), 'none missing')

  const health = (await ta.call(key, { method: 'GET', url: '/v1/products?category=Health&limit=100' })).json()
  t.equal(health.items.length, 11, 'a department matches its categories, not "Healthy snacks"')
  t.equal(health.nextCursor, null)
  const q = (await ta.call(key, { method: 'GET', url: '/v1/products?q=ibuPROFEN' })).json()
  t.same(q.items.map((p: { name: string }) => p.name), ['Ibuprofen 200mg'])
  const pct = (await ta.call(key, { method: 'GET', url: '/v1/products?q=%25' })).json()
  t.equal(pct.items.length, 0, 'LIKE wildcards in q are literal')

  for (const bad of ['cursor=nonsense', `cursor=${Buffer.from('c1:5').toString('base64url')}`, 'limit=0', 'limit=501', 'category=A//B', 'foo=1']) {
    const res = await ta.call(key, { method: 'GET', url: `/v1/products?${bad}` })
    t.equal(res.statusCode, 400, bad)
    t.match(res.json().errors[0].path, /^querystring/, bad)
  }
})

t.test('GET: malformed GTIN is 400, unknown is 404', async (t) => {
  const { ta, key } = await setup(t)
  const bad = await ta.call(key, { method: 'GET', url: '/v1/products/4006381333932' })
  t.equal(bad.statusCode, 400)
  t.same(bad.json().errors, [{ path: 'params.gtin', message: 'the check digit does not match (mistyped GTIN?)' }])
  t.equal((await ta.call(key, { method: 'GET', url: '/v1/products/abc' })).statusCode, 400)
  const unknown = await ta.call(key, { method: 'GET', url: `/v1/products/${EAN13}` })
  t.equal(unknown.statusCode, 404)
  t.equal(unknown.json().type, 'https://lanelist.dev/problems/not-found')
})

t.test('PATCH changes some fields and delists softly', async (t) => {
  const { ta, key, post } = await setup(t)
  await post([item(EAN13, { manufacturer: 'Acme Corp' })])
  const patch = (gtin: string, payload: object) => ta.call(key, { method: 'PATCH', url: `/v1/products/${gtin}`, payload })
  const res = await patch(`0${EAN13}`, { active: false, regularPriceCents: 399 })
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { active: false, regularPriceCents: 399, manufacturer: 'Acme Corp', name: `Product ${EAN13}` })
  t.equal((await count(ta)).n, 1, 'soft: the row stays')
  const delisted = (await ta.call(key, { method: 'GET', url: '/v1/products?active=false' })).json()
  t.equal(delisted.items.length, 1)
  t.equal((await ta.call(key, { method: 'GET', url: '/v1/products?active=true' })).json().items.length, 0)

  t.equal((await patch(EAN13, {})).statusCode, 400, 'nothing to change')
  const badFields = await patch(EAN13, { category: '', regularPriceCents: -5, gtin: '1' })
  t.equal(badFields.statusCode, 400)
  t.ok(badFields.json().errors.length >= 2)
  t.equal((await patch(UPCA, { name: 'x' })).statusCode, 404)
  t.equal((await patch('123', { name: 'x' })).statusCode, 400)

  const audit = await ta.database.db.selectFrom('audit_log').select(['action', 'detail']).where('action', '=', 'product.update').execute()
  t.equal(audit.length, 1)
  t.match(audit[0]!.detail, { gtin: `0${EAN13}`, fields: ['regularPriceCents', 'active'], active: false })
})

t.test('keys: none is 401, pos is 403', async (t) => {
  const { ta, post } = await setup(t)
  const storeId = await ta.createStore()
  const pos = await ta.createKey('pos', storeId)
  t.equal((await ta.call(null, { method: 'GET', url: '/v1/products' })).statusCode, 401)
  t.equal((await ta.call(pos, { method: 'GET', url: `/v1/products/${EAN13}` })).statusCode, 403)
  const res = await ta.call(pos, { method: 'POST', url: '/v1/products', payload: { products: [item(EAN13)] } })
  t.equal(res.statusCode, 403)
  t.equal((await count(ta)).n, 0)
  t.equal((await post([item(EAN13)])).statusCode, 200)
})

t.test('findProductsByGtins: any form in, 14-digit keys out, one query', async (t) => {
  const { ta, post } = await setup(t)
  await post([item(EAN13, { manufacturer: 'Acme Corp' }), item(UPCA, { brandType: 'store', active: false })])
  const found = await findProductsByGtins(ta.database.db, [EAN13, `00${UPCA}`, '4006381333932', EAN8, 'junk'])
  t.same([...found.keys()].sort(), [`00${UPCA}`, `0${EAN13}`])
  t.match(found.get(`0${EAN13}`), { gtin: `0${EAN13}`, name: `Product ${EAN13}`, category: 'Health/Pain relief', brand: 'Acme', brandType: 'national', manufacturer: 'Acme Corp', regularPriceCents: 499, active: true })
  t.equal(typeof found.get(`0${EAN13}`)?.id, 'number')
  t.match(found.get(`00${UPCA}`), { brandType: 'store', active: false })
  t.equal((await findProductsByGtins(ta.database.db, [])).size, 0)
})

t.test('the OpenAPI document describes the product routes', async (t) => {
  const { ta } = await setup(t)
  const doc = ta.app.swagger() as { paths: Record<string, Record<string, { description?: string }>> }
  t.ok(doc.paths['/v1/products']?.post?.description?.includes('rejected whole'))
  t.ok(doc.paths['/v1/products/{gtin}']?.patch)
})
