import t from 'tap'
import { categoryCovers, offerAppliesToProduct } from '../../src/modules/offers/offer-scope.ts'
import type { OfferScope, ProductFacts } from '../../src/modules/offers/offer.types.ts'

const ibuprofen: ProductFacts = { gtin: '04006381333931', category: 'Health/Pain relief', brandType: 'national' }
const storeIbuprofen: ProductFacts = { gtin: '00036000291452', category: 'Health/Pain relief', brandType: 'store' }
const snack: ProductFacts = { gtin: '00000096385074', category: 'Healthy snacks', brandType: 'national' }
const health: ProductFacts = { gtin: null, category: 'Health', brandType: 'store' }

t.test('offerAppliesToProduct: scope table', async (t) => {
  const cases: [string, OfferScope | null, ProductFacts, boolean][] = [
    ['category matches itself', { category: 'Health' }, health, true],
    ['category matches a sub-path', { category: 'Health' }, ibuprofen, true],
    ['category is not a string prefix', { category: 'Health' }, snack, false],
    ['sub-path scope does not cover its parent', { category: 'Health/Pain relief' }, health, false],
    ['exact sub-path', { category: 'Health/Pain relief' }, ibuprofen, true],
    ['deeper scope than product', { category: 'Health/Pain relief/Ibuprofen' }, ibuprofen, false],
    ['sibling path', { category: 'Health/Pain' }, ibuprofen, false],
    ['brand type narrows: store offer, national product', { category: 'Health', brandType: 'store' }, ibuprofen, false],
    ['brand type narrows: store offer, store product', { category: 'Health', brandType: 'store' }, storeIbuprofen, true],
    ['gtin listed', { gtins: ['04006381333931', '00036000291452'] }, ibuprofen, true],
    ['gtin not listed', { gtins: ['00036000291452'] }, ibuprofen, false],
    ['gtin scope, product without GTIN', { gtins: ['04006381333931'] }, health, false],
    ['gtin given as EAN-13 by the caller', { gtins: ['04006381333931'] }, { ...ibuprofen, gtin: '4006381333931' }, true],
    ['gtin given as UPC-A by the caller', { gtins: ['00036000291452'] }, { ...storeIbuprofen, gtin: '036000291452' }, true],
    ['malformed product GTIN matches nothing', { gtins: ['04006381333931'] }, { ...ibuprofen, gtin: 'abc' }, false],
    ['no scope (perk) covers no product', null, ibuprofen, false],
  ]
  for (const [name, scope, product, expected] of cases) {
    t.equal(offerAppliesToProduct({ scope }, product), expected, name)
  }
})

t.test('categoryCovers is case-sensitive and exact on path parts', async (t) => {
  t.ok(categoryCovers('Dairy', 'Dairy/Milk/Whole'))
  t.notOk(categoryCovers('Dairy', 'dairy/Milk'))
  t.notOk(categoryCovers('Dairy/Milk', 'Dairy/Milkshakes'))
})
