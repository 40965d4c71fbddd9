// Dumps what the predictor gives the lists on the demo population, to prove that a change to the
// predictor's code leaves its output unchanged:
//   node --import tsx scripts/predict-dump.ts [--customers 2000] [--out /tmp/predict-dump.ndjson] [--repeat 0] [--fixture FILE]
// Loads the demo chain (seed 1, as bench/lists.bench.ts does) into a fresh embedded PostgreSQL,
// builds the statistics, fits the model and refreshes the profiles, then writes one JSON line
// per customer: for the eligible ones what predictionsFor hands the list writer (40 items, as a
// run asks), and for every customer with statistics the raw ranking (scores, probabilities,
// expected days and reasons; JSON keeps every bit of a double). The first line is a digest of
// the fitted model. Compare two dumps with cmp or sha256sum. With --repeat N it then ranks the
// eligible customers N more times and prints the CPU per customer (for --cpu-prof).
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { connectDatabase } from '../src/db/database.ts'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { prepareDatabase } from '../src/db/prepare.ts'
import { bulkLoadDemo } from '../src/demo/bulk-load.ts'
import { generateDemo } from '../src/demo/generate.ts'
import { predictionsFor } from '../src/modules/lists/list-generation.service.ts'
import { allCustomerStats } from '../src/modules/prediction/prediction-stats.repository.ts'
import { currentModel, dayOf, fitModel, rankFromStats, rebuildStats } from '../src/modules/prediction/prediction.service.ts'
import { refreshAllProfiles } from '../src/modules/segments/segment.service.ts'

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '2000' },
    out: { type: 'string', default: '/tmp/predict-dump.ndjson' },
    repeat: { type: 'string', default: '0' },
    fixture: { type: 'string' },
  },
})
const AS_OF = '2026-11-23'
const LIMIT = 40
const say = (s: string): void => void process.stderr.write(`${s}\n`)

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port
    s.close(() => resolve(p))
  })
})
const dir = mkdtempSync(path.join(tmpdir(), 'lanelist-predict-dump-'))
const pg = await startEmbeddedPostgres({ dataDir: dir, port, log: pino({ level: 'warn' }) })
const handle = connectDatabase(pg.url, { max: 4 })
try {
  const db = handle.db
  await prepareDatabase(handle.pool)
  const demo = generateDemo({ customers: Number(values.customers), endDate: '2026-11-22', seed: 1 })
  const loaded = await bulkLoadDemo(handle.pool, demo)
  await rebuildStats(db)
  await fitModel(db, AS_OF)
  await refreshAllProfiles(db, AS_OF)
  const model = (await currentModel(db, 'calendar'))!
  const eligible = (await db.selectFrom('customer_profile').select('customer_id').where('eligible', '=', true).orderBy('customer_id').execute()).map((r) => r.customer_id)
  say(`${loaded.customers} customers, ${loaded.lines} lines; ${eligible.length} eligible`)

  const lines: string[] = [JSON.stringify({ model: createHash('sha256').update(JSON.stringify(model)).digest('hex') })]
  // In chunks of 500, as a run reads them.
  for (let i = 0; i < eligible.length; i += 500) {
    const predictions = await predictionsFor(db, eligible.slice(i, i + 500), AS_OF, LIMIT)
    for (const [id, items] of predictions) lines.push(JSON.stringify({ eligible: id, items }))
  }
  const all = []
  for await (const page of allCustomerStats(db)) for (const s of page) all.push(s.stats)
  for (const s of all) lines.push(JSON.stringify({ customer: s.customerId, ranked: rankFromStats(s, model, dayOf(AS_OF), LIMIT) }))
  writeFileSync(values.out, `${lines.join('\n')}\n`)
  say(`wrote ${lines.length - 1} customers to ${values.out}: sha256 ${createHash('sha256').update(`${lines.join('\n')}\n`).digest('hex')}`)

  // The model and the eligible customers' statistics as JSON, to time the ranking without a database.
  const eligibleSet = new Set(eligible.map(String))
  if (values.fixture !== undefined) writeFileSync(values.fixture, JSON.stringify({ asOf: dayOf(AS_OF), model, stats: all.filter((s) => eligibleSet.has(s.customerId)) }))
  const repeat = Number(values.repeat)
  if (repeat > 0) {
    const stats = all.filter((s) => eligibleSet.has(s.customerId))
    const cpu0 = process.cpuUsage()
    for (let r = 0; r < repeat; r++) for (const s of stats) rankFromStats(s, model, dayOf(AS_OF), LIMIT)
    const cpu = process.cpuUsage(cpu0)
    say(`ranking ${stats.length} eligible customers x ${repeat}: ${((cpu.user + cpu.system) / 1000 / (repeat * stats.length)).toFixed(3)} ms CPU per customer`)
    // PREDICT_PROF=FILE: a CPU profile of this loop alone (the database work before it left out).
    const session = process.env.PREDICT_PROF === undefined ? undefined : new Session()
    const post = (method: string) => new Promise<unknown>((resolve, reject) => session!.post(method, (err, res) => (err ? reject(err) : resolve(res))))
    if (session !== undefined) {
      session.connect()
      await post('Profiler.enable')
      await post('Profiler.start')
    }
    const cpu1 = process.cpuUsage()
    for (let r = 0; r < repeat; r++) for (let i = 0; i < eligible.length; i += 500) await predictionsFor(db, eligible.slice(i, i + 500), AS_OF, LIMIT)
    const cpu2 = process.cpuUsage(cpu1)
    if (session !== undefined) writeFileSync(process.env.PREDICT_PROF!, JSON.stringify(((await post('Profiler.stop')) as { profile: unknown }).profile))
    say(`predictionsFor for them x ${repeat}: ${((cpu2.user + cpu2.system) / 1000 / (repeat * eligible.length)).toFixed(3)} ms CPU per customer`)
  }
} finally {
  await handle.close()
  await pg.stop()
  rmSync(dir, { recursive: true, force: true })
}
