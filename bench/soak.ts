// Soak: the redemption benchmark's load held for a long time (issue 9). Run:
//   npm run bench:soak -- [--minutes 30] [--customers 3000] [--connections 16] [--pool 10] [--rate 0] [--split]
// Starts an embedded PostgreSQL (or uses DATABASE_URL, an empty database), loads the demo
// population through the services, starts the service in its own process WITH its job worker
// (every sale's list regeneration runs, as in a store), and drives POST /v1/redemptions with
// 30-line baskets from `connections` lanes, one autocannon segment per minute. Per minute it
// prints throughput, latency, errors, the service's resident memory and V8 heap (from
// /metrics), pending jobs and the database size. The reference is the first minute of the same
// run: the last lines give each later minute's ratio to it, which is what "flat" means here.
// --split runs the deployment docs/operations.md recommends: the lanes' instance with
// LANELIST_WORKER=0 and a second instance running the job worker (its RSS is printed too).
import { fork } from 'node:child_process'
import { randomInt } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import pg from 'pg'
import pino from 'pino'
import { connectDatabase } from '../src/db/database.ts'
import { prepareDatabase } from '../src/db/prepare.ts'
import { loadDemoIfEmpty } from '../src/demo/load-demo.ts'
import { autocannon, freePort, say, startBenchPostgres } from './support.ts'

const { values: opt } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    customers: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '16' },
    pool: { type: 'string', default: '10' },
    rate: { type: 'string', default: '0' },
    split: { type: 'boolean', default: false },
  },
})
const MINUTES = Number(opt.minutes)
const CUSTOMERS = Number(opt.customers)
const CONNECTIONS = Number(opt.connections)
const POOL = Number(opt.pool)
const RATE = Number(opt.rate)
const SPLIT = opt.split
const ADMIN_KEY = 'soak-admin-key-0123456789abcdef'
const LINES = 30

function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return Number(kb) / 1024
  } catch {
    return NaN
  }
}

async function heapMb(base: string): Promise<number> {
  try {
    const text = await (await fetch(`${base}/metrics`)).text()
    const used = /^nodejs_heap_size_used_bytes (\S+)/m.exec(text)?.[1]
    return used ? Number(used) / 2 ** 20 : NaN
  } catch {
    return NaN
  }
}

interface Minute {
  minute: number
  rps: number
  p50: number
  p99: number
  max: number
  errors: number
  rss: number
  heap: number
  jobs: number
  dbMb: number
  workerRss: number
}

async function main(): Promise<void> {
  const log = pino({ level: 'warn' })
  let url = process.env.DATABASE_URL
  let stopDb = async () => {}
  const dataDir = '.lanelist-soak'
  if (!url) {
    rmSync(dataDir, { recursive: true, force: true })
    const embedded = await startBenchPostgres({ dataDir, port: await freePort(), log })
    url = embedded.url
    stopDb = async () => {
      await embedded.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
  const handle = connectDatabase(url, { max: 4 })
  let service: ReturnType<typeof fork> | undefined
  let workerService: ReturnType<typeof fork> | undefined
  try {
    await prepareDatabase(handle.pool)
    say(`loading the demo population: ${CUSTOMERS} customers`)
    const demo = await loadDemoIfEmpty(handle.db, { customers: CUSTOMERS, log, dataDir })
    if (!demo) throw new Error('DATABASE_URL must point to an empty database: the soak loads its own population')
    const keys = JSON.parse(readFileSync(`${dataDir}/demo-keys.json`, 'utf8')) as { backoffice: string; pos: Record<string, string> }

    const port = await freePort()
    const start = (port: number, worker: boolean) =>
      fork('src/server.ts', [], {
        execArgv: ['--import', 'tsx'],
        env: {
          ...process.env,
          DATABASE_URL: url,
          PORT: String(port),
          HOST: '127.0.0.1',
          LANELIST_ADMIN_KEY: ADMIN_KEY,
          LANELIST_LOG_LEVEL: 'warn',
          LANELIST_DB_POOL_MAX: String(POOL),
          LANELIST_WORKER: worker ? '1' : '0',
          // Eight store keys carry the whole load, far beyond a store's traffic: the per-key
          // limit (3,000 a minute) would count as errors what is policy (as in bench:redeem).
          LANELIST_RATE_LIMIT_POS: '0',
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      })
    service = start(port, !SPLIT)
    if (SPLIT) workerService = start(await freePort(), true)
    const base = `http://127.0.0.1:${port}`
    for (let i = 0; ; i++) {
      if (await fetch(`${base}/health/ready`).then((r) => r.ok, () => false)) break
      if (i > 600) throw new Error('the service did not become ready')
      await new Promise((r) => setTimeout(r, 100))
    }
    // Every customer gets a current list, so sales redeem list offers and regenerate lists.
    const run = await fetch(`${base}/v1/list-generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${keys.backoffice}`, 'content-type': 'application/json' },
      body: JSON.stringify({ asOf: new Date().toISOString().slice(0, 10) }),
    })
    const runId = ((await run.json()) as { id: string }).id
    for (;;) {
      const r = (await (await fetch(`${base}/v1/list-generations/${runId}`, { headers: { authorization: `Bearer ${keys.backoffice}` } })).json()) as { status: string }
      if (r.status === 'succeeded') break
      if (r.status === 'failed') throw new Error('the list run failed')
      await new Promise((res) => setTimeout(res, 500))
    }

    // Baskets: what each customer bought before, topped up with popular products to 30 lines.
    const { rows: cards } = await handle.pool.query<{ number: string; store: string; gtins: string[] }>(
      `select c.number, cu.home_store_id as store,
              array(select distinct l.gtin from sale_line l where l.customer_id = cu.id limit 20) as gtins
       from card c join customer cu on cu.id = c.customer_id where c.status = 'active'`,
    )
    const { rows: popular } = await handle.pool.query<{ gtin: string; price: number }>(
      `select p.gtin, p.regular_price_cents as price from product p order by (select count(*) from sale_line l where l.product_id = p.id) desc limit 300`,
    )
    const price = new Map(popular.map((p) => [p.gtin, p.price]))
    const { rows: allPrices } = await handle.pool.query<{ gtin: string; price: number | null }>('select gtin, regular_price_cents as price from product')
    for (const p of allPrices) price.set(p.gtin, p.price ?? 199)
    const templates = Array.from({ length: 20_000 }, () => {
      const c = cards[randomInt(cards.length)]!
      const gtins = new Set(c.gtins)
      while (gtins.size < LINES) gtins.add(popular[randomInt(popular.length)]!.gtin)
      const items = [...gtins].slice(0, LINES).map((gtin) => ({ gtin, quantity: 1 + (randomInt(10) < 7 ? 0 : randomInt(2) + 1), unitPriceCents: price.get(gtin) ?? 199 }))
      const rest = { storeId: c.store, laneId: '01', scannedCode: c.number, items }
      return { key: keys.pos[c.store]!, prefix: '{"posTransactionId":"', suffix: `,${JSON.stringify(rest).slice(1)}` }
    })

    let seq = 0
    const drive = (seconds: number) =>
      autocannon({
        url: base,
        connections: CONNECTIONS,
        duration: seconds,
        ...(RATE > 0 ? { overallRate: RATE } : {}),
        requests: [
          {
            method: 'POST',
            path: '/v1/redemptions',
            setupRequest: (req: Record<string, unknown>) => {
              const t = templates[seq++ % templates.length]!
              req.headers = { 'content-type': 'application/json', authorization: `Bearer ${t.key}` }
              req.body = `${t.prefix}S${process.pid}-${seq}","occurredAt":"${new Date().toISOString()}"${t.suffix}`
              return req
            },
          },
        ],
      })

    say(`soak: ${CONNECTIONS} lanes, ${LINES}-line baskets, ${MINUTES} minutes${RATE ? `, ${RATE} requests/s` : ', as fast as the service answers'}`)
    process.stdout.write(`minute  req/s   p50 ms  p99 ms  max ms  errors  RSS MB  heap MB  jobs  db MB${SPLIT ? '  worker RSS MB' : ''}  load\n`)
    const minutes: Minute[] = []
    for (let m = 1; m <= MINUTES; m++) {
      const r = await drive(60)
      const { rows } = await handle.pool.query<{ jobs: number; db: number }>(
        `select (select count(*)::int from graphile_worker.jobs) as jobs, pg_database_size(current_database())::bigint as db`,
      )
      const row: Minute = {
        minute: m,
        rps: r.requests.average,
        p50: r.latency.p50,
        p99: r.latency.p99,
        max: r.latency.max,
        errors: r.errors + r.timeouts + r.non2xx,
        rss: rssMb(service.pid ?? -1),
        heap: await heapMb(base),
        jobs: rows[0]!.jobs,
        dbMb: rows[0]!.db / 2 ** 20,
        workerRss: workerService ? rssMb(workerService.pid ?? -1) : NaN,
      }
      minutes.push(row)
      process.stdout.write(
        `${String(m).padStart(6)}  ${row.rps.toFixed(0).padStart(5)}  ${String(row.p50).padStart(7)}  ${String(row.p99).padStart(6)}  ${String(row.max).padStart(6)}  ${String(row.errors).padStart(6)}  ${row.rss.toFixed(0).padStart(6)}  ${row.heap.toFixed(0).padStart(7)}  ${String(row.jobs).padStart(4)}  ${row.dbMb.toFixed(0).padStart(5)}${SPLIT ? row.workerRss.toFixed(0).padStart(15) : ''}  ${loadavg()[0]!.toFixed(1).padStart(4)}\n`,
      )
    }

    const first = minutes[0]!
    const tail = minutes.slice(-Math.max(1, Math.floor(minutes.length / 5)))
    const avg = (xs: Minute[], f: (m: Minute) => number) => xs.reduce((a, m) => a + f(m), 0) / xs.length
    const totalErrors = minutes.reduce((a, m) => a + m.errors, 0)
    const lines = [
      '',
      `soak: ${minutes.length} minutes, ${CONNECTIONS} lanes, ${LINES}-line baskets, ${CUSTOMERS} customers, pool ${POOL}, ${SPLIT ? 'lanes on an instance with LANELIST_WORKER=0, the worker in a second instance' : 'worker on'}`,
      `  reference (minute 1)   ${first.rps.toFixed(0)} req/s, p99 ${first.p99} ms, RSS ${first.rss.toFixed(0)} MB, heap ${first.heap.toFixed(0)} MB`,
      `  last ${tail.length} minute(s)       ${avg(tail, (m) => m.rps).toFixed(0)} req/s, p99 ${avg(tail, (m) => m.p99).toFixed(0)} ms, RSS ${avg(tail, (m) => m.rss).toFixed(0)} MB, heap ${avg(tail, (m) => m.heap).toFixed(0)} MB`,
      `  ratio last/first       throughput ${(avg(tail, (m) => m.rps) / first.rps).toFixed(2)}, p99 ${(avg(tail, (m) => m.p99) / first.p99).toFixed(2)}, RSS ${(avg(tail, (m) => m.rss) / first.rss).toFixed(2)}, heap ${(avg(tail, (m) => m.heap) / first.heap).toFixed(2)}`,
      `  max RSS ${Math.max(...minutes.map((m) => m.rss)).toFixed(0)} MB, max p99 ${Math.max(...minutes.map((m) => m.p99))} ms, errors ${totalErrors}, jobs pending at the end ${minutes.at(-1)!.jobs}`,
    ]
    process.stdout.write(`${lines.join('\n')}\n`)
  } finally {
    for (const p of [service, workerService]) {
      if (!p || p.exitCode !== null || p.signalCode !== null) continue
      p.kill('SIGTERM')
      await new Promise((r) => p.once('exit', r))
    }
    await handle.close()
    await stopDb()
  }
}

await main()
