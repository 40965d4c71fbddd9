// What the lists pay for predictions (`npm run bench:predict -- --mode lists [--customers 10000]
// [--rounds 5]`): the demo population of bench:lists (seed 1, a year of history, COPYed in),
// statistics, model and profiles built, then, for the customers a run writes lists for (the
// eligible ones), the Node CPU per customer of predictionsFor (the run's call: chunks of 500, 40
// items each) next to the CPU of reading the same customers' statistics rows without decoding
// them, measured in the same rounds: the ratio is what compares between machines and loads.
// In the same rounds, the prediction module's own part (decode and rank) now and with the code
// before session 6 (the tests' oracle). Then the single-customer call a regeneration makes,
// p50/p99, next to one row read.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql, type Kysely } from 'kysely'
import pino from 'pino'
import { connectDatabase } from '../src/db/database.ts'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { prepareDatabase } from '../src/db/prepare.ts'
import type { DB } from '../src/db/schema.ts'
import { bulkLoadDemo } from '../src/demo/bulk-load.ts'
import { generateDemo } from '../src/demo/generate.ts'
import { predictionsFor } from '../src/modules/lists/list-generation.service.ts'
import { currentModel, dayOf, fitModel, rankFromStats, rebuildStats } from '../src/modules/prediction/prediction.service.ts'
import { decodeStats, decodeStatsLazily } from '../src/modules/prediction/stats-codec.ts'
import { refreshAllProfiles } from '../src/modules/segments/segment.service.ts'
import * as oracle from '../test/helpers/prediction-reference.ts'
import { freePort, loadAverage, pct } from './support.ts'

const AS_OF = '2026-11-23'
const LIMIT = 40
const CHUNK = 500
const out = (s: string): void => void process.stdout.write(`${s}\n`)

/** Node CPU (user + system) and wall time of fn, in ms. */
async function measure(fn: () => Promise<unknown>): Promise<{ cpu: number; wall: number }> {
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  await fn()
  const c = process.cpuUsage(c0)
  return { cpu: (c.user + c.system) / 1000, wall: performance.now() - t0 }
}

// The reference: the same rows the predictions read, fetched and left undecoded.
const rawRows = (db: Kysely<DB>, ids: number[]) =>
  sql<{ customer_id: number; stats: Uint8Array }>`select customer_id, stats from customer_stats where customer_id = any(${ids}::bigint[])`.execute(db)

export async function benchListPredictions(opts: { customers: number; rounds: number }): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), 'lanelist-bench-predict-lists-'))
  const pg = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), log: pino({ level: 'warn' }) })
  const handle = connectDatabase(pg.url, { max: 4 })
  try {
    const db = handle.db
    await prepareDatabase(handle.pool)
    const loaded = await bulkLoadDemo(handle.pool, generateDemo({ customers: opts.customers, endDate: '2026-11-22', seed: 1 }))
    await rebuildStats(db)
    await fitModel(db, AS_OF)
    await refreshAllProfiles(db, AS_OF)
    await sql`vacuum analyze`.execute(db)
    const ids = (await db.selectFrom('customer_profile').select('customer_id').where('eligible', '=', true).orderBy('customer_id').execute()).map((r) => r.customer_id)
    const chunks: number[][] = []
    for (let i = 0; i < ids.length; i += CHUNK) chunks.push(ids.slice(i, i + CHUNK))
    out(`population: ${loaded.customers} customers, ${loaded.lines} lines; ${ids.length} eligible (load average ${loadAverage()})`)

    const batch = () => measure(async () => {
      for (const c of chunks) await predictionsFor(db, c, AS_OF, LIMIT)
    })
    const reference = () => measure(async () => {
      for (const c of chunks) await rawRows(db, c)
    })
    // Warm-up: the model cache, product names, the JIT.
    await batch()
    await reference()
    const rows = (await rawRows(db, ids)).rows
    const model = (await currentModel(db, 'calendar'))!
    const stats = rows.map((r) => decodeStats(String(r.customer_id), r.stats))
    const cpuOnly = (fn: () => void) => measure(async () => fn())
    // The prediction module's part of it (decode the rows, rank 40 items), now and as it was
    // before session 6's request-time ranking: the old code is kept as the tests' oracle
    // (test/helpers/prediction-reference.ts), so both run here on the same rows, same rounds.
    const asOf = dayOf(AS_OF)
    const now = () => rows.forEach((x) => rankFromStats(decodeStatsLazily(String(x.customer_id), x.stats), model, asOf, LIMIT))
    const before = () => rows.forEach((x) => oracle.predictForCustomer(decodeStats(String(x.customer_id), x.stats), model, { asOf, limit: LIMIT }))
    now()
    before()

    const p: number[] = []
    const r: number[] = []
    const pw: number[] = []
    const rw: number[] = []
    const decode: number[] = []
    const rank: number[] = []
    const moduleNow: number[] = []
    const moduleBefore: number[] = []
    for (let round = 0; round < opts.rounds; round++) {
      const a = await reference()
      const b = await batch()
      r.push(a.cpu)
      rw.push(a.wall)
      p.push(b.cpu)
      pw.push(b.wall)
      decode.push((await cpuOnly(() => rows.forEach((x) => decodeStats(String(x.customer_id), x.stats)))).cpu)
      rank.push((await cpuOnly(() => stats.forEach((s) => rankFromStats(s, model, dayOf(AS_OF), LIMIT)))).cpu)
      moduleBefore.push((await cpuOnly(before)).cpu)
      moduleNow.push((await cpuOnly(now)).cpu)
    }
    const n = ids.length
    const med = (xs: number[]) => pct(xs, 0.5) / n
    out(`predictionsFor, chunks of ${CHUNK}, ${LIMIT} items, median of ${opts.rounds} rounds: CPU ${med(p).toFixed(3)} ms per customer (wall ${med(pw).toFixed(3)} ms)`)
    out(`  for comparison, in process: decoding the rows into objects (the fit's path) ${med(decode).toFixed(3)} ms, ranking those objects ${med(rank).toFixed(3)} ms`)
    out(`reference, the same rows read undecoded, same rounds: CPU ${med(r).toFixed(3)} ms per customer (wall ${med(rw).toFixed(3)} ms)`)
    out(`ratio predictionsFor / reference: CPU ${(pct(p, 0.5) / pct(r, 0.5)).toFixed(2)}x, wall ${(pct(pw, 0.5) / pct(rw, 0.5)).toFixed(2)}x (load average ${loadAverage()})`)
    out(
      `decode + rank, same rows and rounds: now ${med(moduleNow).toFixed(3)} ms CPU per customer, before session 6 ${med(moduleBefore).toFixed(3)} ms: ` +
        `${(pct(moduleBefore, 0.5) / pct(moduleNow, 0.5)).toFixed(2)}x less (ratios to the reference ${(pct(moduleNow, 0.5) / pct(r, 0.5)).toFixed(1)}x and ${(pct(moduleBefore, 0.5) / pct(r, 0.5)).toFixed(1)}x)`,
    )

    // One customer, as a regeneration asks (predictionsFor with one id), and one row read.
    const single: number[] = []
    const singleCpu: number[] = []
    const one: number[] = []
    const pick = ids.slice(0, 300)
    for (const id of pick) {
      one.push((await measure(() => rawRows(db, [id]))).wall)
      const m = await measure(() => predictionsFor(db, [id], AS_OF, LIMIT))
      single.push(m.wall)
      singleCpu.push(m.cpu)
    }
    out(
      `single customer (${pick.length}): predictionsFor p50 ${pct(single, 0.5).toFixed(2)} ms, p99 ${pct(single, 0.99).toFixed(2)} ms (CPU p50 ${pct(singleCpu, 0.5).toFixed(2)}, p99 ${pct(singleCpu, 0.99).toFixed(2)} ms); ` +
        `one row read p50 ${pct(one, 0.5).toFixed(2)} ms, p99 ${pct(one, 0.99).toFixed(2)} ms; ratio p50 ${(pct(single, 0.5) / pct(one, 0.5)).toFixed(1)}x (load average ${loadAverage()})`,
    )
    out(`Node heap after: ${(process.memoryUsage().heapUsed / 1048576).toFixed(0)} MiB, RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`)
  } finally {
    await handle.close()
    await pg.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}
