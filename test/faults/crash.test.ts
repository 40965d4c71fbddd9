// kill -9 while 8 lanes redeem, on the embedded default: of the service alone (its PostgreSQL
// lives on as an orphan) and of the service with its PostgreSQL (crash recovery). Then a list
// run killed halfway. Real service processes, real HTTP, the data checked in PostgreSQL.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { freePort } from '../helpers/test-server.ts'
import { readyStatus, startServiceProcess, stopProcess, tempDataDir, type ServiceProcess } from '../helpers/process.ts'
import {
  acknowledged,
  addDays,
  checkLedger,
  checkReplays,
  driveLanes,
  embeddedUrl,
  laneFixture,
  readDemoKeys,
  startListRun,
  today,
  waitForRegenerations,
  waitForRun,
  withPool,
  type LaneFixture,
  type Sent,
} from './lanes.ts'

const ADMIN = 'faults-admin-key-0123456789abcdef'
// More than one chunk of a list run (200 customers), so a run can be killed between chunks.
const CUSTOMERS = 450
const LANE_CUSTOMERS = 40

const dataDir = tempDataDir()
const pgPort = String(await freePort())
const env = {
  LANELIST_DATA_DIR: dataDir,
  LANELIST_EMBEDDED_PG_PORT: pgPort,
  LANELIST_DEMO: '1',
  LANELIST_DEMO_CUSTOMERS: String(CUSTOMERS),
  LANELIST_ADMIN_KEY: ADMIN,
  LANELIST_LOG_LEVEL: 'info',
}
let service: ServiceProcess | undefined
t.teardown(async () => {
  if (service) await stopProcess(service, 'SIGTERM')
})

async function start(): Promise<ServiceProcess> {
  const p = await startServiceProcess(env, { timeoutMs: 180_000 })
  service = p
  if (!/lanelist listening on/.test(p.output())) throw new Error(`the service did not start:\n${p.output()}`)
  return p
}

function postmasterPid(): number | undefined {
  const file = path.join(dataDir, 'pg', 'postmaster.pid')
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined
}

const dbUrl = () => embeddedUrl(dataDir, pgPort)
let fx: LaneFixture

t.before(async () => {
  const s = await start()
  fx = await laneFixture(dbUrl(), readDemoKeys(dataDir), LANE_CUSTOMERS)
  // The lane customers get a current list first, so each sale promises a regeneration.
  const run = await startListRun(s.url, fx.keys.backoffice, { asOf: today(), customerIds: fx.cards.map((c) => c.customerId) })
  const done = await waitForRun(s.url, fx.keys.backoffice, run, 60_000)
  if (done?.status !== 'succeeded') throw new Error(`setup list run: ${JSON.stringify(done)}`)
})

/** Eight lanes until `killAfter` sales are acknowledged, then kill -9 with requests in flight. */
async function redeemAndKill(tag: string, kill: () => void): Promise<Sent[]> {
  const s = service!
  let killed = false
  return driveLanes({
    baseUrl: () => s.url,
    fixture: fx,
    lanes: 8,
    tag,
    stop: (sent) => {
      if (!killed && sent.filter(acknowledged).length >= 60) {
        killed = true
        kill()
      }
      // After the kill every lane's next call fails at once; a few failures per lane are enough.
      return killed && sent.filter((x) => x.status === 0).length >= 8
    },
  })
}

async function checkAfterRestart(t: Test, sent: Sent[]) {
  const s = await start()
  t.equal(await readyStatus(s.url), 200, 'ready after the restart')
  const ledger = await checkLedger(dbUrl(), sent)
  t.ok(ledger.acknowledged >= 60, `${ledger.acknowledged} sales acknowledged before the kill`)
  t.ok(ledger.unacknowledged >= 8, `${ledger.unacknowledged} calls unanswered (in flight or after the kill)`)
  t.same(ledger.problems, [], 'every acknowledged sale present exactly once and whole; nothing half-written')
  t.same(await checkReplays(s.url, fx, sent), [], 'a replay of every acknowledged sale returns the stored response')
  const regen = await waitForRegenerations(dbUrl(), sent, 60_000)
  t.ok(regen.customers >= 5, `${regen.customers} customers with a list bought at the lanes`)
  t.same(regen.missing, [], `every promised regeneration happened (${regen.customers} customers, ${regen.ms} ms after restart)`)
  t.comment(`acknowledged ${ledger.acknowledged}, unanswered ${ledger.unacknowledged} (of which committed: ${ledger.unacknowledgedButCommitted})`)
}

t.test('kill -9 of the service while 8 lanes redeem', async (t) => {
  const victim = service!
  const sent = await redeemAndKill('k1', () => victim.child.kill('SIGKILL'))
  await victim.exited
  await checkAfterRestart(t, sent)
})

t.test('kill -9 of the service and its PostgreSQL while 8 lanes redeem', async (t) => {
  const victim = service!
  const postmaster = postmasterPid()
  t.ok(postmaster, 'the embedded PostgreSQL is running')
  const sent = await redeemAndKill('k2', () => {
    victim.child.kill('SIGKILL')
    process.kill(postmaster!, 'SIGKILL')
  })
  await victim.exited
  await checkAfterRestart(t, sent)
})

t.test('a list run killed halfway resumes after the restart; one list per customer and cycle', async (t) => {
  const s = service!
  const asOf = addDays(today(), 14)
  const id = await startListRun(s.url, fx.keys.backoffice, { asOf })
  // Killed as soon as the run is seen working: while profiles are refreshed or between
  // chunks (with fresh planner statistics the whole run takes about a second here).
  const midway = await waitForRun(s.url, fx.keys.backoffice, id, 120_000, (r) => r.status === 'running' || r.status === 'succeeded')
  t.ok(midway && midway.status === 'running' && (midway.total === 0 || midway.done < midway.total), `killed while running, at ${midway?.done} of ${midway?.total} customers`)
  s.child.kill('SIGKILL')
  await s.exited
  const killedAt = new Date()

  const again = await start()
  const finished = await waitForRun(again.url, fx.keys.backoffice, id, 120_000)
  t.equal(finished?.status, 'succeeded', `the run resumed and finished: ${JSON.stringify(finished)}`)
  t.equal(finished?.done, finished?.total, 'every customer processed once')
  await withPool(dbUrl(), async (pool) => {
    const twice = await pool.query(
      `select customer_id, cycle_start, count(*) from list where trigger in ('run', 'manual') and cycle_start = $1 group by 1, 2 having count(*) > 1`,
      [asOf],
    )
    t.same(twice.rows, [], 'no customer has two lists for the cycle')
    const created = await pool.query<{ n: number }>('select count(*)::int as n from list where generation_id = $1', [id])
    t.equal(created.rows[0]!.n, finished?.listsCreated, 'the lists counted are the lists written')
    // Only jobs locked before the kill can be the killed worker's: the restarted one may be
    // running a job of its own (a regeneration, a report roll-up) at this moment.
    const locked = await pool.query<{ n: number }>(
      'select count(*)::int as n from graphile_worker._private_jobs where locked_at is not null and locked_at < $1',
      [killedAt],
    )
    t.equal(locked.rows[0]!.n, 0, 'no job is left locked by the killed worker')
  })
  t.match(again.output(), /unlocked jobs held by a lanelist worker that is gone/, 'the dead worker\'s job was released')
})
