import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import t from 'tap'
import { buildTestApp, type TestApp } from '../helpers/app.ts'

// An erased customer stays erased: re-importing an old history file must not re-create them
// (anonymous or not) with the history they asked to be forgotten.

const HISTORY = [
  'customer_id,transaction_id,day,product_id,quantity',
  'C-ERASE,T1,2024-01-02,P1,1',
  'C-KEEP,T2,2024-01-02,P1,2',
  'C-ERASE,T1,2024-01-02,P2,3',
  'C-ERASE,T3,2024-01-09,P2,1',
  'C-KEEP,T4,2024-01-09,P2,1',
].join('\n')

function post(ctx: TestApp, key: string, body: string) {
  return ctx.call(key, { method: 'POST', url: '/v1/imports/transactions', headers: { 'content-type': 'text/csv' }, payload: body })
}

async function counts(ctx: TestApp) {
  const { rows } = await sql<{ customers: number; sales: number; lines: number }>`
    select (select count(*) from customer)::int as customers, (select count(*) from sale)::int as sales,
      (select count(*) from sale_line)::int as lines`.execute(ctx.database.db)
  return rows[0]!
}

t.test('re-importing an erased customer\'s history skips their rows and says why', async (t) => {
  const ctx = await buildTestApp(t)
  const key = await ctx.createKey('backoffice')
  const first = await post(ctx, key, HISTORY)
  t.equal(first.statusCode, 200, first.body)
  t.match(first.json(), { rows: 5, imported: 5, duplicates: 0, skipped: 0, skips: [], customersCreated: 2 })

  const erasedId = (await ctx.database.db.selectFrom('customer').select('id').where('external_id', '=', 'C-ERASE').executeTakeFirstOrThrow()).id
  const erase = await ctx.call(key, { method: 'POST', url: `/v1/customers/${erasedId}/erase` })
  t.equal(erase.statusCode, 200, erase.body)

  // The id is kept only as its hash.
  const kept = await ctx.database.db.selectFrom('erased_customer').selectAll().execute()
  t.equal(kept.length, 1)
  t.same(kept[0]!.external_id_sha256, createHash('sha256').update('C-ERASE').digest())
  const raw = await sql<{ n: number }>`select count(*)::int as n from erased_customer where encode(external_id_sha256, 'escape') like '%C-ERASE%'`.execute(ctx.database.db)
  t.equal(raw.rows[0]!.n, 0, 'the chain id itself is not stored')

  const before = await counts(ctx)
  const again = await post(ctx, key, HISTORY)
  t.equal(again.statusCode, 200, again.body)
  t.match(again.json(), {
    rows: 5,
    imported: 0,
    duplicates: 2,
    rejected: 0,
    skipped: 3,
    skips: [{ reason: 'erased_customer', rows: 3, customers: 1, message: /erased on request/ }],
    customersCreated: 0,
    salesCreated: 0,
  })
  t.same(await counts(ctx), before, 'no customer, sale or line was added')

  // New history of the erased customer (a later file) is skipped as well; others import.
  const later = await post(
    ctx,
    key,
    ['customer_id,transaction_id,day,product_id,quantity', 'C-ERASE,T9,2024-02-01,P1,1', 'C-NEW,T10,2024-02-01,P1,1'].join('\n'),
  )
  t.match(later.json(), { rows: 2, imported: 1, duplicates: 0, skipped: 1, skips: [{ reason: 'erased_customer', rows: 1, customers: 1 }], customersCreated: 1 })
  const names = await ctx.database.db.selectFrom('customer').select('external_id').orderBy('external_id').execute()
  t.same(names.map((r) => r.external_id), ['C-KEEP', 'C-NEW', null], 'the erased customer stays anonymous and alone')

  // The erased customer's sales from the first import stay, anonymous, for the reports.
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from sale where customer_id = ${erasedId}`.execute(ctx.database.db)
  t.equal(rows[0]!.n, 2)

  // Erasing again is idempotent and keeps one hash.
  await ctx.call(key, { method: 'POST', url: `/v1/customers/${erasedId}/erase` })
  t.equal((await ctx.database.db.selectFrom('erased_customer').selectAll().execute()).length, 1)
})

t.test('a row of an erased customer with a rejected row in the same sale is reported as rejected, not skipped', async (t) => {
  const ctx = await buildTestApp(t)
  const key = await ctx.createKey('backoffice')
  await post(ctx, key, 'customer_id,transaction_id,day,product_id,quantity\nC-X,T1,2024-01-02,P1,1')
  const id = (await ctx.database.db.selectFrom('customer').select('id').where('external_id', '=', 'C-X').executeTakeFirstOrThrow()).id
  await ctx.call(key, { method: 'POST', url: `/v1/customers/${id}/erase` })
  const res = await post(ctx, key, 'customer_id,transaction_id,day,product_id,quantity\nC-X,T2,2024-01-03,P1,1\nC-X,T2,2024-01-03,P1,-1\nC-X,T3,2024-01-04,P1,1')
  t.match(res.json(), { rows: 3, imported: 0, duplicates: 0, skipped: 1, rejected: 2 })
  t.same(res.json().errors.map((e: { line: number }) => e.line), [2, 3])
})
