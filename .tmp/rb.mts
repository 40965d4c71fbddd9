// quick profile: rebuild on a small fast-loaded demo
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { sql } from 'kysely'
import { connectDatabase } from '/work/wt/predict/src/db/database.ts'
import { startEmbeddedPostgres } from '/work/wt/predict/src/db/embedded.ts'
import { prepareDatabase } from '/work/wt/predict/src/db/prepare.ts'
import { rebuildStats } from '/work/wt/predict/src/modules/prediction/prediction.service.ts'
import { fastLoadDemo } from '/work/wt/predict/bench/demo-fast-load.ts'
const dir = mkdtempSync(path.join(tmpdir(), 'rb-'))
const pg = await startEmbeddedPostgres({ dataDir: dir, port: 54991, log: pino({ level: 'warn' }) })
const h = connectDatabase(pg.url, { max: 4 })
await prepareDatabase(h.pool)
console.log(await fastLoadDemo(h.db, { customers: 3000, days: 250, endDate: '2026-11-22' }))
await sql`vacuum analyze`.execute(h.db)
for (let i = 0; i < 2; i++) console.log(await rebuildStats(h.db))
const sz = await sql`select pg_size_pretty(pg_total_relation_size('customer_stats')) s, avg(length(stats::text)) a from customer_stats`.execute(h.db)
console.log(sz.rows)
await h.close(); await pg.stop()
