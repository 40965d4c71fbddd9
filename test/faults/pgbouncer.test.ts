// lanelist behind PgBouncer in transaction pooling mode (issue 9). First what a transaction
// pooler breaks, shown on the pooler itself (why the worker needs a direct connection); then
// the supported setup end to end: two instances whose HTTP routes go through the pooler, one
// of them running the job worker on LANELIST_DIRECT_DATABASE_URL, serving every kind of route;
// a sale through the pooler regenerates its customer's list through the worker.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import pino from 'pino'
import t from 'tap'
import { connectDatabase } from '../../src/db/database.ts'
import { migrate, pendingMigrations, readMigrations, runsOutsideTransaction } from '../../src/db/migrate.ts'
import { loadDemoIfEmpty } from '../../src/demo/load-demo.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { startPgBouncer } from '../helpers/pgbouncer.ts'
import { readyStatus, startServiceProcess, stopProcess, tempDataDir } from '../helpers/process.ts'
import { readState } from '../helpers/test-server.ts'
import {
  acknowledged,
  checkLedger,
  checkReplays,
  driveLanes,
  laneFixture,
  readDemoKeys,
  startListRun,
  today,
  waitForRegenerations,
  waitForRun,
  withPool,
  type Sent,
} from './lanes.ts'

const client = async (url: string) => {
  const c = new pg.Client({ connectionString: url })
  c.on('error', () => {})
  await c.connect()
  return c
}

t.test('what a transaction pooler breaks: session locks, LISTEN, named prepared statements', async (t) => {
  const database = await createTestDatabase(t)
  const bouncer = await startPgBouncer(readState().adminUrl, { poolSize: 1 })
  t.teardown(() => bouncer.stop())
  const pooled = bouncer.url(database.url)
  const [a, b] = [await client(pooled), await client(pooled)]
  t.teardown(() => Promise.all([a.end(), b.end()]))

  // One server connection for both clients: a's session lock is held by a backend that b's
  // statements run on too, so b "gets" the lock a holds. The migration and liveness locks
  // would protect nothing (and an unlock on another backend would leave the lock stuck).
  await a.query('select pg_advisory_lock(4242)')
  const { rows } = await b.query('select pg_try_advisory_lock(4242) as got')
  t.equal(rows[0].got, true, 'a second client takes a session lock the first one holds')

  // LISTEN: the backend that listened goes back to the pool; the notification never reaches a.
  let heard = 0
  a.on('notification', () => heard++)
  await a.query('listen lanelist_probe')
  const direct = await client(database.url)
  await direct.query(`notify lanelist_probe, 'x'`)
  await direct.end()
  await new Promise((r) => setTimeout(r, 500))
  await a.query('select 1')
  t.equal(heard, 0, 'a LISTEN through the pooler hears nothing')

  // A named prepared statement lives on the backend that parsed it; PgBouncer 1.18 does not
  // carry it to the next one (graphile-worker prepares its statements by name).
  const bouncer2 = await startPgBouncer(readState().adminUrl, { poolSize: 2 })
  t.teardown(() => bouncer2.stop())
  const [c, d] = [await client(bouncer2.url(database.url)), await client(bouncer2.url(database.url))]
  t.teardown(() => Promise.all([c.end(), d.end()]))
  await c.query({ name: 'probe', text: 'select $1::int as n', values: [1] })
  await d.query('begin') // holds the backend c used last (PgBouncer hands out the last used first)
  await d.query('select 1')
  const err = await c.query({ name: 'probe', text: 'select $1::int as n', values: [2] }).catch((e: Error) => e)
  await d.query('commit')
  t.match(String(err), /prepared statement "probe" does not exist/, 'a named statement fails on another backend')
})

t.test('migrations run through the pooler: transaction-level locks, each applied once', async (t) => {
  const database = await createTestDatabase(t, { migrated: false })
  const bouncer = await startPgBouncer(readState().adminUrl, { poolSize: 2 })
  t.teardown(() => bouncer.stop())
  const pool = new pg.Pool({ connectionString: bouncer.url(database.url), max: 6 })
  t.teardown(() => pool.end())
  // The transactional ones only: a '-- lanelist:no-transaction' file takes the session lock,
  // which needs the direct URL (docs/operations.md "pgbouncer").
  const dir = tempDataDir('lanelist-pooled-migrations-')
  const transactional = (await readMigrations()).filter((m) => !runsOutsideTransaction(m))
  for (const m of transactional) writeFileSync(path.join(dir, m.file), m.sql)
  const runs = await Promise.all([migrate(pool, { dir }), migrate(pool, { dir }), migrate(pool, { dir })])
  t.equal(runs.reduce((n, r) => n + r.length, 0), transactional.length, 'three concurrent starts apply each migration once')
  t.same(await pendingMigrations(pool, dir), [])
  await withPool(database.url, async (direct) => {
    // This database's only: other test files running beside this one hold their own.
    const locks = await direct.query(`select count(*)::int as n from pg_locks
      where locktype = 'advisory' and database = (select oid from pg_database where datname = current_database())`)
    t.equal(locks.rows[0].n, 0, 'no advisory lock left behind on a pooled backend')
  })
})

t.test('supported setup: HTTP through the pooler, worker on the direct URL, end to end', async (t) => {
  const database = await createTestDatabase(t)
  const keysDir = tempDataDir('lanelist-pgbouncer-')
  const handle = connectDatabase(database.url, { max: 4 })
  await loadDemoIfEmpty(handle.db, { customers: 60, log: pino({ level: 'silent' }), dataDir: keysDir })
  await handle.close()
  const fx = await laneFixture(database.url, readDemoKeys(keysDir), 20)

  const bouncer = await startPgBouncer(readState().adminUrl, { poolSize: 4 })
  t.teardown(() => bouncer.stop())
  const pooled = bouncer.url(database.url)
  // PgBouncer 1.18 does not carry named prepared statements (first test): the lane's are turned off.
  const common = { DATABASE_URL: pooled, LANELIST_DB_PREPARED_STATEMENTS: '0', LANELIST_DEMO: '0', LANELIST_LOG_LEVEL: 'info', LANELIST_DB_POOL_MAX: '10' }
  // a: API through the pooler, worker and migrations direct. b: API only, nothing direct.
  const [a, b] = await Promise.all([
    startServiceProcess({ ...common, LANELIST_DIRECT_DATABASE_URL: database.url }),
    startServiceProcess({ ...common, LANELIST_WORKER: '0' }),
  ])
  t.teardown(() => Promise.all([stopProcess(a!, 'SIGKILL'), stopProcess(b!, 'SIGKILL')]))
  for (const [name, svc] of [['a', a!], ['b', b!]] as const) {
    t.equal(await readyStatus(svc.url), 200, `${name} is ready`)
  }

  const bo = (url: string, p: string, init: RequestInit = {}) =>
    fetch(`${url}${p}`, { ...init, headers: { authorization: `Bearer ${fx.keys.backoffice}`, 'content-type': 'application/json', ...init.headers } })

  // A list run asked of b (no worker) is done by a's worker on the direct connection.
  // (forced: the demo load already gave the eligible customers their lists).
  const run = await startListRun(b!.url, fx.keys.backoffice, { asOf: today(), force: true })
  const done = await waitForRun(b!.url, fx.keys.backoffice, run, 60_000)
  t.equal(done?.status, 'succeeded', 'list run done by the worker')
  t.ok(done!.listsCreated > 0, `the run wrote ${done!.listsCreated} lists`)

  // 8 lanes, alternating instances, every request through the pooler's 4 server connections.
  let turn = 0
  const sent = await driveLanes({ baseUrl: () => (turn++ % 2 ? a!.url : b!.url), fixture: fx, lanes: 8, tag: 'bouncer', stop: (s) => s.length >= 80, retryOnce: true })
  const failed = sent.filter((s) => !acknowledged(s))
  t.same(failed.map((s) => `${s.posTransactionId}: ${s.status} ${JSON.stringify(s.response)}`), [], 'every lane sale acknowledged')
  t.same((await checkLedger(database.url, sent)).problems, [], 'each sale recorded once, whole')
  t.same(await checkReplays(a!.url, fx, sent.slice(0, 20)), [], 'replays answer the stored response')
  const regen = await waitForRegenerations(database.url, sent, 60_000)
  t.same(regen.missing, [], `a sale through the pooler regenerates its customer's list via the worker (${regen.customers} customers)`)

  // Quote, void and return of a recorded sale, through the other instance.
  const sale = sent.find((s) => (s.response as { redemptionId?: string }).redemptionId)!
  const posKey = fx.keys.pos[sale.storeId]!
  const pos = (p: string, body: unknown) =>
    fetch(`${a!.url}${p}`, { method: 'POST', headers: { authorization: `Bearer ${posKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const body = JSON.parse(sale.body) as { items: { gtin: string; quantity: number }[] }
  const quote = await pos('/v1/redemptions/quote', { ...body, posTransactionId: 'quote-only' })
  t.equal(quote.status, 200, 'quote answers')
  const id = (sale.response as { redemptionId: string }).redemptionId
  const ret = await pos(`/v1/redemptions/${id}/returns`, { posReturnId: 'R-1', items: [{ gtin: body.items[0]!.gtin, quantity: 1 }] })
  t.equal(ret.status, 201, 'a return is recorded')
  const other = sent.filter((s) => acknowledged(s) && s !== sale && s.storeId === sale.storeId)[0]!
  const voided = await pos(`/v1/redemptions/${(other.response as { redemptionId: string }).redemptionId}/void`, {})
  t.equal(voided.status, 200, 'a void is recorded')

  // Back office: pages, lists, reports, a catalog import (its staging table lives in the batch's transaction).
  const customers = await bo(b!.url, '/v1/customers?limit=5')
  t.equal(customers.status, 200, 'customers page')
  const lists = await bo(a!.url, `/v1/list-generations/${run}/lists`)
  const ndjson = await lists.text()
  const first = JSON.parse(ndjson.split('\n')[0]!) as { id: string; customerId: string }
  t.equal(lists.status, 200, 'the run\'s lists, streamed')
  t.equal((await bo(b!.url, `/v1/customers/${first.customerId}/lists/current`)).status, 200, 'a customer\'s current list')
  for (const report of ['/v1/reports/value', '/v1/reports/offers', '/v1/reports/segments']) {
    t.equal((await bo(b!.url, report)).status, 200, report)
  }
  const csv = readFileSync(new URL('../fixtures/imports/products.csv', import.meta.url))
  const imports = await Promise.all(
    [a!, b!].map((svc) => bo(svc.url, '/v1/imports/products', { method: 'POST', headers: { 'content-type': 'text/csv' }, body: csv })),
  )
  const importBodies = await Promise.all(imports.map((r) => r.text()))
  t.same(imports.map((r) => r.status), [200, 200], `two catalog imports at once through the pooler ${imports.some((r) => r.status !== 200) ? importBodies.join(' | ') + a!.output().slice(-3000) + b!.output().slice(-3000) : ''}`)

  // The pooler really carried the HTTP traffic: its own statistics for this database.
  const admin = await client(bouncer.adminUrl)
  const stats = await admin.query('show stats')
  await admin.end()
  const ours = stats.rows.find((r: { database: string }) => r.database === database.name) as { total_xact_count: string } | undefined
  t.ok(Number(ours?.total_xact_count) > 80, `the pooler ran ${ours?.total_xact_count} transactions for the service`)
  await withPool(database.url, async (direct) => {
    const { rows } = await direct.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name = 'lanelist-worker'`,
    )
    t.ok(rows[0]!.n >= 2, `the worker holds its own direct connections (${rows[0]!.n})`)
  })
})
