import { createHash } from 'node:crypto'
import type { CompiledQuery, Kysely, QueryResult, RawBuilder, Transaction } from 'kysely'
import type { DB } from './schema.ts'

const names = new Map<string, string>()
let prepare = true

/**
 * Named statements live on the server connection that parsed them. A transaction pooler that
 * does not track them (PgBouncer before 1.21, or without max_prepared_statements) hands the
 * next transaction another connection: boot turns them off there (LANELIST_DB_PREPARED_STATEMENTS=0).
 */
export function usePreparedStatements(on: boolean): void {
  prepare = on
}

/**
 * Runs a statement as a named prepared statement, so PostgreSQL can plan it once per connection
 * instead of on every execution: the lane's two statements (planning was a millisecond of each
 * sale) and the list regeneration's (docs/lists.md, "Single regeneration").
 * Kysely has no prepared statements; pg runs a { name, text } query config given where the
 * SQL text goes, and Kysely's pg driver hands that to client.query as it is (the same route
 * imports/import-db.ts takes for COPY). The name is derived from the text, so each variant
 * of a statement (card or list scan, online or offline) gets its own.
 */
export async function executePrepared<R>(db: Kysely<DB> | Transaction<DB>, query: RawBuilder<R>): Promise<QueryResult<R>> {
  const compiled = query.compile(db)
  if (!prepare) return db.executeQuery<R>(compiled as CompiledQuery<R>)
  let name = names.get(compiled.sql)
  if (!name) {
    name = `lanelist_${createHash('sha1').update(compiled.sql).digest('hex').slice(0, 16)}`
    names.set(compiled.sql, name)
  }
  const config = { name, text: compiled.sql }
  return db.executeQuery<R>({ ...compiled, sql: config as unknown as string } as CompiledQuery<R>)
}
