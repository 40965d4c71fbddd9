import t from 'tap'
import { scopeCoversProduct } from '../../src/modules/offers/offer-scope.ts'
import { scopeSchema } from '../../src/modules/offers/offer.schemas.ts'
import { buildTestApp } from '../helpers/app.ts'

// An offer's category scope follows the product category rules (trimmed segments, at most
// three), so the same words always name the same catalog branch.

function offerBody(scope: unknown) {
  return {
    name: 'Pain relief week',
    scope,
    reward: { type: 'percent_off', percent: 10 },
    targeting: { everyone: true },
    validFrom: '2026-11-01',
    validUntil: '2026-11-30',
    fundedBy: 'store',
  }
}

t.test('a scope category is trimmed per segment like a product category, and kept that way', async (t) => {
  const ctx = await buildTestApp(t)
  const key = await ctx.createKey('backoffice')
  const created = await ctx.call(key, { method: 'POST', url: '/v1/offers', payload: offerBody({ category: '  Health /  Pain relief ', brandType: 'store' }) })
  t.equal(created.statusCode, 201, created.body)
  t.same(created.json().scope, { category: 'Health/Pain relief', brandType: 'store' })
  const read = await ctx.call(key, { method: 'GET', url: `/v1/offers/${created.json().id}` })
  t.same(read.json().scope, { category: 'Health/Pain relief', brandType: 'store' })

  // The product import and the product routes store the same spelling: the scope covers them.
  const product = await ctx.call(key, {
    method: 'POST',
    url: '/v1/products',
    payload: { products: [{ gtin: '4006381333931', name: 'Ibuprofen 200 mg', category: ' Health / Pain relief / Tablets', brandType: 'store' }] },
  })
  t.equal(product.statusCode, 200, product.body)
  const stored = await ctx.call(key, { method: 'GET', url: '/v1/products/4006381333931' })
  t.equal(stored.json().category, 'Health/Pain relief/Tablets')
  t.ok(scopeCoversProduct(created.json().scope, { gtin: '04006381333931', category: stored.json().category, brandType: 'store' }))
})

t.test('a bad scope category is a 400 naming scope.category, with the product rule as the reason', async (t) => {
  const ctx = await buildTestApp(t)
  const key = await ctx.createKey('backoffice')
  const cases: [string, RegExp][] = [
    ['Health/Pain relief/Tablets/Extra', /at most 3 segments/],
    ['Health//Pain relief', /no empty segments/],
    [' / ', /no empty segments/],
    ['', /no empty segments/],
    [`Health/${'x'.repeat(101)}`, /at most 100 characters/],
  ]
  for (const [category, reason] of cases) {
    const res = await ctx.call(key, { method: 'POST', url: '/v1/offers', payload: offerBody({ category }) })
    t.equal(res.statusCode, 400, JSON.stringify(category))
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    const errors = res.json().errors as { path: string; message: string }[]
    t.same(errors.map((e) => e.path), ['scope.category'], JSON.stringify(category))
    t.match(errors[0]!.message, reason)
  }
  const list = await ctx.call(key, { method: 'GET', url: '/v1/offers' })
  t.same(list.json().items, [], 'nothing was created')
})

t.test('scopeSchema: three trimmed segments pass, a fourth does not', async (t) => {
  t.same(scopeSchema.parse({ category: 'Pantry / Baking / Flour ' }), { category: 'Pantry/Baking/Flour' })
  t.same(scopeSchema.parse({ category: 'Produce' }), { category: 'Produce' })
  const four = scopeSchema.safeParse({ category: 'a/b/c/d' })
  t.notOk(four.success)
  t.same(four.error?.issues.map((i) => i.path), [['category']])
})
