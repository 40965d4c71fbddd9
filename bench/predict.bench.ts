// Prediction speed on the demo population in a fresh embedded PostgreSQL:
//   npm run bench:predict -- [--customers 100000] [--days 250] [--samples 2000]
//   npm run bench:predict -- --mode lists [--customers 10000] [--rounds 5]
// The demo chain is COPYed in (bench/demo-fast-load.ts; 100,000 customers over 250 days is
// about 10 million lines). Prints a full rebuildStats next to one plain GROUP BY (customer,
// product) over sale_line in the same run, fitModel's time and peak memory, and
// single-customer predictCustomerItems p50/p99 next to one primary-key read in the same run.
// `--mode lists` measures instead what the lists pay for predictions (bench/predict-lists.ts).
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import pino from 'pino'
import { connectDatabase } from '../src/db/database.ts'
import { prepareDatabase } from '../src/db/prepare.ts'
import { findCustomerStats } from '../src/modules/prediction/prediction-stats.repository.ts'
import { currentModel, dayOf, fitModel, predictCustomerItems, rankFromStats, rebuildStats } from '../src/modules/prediction/prediction.service.ts'
import { fastLoadDemo } from './demo-fast-load.ts'
import { pct, startBenchPostgres } from './support.ts'

const { values } = parseArgs({
  options: {
    customers: { type: 'string' },
    days: { type: 'string', default: '250' },
    samples: { type: 'string', default: '2000' },
    mode: { type: 'string', default: 'rebuild' },
    rounds: { type: 'string', default: '5' },
  },
})
if (values.mode === 'lists') {
  const { benchListPredictions } = await import('./predict-lists.ts')
  await benchListPredictions({ customers: Number(values.customers ?? 10_000), rounds: Number(values.rounds) })
  process.exit(0)
}
const say = (s: string): void => void process.stdout.write(`${s}\n`)
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ')
const mb = (b: number) => `${Math.round(b / 1048576)} MB`

// Peak resident memory of this process while fn runs (sampled every 20 ms).
async function peakRss<T>(fn: () => Promise<T>): Promise<{ result: T; peak: number }> {
  let peak = process.memoryUsage().rss
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20)
  try {
    const result = await fn()
    return { result, peak: Math.max(peak, process.memoryUsage().rss) }
  } finally {
    clearInterval(timer)
  }
}

const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port
    s.close(() => resolve(p))
  })
})
const dir = mkdtempSync(path.join(tmpdir(), 'lanelist-bench-predict-'))
const pg = await startBenchPostgres({ dataDir: dir, port, log: pino({ level: 'warn' }) })
const handle = connectDatabase(pg.url, { max: 4 })
try {
  const db = handle.db
  await prepareDatabase(handle.pool)
  let t0 = performance.now()
  const loaded = await fastLoadDemo(db, { customers: Number(values.customers ?? 100_000), days: Number(values.days), endDate: '2026-11-22' })
  await sql`vacuum analyze`.execute(db)
  say(`demo loaded: ${loaded.customers} customers, ${loaded.sales} sales, ${loaded.lines} lines in ${((performance.now() - t0) / 1000).toFixed(1)} s (load average ${load()})`)

  // Interleaved, so both see the same machine; the baseline gets the better of its two runs.
  const group = async () => {
    const s = performance.now()
    await sql`select customer_id, product_id, count(*), sum(quantity) from sale_line group by 1, 2`.execute(db)
    return (performance.now() - s) / 1000
  }
  const g1 = await group()
  const rebuilt = await peakRss(() => rebuildStats(db))
  const g2 = await group()
  const g = Math.min(g1, g2)
  const r = rebuilt.result.seconds
  say(
    `rebuildStats (all ${rebuilt.result.customers} customers, ${loaded.lines} lines) ${r.toFixed(2)} s vs plain GROUP BY customer, product ${g.toFixed(2)} s ` +
      `(runs ${g1.toFixed(2)}, ${g2.toFixed(2)}): ${(r / g).toFixed(2)}x; peak Node RSS ${mb(rebuilt.peak)} (load average ${load()})`,
  )
  // A stricter reference: the same aggregation with its groups kept inside PostgreSQL (the plain
  // one also ships every (customer, product) row to Node, as a client of it would). The outer sums
  // keep the aggregates from being planned away.
  const inside = async () => {
    const s = performance.now()
    await sql`select count(*), sum(n), sum(q) from (select customer_id, product_id, count(*) as n, sum(quantity) as q from sale_line group by 1, 2) g`.execute(db)
    return (performance.now() - s) / 1000
  }
  const gi = Math.min(await inside(), await inside())
  say(`GROUP BY kept inside PostgreSQL (better of two runs) ${gi.toFixed(2)} s: rebuildStats is ${(r / gi).toFixed(2)}x that (load average ${load()})`)

  t0 = performance.now()
  const fitted = await peakRss(() => fitModel(db))
  say(`fitModel ${((performance.now() - t0) / 1000).toFixed(1)} s, peak Node RSS ${mb(fitted.peak)} (load average ${load()})`)

  const ids = (await db.selectFrom('customer_stats').select('customer_id').execute()).map((x) => x.customer_id)
  const n = Math.min(Number(values.samples), ids.length)
  const pick = Array.from({ length: n }, (_, i) => ids[Math.floor((i * ids.length) / n)]!)
  for (const id of pick.slice(0, 50)) await predictCustomerItems(db, id, { asOf: '2026-11-23' })
  const predict: number[] = []
  const pk: number[] = []
  for (const id of pick) {
    let s = performance.now()
    await db.selectFrom('customer').select(['id', 'first_name']).where('id', '=', id).executeTakeFirst()
    pk.push(performance.now() - s)
    s = performance.now()
    await predictCustomerItems(db, id, { asOf: '2026-11-23', limit: 20 })
    predict.push(performance.now() - s)
  }
  say(`predictCustomerItems over ${n} of ${ids.length} customers: p50 ${pct(predict, 0.5).toFixed(2)} ms, p99 ${pct(predict, 0.99).toFixed(2)} ms`)
  say(`primary-key read (same run):                    p50 ${pct(pk, 0.5).toFixed(2)} ms, p99 ${pct(pk, 0.99).toFixed(2)} ms`)
  say(`p99 ratio prediction / primary-key read: ${(pct(predict, 0.99) / pct(pk, 0.99)).toFixed(1)}x (load average ${load()})`)
  // Where a prediction's time goes, for the same customers: the statistics row read and decoded,
  // then the ranking alone (no I/O; CPU only, so the least sensitive to other processes' load).
  const model = (await currentModel(db, 'calendar'))!
  const read: number[] = []
  const rank: number[] = []
  for (const id of pick) {
    let s = performance.now()
    const stored = await findCustomerStats(db, id)
    read.push(performance.now() - s)
    s = performance.now()
    rankFromStats(stored!.stats, model, dayOf('2026-11-23'), 20)
    rank.push(performance.now() - s)
  }
  say(`  of which statistics row read + decode:          p50 ${pct(read, 0.5).toFixed(2)} ms, p99 ${pct(read, 0.99).toFixed(2)} ms`)
  say(`  of which ranking (in process, no I/O):          p50 ${pct(rank, 0.5).toFixed(2)} ms, p99 ${pct(rank, 0.99).toFixed(2)} ms (load average ${load()})`)
} finally {
  await handle.close()
  await pg.stop()
  rmSync(dir, { recursive: true, force: true })
}
