// Two service processes on one PostgreSQL (different ports): the same POS transaction sent to
// both at once is recorded once with one response; a list run's job is done by one of them,
// once; the regenerations the sales promise are each done.
import pino from 'pino'
import t from 'tap'
import { connectDatabase } from '../../src/db/database.ts'
import { loadDemoIfEmpty } from '../../src/demo/load-demo.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { startServiceProcess, stopProcess, tempDataDir } from '../helpers/process.ts'
import { basket, checkLedger, laneFixture, postRedemption, readDemoKeys, startListRun, today, waitForRegenerations, waitForRun, withPool, type Sent } from './lanes.ts'

t.test('two instances share one database: redemptions exactly-once, jobs done once', async (t) => {
  const database = await createTestDatabase(t)
  const keysDir = tempDataDir('lanelist-instances-')
  const handle = connectDatabase(database.url, { max: 4 })
  await loadDemoIfEmpty(handle.db, { customers: 60, log: pino({ level: 'silent' }), dataDir: keysDir })
  await handle.close()
  const fx = await laneFixture(database.url, readDemoKeys(keysDir), 20)
  const env = { DATABASE_URL: database.url, LANELIST_DEMO: '0', LANELIST_LOG_LEVEL: 'warn' }
  const [a, b] = await Promise.all([startServiceProcess(env), startServiceProcess(env)])
  t.teardown(() => Promise.all([stopProcess(a!, 'SIGKILL'), stopProcess(b!, 'SIGKILL')]))

  // A list run started on one instance: one job, done once by whichever worker claims it.
  const run = await startListRun(a!.url, fx.keys.backoffice, { asOf: today() })
  const done = await waitForRun(b!.url, fx.keys.backoffice, run, 90_000)
  t.equal(done?.status, 'succeeded', 'the run finished')
  t.equal(done?.done, done?.total, 'each customer processed once')

  // The same transaction to both instances at the same moment, 40 times over.
  const sent: Sent[] = []
  const conflicts: string[] = []
  for (let i = 0; i < 40; i++) {
    const bk = basket(fx, i, `dual-${i}`)
    const key = fx.keys.pos[bk.storeId]!
    const [ra, rb] = await Promise.all([postRedemption(a!.url, key, bk.body), postRedemption(b!.url, key, bk.body)])
    const statuses = [ra.status, rb.status].sort()
    if (statuses[0] !== 200 || statuses[1] !== 201) conflicts.push(`${bk.posTransactionId}: ${statuses.join('/')} ${JSON.stringify([ra.response, rb.response])}`)
    else if (JSON.stringify(ra.response) !== JSON.stringify(rb.response)) conflicts.push(`${bk.posTransactionId}: two different responses`)
    sent.push({ ...bk, ...(ra.status === 201 ? ra : rb) })
  }
  t.same(conflicts, [], 'each transaction: one 201, one 200 replay with the same response')
  const ledger = await checkLedger(database.url, sent)
  t.same(ledger.problems, [], 'each sale recorded once, whole')

  const regen = await waitForRegenerations(database.url, sent, 60_000)
  t.same(regen.missing, [], `every promised regeneration done (${regen.customers} customers)`)
  await withPool(database.url, async (pool) => {
    const lists = await pool.query('select customer_id, count(*) from list where generation_id = $1 group by 1 having count(*) > 1', [run])
    t.same(lists.rows, [], 'no customer got two lists from the run')
  })
})
