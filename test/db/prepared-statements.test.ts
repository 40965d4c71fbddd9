// executePrepared (db/prepared-statements.ts) takes a statement's text from its template after the
// first call, without compiling it again: the values must still be each call's own, one prepared
// statement must serve every call of a template, and a template given a nested fragment or a
// literal in a value's place must be compiled as Kysely compiles it.
import t from 'tap'
import { sql } from 'kysely'
import { executePrepared } from '../../src/db/prepared-statements.ts'
import { testDatabase } from '../helpers/database.ts'

t.test('values per call, one prepared statement per template, nested fragments compiled', async (t) => {
  // One connection: prepared statements live on the connection that parsed them.
  const { db } = await testDatabase(t, { migrated: false, max: 1 })
  const pair = (a: number, b: string) => sql<{ a: number; b: string; n: number }>`select ${a}::int as a, ${b}::text as b, cardinality(${`{${a},${a}}`}::int[]) as n`
  for (const [a, b] of [[1, 'one'], [2, 'two'], [3, 'it\'s "three"']] as const) {
    t.same((await executePrepared(db, pair(a, b))).rows, [{ a, b, n: 2 }], `call with ${a}`)
  }
  const prepared = async () => (await sql<{ statement: string }>`select statement from pg_prepared_statements where name like 'lanelist_%'`.execute(db)).rows.map((r) => r.statement)
  t.equal((await prepared()).filter((s) => s.includes('cardinality')).length, 1, 'one prepared statement for the template')

  const nested = (flag: boolean, v: number) => sql<{ v: number }>`select ${flag ? sql`${v}::int + 1` : v}::int as v`
  t.same((await executePrepared(db, nested(true, 10))).rows, [{ v: 11 }], 'a nested fragment')
  t.same((await executePrepared(db, nested(false, 10))).rows, [{ v: 10 }], 'the same template with a value')
  t.same((await executePrepared(db, nested(false, 20))).rows, [{ v: 20 }], 'again, from the template')
  t.same((await executePrepared(db, nested(true, 20))).rows, [{ v: 21 }], 'a nested fragment after the template was known')
  const literal = (v: number) => sql<{ v: number }>`select ${sql.lit(v)}::int as v, ${v}::int as w`
  t.same((await executePrepared(db, literal(5))).rows, [{ v: 5, w: 5 }], 'a literal')
  t.same((await executePrepared(db, literal(6))).rows, [{ v: 6, w: 6 }], 'another literal: another statement')
})
