import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { CompiledQuery, Kysely, PostgresDialect, sql, type Transaction } from 'kysely'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import type { Database } from '../../db/database.ts'
import type { DB } from '../../db/schema.ts'

const wrapped = new WeakMap<pg.Pool, Database>()

/** Imports run on Kysely; a bare pool (scripts, the predict command) gets a Kysely that shares it. */
export function asDatabase(target: Database | pg.Pool): Database {
  if (!(target instanceof pg.Pool)) return target
  let db = wrapped.get(target)
  if (!db) {
    // Never destroyed: destroying it would end the caller's pool.
    db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: target }) })
    wrapped.set(target, db)
  }
  return db
}

/**
 * COPY ... FROM STDIN on the caller's connection. Kysely has no COPY, but pg runs any
 * "submittable" given where the SQL text goes (how pg-copy-streams is meant to be used:
 * client.query(copyFrom(...))) and Kysely's pg driver hands the text to client.query as is.
 * `db` must be a transaction or a db.connection() scope: on a pooled Kysely the COPY would
 * outlive the query that started it and race other users of the connection.
 */
export async function copyIn(
  db: Kysely<DB> | Transaction<DB>,
  statement: string,
  source: Iterable<string | Buffer> | AsyncIterable<string | Buffer>,
): Promise<number> {
  const copy = copyFrom(statement)
  await db.executeQuery(CompiledQuery.raw(copy as unknown as string))
  await pipeline(Readable.from(coalesce(source), { objectMode: false }), copy)
  return copy.rowCount
}

const COPY_CHUNK_CHARS = 1 << 16

/** Each write becomes a protocol message; a few large ones beat a million small ones. */
async function* coalesce(source: Iterable<string | Buffer> | AsyncIterable<string | Buffer>): AsyncGenerator<string | Buffer> {
  let pending = ''
  for await (const s of source) {
    if (typeof s !== 'string') {
      // Bytes come in chunks large enough already.
      if (pending) yield pending
      pending = ''
      yield s
      continue
    }
    pending += s
    if (pending.length >= COPY_CHUNK_CHARS) {
      yield pending
      pending = ''
    }
  }
  if (pending) yield pending
}

type GrowingTable = 'customer' | 'product' | 'sale' | 'sale_line'

/**
 * Keeps planner statistics up with an import into a young database. Autovacuum analyses
 * after the fact; until then the planner (including the foreign-key checks' cached plans)
 * works from "empty table" estimates, and a join planned for ten rows that meets a million
 * is what turns a minute into an hour. A table is analysed once the rows this import added
 * reach what it held at its last analysis, so a large, settled database is never touched.
 */
export class PlannerStats {
  private constructor(
    private readonly known: Record<GrowingTable, number>,
    private readonly added: Record<GrowingTable, number> = { customer: 0, product: 0, sale: 0, sale_line: 0 },
  ) {}

  static async load(db: Kysely<DB>): Promise<PlannerStats> {
    const { rows } = await sql<{ relname: GrowingTable; reltuples: number }>`
      select relname, reltuples::float8 as reltuples from pg_class
      where relname in ('customer', 'product', 'sale', 'sale_line') and relkind = 'r'
        and relnamespace = to_regnamespace(current_schema())`.execute(db)
    const known = { customer: 0, product: 0, sale: 0, sale_line: 0 }
    for (const r of rows) known[r.relname] = Math.max(0, r.reltuples)
    return new PlannerStats(known)
  }

  async grew(db: Kysely<DB>, rows: Partial<Record<GrowingTable, number>>): Promise<void> {
    for (const [table, n] of Object.entries(rows) as [GrowingTable, number][]) {
      this.added[table] += n
      if (this.added[table] < Math.max(10_000, this.known[table])) continue
      await sql`analyze ${sql.table(table)}`.execute(db)
      this.known[table] += this.added[table]
      this.added[table] = 0
    }
  }
}
