// The regenerate_list job's statistics refresh: sales, voids and returns recorded through the
// real checkout API are applied to the customer's row incrementally and give exactly what a
// rebuild from history gives; where an update cannot be exact, the job rebuilds the customer.
import { sql } from 'kysely'
import t from 'tap'
import { rebuildStats, refreshCustomerStats } from '../../src/modules/prediction/prediction.service.ts'
import { findWatermarkedStats } from '../../src/modules/prediction/prediction-stats.repository.ts'
import type { CustomerStats } from '../../src/modules/prediction/prediction.types.ts'
import { CATALOG, checkoutFixture, item, type CheckoutFixture } from '../helpers/checkout-fixtures.ts'
import { insertSale } from '../helpers/list-fixtures.ts'

const addDays = (d: string, n: number) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)

// Decay is a float sum; the update and the rebuild add its terms in another order.
function normalised(s: CustomerStats | undefined): unknown {
  return JSON.parse(JSON.stringify(s ?? null), (k, v) => (k === 'decay' && typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v))
}

// What the rebuild gives for this customer now, without touching the stored row under test.
async function rebuiltNow(f: CheckoutFixture, customerId: number): Promise<unknown> {
  const db = f.database.db
  let out: unknown
  await db
    .transaction()
    .execute(async (trx) => {
      await rebuildStats(trx as never, { customerIds: [customerId] })
      out = normalised((await findWatermarkedStats(trx, customerId))?.stats)
      throw new Rollback()
    })
    .catch((e) => {
      if (!(e instanceof Rollback)) throw e
    })
  return out
}
class Rollback extends Error {}

const product = (f: CheckoutFixture, name: keyof typeof CATALOG) => ({ id: f.productIds[name], gtin: CATALOG[name][0] })

// Weekly imported trips; past 10 (12 trips) the row no longer keeps every day.
async function customerWithHistory(f: CheckoutFixture, trips: number) {
  const c = await f.createCustomer()
  const id = Number(c.id)
  for (let k = 0; k < trips; k++) {
    await insertSale(f.database.db, id, addDays('2026-08-01', k * 7), [
      { product: product(f, 'milk'), quantity: 1 + (k % 2) },
      ...(k % 3 === 0 ? [{ product: product(f, 'rice') }] : []),
    ])
  }
  return { ...c, id }
}

const offlineAt = (day: string) => ({ offline: true, occurredAt: `${day}T10:00:00-06:00` })

t.test('sales, a void and returns through checkout are applied incrementally and equal the rebuild', async (t) => {
  const f = await checkoutFixture(t)
  const db = f.database.db
  const c = await customerWithHistory(f, 6)
  t.same(await refreshCustomerStats(db, c.id), { mode: 'rebuilt', changes: 0 }, 'no row yet: built from history')
  t.same(await refreshCustomerStats(db, c.id), { mode: 'unchanged', changes: 0 })

  const sale = async (day: string, items: ReturnType<typeof item>[]) => {
    const res = await f.redeem(f.body(c.cardNumber, items, offlineAt(day)))
    t.equal(res.statusCode, 201, res.body)
    return res.json().redemptionId as string
  }
  const a = await sale('2026-11-10', [item('soup', 2), item('cheese')])
  const b = await sale('2026-11-12', [item('milk'), item('soup', 3)])
  t.match(await refreshCustomerStats(db, c.id), { mode: 'incremental', changes: 2 })
  t.same(normalised((await findWatermarkedStats(db, c.id))?.stats), await rebuiltNow(f, c.id), 'two new sales')

  // A return of part of one sale, a whole line of another, then a void of the first.
  t.equal((await f.returnIt(b, { posReturnId: 'R1', items: [{ gtin: CATALOG.soup[0], quantity: 1 }] })).statusCode, 201)
  t.match(await refreshCustomerStats(db, c.id), { mode: 'incremental', changes: 1 })
  t.same(normalised((await findWatermarkedStats(db, c.id))?.stats), await rebuiltNow(f, c.id), 'partial return')
  t.equal((await f.returnIt(a, { posReturnId: 'R2', items: [{ gtin: CATALOG.cheese[0], quantity: 1 }] })).statusCode, 201)
  t.equal((await f.voidIt(a)).statusCode, 200)
  // A sale returned before the job first sees it, and one voided before that.
  const d = await sale('2026-11-14', [item('yogurt', 4), item('milk')])
  t.equal((await f.returnIt(d, { posReturnId: 'R3', items: [{ gtin: CATALOG.yogurt[0], quantity: 4 }] })).statusCode, 201)
  const e = await sale('2026-11-15', [item('dogFood')])
  t.equal((await f.voidIt(e)).statusCode, 200)
  t.match(await refreshCustomerStats(db, c.id), { mode: 'incremental' })
  const row = await findWatermarkedStats(db, c.id)
  t.same(normalised(row?.stats), await rebuiltNow(f, c.id), 'void after a return, pre-returned and pre-voided new sales')
  t.notOk(row!.stats.products[String(f.productIds.dogFood)], 'a voided sale never counts')
  t.notOk(row!.stats.products[String(f.productIds.yogurt)], 'a line returned in full is no purchase')
  t.notOk(row!.stats.products[String(f.productIds.cheese)], 'the voided sale is gone')
  t.same(await refreshCustomerStats(db, c.id), { mode: 'unchanged', changes: 0 }, 'a second run finds nothing new')
  t.equal(row!.stats.lastDay, Math.round(Date.parse('2026-11-14T00:00:00Z') / 86_400_000))

})

t.test('a void older than the kept days, and a sale that commits late with a lower id, rebuild the customer', async (t) => {
  const f = await checkoutFixture(t)
  const db = f.database.db
  const c = await customerWithHistory(f, 14)
  await rebuildStats(db)
  const oldest = await db.selectFrom('sale').select('id').where('customer_id', '=', c.id).orderBy('id').executeTakeFirstOrThrow()
  await db.updateTable('sale').set({ status: 'voided' }).where('id', '=', oldest.id).execute()
  t.match(await refreshCustomerStats(db, c.id), { mode: 'rebuilt' }, 'the first milk day is outside the kept ten')
  t.same(normalised((await findWatermarkedStats(db, c.id))?.stats), await rebuiltNow(f, c.id))
  t.same(await refreshCustomerStats(db, c.id), { mode: 'unchanged', changes: 0 }, 'the rebuilt row carries its watermark')

  // A new sale, then its void: removing that day from the kept trip days (12 of 14) would have
  // to bring back an older trip only the history knows.
  const res = await f.redeem(f.body(c.cardNumber, [item('soup')], offlineAt('2026-11-10')))
  t.match(await refreshCustomerStats(db, c.id), { mode: 'incremental', changes: 1 })
  t.equal((await f.voidIt(res.json().redemptionId)).statusCode, 200)
  t.match(await refreshCustomerStats(db, c.id), { mode: 'rebuilt', changes: 1 })
  t.same(normalised((await findWatermarkedStats(db, c.id))?.stats), await rebuiltNow(f, c.id))

  // A sale whose id was taken before the row's watermark but committed after it: an id left
  // free below the customer's newest sale, then used.
  const other = await f.createCustomer()
  const gap = await insertSale(db, Number(other.id), '2026-11-01', [])
  await insertSale(db, c.id, '2026-11-02', [{ product: product(f, 'rice') }])
  await db.deleteFrom('sale').where('id', '=', gap).execute()
  t.match(await refreshCustomerStats(db, c.id), { mode: 'incremental', changes: 1 })
  t.ok(gap < (await findWatermarkedStats(db, c.id))!.throughSaleId!, 'the free id sits below the watermark')
  await sql`insert into sale (id, customer_id, source, external_id, occurred_at, day)
            overriding system value values (${gap}, ${c.id}, 'import', 'late-1', now(), date '2026-11-01')`.execute(db)
  await db
    .insertInto('sale_line')
    .values({ sale_id: gap, line_no: 1, customer_id: c.id, product_id: f.productIds.soup, gtin: CATALOG.soup[0], quantity: 2 })
    .execute()
  t.match(await refreshCustomerStats(db, c.id), { mode: 'rebuilt' })
  const row = await findWatermarkedStats(db, c.id)
  t.equal(row?.stats.products[String(f.productIds.soup)]?.quantity, 2, 'the late sale is in')
  t.same(normalised(row?.stats), await rebuiltNow(f, c.id))
})
