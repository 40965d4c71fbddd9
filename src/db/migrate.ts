import { createHash } from 'node:crypto'
import { readdir, readFile } from 'node:fs/promises'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type pg from 'pg'

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url))

// Any constant works; it only has to be the same for every lanelist instance on the database.
const MIGRATION_LOCK = 724_119_001

export interface Migration {
  version: number
  name: string
  file: string
  sql: string
  checksum: string
}

export class MigrationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MigrationError'
  }
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort()
  const migrations: Migration[] = []
  for (const file of files) {
    const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file)
    if (!match) throw new MigrationError(`migration file name ${file} must look like 0001_some_name.sql`)
    const sql = await readFile(path.join(dir, file), 'utf8')
    const version = Number(match[1])
    if (migrations.some((m) => m.version === version)) throw new MigrationError(`two migrations have version ${version}`)
    migrations.push({ version, name: match[2]!, file, sql, checksum: createHash('sha256').update(sql).digest('hex') })
  }
  return migrations
}

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>

const ensureTable = `
  create table if not exists lanelist_migration (
    version integer primary key,
    name text not null,
    checksum text not null,
    applied_at timestamptz not null default now()
  )`

/** Versions in `dir` that the database has not applied yet; throws if an applied file was edited. */
export async function pendingMigrations(pool: Queryable, dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const all = await readMigrations(dir)
  const exists = await pool.query(`select to_regclass('lanelist_migration') is not null as ok`)
  if (!exists.rows[0].ok) return all
  const { rows } = await pool.query<{ version: number; checksum: string }>('select version, checksum from lanelist_migration')
  const applied = new Map(rows.map((r) => [r.version, r.checksum]))
  for (const m of all) {
    const checksum = applied.get(m.version)
    if (checksum && checksum !== m.checksum) {
      throw new MigrationError(`migration ${m.file} was changed after it was applied; add a new migration instead`)
    }
  }
  return all.filter((m) => !applied.has(m.version))
}

/**
 * Lock waits of a migration's statements. Lanes queue behind a DDL statement that waits for a
 * lock (an ALTER TABLE waiting on a long transaction blocks every later query on that table), so
 * the wait is kept well under the lane deadline and the migration is retried instead.
 */
export const MIGRATION_LOCK_TIMEOUT_MS = 500
const LOCK_ATTEMPTS = 20
const RETRY_PAUSE_MS = 1_000
const LOCK_POLL_MS = 100
/** A file with this line runs outside a transaction (CREATE INDEX CONCURRENTLY); one statement only. */
const NO_TRANSACTION = /^-- lanelist:no-transaction\s*$/m

export function runsOutsideTransaction(m: Migration): boolean {
  return NO_TRANSACTION.test(m.sql)
}

/**
 * Applies pending migrations in order, each in its own transaction holding a transaction-level
 * advisory lock: concurrent starts of several instances wait for one another instead of racing,
 * and no lock outlives its transaction, so this also runs safely through a transaction pooler.
 * A no-transaction migration takes the session-level form of the same lock instead, which needs
 * a direct connection (docs/operations.md "Upgrades while lanes redeem").
 */
export async function migrate(pool: pg.Pool, opts: { dir?: string; log?: (msg: string) => void } = {}): Promise<Migration[]> {
  const client = await pool.connect()
  const applied: Migration[] = []
  try {
    for (;;) {
      const next = await applyNext(client, opts)
      if (next === 'done') break
      if (next === 'elsewhere') continue
      applied.push(next)
      opts.log?.(`applied migration ${next.file}`)
    }
  } finally {
    client.release()
  }
  return applied
}

async function applyNext(client: pg.PoolClient, opts: { dir?: string; log?: (msg: string) => void }): Promise<Migration | 'done' | 'elsewhere'> {
  for (let attempt = 1; ; ) {
    let m: Migration | undefined
    await client.query('begin')
    try {
      // Polled between short transactions, never waited for inside one: a transaction left
      // waiting keeps a snapshot, which another instance's CREATE INDEX CONCURRENTLY waits for
      // while it holds this lock (a deadlock PostgreSQL would break by failing one of them).
      const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_xact_lock($1) as ok', [MIGRATION_LOCK])
      if (!rows[0]!.ok) {
        await client.query('rollback')
        await new Promise((r) => setTimeout(r, LOCK_POLL_MS))
        continue
      }
      await client.query(ensureTable)
      m = (await pendingMigrations(client, opts.dir))[0]
      if (!m || runsOutsideTransaction(m)) {
        await client.query('commit')
        if (!m) return 'done'
        return applyOutsideTransaction(client, m, opts.dir)
      }
      // First, so that a migration may still set its own.
      await client.query(`set local lock_timeout = ${MIGRATION_LOCK_TIMEOUT_MS}`)
      await client.query(m.sql)
      await record(client, m)
      await client.query('commit')
      return m
    } catch (err) {
      await client.query('rollback').catch(() => {})
      if (!m || err instanceof MigrationError) throw err
      const code = (err as { code?: string }).code
      if ((code === LOCK_NOT_AVAILABLE || code === DEADLOCK_DETECTED) && attempt < LOCK_ATTEMPTS) {
        const why = code === DEADLOCK_DETECTED ? 'was chosen as a deadlock victim' : `waited ${MIGRATION_LOCK_TIMEOUT_MS} ms for a lock`
        opts.log?.(`migration ${m.file} ${why}; rolled back, trying again (${attempt}/${LOCK_ATTEMPTS})`)
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS))
        attempt++
        continue
      }
      throw new MigrationError(`migration ${m.file} failed and was rolled back: ${describePgError(err, m.sql)}`)
    }
  }
}

const LOCK_NOT_AVAILABLE = '55P03'
// An ALTER queued for its exclusive lock can close a cycle with a lane's transaction that
// already holds one table and asks for the altered one; PostgreSQL breaks it by failing one
// side. Lanes retry theirs; the migration, rolled back whole, can simply run again.
const DEADLOCK_DETECTED = '40P01'

async function applyOutsideTransaction(client: pg.PoolClient, m: Migration, dir?: string): Promise<Migration | 'elsewhere'> {
  // Polled too, for the reason applyNext polls: a session blocked in pg_advisory_lock holds its
  // statement's snapshot, which the other instance's CREATE INDEX CONCURRENTLY, holding this lock,
  // waits for. PostgreSQL broke that cycle by failing the waiter with "deadlock detected" (a fresh
  // clone's test/faults/online-migration.test.ts, 24 Nov).
  while (!(await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [MIGRATION_LOCK])).rows[0]!.ok) {
    await new Promise((r) => setTimeout(r, LOCK_POLL_MS))
  }
  try {
    const still = (await pendingMigrations(client, dir))[0]
    if (still?.version !== m.version) return 'elsewhere'
    try {
      await client.query(m.sql)
    } catch (err) {
      throw new MigrationError(
        `migration ${m.file} (no transaction) failed: ${describePgError(err, m.sql)}; ` +
          'a CREATE INDEX CONCURRENTLY that failed leaves an INVALID index: drop it (drop index concurrently ...) before starting again',
      )
    }
    await record(client, m)
    return m
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {})
  }
}

async function record(client: pg.PoolClient, m: Migration): Promise<void> {
  await client.query('insert into lanelist_migration (version, name, checksum) values ($1, $2, $3)', [m.version, m.name, m.checksum])
}

function describePgError(err: unknown, sql: string): string {
  const e = err as { message?: string; position?: string }
  if (!e.position) return e.message ?? String(err)
  const line = sql.slice(0, Number(e.position)).split('\n').length
  return `${e.message} (line ${line})`
}
