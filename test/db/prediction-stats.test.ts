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

// A few customers' lines are read by sale id, more by customer id (stats-rebuild.repository.ts,
// LINES_BY_SALE_IDS = 5,000 sales). Both reads must store what the full rebuild does, voids and
// returns included, with other customers' sales interleaved in the same blocks as lanes write them.
t.test('a rebuild of some customers stores what the full rebuild stores, by sale id or by customer', async (t) => {
  const { db } = await testDatabase(t)
  const products = await Promise.all(['a', 'b', 'c'].map((n) => insertProduct(db, { category: 'Pantry/Misc', name: `Product ${n}` })))
  const heavy = await insertCustomer(db)
  const light = await insertCustomer(db)
  const other = await insertCustomer(db)
  // Sales in id order as lanes interleave them: the heavy customer every time, the light one
  // every 500th, the other every 3rd; two lines each over the three products.
  const customers: number[] = []
  const days: string[] = []
  for (let k = 0; k < 5_100; k++) {
    for (const [c, every] of [[heavy, 1], [light, 500], [other, 3]] as const) {
      if (k % every !== 0) continue
      customers.push(c)
      days.push(addDays(START, Math.floor(k / 20)))
    }
  }
  await sql`insert into sale (customer_id, source, external_id, occurred_at, day)
    select c, 'import', 'T' || n, d::timestamptz, d from unnest(${customers}::bigint[], ${days}::date[]) with ordinality as u (c, d, n) order by n`.execute(db)
  const productIds = products.map((p) => p.id)
  await sql`insert into sale_line (sale_id, line_no, customer_id, product_id, quantity)
    select s.id, k, s.customer_id, (${productIds}::bigint[])[1 + (s.id + k) % 3], case when k = 1 then 1 + s.id % 2 else 1 end
    from sale s, generate_series(1, 2) k order by s.id, k`.execute(db)
  // Odd sale ids have a first line of 2, so a return of 1 leaves 1.
  const saleOf = async (c: number, nth: number) =>
    (await sql<{ id: number }>`select id::int from sale where customer_id = ${c} and id % 2 = 1 order by id offset ${nth} limit 1`.execute(db)).rows[0]!.id
  const [heavyVoided, heavyReturned, lightVoided, lightReturned] = [await saleOf(heavy, 50), await saleOf(heavy, 7), await saleOf(light, 3), await saleOf(light, 1)]
  await sql`update sale set status = 'voided' where id in (${heavyVoided}, ${lightVoided})`.execute(db)
  const returned = await sql`update sale_line set returned_quantity = 1 where sale_id in (${heavyReturned}, ${lightReturned}) and line_no = 1 and quantity = 2`.execute(db)
  t.equal(Number(returned.numAffectedRows), 2, 'one line of each returned in part')
  const counts = await sql<{ c: number; n: number }>`select customer_id::int as c, count(*)::int as n from sale where customer_id in (${heavy}, ${light}) group by 1`.execute(db)
  t.ok(counts.rows.find((r) => r.c === heavy)!.n > 5_000, 'the heavy customer is read by customer id')
  t.ok(counts.rows.find((r) => r.c === light)!.n <= 5_000, 'the light customer is read by sale id')

  const rows = async () =>
    (
      await sql<{ customer_id: number; reversals: Record<string, unknown> }>`select customer_id::int, time_mode, trips, first_day, last_day, encode(stats, 'hex') as stats,
        through_sale_id, sales_counted, reversals from customer_stats order by customer_id`.execute(db)
    ).rows
  await rebuildStats(db)
  const full = await rows()
  t.equal(full.length, 3)
  await sql`delete from customer_stats`.execute(db)
  await rebuildStats(db, { customerIds: [light] })
  await rebuildStats(db, { customerIds: [heavy] })
  await rebuildStats(db, { customerIds: [other, light] })
  t.same(await rows(), full, 'rows equal to the full rebuild')
  const reversals = (c: number) => full.find((r) => r.customer_id === c)!.reversals
  for (const [c, voided, ret] of [[light, lightVoided, lightReturned], [heavy, heavyVoided, heavyReturned]] as const) {
    t.same(reversals(c), { [voided]: 'v', [ret]: { 1: 1 } }, 'the void and the return are reflected')
  }
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
