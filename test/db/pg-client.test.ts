// CallbackQueryClient (src/db/pg-client.ts): every pool the service opens uses it, so it must
// answer exactly as pg's Client does, and leave nothing of a finished query for V8's young
// collections to copy.
import t from 'tap'
import pg from 'pg'
import v8 from 'node:v8'
import vm from 'node:vm'
import { CallbackQueryClient } from '../../src/db/pg-client.ts'
import { testDatabase } from '../helpers/database.ts'

async function clients(t: { teardown(fn: () => unknown): void }) {
  const { url, pool } = await testDatabase(t, { migrated: false, max: 1 })
  const ours = new CallbackQueryClient({ connectionString: url })
  const theirs = new pg.Client({ connectionString: url })
  await Promise.all([ours.connect(), theirs.connect()])
  t.teardown(() => Promise.all([ours.end(), theirs.end()]))
  return { ours, theirs, pool }
}

t.test('the pool the service opens uses it', async (t) => {
  const { pool } = await clients(t)
  const client = await pool.connect()
  t.teardown(() => client.release())
  t.ok(client instanceof CallbackQueryClient, 'its clients are CallbackQueryClients')
})

t.test('results are the same as pg gives: text, parameters, named statements, config objects', async (t) => {
  const { ours, theirs } = await clients(t)
  const same = async (name: string, run: (c: pg.Client) => Promise<pg.QueryResult>) => {
    const [a, b] = await Promise.all([run(ours), run(theirs)])
    t.same({ rows: a.rows, rowCount: a.rowCount, command: a.command, fields: a.fields.map((f) => f.name) }, { rows: b.rows, rowCount: b.rowCount, command: b.command, fields: b.fields.map((f) => f.name) }, name)
  }
  await same('plain text', (c) => c.query('select 1 as one, $$x$$ as x'))
  await same('parameters', (c) => c.query('select $1::int + 1 as n, $2::text as s', [41, 'lane']))
  await same('named statement, twice', async (c) => {
    await c.query({ name: 'pg-client-test', text: 'select $1::int * 2 as n', values: [2] })
    return c.query({ name: 'pg-client-test', text: 'select $1::int * 2 as n', values: [21] })
  })
  // executePrepared hands the same { name, text } object to every call of a template.
  const shared = { name: 'pg-client-shared', text: 'select $1::int as n' }
  await same('one config object, again and again', async (c) => {
    for (let i = 0; i < 3; i++) await c.query(shared, [i])
    return c.query(shared, [7])
  })
  t.same(Object.keys(shared).sort(), ['name', 'text'], 'the config object is left as it was')
  await same('rows as arrays', (c) => c.query({ text: 'select 1 as a, 2 as b', rowMode: 'array' }))
  await same('several rows', (c) => c.query('select g from generate_series(1, 50) g'))
  await same('a command', (c) => c.query('create temp table if not exists pg_client_t (n int)'))
})

t.test('a failed query rejects with the server error, and the client goes on', async (t) => {
  const { ours } = await clients(t)
  const err = await ours.query('select 1 / $1::int', [0]).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(err instanceof pg.DatabaseError, 'pg.DatabaseError')
  t.match(err, { code: '22012', message: 'division by zero' })
  t.same((await ours.query('select 2 as n')).rows, [{ n: 2 }], 'the next query runs')
})

t.test('callback calls and submittable queries are left to pg', async (t) => {
  const { ours } = await clients(t)
  const viaCallback = await new Promise<pg.QueryResult>((resolve, reject) => ours.query('select 3 as n', (e: Error | null, r: pg.QueryResult) => (e ? reject(e) : resolve(r))))
  t.same(viaCallback.rows, [{ n: 3 }], 'callback as second argument')
  const viaValuesCallback = await new Promise<pg.QueryResult>((resolve, reject) => ours.query('select $1::int as n', [4], (e: Error | null, r: pg.QueryResult) => (e ? reject(e) : resolve(r))))
  t.same(viaValuesCallback.rows, [{ n: 4 }], 'callback after the values')
  const submitted = await new Promise<pg.QueryResult>((resolve, reject) => {
    const q = new pg.Query('select 5 as n', [], (e: Error | undefined, r: pg.QueryResult) => (e ? reject(e) : resolve(r)))
    t.equal(ours.query(q), q, 'a submittable is returned as pg returns it')
  })
  t.same(submitted.rows, [{ n: 5 }], 'submittable query')
})

t.test("a finished query leaves nothing for the young generation's collections", async (t) => {
  const { ours, theirs } = await clients(t)
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc') as (o?: { type: 'minor' | 'major' }) => void
  const youngKiB = () => v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size / 1024
  const survivors = async (c: pg.Client) => {
    for (let i = 0; i < 200; i++) await c.query('select $1::int as n', [i])
    gc()
    gc()
    for (let i = 0; i < 200; i++) await c.query('select $1::int as n', [i])
    await new Promise((resolve) => setTimeout(resolve, 50))
    gc({ type: 'minor' })
    return youngKiB()
  }
  const theirsKiB = await survivors(theirs)
  const oursKiB = await survivors(ours)
  t.comment(`young objects left after 200 queries: pg ${theirsKiB.toFixed(0)} KiB, CallbackQueryClient ${oursKiB.toFixed(0)} KiB`)
  t.ok(oursKiB < 100, `under 100 KiB left (${oursKiB.toFixed(0)} KiB)`)
})
