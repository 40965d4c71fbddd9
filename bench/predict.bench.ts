// Prediction speed on the demo population in a fresh embedded PostgreSQL:
//   npm run bench:predict -- [--customers 100000] [--samples 2000]
// Prints single-customer predictCustomerItems p50/p99 next to one primary-key read measured in
// the same run, and a full rebuildStats next to one plain GROUP BY (customer, product) over
// sale_line in the same run.
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { sql } from 'kysely'
import pino from 'pino'
import { connectDatabase } from '../src/db/database.ts'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { prepareDatabase } from '../src/db/prepare.ts'
import { loadDemoIfEmpty } from '../src/demo/load-demo.ts'
import { fitModel, predictCustomerItems, rebuildStats } from '../src/modules/prediction/prediction.service.ts'

const { values } = parseArgs({ options: { customers: { type: 'string', default: '100000' }, samples: { type: 'string', default: '2000' } } })
const say = (s: string): void => void process.stdout.write(`${s}\n`)
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] ?? NaN
const port = await new Promise<number>((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const p = (s.address() as { port: number }).port
    s.close(() => resolve(p))
  })
})
const dir = mkdtempSync(path.join(tmpdir(), 'lanelist-bench-predict-'))
const pg = await startEmbeddedPostgres({ dataDir: dir, port, log: pino({ level: 'warn' }) })
const handle = connectDatabase(pg.url, { max: 4 })
try {
  const db = handle.db
  await prepareDatabase(handle.pool)
  let t0 = performance.now()
  await loadDemoIfEmpty(db, { customers: Number(values.customers), log: pino({ level: 'warn' }), today: '2026-11-23' })
  const lines = (await sql<{ n: number }>`select count(*)::int as n from sale_line`.execute(db)).rows[0]!.n
  say(`demo loaded: ${values.customers} customers, ${lines} lines in ${((performance.now() - t0) / 1000).toFixed(1)} s`)

  await sql`vacuum analyze`.execute(db)
  const groupRuns: number[] = []
  const rebuildRuns: number[] = []
  for (let i = 0; i < 2; i++) {
    t0 = performance.now()
    await sql`select customer_id, product_id, count(*), sum(quantity) from sale_line group by 1, 2`.execute(db)
    groupRuns.push((performance.now() - t0) / 1000)
    rebuildRuns.push((await rebuildStats(db)).seconds)
  }
  const g = Math.min(...groupRuns)
  const r = Math.min(...rebuildRuns)
  say(`rebuildStats (all customers) ${r.toFixed(2)} s vs plain GROUP BY ${g.toFixed(2)} s: ${(r / g).toFixed(2)}x (best of 2 each, interleaved)`)

  t0 = performance.now()
  await fitModel(db)
  say(`fitModel ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  const ids = (await db.selectFrom('customer_stats').select('customer_id').execute()).map((x) => x.customer_id)
  const n = Math.min(Number(values.samples), ids.length)
  const pick = Array.from({ length: n }, (_, i) => ids[Math.floor((i * ids.length) / n)]!)
  await predictCustomerItems(db, pick[0]!, { asOf: '2026-11-23' })
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
  say(`predictCustomerItems over ${n} customers: p50 ${pct(predict, 0.5).toFixed(2)} ms, p99 ${pct(predict, 0.99).toFixed(2)} ms`)
  say(`primary-key read (same run):            p50 ${pct(pk, 0.5).toFixed(2)} ms, p99 ${pct(pk, 0.99).toFixed(2)} ms`)
} finally {
  await handle.close()
  await pg.stop()
  rmSync(dir, { recursive: true, force: true })
}
