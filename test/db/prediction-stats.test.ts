import t from 'tap'
import { sql } from 'kysely'
import {
  fitModel,
  predictCustomerItems,
  rebuildStats,
  setModelCheckInterval,
  currentModel,
} from '../../src/modules/prediction/prediction.service.ts'
import { testDatabase } from '../helpers/database.ts'
import { insertCustomer, insertProduct, insertSale } from '../helpers/list-fixtures.ts'

const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)
const START = '2026-06-01'

t.test('ranked items with plain-words reasons, population fallback, model cache reload', async (t) => {
  const { db } = await testDatabase(t)
  setModelCheckInterval(0)
  t.teardown(() => setModelCheckInterval(30))
  const coffee = await insertProduct(db, { category: 'Pantry/Coffee', name: 'House coffee' })
  const eggs = await insertProduct(db, { category: 'Dairy/Eggs', name: 'Free-range eggs' })
  const tea = await insertProduct(db, { category: 'Pantry/Tea', name: 'Green tea' })
  const regular = await insertCustomer(db)
  for (let k = 0; k < 10; k++) await insertSale(db, regular, addDays(START, k * 10), [{ product: coffee }, ...(k % 2 === 0 ? [{ product: eggs }] : [])])
  // Other customers: eggs and tea together.
  for (let c = 0; c < 5; c++) {
    const id = await insertCustomer(db)
    for (let k = 0; k < 4; k++) await insertSale(db, id, addDays(START, 3 + k * 20 + c), [{ product: eggs }, { product: tea }])
  }
  const newcomer = await insertCustomer(db)
  const oneSale = await insertSale(db, newcomer, addDays(START, 95), [{ product: eggs }])
  await rebuildStats(db)

  const asOf = addDays(START, 92)
  // No model yet: predicting fits one first.
  const items = await predictCustomerItems(db, regular, { asOf, limit: 5 })
  t.ok(items.length > 0)
  const top = items[0]!
  t.equal(top.productId, coffee.id, 'the 10-day coffee is due')
  t.equal(top.reasonKind, 'cycle')
  t.ok(top.cycleDays !== null && Math.abs(top.cycleDays - 10) <= 1)
  t.match(top.reason, /about every 10 days; last on 30 Aug/)
  t.equal(top.expectedDate, addDays(START, 100))
  for (let i = 1; i < items.length; i++) t.ok(items[i - 1]!.probability >= items[i]!.probability, 'ranked by probability')

  const fresh = await predictCustomerItems(db, newcomer, { asOf: addDays(START, 95), limit: 5 })
  t.ok(fresh.length >= 2, 'one sale still gets a list')
  t.ok(fresh.some((i) => i.productId === tea.id), 'similar customers bring tea')
  t.ok(fresh.every((i) => i.reason.length > 10))
  t.ok(oneSale > 0)

  const stranger = await insertCustomer(db)
  t.ok((await predictCustomerItems(db, stranger, { asOf, limit: 3 })).length > 0, 'no statistics: popular items')

  const first = await currentModel(db, 'calendar')
  const { id } = await fitModel(db, asOf)
  const row = await sql<{ n: number }>`select count(*)::int as n from prediction_model`.execute(db)
  t.equal(row.rows[0]!.n, 2)
  // Another process's cache would reload the newer model: simulate with a fresh db handle.
  const other = await testDatabaseClone(t, db)
  const m2 = await currentModel(other, 'calendar')
  t.ok(m2)
  t.not(m2, first)
  t.equal(m2!.fittedOn.asOf, Math.round(Date.parse(`${asOf}T00:00:00Z`) / 86_400_000))
  t.ok(id > 0)
})

// A second Kysely instance on the same database, so the per-process cache starts empty.
async function testDatabaseClone(t: { teardown(fn: () => unknown): void }, db: import('kysely').Kysely<import('../../src/db/schema.ts').DB>) {
  const { rows } = await sql<{ db: string }>`select current_database() as db`.execute(db)
  const { connectDatabase } = await import('../../src/db/database.ts')
  const { databaseUrl } = await import('../helpers/database.ts')
  const handle = connectDatabase(databaseUrl(rows[0]!.db), { max: 2 })
  t.teardown(() => handle.close())
  return handle.db
}
