import { Kysely, PostgresDialect } from 'kysely'
import pg from 'pg'
import { CallbackQueryClient } from './pg-client.ts'
import type { DB } from './schema.ts'

// Set once, on purpose (STACK-NOTES): int8 sums and counts fit a JS number for any store's
// cents and row counts; refuse rather than silently lose precision if one ever does not.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => {
  const n = Number(v)
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${v} exceeds the safe integer range`)
  return n
})
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v))
// Dates are calendar days in the store's time zone; a JS Date would shift them by the server's offset.
pg.types.setTypeParser(pg.types.builtins.DATE, (v) => v)

export type Database = Kysely<DB>

export interface DatabaseHandle {
  readonly db: Database
  readonly pool: pg.Pool
  close(): Promise<void>
}

export function connectDatabase(url: string, opts: { max?: number; applicationName?: string } = {}): DatabaseHandle {
  const pool = new pg.Pool({
    Client: CallbackQueryClient,
    connectionString: url,
    max: opts.max ?? 20,
    application_name: opts.applicationName ?? 'lanelist',
    // The lane's POS timeout is a few seconds; waiting longer than this for a connection is a failure.
    connectionTimeoutMillis: 2_000,
    idleTimeoutMillis: 30_000,
    // Recycle connections so cached plans made on empty tables do not outlive the data's growth (STACK-NOTES).
    maxLifetimeSeconds: 600,
    // A server that vanished without a reset (power cut, partition) is noticed by TCP keepalive
    // instead of a connection waiting forever; the lane deadline (plugins/deadline.ts) answers meanwhile.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  })
  // An idle client losing its server (database restart) must not crash the process; the pool replaces it.
  pool.on('error', () => {})
  pool.on('connect', (client) => {
    // Same for a checked-out client whose server goes away between queries: the query fails, the process lives.
    client.on('error', () => {})
    // A server process ending (pg_terminate_backend, shutdown) sends FATAL for the running query
    // before it closes the socket, and pg marks the client unusable only at the close: released in
    // between, it went back to the pool and failed the next request too (the lane's retry). Ending
    // it here, before the query's rejection reaches whoever releases it, makes the pool drop it.
    client.connection.on('errorMessage', (msg: { severity?: string }) => {
      if (msg.severity === 'FATAL' || msg.severity === 'PANIC') client.end().catch(() => {})
    })
  })
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) })
  let closed = false
  return {
    db,
    pool,
    async close() {
      if (closed) return
      closed = true
      await db.destroy()
      // Kysely ends the pool only if it ever used it: a caller that only ran raw pool queries
      // (the migrations) would keep an idle connection, and the process, alive for idleTimeoutMillis.
      if (!pool.ended) await pool.end()
    },
  }
}
