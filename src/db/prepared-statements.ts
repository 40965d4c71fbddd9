import { createHash } from 'node:crypto'
import { createQueryId, type CompiledQuery, type Kysely, type OperationNode, type QueryResult, type RawBuilder, type RawNode, type Transaction, type ValueNode } from 'kysely'
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
  if (!prepare) return db.executeQuery<R>(query.compile(db) as CompiledQuery<R>)
  const node = query.toOperationNode() as OperationNode
  const fast = node.kind === 'RawNode' ? byFragments.get((node as RawNode).sqlFragments) : undefined
  if (fast) {
    // The statement's text is known from its template: only its values are taken, without
    // compiling it again (a regeneration's three statements: docs/lists.md, session 12).
    const params = (node as RawNode).parameters
    if (params.every(isPlainValue)) {
      const parameters: unknown[] = new Array(params.length)
      for (let i = 0; i < params.length; i++) parameters[i] = (params[i] as ValueNode).value
      const compiled = { query: node, queryId: createQueryId(), sql: fast as unknown as string, parameters }
      return db.executeQuery<R>(compiled as unknown as CompiledQuery<R>)
    }
  }
  const compiled = query.compile(db)
  let name = names.get(compiled.sql)
  if (!name) {
    name = `lanelist_${createHash('sha1').update(compiled.sql).digest('hex').slice(0, 16)}`
    names.set(compiled.sql, name)
  }
  const config = { name, text: compiled.sql }
  // A template whose every value is a plain parameter compiles to its fragments joined by $1, $2,
  // ...: checked against Kysely's own compilation once, then taken from the template next time.
  if (node.kind === 'RawNode' && !byFragments.has((node as RawNode).sqlFragments)) {
    const raw = node as RawNode
    if (raw.parameters.every(isPlainValue) && joinedText(raw) === compiled.sql) byFragments.set(raw.sqlFragments, config)
  }
  return db.executeQuery<R>({ ...compiled, sql: config as unknown as string } as CompiledQuery<R>)
}

/** Prepared statements by their template's fragments (the same array for every call of a `sql` template). */
const byFragments = new WeakMap<readonly string[], { name: string; text: string }>()

const isPlainValue = (p: OperationNode) => p.kind === 'ValueNode' && !(p as ValueNode).immediate

function joinedText(raw: RawNode): string {
  let text = raw.sqlFragments[0] ?? ''
  for (let i = 1; i < raw.sqlFragments.length; i++) text += `$${i}${raw.sqlFragments[i]}`
  return text
}
