// The lane's read replayed on one connection, alone and batched (redemption-read-coalescer.ts),
// to compare their CPU where a shared machine moves the bench's figures more than the code does:
// backend CPU from /proc for the one backend, the bench process's own CPU for the client side
// (building, sending and parsing the statements with pg). `BENCH_READ_REPLAY=ROUNDS` runs it in
// bench:redeem after the closed loop, on its population and with its sales' bodies.
import { readFileSync } from 'node:fs'
import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import type { DB } from '../src/db/schema.ts'
import { classify } from '../src/modules/redemptions/redemption-request.ts'
import { loadCheckout, loadCheckoutBatch, type CatalogKnown, type CheckoutQuery } from '../src/modules/redemptions/redemption.repository.ts'

const TICK = 100 // USER_HZ

function backendCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(f[11]) + Number(f[12])) * 1000) / TICK
}

export async function replayReads(url: string, bodies: string[], rounds: number, batchSizes: number[], generic = false): Promise<string[]> {
  const pool = new pg.Pool({ connectionString: url, max: 1 })
  if (generic) pool.on('connect', (c) => void c.query('set plan_cache_mode = force_generic_plan'))
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  try {
    const { rows } = await pool.query('select pg_backend_pid() as pid, (select version from pricing_catalog_version) as v, array(select id::int from offer order by id) as ids')
    const pid = rows[0].pid as number
    // The steady state: the service holds the catalog copy, so reads ask for no products or definitions.
    const known: CatalogKnown = { version: Number(rows[0].v), offerIds: rows[0].ids as number[], missingGtins: [] }
    const qs: CheckoutQuery[] = bodies.map((text) => {
      const b = JSON.parse(text) as { storeId: string; laneId: string; scannedCode: string; occurredAt: string; posTransactionId: string; items: { gtin: string }[] }
      const scanned = classify(b.scannedCode)
      return {
        storeId: b.storeId,
        laneId: b.laneId,
        scanned: scanned instanceof Error ? null : scanned,
        occurredAt: b.occurredAt,
        offline: false,
        gtins: [...new Set(b.items.map((i) => i.gtin))],
        posTransactionId: b.posTransactionId,
      }
    })
    const modes = [1, ...batchSizes]
    const totals = new Map(modes.map((m) => [m, { pg: 0, client: 0 }]))
    // Plans settle (five custom plans, then the generic one) before anything is counted.
    for (const m of modes) await run(m, qs.slice(0, 80), known)
    for (let r = 0; r < rounds; r++) {
      for (const m of r % 2 ? [...modes].reverse() : modes) {
        const pg0 = backendCpuMs(pid)
        const c0 = process.cpuUsage()
        await run(m, qs, known)
        const c = process.cpuUsage(c0)
        const t = totals.get(m)!
        t.pg += backendCpuMs(pid) - pg0
        t.client += (c.user + c.system) / 1000
      }
    }
    const plans = await pool.query(`select (statement like '%with ordinality as q(store_id%') as batch, generic_plans::int as g, custom_plans::int as c
                                      from pg_prepared_statements where statement like '%pricing_catalog_version%'`)
    const planLine = `  plans (${generic ? 'plan_cache_mode = force_generic_plan' : 'default plan cache'}): ${plans.rows.map((p) => `${p.batch ? 'batch' : 'alone'} ${p.g} generic, ${p.c} custom`).join('; ')}`
    return [planLine, ...modes.map((m) => {
      const t = totals.get(m)!
      const n = qs.length * rounds
      return `  ${m === 1 ? 'alone     ' : `batch of ${String(m).padEnd(2)}`}  PostgreSQL ${(t.pg / n).toFixed(3)} ms, client ${(t.client / n).toFixed(3)} ms per read (${n} reads, ${rounds} rounds)`
    })]
  } finally {
    await db.destroy()
  }

  async function run(size: number, qs: CheckoutQuery[], known: CatalogKnown): Promise<void> {
    for (let i = 0; i < qs.length; i += size) {
      const chunk = qs.slice(i, i + size)
      if (size === 1) await loadCheckout(db, chunk[0]!, known)
      else await loadCheckoutBatch(db, chunk, known)
    }
  }
}
