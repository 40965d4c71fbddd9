import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import { promisify } from 'node:util'
import { gzipSync } from 'node:zlib'
import { sql } from 'kysely'
import t from 'tap'
import type { Database } from '../../src/db/database.ts'
import { hasValidCheckDigit } from '../../src/lib/codes.ts'
import { importTransactions } from '../../src/modules/imports/import.service.ts'
import { ADMIN_KEY, buildTestApp, type TestApp } from '../helpers/app.ts'
import { testDatabase } from '../helpers/database.ts'
import { ROOT } from '../helpers/test-server.ts'

const fixture = (name: string) => readFileSync(new URL(`../fixtures/imports/${name}`, import.meta.url), 'utf8')

function post(ctx: TestApp, key: string | null, kind: 'products' | 'transactions', body: string | Buffer, headers: Record<string, string> = {}) {
  return ctx.call(key, {
    method: 'POST',
    url: `/v1/imports/${kind}`,
    headers: { 'content-type': 'text/csv', ...headers },
    payload: body,
  })
}

/** Every imported sale with its lines, in a form two databases can be compared by. */
async function history(db: Database) {
  const { rows } = await sql<{ customer: string; transaction: string; day: string; lines: string }>`
    select c.external_id as customer, s.external_id as transaction, s.day,
      string_agg(coalesce(p.external_id, p.gtin) || 'x' || l.quantity, ' ' order by l.line_no) as lines
    from sale s join customer c on c.id = s.customer_id
    join sale_line l on l.sale_id = s.id left join product p on p.id = l.product_id
    where s.source = 'import'
    group by 1, 2, 3 order by 1, 2`.execute(db)
  return rows
}

t.test('products: good rows are upserted, bad rows reported by line', async (t) => {
  const ctx = await buildTestApp(t)
  const res = await post(ctx, ADMIN_KEY, 'products', fixture('products.csv'))
  t.equal(res.statusCode, 200, res.body)
  const body = res.json()
  t.match(body, { rows: 9, imported: 4, created: 4, updated: 0, duplicates: 0, rejected: 5 })
  t.same(
    body.errors.map((e: { line: number }) => e.line),
    [4, 5, 7, 8, 9],
  )
  t.match(body.errors[0].message, /check digit/)
  t.match(body.errors[1].message, /regular_price_cents must not be negative/)
  t.match(body.errors[2].message, /expected 8 columns, found 3/)
  t.match(body.errors[3].message, /brand_type must be national or store/)
  t.match(body.errors[4].message, /gtin or product_id is missing/)

  const products = await ctx.database.db.selectFrom('product').selectAll().orderBy('id').execute()
  t.same(
    products.map((p) => [p.gtin, p.external_id, p.name, p.category, p.brand_type, p.regular_price_cents, p.size]),
    [
      ['00001234567895', 'P-1', 'Aspirin 100 tablets', 'Health/Pain relief', 'national', 899, '100 ct'],
      ['04006381333931', 'P-2', 'Store ibuprofen 50', 'Health/Pain relief', 'store', 349, null],
      [null, 'P-9', 'Chain-only product', 'Dairy/Cheese', 'national', 450, null],
      ['00000012345670', null, 'Milk 1l', 'Dairy/Milk', 'national', 129, '1 l'],
    ],
  )

  // The same file again changes nothing; a changed price is an update.
  const again = (await post(ctx, ADMIN_KEY, 'products', fixture('products.csv'))).json()
  t.match(again, { imported: 0, duplicates: 4, rejected: 5 })
  const changed = fixture('products.csv').replace(',899,P-1,', ',949,P-1,')
  t.match((await post(ctx, ADMIN_KEY, 'products', changed)).json(), { imported: 1, updated: 1, duplicates: 3 })

  const audit = await ctx.database.db.selectFrom('audit_log').select('action').where('action', 'like', 'import.%').execute()
  t.ok(audit.length >= 1, 'batches are audited')
})

t.test('products: concurrent imports of the same new chain-only products all succeed, each product once', async (t) => {
  const ctx = await buildTestApp(t)
  // Found behind PgBouncer (test/faults/pgbouncer.test.ts): one import committing a product the
  // other had staged, between two of the other's matching statements, left it a row with
  // neither GTIN nor chain id. Fresh ids each round, so every round races on new products.
  // The second and third start a little later each round, so a commit lands between another
  // import's statements somewhere in the sweep.
  for (let round = 0; round < 12; round++) {
    const rows = Array.from({ length: 20 }, (_, i) => `,Chain product ${round}-${i},Dairy/Cheese,Farm,national,450,R${round}-${i},`)
    const csv = ['gtin,name,category,brand,brand_type,regular_price_cents,product_id,size', ...rows].join('\n')
    const res = await Promise.all(
      [0, 1, 2].map(async (i) => {
        await new Promise((r) => setTimeout(r, i * round * 3))
        return post(ctx, ADMIN_KEY, 'products', csv)
      }),
    )
    t.same(res.map((r) => r.statusCode), [200, 200, 200], `round ${round}: ${res.map((r) => r.body).join(' | ').slice(0, 300)}`)
    t.equal(res.reduce((n, r) => n + r.json().created, 0), 20, `round ${round}: 20 products created in all`)
  }
  const { n } = await ctx.database.db.selectFrom('product').select((e) => e.fn.countAll<number>().as('n')).where('external_id', 'like', 'R%').executeTakeFirstOrThrow()
  t.equal(Number(n), 240, 'each product once')
})

t.test('products: a department column becomes the top of the category path; catalog fills a chain product', async (t) => {
  const ctx = await buildTestApp(t)
  await post(ctx, ADMIN_KEY, 'transactions', 'customer_id,transaction_id,day,product_id,quantity\n1,1,2024-01-01,854920,1\n')
  const res = await post(ctx, ADMIN_KEY, 'products', 'product_id,department,category,brand_type\n854920,GROCERY,FRZN ICE,store\n26081,MISCELLANEOUS,,national\n')
  t.match(res.json(), { rows: 2, created: 1, updated: 1, rejected: 0 })
  const rows = await ctx.database.db.selectFrom('product').select(['external_id', 'name', 'category', 'brand_type']).orderBy('id').execute()
  t.same(rows, [
    { external_id: '854920', name: 'Product 854920', category: 'GROCERY/FRZN ICE', brand_type: 'store' },
    { external_id: '26081', name: 'Product 26081', category: 'MISCELLANEOUS', brand_type: 'national' },
  ])
})

t.test('transactions: Ta-Feng style day numbers create customers with cards and products', async (t) => {
  const ctx = await buildTestApp(t)
  const res = await post(ctx, ADMIN_KEY, 'transactions', fixture('tafeng.csv'))
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { rows: 5, imported: 5, duplicates: 0, rejected: 0, errors: [], salesCreated: 3, customersCreated: 2, productsCreated: 3 })
  t.same(await history(ctx.database.db), [
    { customer: '3', transaction: '31', day: '2000-01-02', lines: '122x1 148x1' },
    { customer: '3', transaction: '32', day: '2000-01-03', lines: '122x1' },
    { customer: '7', transaction: '40', day: '2000-01-02', lines: '150x2 122x1' },
  ])
  const sale = await ctx.database.db.selectFrom('sale').selectAll().where('external_id', '=', '31').executeTakeFirstOrThrow()
  t.equal(sale.source, 'import')
  t.equal(sale.occurred_at.toISOString(), '2000-01-02T12:00:00.000Z', 'a bare day is noon UTC')

  const cards = await ctx.database.db
    .selectFrom('customer')
    .leftJoin('card', 'card.customer_id', 'customer.id')
    .select(['customer.external_id', 'card.number', 'card.status'])
    .execute()
  t.equal(cards.length, 2)
  for (const c of cards) {
    t.match(c.number, /^29[0-9]{11}$/)
    t.ok(hasValidCheckDigit(c.number!), `card ${c.number} has a valid check digit`)
    t.equal(c.status, 'active')
  }
  const product = await ctx.database.db.selectFrom('product').selectAll().where('external_id', '=', '148').executeTakeFirstOrThrow()
  t.match(product, { name: 'Product 148', category: 'Unknown', brand_type: 'national', gtin: null })
})

t.test('transactions: calendar dates, zero quantities', async (t) => {
  const ctx = await buildTestApp(t)
  t.match((await post(ctx, ADMIN_KEY, 'transactions', fixture('dates.csv'))).json(), { imported: 3, salesCreated: 2 })
  t.same(await history(ctx.database.db), [
    { customer: '1', transaction: '31317046240', day: '2017-01-07', lines: '854920x1 922281x2' },
    { customer: '2', transaction: '31317046301', day: '2017-01-08', lines: '854920x0' },
  ])
})

t.test('transactions: occurred_at falls on the store\'s calendar day; prices make the total', async (t) => {
  const ctx = await buildTestApp(t)
  await ctx.createStore('IMP1') // America/Chicago
  const body = (await post(ctx, ADMIN_KEY, 'transactions', fixture('occurred-at.csv'))).json()
  t.match(body, { rows: 4, imported: 3, rejected: 1, errors: [{ line: 5, message: 'store_id NOPE is not a known store' }] })
  const sales = await ctx.database.db.selectFrom('sale').selectAll().orderBy('external_id').execute()
  t.same(
    sales.map((s) => [s.external_id, s.store_id, s.day, s.occurred_at.toISOString(), s.total_before_cents]),
    [
      ['T1', 'IMP1', '2024-03-01', '2024-03-02T03:30:00.000Z', 748],
      ['T2', null, '2024-03-02', '2024-03-02T03:30:00.000Z', 0],
    ],
  )
  const lines = await ctx.database.db.selectFrom('sale_line').select(['line_no', 'quantity', 'unit_price_cents']).orderBy('sale_id').orderBy('line_no').execute()
  t.same(lines.map((l) => [l.line_no, l.quantity, l.unit_price_cents]), [[1, 2, 199], [2, 1, 350], [1, 1, null]])
})

t.test('transactions: a gtin column finds catalog products in any GTIN form', async (t) => {
  const ctx = await buildTestApp(t)
  await post(ctx, ADMIN_KEY, 'products', fixture('products.csv'))
  const body = (await post(ctx, ADMIN_KEY, 'transactions', fixture('gtin.csv'))).json()
  t.match(body, { rows: 4, imported: 3, rejected: 1, productsCreated: 1, errors: [{ line: 5 }] })
  t.match(body.errors[0].message, /check digit/)
  const lines = await sql<{ name: string; gtin: string; quantity: number }>`
    select p.name, l.gtin, l.quantity from sale_line l join product p on p.id = l.product_id order by l.sale_id, l.line_no`.execute(ctx.database.db)
  t.same(lines.rows, [
    { name: 'Aspirin 100 tablets', gtin: '00001234567895', quantity: 1 },
    { name: 'Milk 1l', gtin: '00000012345670', quantity: 3 },
    { name: 'Product 05901234123457', gtin: '05901234123457', quantity: 1 },
  ])
})

t.test('transactions: re-importing the same file imports nothing twice', async (t) => {
  const ctx = await buildTestApp(t)
  const first = (await post(ctx, ADMIN_KEY, 'transactions', fixture('tafeng.csv'))).json()
  t.match(first, { imported: 5, duplicates: 0 })
  const before = await history(ctx.database.db)
  const second = (await post(ctx, ADMIN_KEY, 'transactions', fixture('tafeng.csv'))).json()
  t.match(second, { rows: 5, imported: 0, duplicates: 5, salesCreated: 0, customersCreated: 0, productsCreated: 0 })
  t.same(await history(ctx.database.db), before)
  const counts = await sql<{ sales: number; lines: number; customers: number; cards: number }>`
    select (select count(*)::int from sale) sales, (select count(*)::int from sale_line) lines,
      (select count(*)::int from customer) customers, (select count(*)::int from card) cards`.execute(ctx.database.db)
  t.same(counts.rows[0], { sales: 3, lines: 5, customers: 2, cards: 2 })
})

t.test('transactions: bad rows are reported by line and hold back their transaction; good rows imported', async (t) => {
  const ctx = await buildTestApp(t)
  const body = (await post(ctx, ADMIN_KEY, 'transactions', fixture('bad-rows.csv'))).json()
  t.match(body, { rows: 9, imported: 1, duplicates: 0, rejected: 8 })
  const byLine = Object.fromEntries(body.errors.map((e: { line: number; message: string }) => [e.line, e.message]))
  t.same(Object.keys(byLine).map(Number), [2, 3, 4, 5, 6, 7, 8, 10])
  t.match(byLine[2], /not imported: line 3 of the same transaction was rejected/)
  t.match(byLine[3], /quantity must not be negative/)
  t.match(byLine[4], /day must be a date YYYY-MM-DD or a day number/)
  t.match(byLine[5], /quantity must be a whole number/)
  t.match(byLine[6], /expected 5 columns, found 4/)
  t.match(byLine[7], /customer_id is missing/)
  t.match(byLine[8], /not imported: line 5 of the same transaction was rejected/)
  t.match(byLine[10], /malformed CSV/)
  t.same(await history(ctx.database.db), [{ customer: '3', transaction: '14', day: '2024-01-07', lines: 'Dx1' }])

  // The corrected file imports the held-back transactions whole, and the rest as duplicates.
  const fixed = 'customer_id,transaction_id,day,product_id,quantity\n1,10,2024-01-05,A,1\n1,10,2024-01-05,B,2\n3,14,2024-01-07,D,1\n'
  t.match((await post(ctx, ADMIN_KEY, 'transactions', fixed)).json(), { imported: 2, duplicates: 1, rejected: 0 })
  t.same((await history(ctx.database.db)).map((h) => h.lines), ['Ax1 Bx2', 'Dx1'])
})

t.test('a missing header column rejects the whole file with 400 naming it', async (t) => {
  const ctx = await buildTestApp(t)
  const res = await post(ctx, ADMIN_KEY, 'transactions', 'customer_id,transaction_id,day,quantity\n1,1,2024-01-01,1\n')
  t.equal(res.statusCode, 400)
  t.match(res.headers['content-type'], /application\/problem\+json/)
  t.same(res.json().errors, [{ path: 'header', message: 'missing column product_id or gtin' }])
  const products = await post(ctx, ADMIN_KEY, 'products', 'gtin,name\n12345670,Milk\n')
  t.equal(products.statusCode, 400)
  t.same(products.json().errors, [{ path: 'header', message: 'missing column category' }])
  t.equal(Number((await sql<{ n: number }>`select count(*) n from product`.execute(ctx.database.db)).rows[0]!.n), 0)
})

t.test('empty body, wrong content type, corrupt gzip', async (t) => {
  const ctx = await buildTestApp(t)
  const empty = await post(ctx, ADMIN_KEY, 'transactions', '')
  t.equal(empty.statusCode, 400)
  t.match(empty.json().detail, /empty/)
  const json = await ctx.call(ADMIN_KEY, { method: 'POST', url: '/v1/imports/transactions', payload: { rows: [] } })
  t.equal(json.statusCode, 415)
  const corrupt = await post(ctx, ADMIN_KEY, 'transactions', Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' })
  t.equal(corrupt.statusCode, 400)
  t.match(corrupt.json().detail, /compressed body/)
  const unknown = await post(ctx, ADMIN_KEY, 'transactions', fixture('tafeng.csv'), { 'content-encoding': 'zstd' })
  t.equal(unknown.statusCode, 400)

  // Cut off half-way through: the error comes while rows are being staged.
  const gz = gzipSync(fileOf(5000, 11))
  const truncated = await post(ctx, ADMIN_KEY, 'transactions', gz.subarray(0, gz.length >> 1), { 'content-encoding': 'gzip' })
  t.equal(truncated.statusCode, 400, truncated.body)
  t.equal(Number((await sql<{ n: number }>`select count(*) n from sale`.execute(ctx.database.db)).rows[0]!.n), 0, 'nothing imported')
  t.match((await post(ctx, ADMIN_KEY, 'transactions', fixture('tafeng.csv'))).json(), { imported: 5 }, 'the next import works')
})

t.test('a gzip body is decompressed as it streams', async (t) => {
  const ctx = await buildTestApp(t)
  const res = await post(ctx, ADMIN_KEY, 'transactions', gzipSync(fixture('tafeng.csv')), { 'content-encoding': 'gzip' })
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { rows: 5, imported: 5 })
})

t.test('imports need a backoffice key', async (t) => {
  const ctx = await buildTestApp(t)
  const store = await ctx.createStore()
  const pos = await ctx.createKey('pos', store)
  t.equal((await post(ctx, pos, 'transactions', fixture('tafeng.csv'))).statusCode, 403)
  t.equal((await post(ctx, pos, 'products', fixture('products.csv'))).statusCode, 403)
  t.equal((await post(ctx, null, 'transactions', fixture('tafeng.csv'))).statusCode, 401)
  const backoffice = await ctx.createKey('backoffice')
  t.equal((await post(ctx, backoffice, 'transactions', fixture('tafeng.csv'))).statusCode, 200)
  t.equal(Number((await sql<{ n: number }>`select count(*) n from sale`.execute(ctx.database.db)).rows[0]!.n), 3)
})

t.test('a transaction whose rows are spread over the file and over batches is one sale with all its lines', async (t) => {
  const ctx = await buildTestApp(t)
  const summary = await importTransactions(ctx.database.db, Readable.from([fixture('split.csv')]), { batchRows: 1 })
  t.match(summary, { rows: 6, imported: 6, salesCreated: 4 })
  t.same(await history(ctx.database.db), [
    { customer: 'A', transaction: '1', day: '2024-01-01', lines: 'p1x1 p3x1 p4x2' },
    { customer: 'B', transaction: '2', day: '2024-01-01', lines: 'p2x1' },
    { customer: 'B', transaction: '4', day: '2024-01-03', lines: 'p2x1' },
    { customer: 'C', transaction: '3', day: '2024-01-02', lines: 'p1x1' },
  ])
})

t.test('an import that fails half-way and is run again ends where one clean run ends', async (t) => {
  const ctx = await buildTestApp(t)
  const clean = await buildTestApp(t)
  const csv = fileOf(600, 7)
  await importTransactions(clean.database.db, Readable.from([csv]), { batchRows: 100 })

  let batches = 0
  const failing = importTransactions(ctx.database.db, Readable.from([csv]), {
    batchRows: 100,
    onBatchImported: async (trx, batch) => {
      t.ok(batch.saleIds.length > 0 && batch.customerIds.length > 0)
      const { rows } = await sql<{ n: number }>`select count(*)::int n from sale_line where sale_id = any(${batch.saleIds})`.execute(trx)
      t.equal(rows[0]!.n, batch.lines, 'the hook sees the batch it is told about')
      if (++batches === 3) throw new Error('simulated crash')
    },
  })
  await t.rejects(failing, /simulated crash/)
  const partial = await history(ctx.database.db)
  t.ok(partial.length > 0, 'batches before the failure are committed')

  const rerun = await importTransactions(ctx.database.db, Readable.from([csv]), { batchRows: 100 })
  t.equal(rerun.imported + rerun.duplicates, 600)
  t.ok(rerun.duplicates > 0)
  t.same(await history(ctx.database.db), await history(clean.database.db))
})

t.test('5,000 rows through the route', async (t) => {
  const ctx = await buildTestApp(t)
  const csv = fileOf(5000, 11)
  const res = await post(ctx, ADMIN_KEY, 'transactions', csv)
  t.equal(res.statusCode, 200, res.body)
  const body = res.json()
  t.match(body, { rows: 5000, imported: 5000, duplicates: 0, rejected: 0 })
  const counts = await sql<{ lines: number; sales: number }>`
    select (select count(*)::int from sale_line) lines, (select count(*)::int from sale) sales`.execute(ctx.database.db)
  t.same(counts.rows[0], { lines: 5000, sales: body.salesCreated })
  // Every block range of the new lines is summarised: an unsummarised one is read whole by
  // every chunk of a whole-population read (a list run's profile refresh) until vacuum comes.
  const left = await sql<{ customer: number }>`
    select brin_summarize_new_values('sale_line_customer_brin'::regclass) customer`.execute(ctx.database.db)
  t.same(left.rows[0], { customer: 0 }, 'no range left unsummarised')
  t.match((await post(ctx, ADMIN_KEY, 'transactions', csv)).json(), { imported: 0, duplicates: 5000 })
})

t.test('CSV: quoted fields, doubled quotes, line breaks in quotes, CRLF; a stray quote costs only its record', async (t) => {
  const ctx = await buildTestApp(t)
  const summary = await importTransactions(ctx.database.db, Readable.from([fixture('quoted.csv')]))
  t.match(summary, { rows: 7, imported: 5, rejected: 2, salesCreated: 4 })
  t.same(
    summary.errors.map((e) => [e.line, e.message]),
    [
      [6, 'malformed CSV: text after a closing quote'],
      [8, 'malformed CSV: a quote inside an unquoted field'],
    ],
  )
  t.same(await history(ctx.database.db), [
    { customer: '1', transaction: '10', day: '2024-01-05', lines: 'A,1x1 B "big"x2' },
    { customer: '2', transaction: '11', day: '2024-01-06', lines: 'multi\r\nlinex3' },
    { customer: '3', transaction: '12', day: '2024-01-07', lines: 'Dx1' },
    { customer: '4', transaction: '14', day: '2024-01-08', lines: 'Fx4' },
  ])
})

t.test('CSV: where the input is cut into chunks changes nothing; bare CR line ends work', async (t) => {
  const whole = await buildTestApp(t)
  const pieces = await buildTestApp(t)
  const csv = fixture('quoted.csv') + '\r\n' + fileOf(300, 5).split('\n').slice(1).join('\r\n')
  const expected = await importTransactions(whole.database.db, Readable.from([csv]))
  const chunks: string[] = []
  for (let at = 0, n = 1; at < csv.length; at += n, n = 1 + (n % 7)) chunks.push(csv.slice(at, at + n))
  const got = await importTransactions(pieces.database.db, Readable.from(chunks))
  t.same({ ...got, seconds: 0 }, { ...expected, seconds: 0 })
  t.same(await history(pieces.database.db), await history(whole.database.db))

  const cr = await buildTestApp(t)
  const summary = await importTransactions(cr.database.db, Readable.from([fixture('tafeng.csv').replaceAll('\n', '\r')]))
  t.match(summary, { rows: 5, imported: 5, rejected: 0 })
  t.same(
    (await history(cr.database.db)).map((h) => h.lines),
    ['122x1 148x1', '122x1', '150x2 122x1'],
  )
})

t.test('CSV: a record longer than a megabyte is reported and skipped, the rest imported', async (t) => {
  const ctx = await buildTestApp(t)
  const csv = `customer_id,transaction_id,day,product_id,quantity\n1,1,2024-01-01,"${'x'.repeat(1_100_000)}\n2,2,2024-01-01,A,1\n`
  const chunks: string[] = []
  for (let at = 0; at < csv.length; at += 65_536) chunks.push(csv.slice(at, at + 65_536))
  const summary = await importTransactions(ctx.database.db, Readable.from(chunks))
  t.match(summary, { imported: 1, rejected: 1, errors: [{ line: 2, message: /malformed CSV: a record is longer than 1,000,000 characters/ }] })
  t.same(await history(ctx.database.db), [{ customer: '2', transaction: '2', day: '2024-01-01', lines: 'Ax1' }])
})

t.test('held-back transactions and their reports do not depend on the batch size', async (t) => {
  const ctx = await buildTestApp(t)
  const summary = await importTransactions(ctx.database.db, Readable.from([fixture('bad-rows.csv')]), { batchRows: 1 })
  t.match(summary, { rows: 9, imported: 1, duplicates: 0, rejected: 8 })
  t.same(
    summary.errors.map((e) => e.line),
    [2, 3, 4, 5, 6, 7, 8, 10],
  )
  t.same(await history(ctx.database.db), [{ customer: '3', transaction: '14', day: '2024-01-07', lines: 'Dx1' }])
})

t.test('a process holding the summarising lock does not stall an import', async (t) => {
  // As an anti-wraparound autovacuum of sale_line would (it summarises the ranges itself).
  const database = await testDatabase(t)
  const holder = await database.pool.connect()
  await holder.query('begin')
  await holder.query('lock table sale_line in share update exclusive mode')
  try {
    const summary = await importTransactions(database.db, Readable.from([fileOf(3000, 5)]))
    t.match(summary, { imported: 3000, rejected: 0 })
  } finally {
    await holder.query('rollback')
    holder.release()
  }
  const left = await sql<{ n: number }>`select brin_summarize_new_values('sale_line_customer_brin'::regclass) n`.execute(database.db)
  t.ok(left.rows[0]!.n > 0, 'the ranges were left to the lock holder')
})

t.test('two imports of the same file at once write each sale once', async (t) => {
  const ctx = await buildTestApp(t)
  const clean = await buildTestApp(t)
  const csv = fileOf(1500, 9)
  await importTransactions(clean.database.db, Readable.from([csv]), { batchRows: 200 })
  const [a, b] = await Promise.all([
    importTransactions(ctx.database.db, Readable.from([csv]), { batchRows: 200 }),
    importTransactions(ctx.database.db, Readable.from([csv]), { batchRows: 300 }),
  ])
  t.equal(a.imported + b.imported, 1500)
  t.equal(a.duplicates + b.duplicates, 1500)
  t.same(await history(ctx.database.db), await history(clean.database.db))
  const counts = (db: Database) =>
    sql<{ customers: number; cards: number; lines: number }>`
      select (select count(*)::int from customer) customers, (select count(*)::int from card) cards,
        (select count(*)::int from sale_line) lines`
      .execute(db)
      .then((r) => r.rows[0])
  t.same(await counts(ctx.database.db), await counts(clean.database.db), 'one card per customer, no line twice')
  t.match(await counts(ctx.database.db), { lines: 1500 })
})

t.test('sale totals stay exact beyond 2^53 cents', async (t) => {
  const ctx = await buildTestApp(t)
  const rows = Array.from({ length: 5 }, (_, i) => `1,T,2024-01-01,P${i},1000000,2147483647`)
  const summary = await importTransactions(
    ctx.database.db,
    Readable.from([`customer_id,transaction_id,day,product_id,quantity,unit_price_cents\n${rows.join('\n')}\n`]),
  )
  t.match(summary, { imported: 5, rejected: 0 })
  const { rows: sale } = await sql<{ total: string }>`select total_before_cents::text as total from sale`.execute(ctx.database.db)
  t.same(sale, [{ total: (5n * 1_000_000n * 2_147_483_647n).toString() }])
})

t.test('npm run import: a gzip file into DATABASE_URL, summary on stdout; a bad file exits 1', async (t) => {
  const database = await testDatabase(t)
  const dir = mkdtempSync(path.join(tmpdir(), 'lanelist-import-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = path.join(dir, 'tafeng.csv.gz')
  writeFileSync(file, gzipSync(fixture('tafeng.csv')))
  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/import.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: database.url },
    }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    )
  const ok = await cli('transactions', file)
  t.equal(ok.code, 0, ok.stderr)
  t.match(JSON.parse(ok.stdout), { rows: 5, imported: 5, salesCreated: 3 })
  const audit = await database.db.selectFrom('audit_log').select('actor').where('action', '=', 'import.transactions.batch').execute()
  t.match(audit, [{ actor: /^cli:/ }])

  const bad = await cli('products', file)
  t.equal(bad.code, 1)
  t.match(bad.stderr, /missing column category/)
  t.equal((await cli('nonsense')).code, 1)
})

/** A shuffled purchase history: `rows` lines, baskets of 1..`maxLines` over 150 customers. */
function fileOf(rows: number, maxLines: number): string {
  let seed = 42
  const rand = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    return seed % n
  }
  const out: string[] = []
  for (let tx = 1; out.length < rows; tx++) {
    const customer = 1 + rand(150)
    const lines = Math.min(1 + rand(maxLines), rows - out.length)
    const day = `2024-${String(1 + rand(12)).padStart(2, '0')}-${String(1 + rand(28)).padStart(2, '0')}`
    for (let i = 0; i < lines; i++) out.push(`${customer},${tx},${day},${1 + rand(400)},${1 + rand(3)}`)
  }
  // Unsorted on purpose: a transaction's lines need not be next to each other.
  for (let i = out.length - 1; i > 0; i--) {
    const j = rand(i + 1)
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return `customer_id,transaction_id,day,product_id,quantity\n${out.join('\n')}\n`
}
