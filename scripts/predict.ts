// Offline prediction through the database path the service uses:
//   npm run predict -- --transactions FILE.csv --top 20 --out predictions.csv [--as-of DAY --horizon-days 14]
// Imports FILE into a fresh embedded PostgreSQL (temp folder, removed at the end), rebuilds the
// statistics, fits the model and writes customer_id,rank,product_id (the file's own ids) for
// every customer. Sequence mode when `day` is a number (visit index), calendar otherwise.
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { parseArgs } from 'node:util'
import pino from 'pino'
import { connectDatabase } from '../src/db/database.ts'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { prepareDatabase } from '../src/db/prepare.ts'
import { DAY_NUMBER_EPOCH, importTransactions } from '../src/modules/imports/import.service.ts'
import { allCustomerStats } from '../src/modules/prediction/prediction-stats.repository.ts'
import { currentModel, dayOf, fitModel, rankFromStats, rebuildStats } from '../src/modules/prediction/prediction.service.ts'
import type { TimeMode } from '../src/modules/prediction/prediction.types.ts'

export interface PredictRun {
  /** Ranked product external ids per customer external id. */
  ranked: Map<string, string[]>
  timeMode: TimeMode
  timings: Record<string, number>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port
      srv.close(() => resolve(port))
    })
    srv.on('error', reject)
  })
}

function detectTimeMode(file: string): TimeMode {
  const head = readFileSync(file, 'utf8').slice(0, 4096).split(/\r?\n/)
  const cols = (head[0] ?? '').split(',')
  const day = (head[1] ?? '').split(',')[cols.indexOf('day')] ?? ''
  return /^\d+$/.test(day.trim()) ? 'sequence' : 'calendar'
}

/** `--as-of` as a date: YYYY-MM-DD, or a day number counted like the import's (from 2000-01-01). */
function asOfDate(asOf: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(asOf)) return asOf
  return new Date(dayOf(DAY_NUMBER_EPOCH) * 86_400_000 + Number(asOf) * 86_400_000).toISOString().slice(0, 10)
}

export async function runPredict(opts: {
  transactions: string
  top: number
  asOf?: string
  horizonDays?: number
  log?: (s: string) => void
}): Promise<PredictRun> {
  const log = opts.log ?? ((s: string) => void process.stderr.write(`${s}\n`))
  const timeMode = detectTimeMode(opts.transactions)
  const dir = mkdtempSync(path.join(tmpdir(), 'lanelist-predict-'))
  const timings: Record<string, number> = {}
  let t = performance.now()
  const lap = (name: string) => {
    const now = performance.now()
    timings[name] = (now - t) / 1000
    t = now
    log(`${name}: ${timings[name]!.toFixed(1)} s`)
  }
  const pg = await startEmbeddedPostgres({ dataDir: dir, port: await freePort(), log: pino({ level: 'warn' }) })
  try {
    const handle = connectDatabase(pg.url, { max: 4 })
    try {
      await prepareDatabase(handle.pool)
      lap('start database')
      // Spooled by customer, as when the evaluation's figures were measured: rankings depend on the
      // ids the import assigns (see streamGrouped).
      const summary = await importTransactions(handle.db, createReadStream(opts.transactions), { statsJobs: false, streamGrouped: false })
      if (summary.rejected > 0) log(`import rejected ${summary.rejected} rows: ${JSON.stringify(summary.errors.slice(0, 3))}`)
      lap(`import (${summary.rows} rows)`)
      const asOf = opts.asOf === undefined ? undefined : asOfDate(opts.asOf)
      const built = await rebuildStats(handle.db, { timeMode, ...(asOf === undefined ? {} : { through: asOf }) })
      lap(`statistics (${built.customers} customers)`)
      await fitModel(handle.db, asOf, { timeMode, ...(opts.horizonDays === undefined ? {} : { windowDays: opts.horizonDays }) })
      lap('fit')
      const model = await currentModel(handle.db, timeMode)
      if (model === undefined) throw new Error('no model')
      const customers = new Map((await handle.db.selectFrom('customer').select(['id', 'external_id']).execute()).map((r) => [r.id, r.external_id ?? String(r.id)]))
      const products = new Map((await handle.db.selectFrom('product').select(['id', 'external_id', 'gtin']).execute()).map((r) => [String(r.id), r.external_id ?? r.gtin ?? String(r.id)]))
      const ranked = new Map<string, string[]>()
      const asOfDay = asOf === undefined ? undefined : dayOf(asOf)
      for await (const page of allCustomerStats(handle.db)) {
        for (const s of page) {
          const items = rankFromStats(s.stats, model, asOfDay, opts.top)
          ranked.set(customers.get(Number(s.stats.customerId)) ?? s.stats.customerId, items.map((i) => products.get(i.productId) ?? i.productId))
        }
      }
      // Customers with no statistics (nothing bought before --as-of) get the popular picks.
      const empty = { trips: 0, firstDay: 0, lastDay: 0, recentTrips: [], products: {}, categories: {} }
      for (const [id, ext] of customers) {
        if (ranked.has(ext)) continue
        const items = rankFromStats({ customerId: String(id), ...empty }, model, asOfDay ?? model.population.asOf, opts.top)
        ranked.set(ext, items.map((i) => products.get(i.productId) ?? i.productId))
      }
      lap(`predict (${ranked.size} customers)`)
      return { ranked, timeMode, timings }
    } finally {
      await handle.close()
    }
  } finally {
    await pg.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

export function writeRanked(file: string, ranked: ReadonlyMap<string, readonly string[]>): void {
  const out = ['customer_id,rank,product_id']
  for (const [c, items] of ranked) items.forEach((p, i) => out.push(`${c},${i + 1},${p}`))
  writeFileSync(file, `${out.join('\n')}\n`)
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      transactions: { type: 'string' },
      top: { type: 'string', default: '20' },
      out: { type: 'string', default: 'predictions.csv' },
      'as-of': { type: 'string' },
      'horizon-days': { type: 'string' },
    },
  })
  if (values.transactions === undefined) {
    process.stderr.write('usage: npm run predict -- --transactions FILE.csv [--top 20] [--out predictions.csv] [--as-of DAY --horizon-days 14]\n')
    process.exit(2)
  }
  const run = await runPredict({
    transactions: values.transactions,
    top: Number(values.top),
    ...(values['as-of'] === undefined ? {} : { asOf: values['as-of'] }),
    ...(values['horizon-days'] === undefined ? {} : { horizonDays: Number(values['horizon-days']) }),
  })
  writeRanked(values.out, run.ranked)
  process.stderr.write(`wrote ${run.ranked.size} customers (${run.timeMode} mode) to ${values.out}\n`)
  process.exit(0)
}
