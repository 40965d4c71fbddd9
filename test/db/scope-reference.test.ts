// What an offer's scope covers, in the words a withheld reason uses (findScopeReference): one
// product by name, a brand and category, a category, a whole department.
import t from 'tap'
import { findScopeReference } from '../../src/modules/lists/list-writer.repository.ts'
import { testDatabase } from '../helpers/database.ts'
import { insertProduct } from '../helpers/list-fixtures.ts'

t.test('the words for what a scope covers', async (t) => {
  const { db } = await testDatabase(t)
  const food = await insertProduct(db, { category: 'Pet/Cat food', name: 'Whisker Feast Indoor 3 lb', brand: 'Whisker Feast', priceCents: 899 })
  await insertProduct(db, { category: 'Pet/Cat food', name: 'Whisker Feast Salmon 3 lb', brand: 'Whisker Feast', priceCents: 999 })
  await insertProduct(db, { category: 'Pet/Cat litter', brandType: 'store', priceCents: 599 })
  await insertProduct(db, { category: 'Pet/Dog food', brandType: 'store', priceCents: 1299 })

  t.match(await findScopeReference(db, { gtins: [food.gtin] }), { productId: food.id, priceCents: 899, label: 'Whisker Feast Indoor 3 lb' })
  t.match(await findScopeReference(db, { category: 'Pet/Cat food' }), { productId: null, priceCents: 899, label: 'cat food', categories: ['Pet/Cat food'] })
  t.match(await findScopeReference(db, { category: 'Pet' }), { label: 'pet products' }, 'a department is not "pet"')
  t.match(await findScopeReference(db, { category: 'Pet', brandType: 'store' }), { label: 'our own-brand pet products', priceCents: 599 })
  t.equal(await findScopeReference(db, { category: 'Garden' }), null, 'nothing active in scope')
})
