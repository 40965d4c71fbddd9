// Upgrades while lanes keep redeeming (issue 9): 8 lanes redeem through a running service process
// while two migrators (two instances' pools) start at once with new migrations of the kinds docs/operations.md
// allows on hot tables (a nullable column, a constant default, a CHECK added NOT VALID then
// validated, an index built concurrently), and a long reader holds a lock on `sale` so the
// first ALTER has to give up its lock wait and retry. No redemption may fail or be lost, and
// each migration is applied exactly once.
import { copyFileSync, readdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import pino from 'pino'
import t from 'tap'
import { connectDatabase } from '../../src/db/database.ts'
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.ts'
import { loadDemoIfEmpty } from '../../src/demo/load-demo.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { readyStatus, startServiceProcess, stopProcess, tempDataDir } from '../helpers/process.ts'
import { acknowledged, checkLedger, driveLanes, laneFixture, readDemoKeys, withPool, type Sent } from './lanes.ts'

const NEW_MIGRATIONS: Record<string, string> = {
  '9001_online_sale_note.sql': '-- a nullable column on the hottest table: catalog only, a moment\'s exclusive lock\nalter table sale add column online_note text;\n',
  '9002_online_redemption_flag.sql':
    '-- a constant default: stored in the catalog, no table rewrite\nalter table redemption add column online_flag boolean not null default false;\n',
  '9003_online_sale_note_check.sql':
    '-- a CHECK added NOT VALID: no scan under the exclusive lock\nalter table sale add constraint sale_online_note_length check (length(online_note) <= 200) not valid;\n',
  '9004_online_sale_note_validate.sql':
    '-- validation scans under SHARE UPDATE EXCLUSIVE, which lanes\' writes do not wait for\nalter table sale validate constraint sale_online_note_length;\n',
  '9005_online_sale_note_index.sql':
    '-- lanelist:no-transaction\n-- built concurrently: lanes keep writing sale while it builds\ncreate index concurrently sale_online_note_idx on sale (online_note);\n',
}

function migrationsDir(): string {
  const dir = tempDataDir('lanelist-online-migrations-')
  for (const f of readdirSync(MIGRATIONS_DIR)) copyFileSync(path.join(MIGRATIONS_DIR, f), path.join(dir, f))
  for (const [f, sql] of Object.entries(NEW_MIGRATIONS)) writeFileSync(path.join(dir, f), sql)
  return dir
}

/**
 * A lanelist instance starting with the new release: its own pool, its migrator. Run in the test
 * process rather than as two more tsx processes, whose start-up would starve a 2-core CI machine
 * and measure that instead of the migration.
 */
function migrator(url: string, dir: string): { output: () => string; done: Promise<{ code: number; out: string }> } {
  let out = ''
  const pool = new pg.Pool({ connectionString: url, max: 2 })
  pool.on('error', () => {})
  const done = migrate(pool, { dir, log: (m) => (out += `${m}\n`) })
    .then((applied) => {
      out += `APPLIED ${JSON.stringify(applied.map((m) => m.version))}\n`
      return 0
    })
    .catch((err: Error) => {
      out += `FAILED ${err.message}\n`
      return 1
    })
    .then(async (code) => {
      await pool.end()
      return { code, out }
    })
  return { output: () => out, done }
}

function latency(sent: Sent[]): string {
  const ms = sent.map((s) => s.ms).sort((a, b) => a - b)
  const at = (q: number) => Math.round(ms[Math.min(ms.length - 1, Math.floor(ms.length * q))] ?? 0)
  return `${sent.length} sales, p50 ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`
}

t.test('two instances migrate at once while 8 lanes redeem: none fails, none lost, each applied once', async (t) => {
  const database = await createTestDatabase(t)
  const keysDir = tempDataDir('lanelist-online-')
  const handle = connectDatabase(database.url, { max: 4 })
  await loadDemoIfEmpty(handle.db, { customers: 60, log: pino({ level: 'silent' }), dataDir: keysDir })
  await handle.close()
  const fx = await laneFixture(database.url, readDemoKeys(keysDir), 20)
  // A lane instance as docs/operations.md recommends: no job worker competing for its event loop.
  const svc = await startServiceProcess({ DATABASE_URL: database.url, LANELIST_DEMO: '0', LANELIST_WORKER: '0', LANELIST_LOG_LEVEL: 'info' })
  t.teardown(() => stopProcess(svc, 'SIGTERM'))
  t.equal(await readyStatus(svc.url), 200, 'the serving instance is ready')

  const dir = migrationsDir()
  let all: Sent[] = []
  let doneAt = 0
  const lanes = driveLanes({
    baseUrl: () => svc.url,
    fixture: fx,
    lanes: 8,
    tag: 'online',
    stop: (sent) => {
      all = sent
      return sent.length >= 3_000 || (doneAt > 0 && Date.now() - doneAt > 1_000)
    },
  })
  await new Promise((r) => setTimeout(r, 2_000))
  const from = all.length

  // A long reader (a report, a backup's COPY) holds ACCESS SHARE on sale until the first ALTER
  // has given up waiting behind it at least once: the lanes must not queue behind the ALTER for
  // all that time.
  const runners = await withPool(database.url, async (pool) => {
    const c = await pool.connect()
    await c.query('begin')
    await c.query('select count(*) from sale')
    const started = [migrator(database.url, dir), migrator(database.url, dir)]
    const deadline = Date.now() + 30_000
    while (!started.some((m) => /waited \d+ ms for a lock/.test(m.output())) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
    }
    await c.query('commit')
    c.release()
    return started
  })
  const runs = await Promise.all(runners.map((m) => m.done))
  doneAt = Date.now()
  const to = all.length
  const sent = await lanes
  for (const [i, run] of runs.entries()) t.equal(run.code, 0, `migrator ${i + 1} succeeds ${run.out}`)
  const applied = runs.flatMap((r) => JSON.parse(/APPLIED (.*)/.exec(r.out)?.[1] ?? '[]') as number[]).sort()
  t.same(applied, [9001, 9002, 9003, 9004, 9005], `each new migration applied once, by one of the two (${runs.map((r) => (/APPLIED (.*)/.exec(r.out)?.[1] ?? '?')).join(' + ')})`)
  const log = runs.map((r) => r.out).join('\n')
  t.match(log, /9001_online_sale_note\.sql waited 500 ms for a lock; rolled back, trying again/, 'the ALTER gave up its lock wait behind the long reader and retried')

  const failed = sent.filter((s) => !acknowledged(s))
  t.same(
    failed.map((s) => `${s.posTransactionId}: ${s.status}`),
    [],
    `no failed redemption of ${sent.length}: before the upgrade ${latency(sent.slice(0, from))}; during it ${latency(sent.slice(from, to))}; after ${latency(sent.slice(to))}`,
  )
  t.same((await checkLedger(database.url, sent)).problems, [], 'none lost: each recorded once, whole')

  await withPool(database.url, async (pool) => {
    const { rows } = await pool.query<{ valid: boolean; validated: boolean; versions: number }>(
      `select (select indisvalid from pg_index where indexrelid = 'sale_online_note_idx'::regclass) as valid,
              (select convalidated from pg_constraint where conname = 'sale_online_note_length') as validated,
              (select count(*)::int from lanelist_migration where version >= 9001) as versions`,
    )
    t.same(rows[0], { valid: true, validated: true, versions: 5 }, 'the index is valid, the constraint validated, five versions recorded')
  })
  t.equal((await fetch(`${svc.url}/health/ready`)).status, 200, 'the serving instance stays ready on the newer schema')
})
