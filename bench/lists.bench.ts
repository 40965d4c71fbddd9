// List generation speed and memory on the demo population (issue 7, "Benchmark"). Run:
//   npm run bench:lists -- [--customers 10000] [--samples 300] [--chunk 500]
// Starts an embedded PostgreSQL, COPYs a demo population with a year of history
// (src/demo/bulk-load.ts), builds the prediction statistics and model and creates the demo
// offers, then starts the service in its own process (as `npm start` does) and asks it for a
// full run through POST /v1/list-generations, polling its progress. In the same run it times
// one plain aggregation over the whole history (GROUP BY customer, product), the reference the
// run is compared with, and reads the service's peak resident memory from /proc. Last, it
// regenerates single customers' lists through the same code the redemption job uses and
// prints p50 and p99, then the same customers through the service's own process (the back
// office's route, and the worker's regenerate_list job as its /metrics histogram times it), then
// again in this process, saying what the slowest had in common (slow again, a garbage collection
// of this process, the service or autovacuum busy).
// BENCH_PROF=1 writes a CPU profile of the service to /tmp/lists-prof.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { PerformanceObserver } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import pino from 'pino'
import { connectDatabase } from '../src/db/database.ts'
import { prepareDatabase } from '../src/db/prepare.ts'
import { bulkLoadDemo } from '../src/demo/bulk-load.ts'
import { demoOffers, demoPerks, generateDemo } from '../src/demo/generate.ts'
import { regenerateList } from '../src/modules/lists/list-run.service.ts'
import { createOfferBody } from '../src/modules/offers/offer.schemas.ts'
import { createOffer } from '../src/modules/offers/offer.service.ts'
import { fitModel, rebuildStats } from '../src/modules/prediction/prediction.service.ts'
import { bucketQuantile, collectGarbage, freePort, histogram, pct, startBenchPostgres } from './support.ts'

const { values } = parseArgs({
  options: { customers: { type: 'string', default: '10000' }, samples: { type: 'string', default: '300' } },
})
const CUSTOMERS = Number(values.customers)
const SAMPLES = Number(values.samples)
// Regenerations of other customers before the timed sample: about what V8 takes here to settle
// (docs/lists.md, "Single regeneration": Node's CPU per regeneration 7.2-7.7 ms over a new
// process's first 300 regenerations, 4.4-4.8 ms over the next 300 and after).
const WARM_UP = 300
const AS_OF = '2026-11-23'
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef'
const ROOT = path.resolve(import.meta.dirname, '..')

const say = (s: string): void => void process.stdout.write(`${s}\n`)
/** Pearson's correlation of two equal-length series. */
function pearson(a: number[], b: number[]): number {
  const n = a.length
  const ma = a.reduce((x, y) => x + y, 0) / n
  const mb = b.reduce((x, y) => x + y, 0) / n
  let sab = 0
  let saa = 0
  let sbb = 0
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb)
    saa += (a[i]! - ma) ** 2
    sbb += (b[i]! - mb) ** 2
  }
  return sab / Math.sqrt(saa * sbb)
}

const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`
const mib = (kb: number) => `${(kb / 1024).toFixed(0)} MiB`

/** VmHWM (peak resident set) and VmRSS of a process, in KiB. */
function memoryOf(pid: number): { peakKb: number; rssKb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN)
  return { peakKb: kb('VmHWM'), rssKb: kb('VmRSS') }
}

const cpuOf = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

const dir = mkdtempSync(path.join(tmpdir(), 'lanelist-bench-lists-'))
const pg = await startBenchPostgres({ dataDir: dir, port: await freePort(), log: pino({ level: 'warn' }) })
const handle = connectDatabase(pg.url, { max: 4 })
let service: ReturnType<typeof spawn> | undefined
try {
  const db = handle.db
  await prepareDatabase(handle.pool)
  let t0 = performance.now()
  // Only the products are kept: the population (1.4 million lines at 10,000 customers) is garbage
  // once loaded, as nothing like it lives in the service's worker, whose regenerations this
  // process stands in for below.
  let demo: ReturnType<typeof generateDemo> | undefined = generateDemo({ customers: CUSTOMERS, endDate: '2026-11-22', seed: 1 })
  const loaded = await bulkLoadDemo(handle.pool, demo)
  const products = demo.products
  demo = undefined
  say(`population: ${loaded.customers} customers, ${loaded.sales} sales, ${loaded.lines} lines (COPY) in ${secs(performance.now() - t0)}`)
  t0 = performance.now()
  await rebuildStats(db)
  const stats = performance.now() - t0
  t0 = performance.now()
  await fitModel(db, AS_OF)
  say(`prediction statistics ${secs(stats)}, model fit ${secs(performance.now() - t0)} (before the run, not part of it)`)
  for (const offer of [...demoOffers(products, AS_OF), ...demoPerks(products, AS_OF)]) await createOffer(db, createOfferBody.parse(offer), 'bench')
  const offers = await db.selectFrom('offer').select(['kind', sql<number>`count(*)::int`.as('n')]).groupBy('kind').execute()
  say(`offers: ${offers.map((o) => `${o.n} ${o.kind}`).join(', ')}`)
  await sql`vacuum analyze`.execute(db)
  await sql`checkpoint`.execute(db)

  const aggregate = async () => {
    const s = performance.now()
    await sql`select customer_id, product_id, count(*), sum(quantity) from sale_line group by 1, 2`.execute(db)
    return performance.now() - s
  }
  const agg = [await aggregate()]

  // The service as `npm start` runs it, on this database, with its worker.
  const port = await freePort()
  const prof = process.env.BENCH_PROF === '1' ? ['--cpu-prof', '--cpu-prof-dir=/tmp/lists-prof'] : []
  service = spawn(process.execPath, [...prof, '--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', PORT: String(port), DATABASE_URL: pg.url, LANELIST_ADMIN_KEY: ADMIN_KEY, LANELIST_LOG_LEVEL: 'warn', LANELIST_RATE_LIMIT_ADMIN: '0' },
    stdio: ['ignore', 'inherit', 'inherit'],
  })
  const base = `http://127.0.0.1:${port}`
  const api = async (method: string, url: string, body?: unknown) => {
    const res = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    })
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`)
    return (await res.json()) as Record<string, unknown>
  }
  for (let i = 0; ; i++) {
    if (i > 600) throw new Error('the service did not start')
    if (await fetch(`${base}/health/ready`).then((r) => r.ok, () => false)) break
    await new Promise((r) => setTimeout(r, 100))
  }
  const idle = memoryOf(service.pid!)
  const cpu0 = cpuOf(service.pid!)

  t0 = performance.now()
  const { id } = (await api('POST', '/v1/list-generations', { asOf: AS_OF })) as { id: string }
  let run: Record<string, unknown>
  let rssMax = 0
  let shed = 0
  run = {}
  for (;;) {
    await new Promise((r) => setTimeout(r, 100))
    rssMax = Math.max(rssMax, memoryOf(service.pid!).rssKb)
    // The service sheds load with 503 when its event loop lags (a loaded machine): ask again.
    const res = await fetch(`${base}/v1/list-generations/${id}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })
    if (res.status === 503) {
      shed++
      continue
    }
    if (res.status !== 200) throw new Error(`GET run: ${res.status} ${await res.text()}`)
    run = (await res.json()) as Record<string, unknown>
    if (run.status === 'succeeded' || run.status === 'failed') break
  }
  const runMs = performance.now() - t0
  if (run.status !== 'succeeded') throw new Error(`run failed: ${String(run.error)}`)
  const mem = memoryOf(service.pid!)
  const serviceCpu = cpuOf(service.pid!) - cpu0
  agg.push(await aggregate())
  const aggMs = Math.min(...agg)
  const created = Number(run.listsCreated)
  const skipped = run.skipped as { notEligible: number; listStillCurrent: number }

  const carried = (
    await sql<{ lists: number; with_offer: number; coupons: number; with_perk: number; with_voucher: number; holdout: number }>`
      select count(*)::int as lists,
             count(*) filter (where total_coupon_cents > 0)::int as with_offer,
             coalesce(sum(total_coupon_cents), 0)::bigint as coupons,
             count(*) filter (where jsonb_array_length(perks) > 0)::int as with_perk,
             count(*) filter (where exists (select 1 from list_voucher v where v.list_id = list.id))::int as with_voucher,
             count(*) filter (where holdout)::int as holdout
      from list where generation_id = ${Number(id)}`.execute(db)
  ).rows[0]!

  say('')
  say(`full run (${CUSTOMERS} customers: ${created} lists, ${skipped.notEligible} not eligible): ${secs(runMs)}, ${(created / (runMs / 1000)).toFixed(0)} lists/s`)
  say(`plain GROUP BY customer, product over ${loaded.lines} lines: ${secs(aggMs)} (best of 2, before and after the run)`)
  say(`ratio run / aggregation: ${(runMs / aggMs).toFixed(2)}x (target <= 3x)`)
  say(`service memory: peak ${mib(mem.peakKb)} (VmHWM; ${mib(idle.peakKb)} before the run, from start-up), idle before the run ${mib(idle.rssKb)}, highest RSS sampled during the run ${mib(rssMax)}; service CPU ${serviceCpu.toFixed(1)} s; progress polls shed with 503: ${shed}`)
  say(
    `lists: ${carried.with_offer} of ${carried.lists} carry offers (avg ${(Number(carried.coupons) / Math.max(1, carried.with_offer) / 100).toFixed(2)} USD where any), ` +
      `${carried.with_perk} carry perks, ${carried.with_voucher} vouchers, ${carried.holdout} held out`,
  )

  // The run leaves the service follow-up work (report rollups of the new profiles, the outbox's
  // list.created events, autovacuum of the written tables): regenerations are timed once the
  // service's CPU has been still for a second, so they measure themselves, not that backlog.
  const settleStart = performance.now()
  let settledCpu = cpuOf(service.pid!)
  for (let i = 0; i < 120; i++) {
    await new Promise((r) => setTimeout(r, 1000))
    const now = cpuOf(service.pid!)
    const busy = now - settledCpu
    settledCpu = now
    if (busy < 0.05) break
  }
  const settleMs = performance.now() - settleStart
  say(`service settled ${secs(settleMs)} after the run (CPU ${(cpuOf(service.pid!) - cpu0 - serviceCpu).toFixed(1)} s meanwhile); load: ${readFileSync('/proc/loadavg', 'utf8').trim()}`)

  // Single-customer regeneration, as the redemption job runs it, for customers spread over the run.
  // This process stands in for the service's worker: not with the garbage of the population's load.
  const liveMiB = collectGarbage()
  const ids = (await db.selectFrom('list').select('customer_id').where('generation_id', '=', Number(id)).orderBy('customer_id').execute()).map((r) => r.customer_id)
  const n = Math.min(SAMPLES, ids.length)
  const pick = Array.from({ length: n }, (_, i) => ids[Math.floor((i * ids.length) / n)]!)
  // The service's job worker regenerates lists all day in a long-lived process on pooled
  // connections; this process has never run that code, and its pool's connections closed while
  // idle through the run. Its first regenerations pay new backends' first plans and V8's
  // compilation (the first one 80-190 ms, then 40-50 ms; then, for some 300 regenerations,
  // optimising compilations on V8's background threads that compete with PostgreSQL for the
  // cores: docs/lists.md). They are timed apart, on customers outside the sample, and printed, so
  // the figures below are the worker's steady state and the cold start is shown.
  const sampled = new Set(pick)
  const others = ids.filter((c) => !sampled.has(c))
  const warm = Array.from({ length: WARM_UP }, (_, i) => (others.length ? others[i % others.length]! : pick[i % n]!))
  const cold: number[] = []
  for (const c of warm) {
    const s = performance.now()
    await regenerateList(db, c, { asOf: AS_OF, trigger: 'redemption' })
    cold.push(performance.now() - s)
  }
  // The sample is timed twice, the same customers in the same order, with this process's
  // garbage collections recorded: a slow regeneration that is slow again is the customer's own
  // cost; one that overlapped a collection, or neither, is the process or the machine.
  const gcs: { start: number; end: number }[] = []
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, end: e.startTime + e.duration })
  })
  gcObserver.observe({ entryTypes: ['gc'] })
  const timeSample = async () => {
    const spans: { start: number; end: number }[] = []
    for (const c of pick) {
      const start = performance.now()
      await regenerateList(db, c, { asOf: AS_OF, trigger: 'redemption' })
      spans.push({ start, end: performance.now() })
    }
    return spans
  }
  const maintenance = async () =>
    (
      await sql<{ n: number }>`select coalesce(sum(autovacuum_count + autoanalyze_count), 0)::int as n from pg_stat_user_tables`.execute(db)
    ).rows[0]!.n
  const [serviceCpu0, maintenance0] = [cpuOf(service.pid!), await maintenance()]
  const first = await timeSample()
  const again = await timeSample()
  const [serviceCpuDuring, maintenanceDuring] = [cpuOf(service.pid!) - serviceCpu0, (await maintenance()) - maintenance0]
  await new Promise((r) => setImmediate(r))
  gcObserver.disconnect()
  const single = first.map((x) => x.end - x.start)
  const second = again.map((x) => x.end - x.start)
  const gcIn = (x: { start: number; end: number }) =>
    gcs.reduce((ms, g) => ms + Math.max(0, Math.min(x.end, g.end) - Math.max(x.start, g.start)), 0)
  // The same customers once more in the service's own process, whose worker runs the
  // regenerations after lane sales: through the back office's "generate now" route, so with more
  // on top (HTTP, an audit row, a durable commit where the redemption job's does not wait for the
  // flush, the list read back and sent). After as many warm-up calls on other customers, as above.
  const warmRoute = others.slice(0, WARM_UP)
  const inService: number[] = []
  for (const c of [...warmRoute, ...pick]) {
    const s = performance.now()
    await api('POST', `/v1/customers/${c}/lists`, { asOf: AS_OF })
    inService.push(performance.now() - s)
  }
  inService.splice(0, warmRoute.length)
  // And as the service's worker runs them after lane sales: the regenerate_list job (the
  // customer's statistics brought up to date, then the list), each job's parts from the service's
  // /metrics histogram, so as bucket bounds. Jobs for other customers first, queued at once, as
  // the warm-up; then the sample one job at a time, each queued when the one before is done.
  const scrape = async () => (await fetch(`${base}/metrics`)).text()
  const runJobs = async (customers: number[]) => {
    await sql`select graphile_worker.add_job('regenerate_list', json_build_object('customerId', c::text), job_key := 'regen:' || c)
      from unnest(${customers}::bigint[]) as c`.execute(db)
    const keys = customers.map((c) => `regen:${c}`)
    for (let waited = 0; ; waited += 2) {
      const left = (await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where key = any(${keys}::text[])`.execute(db)).rows[0]!.n
      if (left === 0) return
      if (waited > 300_000) throw new Error(`${left} regeneration jobs still queued after 5 minutes`)
      await new Promise((r) => setTimeout(r, 2))
    }
  }
  await runJobs(others.slice(0, WARM_UP))
  const metricsBefore = await scrape()
  for (const c of pick) await runJobs([c])
  const metricsAfter = await scrape()
  const jobParts = (part: string) => ({
    before: histogram(metricsBefore, 'lanelist_list_regeneration_seconds', `part="${part}"`),
    after: histogram(metricsAfter, 'lanelist_list_regeneration_seconds', `part="${part}"`),
  })
  const listJobs = jobParts('list')
  const statsJobs = jobParts('stats')
  const jobQuantile = (h: typeof listJobs, q: number) => bucketQuantile(h.before, h.after, q)
  // The jobs the histogram counted, not the jobs queued: a job whose step failed is not counted.
  const listJobsCounted = (listJobs.after.get(Infinity) ?? 0) - (listJobs.before.get(Infinity) ?? 0)
  const pk: number[] = []
  for (const c of pick) {
    const s = performance.now()
    await db.selectFrom('customer').select(['id', 'first_name']).where('id', '=', c).executeTakeFirst()
    pk.push(performance.now() - s)
  }
  say(
    `first ${WARM_UP} regenerations in this process (warm-up, not counted; its heap collected first, ${liveMiB.toFixed(0)} MiB live): first ${cold[0]!.toFixed(2)} ms, next 29 max ${Math.max(...cold.slice(1, 30)).toFixed(2)} ms, ` +
      `the other ${cold.length - 30} p50 ${pct(cold.slice(30), 0.5).toFixed(2)} ms, p99 ${pct(cold.slice(30), 0.99).toFixed(2)} ms, last ten p50 ${pct(cold.slice(-10), 0.5).toFixed(2)} ms`,
  )
  say(`single regeneration over ${n} customers: p50 ${pct(single, 0.5).toFixed(2)} ms, p99 ${pct(single, 0.99).toFixed(2)} ms (target p99 < 20 ms)`)
  say(
    `  the same customers in the service's process, through POST /v1/customers/{id}/lists (HTTP, audit, durable commit, the list read back): ` +
      `p50 ${pct(inService, 0.5).toFixed(2)} ms, p99 ${pct(inService, 0.99).toFixed(2)} ms`,
  )
  say(
    `  the same customers as the service's worker runs them (${listJobsCounted} regenerate_list jobs one at a time after ${Math.min(WARM_UP, others.length)} others, from its /metrics): ` +
      `the list p50 <= ${jobQuantile(listJobs, 0.5)} ms, p99 <= ${jobQuantile(listJobs, 0.99)} ms; the statistics before it p50 <= ${jobQuantile(statsJobs, 0.5)} ms, p99 <= ${jobQuantile(statsJobs, 0.99)} ms`,
  )
  const slowest = single.map((ms, i) => ({ ms, i })).sort((a, b) => b.ms - a.ms).slice(0, Math.max(3, Math.ceil(n / 100) * 2))
  const lines = new Map(
    (
      await sql<{ customer_id: number; n: number }>`select customer_id, count(*)::int as n from sale_line
        where customer_id = any(${slowest.map((x) => pick[x.i]!)}::bigint[]) group by 1`.execute(db)
    ).rows.map((r) => [Number(r.customer_id), r.n]),
  )
  const withGc = first.filter((x) => gcIn(x) > 0).length
  say(
    `  the same customers again, same order: p50 ${pct(second, 0.5).toFixed(2)} ms, p99 ${pct(second, 0.99).toFixed(2)} ms; ` +
      `per-customer times of the two passes correlate ${pearson(single, second).toFixed(2)}; ${withGc} of ${n} first-pass regenerations overlapped a GC of this process; ` +
      `meanwhile the service used ${serviceCpuDuring.toFixed(2)} s of CPU and autovacuum ended ${maintenanceDuring} runs`,
  )
  say(
    `  slowest of the first pass (ms, ms again, GC ms in it, lines in history): ` +
      slowest.map((x) => `${single[x.i]!.toFixed(1)}/${second[x.i]!.toFixed(1)}/${gcIn(first[x.i]!).toFixed(1)}/${lines.get(pick[x.i]!) ?? 0}`).join(', '),
  )
  say(`primary-key read (same run):             p50 ${pct(pk, 0.5).toFixed(2)} ms, p99 ${pct(pk, 0.99).toFixed(2)} ms`)
  say(`load: ${readFileSync('/proc/loadavg', 'utf8').trim()}`)
} finally {
  if (service && service.exitCode === null) {
    service.kill('SIGTERM')
    await new Promise((r) => service!.once('exit', r))
  }
  await handle.close()
  await pg.stop()
  rmSync(dir, { recursive: true, force: true })
}
