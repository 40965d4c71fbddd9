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
 * Applies pending migrations in order, each in its own transaction. An advisory lock makes
 * concurrent starts of several instances wait for one another instead of racing.
 */
export async function migrate(pool: pg.Pool, opts: { dir?: string; log?: (msg: string) => void } = {}): Promise<Migration[]> {
  const client = await pool.connect()
  const applied: Migration[] = []
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK])
    await client.query(ensureTable)
    for (const m of await pendingMigrations(client, opts.dir)) {
      try {
        await client.query('begin')
        await client.query(m.sql)
        await client.query('insert into lanelist_migration (version, name, checksum) values ($1, $2, $3)', [
          m.version,
          m.name,
          m.checksum,
        ])
        await client.query('commit')
      } catch (err) {
        await client.query('rollback').catch(() => {})
        throw new MigrationError(`migration ${m.file} failed and was rolled back: ${describePgError(err, m.sql)}`)
      }
      applied.push(m)
      opts.log?.(`applied migration ${m.file}`)
    }
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {})
    client.release()
  }
  return applied
}

function describePgError(err: unknown, sql: string): string {
  const e = err as { message?: string; position?: string }
  if (!e.position) return e.message ?? String(err)
  const line = sql.slice(0, Number(e.position)).split('\n').length
  return `${e.message} (line ${line})`
}
