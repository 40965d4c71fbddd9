import { Readable } from 'node:stream'
import { sql } from 'kysely'
import t from 'tap'
import type { Database } from '../../src/db/database.ts'
import { importTransactions } from '../../src/modules/imports/import.service.ts'
import { testDatabase } from '../helpers/database.ts'

// A file whose transactions' rows follow each other is written while it is read, in batches
// cut between transactions (input-scan.ts, grouped-batches.ts); any other file is spooled by
// customer first. Both must end in the same database, whatever the batch size.

interface Row {
  customer: number
  transaction: number
  line: string
}

/** Baskets of up to 6 lines for 40 customers, in transaction order. */
function baskets(count: number): Row[] {
  let seed = 7
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0
    return Math.floor((seed / 2 ** 32) * n)
  }
  const rows: Row[] = []
  for (let tx = 1; tx <= count; tx++) {
    const customer = 1 + rand(40)
    const day = `2024-${String(1 + rand(12)).padStart(2, '0')}-${String(1 + rand(28)).padStart(2, '0')}`
    for (let i = 0, n = 1 + rand(6); i < n; i++) rows.push({ customer, transaction: tx, line: `${customer},${tx},${day},${1 + rand(90)},${1 + rand(3)}` })
  }
  return rows
}

const csv = (rows: Row[]) => `customer_id,transaction_id,day,product_id,quantity\n${rows.map((r) => r.line).join('\n')}\n`
const byCustomer = (rows: Row[]) => [...rows].sort((a, b) => a.customer - b.customer || a.transaction - b.transaction)
/** Rows in a fixed scrambled order: the transactions' rows apart. */
const scrambled = (rows: Row[]) => rows.map((r, i) => ({ r, k: (i * 7919) % rows.length })).sort((a, b) => a.k - b.k).map((x) => x.r)

/** Every imported sale with its lines, in file order, or sorted (`byProduct`) to compare files in other orders. */
async function history(db: Database, byProduct = false) {
  const { rows } = await sql<{ customer: string; transaction: string; day: string; total: string; lines: string }>`
    select c.external_id as customer, s.external_id as transaction, s.day, s.total_before_cents::text as total,
      string_agg(p.external_id || 'x' || l.quantity, ' ' order by ${byProduct ? sql`p.external_id, l.quantity` : sql`l.line_no`}) as lines
    from sale s join customer c on c.id = s.customer_id
    join sale_line l on l.sale_id = s.id left join product p on p.id = l.product_id
    where s.source = 'import'
    group by 1, 2, 3, 4 order by 1, 2`.execute(db)
  return rows
}

const counts = (db: Database) =>
  sql<{ customers: number; cards: number; products: number; lines: number; jobs: number }>`
    select (select count(*)::int from customer) customers, (select count(*)::int from card) cards,
      (select count(*)::int from product) products, (select count(*)::int from sale_line) lines,
      (select count(*)::int from graphile_worker.jobs where task_identifier = 'rebuild_customer_stats') jobs`
    .execute(db)
    .then((r) => r.rows[0]!)

const rows = baskets(400)

t.test('a file in transaction order or in customer order ends as the spooled file does', async (t) => {
  const spooled = await testDatabase(t)
  const reference = await importTransactions(spooled.db, Readable.from([csv(scrambled(rows))]), { batchRows: 100 })
  t.equal(reference.imported, rows.length)
  const expected = await history(spooled.db, true)
  t.equal(expected.length, 400)
  let inFileOrder: Awaited<ReturnType<typeof history>> | undefined

  for (const [name, ordered] of [['transaction order', rows], ['customer order', byCustomer(rows)]] as const) {
    const db = await testDatabase(t)
    const batches: number[][] = []
    const summary = await importTransactions(db.db, Readable.from([csv(ordered)]), { batchRows: 97, statsJobs: true })
    t.match(summary, { rows: rows.length, imported: rows.length, duplicates: 0, rejected: 0, salesCreated: 400, customersCreated: 40, productsCreated: reference.productsCreated }, name)
    t.same(await history(db.db, true), expected, `${name}: every sale whole, with all its lines`)
    // Sorting by customer keeps each transaction's rows in their order: so must the lines.
    inFileOrder ??= await history(db.db)
    t.same(await history(db.db), inFileOrder, `${name}: lines numbered in file order`)
    const c = await counts(db.db)
    t.match(c, { customers: 40, cards: 40, lines: rows.length }, `${name}: each customer created once, with one card`)
    t.ok(c.jobs > 1, `${name}: a statistics job per batch (${c.jobs})`)

    const again = await importTransactions(db.db, Readable.from([csv(ordered)]), { batchRows: 50, onBatchImported: async (_, b) => void batches.push(b.saleIds) })
    t.match(again, { imported: 0, duplicates: rows.length, salesCreated: 0 }, `${name}: a re-import adds nothing`)
    t.same(batches, [], 'and calls no batch hook')
  }
})

t.test('a file in transaction order is written as read: a customer comes back in later batches', async (t) => {
  const db = await testDatabase(t)
  const seen = new Map<number, number>()
  await importTransactions(db.db, Readable.from([csv(rows)]), {
    batchRows: 200,
    onBatchImported: async (_, batch) => {
      for (const id of batch.customerIds) seen.set(id, (seen.get(id) ?? 0) + 1)
    },
  })
  t.ok([...seen.values()].some((n) => n > 1), 'spooled by customer, each customer would be in one batch only')
})

t.test('bad rows in a grouped file hold back their transaction and are reported by line', async (t) => {
  const db = await testDatabase(t)
  const file = [
    'customer_id,transaction_id,day,product_id,quantity',
    '1,10,2024-01-05,A,1',
    '1,10,2024-01-05,B,-2',
    '1,11,2024-02-30,A,1',
    '2,12,2024-01-06,A,x',
    '2,12,2024-01-06,C,4',
    ',13,2024-01-06,A,1',
    '3,14,2024-01-07,D,1',
    '3,15,2024-01-07,D,2',
  ].join('\n')
  const summary = await importTransactions(db.db, Readable.from([file]), { batchRows: 1 })
  t.match(summary, { rows: 8, imported: 2, rejected: 6 })
  t.same(
    summary.errors.map((e) => [e.line, e.message]),
    [
      [2, 'not imported: line 3 of the same transaction was rejected'],
      [3, 'quantity must not be negative (got -2)'],
      [4, 'day must be a date YYYY-MM-DD or a day number (days since 2000-01-01); got "2024-02-30"'],
      [5, 'quantity must be a whole number (got "x")'],
      [6, 'not imported: line 5 of the same transaction was rejected'],
      [7, 'customer_id is missing'],
    ],
  )
  t.same((await history(db.db)).map((s) => [s.customer, s.transaction, s.lines]), [['3', '14', 'Dx1'], ['3', '15', 'Dx2']])
})

t.test('a grouped import that fails half-way and is run again ends where one clean run ends', async (t) => {
  const clean = await testDatabase(t)
  await importTransactions(clean.db, Readable.from([csv(rows)]), { batchRows: 120 })
  const db = await testDatabase(t)
  let batches = 0
  const failing = importTransactions(db.db, Readable.from([csv(rows)]), {
    batchRows: 120,
    onBatchImported: async (trx, batch) => {
      const { rows: n } = await sql<{ n: number }>`select count(*)::int n from sale_line where sale_id = any(${batch.saleIds})`.execute(trx)
      t.equal(n[0]!.n, batch.lines, 'the hook sees the batch it is told about')
      if (++batches === 3) throw new Error('simulated crash')
    },
  })
  await t.rejects(failing, /simulated crash/)
  const partial = (await history(db.db)).length
  t.ok(partial > 0 && partial < 400, `batches before the failure are committed (${partial} sales)`)
  const rerun = await importTransactions(db.db, Readable.from([csv(rows)]), { batchRows: 120 })
  t.equal(rerun.imported + rerun.duplicates, rows.length)
  t.ok(rerun.duplicates > 0)
  t.same(await history(db.db), await history(clean.db))
})

t.test('two grouped imports of the same file at once write each sale once', async (t) => {
  const clean = await testDatabase(t)
  await importTransactions(clean.db, Readable.from([csv(rows)]))
  const db = await testDatabase(t)
  const [a, b] = await Promise.all([
    importTransactions(db.db, Readable.from([csv(rows)]), { batchRows: 80 }),
    importTransactions(db.db, Readable.from([csv(byCustomer(rows))]), { batchRows: 130 }),
  ])
  t.equal(a.imported + b.imported, rows.length)
  t.equal(a.duplicates + b.duplicates, rows.length)
  t.same(await history(db.db), await history(clean.db))
  const [got, want] = [await counts(db.db), await counts(clean.db)]
  t.same([got.customers, got.cards, got.lines], [want.customers, want.cards, want.lines], 'one card per customer, no line twice')
})

t.test('a sale another import writes while this one runs: the unique index decides, the batch is inserted instead', async (t) => {
  const db = await testDatabase(t)
  const file = ['customer_id,transaction_id,day,product_id,quantity', 'N1,T1,2024-03-01,A,1', 'N1,T2,2024-03-02,B,1', 'N1,T3,2024-03-03,C,2'].join('\n')
  let hooked = false
  const summary = await importTransactions(db.db, Readable.from([file]), {
    batchRows: 1,
    onBatchImported: async () => {
      if (hooked) return
      hooked = true
      // N1 is this import's own new customer, so its sales are not looked up before the COPY.
      await db.pool.query(`insert into sale (customer_id, source, external_id, occurred_at, day)
        select id, 'import', 'T3', '2024-03-03 12:00+00', '2024-03-03' from customer where external_id = 'N1'`)
    },
  })
  t.match(summary, { imported: 2, duplicates: 1, salesCreated: 2, rejected: 0 })
  t.same(
    (await history(db.db)).map((s) => [s.transaction, s.lines]),
    [['T1', 'Ax1'], ['T2', 'Bx1']],
    'T3 stays as the other import wrote it (no lines here), not doubled',
  )
})

t.test('two writers: a batch that fails stops the import, only whole sales stay, and a re-run completes it', async (t) => {
  const clean = await testDatabase(t)
  await importTransactions(clean.db, Readable.from([csv(rows)]), { batchRows: 60, writers: 1 })
  const want = new Map((await history(clean.db)).map((s) => [`${s.customer}/${s.transaction}`, s]))
  const db = await testDatabase(t)
  // Sale 250 fails as its batch COPYs it: the batch alongside it, on the other connection, goes on.
  await sql`create function fail_sale() returns trigger language plpgsql as $$
    begin if new.external_id = '250' then raise exception 'simulated failure'; end if; return new; end $$`.execute(db.db)
  await sql`create trigger fail_sale before insert on sale for each row execute function fail_sale()`.execute(db.db)
  await t.rejects(importTransactions(db.db, Readable.from([csv(rows)]), { batchRows: 60, writers: 2 }), /simulated failure/)
  const partial = await history(db.db)
  t.ok(partial.length > 0 && partial.length < want.size, `batches before the failure are committed (${partial.length} sales)`)
  t.same(partial, partial.map((s) => want.get(`${s.customer}/${s.transaction}`)), 'every sale there has all its lines')
  t.notOk(partial.some((s) => s.transaction === '250'))
  const { rows: orphans } = await sql<{ n: number }>`
    select count(*)::int n from sale_line l where not exists (select 1 from sale s where s.id = l.sale_id)`.execute(db.db)
  t.equal(orphans[0]!.n, 0, 'no line without its sale')

  await sql`drop trigger fail_sale on sale`.execute(db.db)
  const rerun = await importTransactions(db.db, Readable.from([csv(rows)]), { batchRows: 60, writers: 2 })
  t.equal(rerun.imported + rerun.duplicates, rows.length)
  t.equal(rerun.duplicates, partial.reduce((n, s) => n + s.lines.split(' ').length, 0), 'what stayed counts as already there')
  t.same(await history(db.db), await history(clean.db))
})

t.test('writers 1, 2 and 3 end in the same database', async (t) => {
  const results = []
  for (const writers of [1, 2, 3]) {
    const db = await testDatabase(t)
    const summary = await importTransactions(db.db, Readable.from([csv(rows)]), { batchRows: 40, writers })
    t.match(summary, { imported: rows.length, duplicates: 0, rejected: 0 }, `${writers} writers`)
    results.push(await history(db.db))
  }
  t.same(results[1], results[0])
  t.same(results[2], results[0])
})

/** The file in pieces, the last one late: the import parses and writes ahead of the first pass's verdict. */
async function* slowly(text: string, pieces: number, lastAfterMs: number): AsyncGenerator<string> {
  const size = Math.ceil(text.length / pieces)
  for (let i = 0; i < text.length; i += size) {
    if (i + size >= text.length) await new Promise((r) => setTimeout(r, lastAfterMs))
    yield text.slice(i, i + size)
  }
}

t.test('a file that turns out not grouped at its end: batches written ahead are dropped, the spooled import decides', async (t) => {
  // In transaction order, but the very last line belongs to the first sale.
  const late = [...rows, { ...rows[0]!, line: rows[0]!.line.replace(/,[0-9]+,[0-9]+$/, ',89,2') }]
  const reference = await testDatabase(t)
  const want = await importTransactions(reference.db, Readable.from([csv(late)]), { batchRows: 50, streamGrouped: false })
  const db = await testDatabase(t)
  const got = await importTransactions(db.db, Readable.from(slowly(csv(late), 20, 300)), { batchRows: 50 })
  t.same({ ...got, seconds: 0 }, { ...want, seconds: 0 }, 'the same summary, customers and products created ahead counted')
  t.same(await history(db.db), await history(reference.db))
  const [a, b] = [await counts(db.db), await counts(reference.db)]
  t.same([a.customers, a.cards, a.products, a.lines], [b.customers, b.cards, b.products, b.lines])
  const firstSale = async (d: Database) => (await sql<{ id: number }>`select min(id)::int id from sale`.execute(d)).rows[0]!.id
  t.ok((await firstSale(db.db)) > (await firstSale(reference.db)), 'sale ids were drawn for the batches written ahead, then dropped')
})

t.test('the input failing before the first pass ends: the import fails and commits no sale', async (t) => {
  const db = await testDatabase(t)
  async function* broken(): AsyncGenerator<string> {
    yield* slowly(csv(rows).slice(0, 6000), 5, 200)
    throw Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR' })
  }
  await t.rejects(importTransactions(db.db, Readable.from(broken()), { batchRows: 30 }), { code: 'validation_failed' })
  t.same(await history(db.db), [], 'batches parsed ahead never commit')
})

t.test('a first pass slower than the wait: batches written ahead let go of their transaction, then commit once it ends', async (t) => {
  const reference = await testDatabase(t)
  await importTransactions(reference.db, Readable.from([csv(rows)]), { batchRows: 50 })
  const db = await testDatabase(t)
  let open: number | undefined
  async function* slowUpload(): AsyncGenerator<string> {
    const text = csv(rows)
    yield text.slice(0, text.length / 2)
    // Past the 5 s a written batch waits for the verdict inside its transaction.
    await new Promise((r) => setTimeout(r, 8_000))
    const { rows: held } = await sql<{ n: number }>`
      select count(*)::int n from pg_stat_activity
      where datname = current_database() and state like 'idle in transaction%' and backend_xid is not null`.execute(db.db)
    open = held[0]!.n
    yield text.slice(text.length / 2)
  }
  const summary = await importTransactions(db.db, Readable.from(slowUpload()), { batchRows: 50 })
  t.equal(open, 0, 'no transaction with writes held open while the upload is slow')
  t.match(summary, { imported: rows.length, duplicates: 0, rejected: 0 })
  t.same(await history(db.db), await history(reference.db))
})
