import t from 'tap'
import { sql } from 'kysely'
import { boolArray, floatArray, intArray, intArrayRows, textArray, textArrayRows } from '../../src/db/array-literal.ts'
import { testDatabase } from '../helpers/database.ts'

t.test('the literals are what PostgreSQL reads back, element for element', async (t) => {
  const { db } = await testDatabase(t, { max: 1 })
  const ints = [0, 1, -42, null, 9_007_199_254_740_991, 123456789012]
  const texts = ['plain', '', 'NULL', null, 'a,b', '{braces}', 'say "hi"', 'back\\slash', '\\"', ' padded ', 'é •••• 1234', 'line\nbreak']
  const bools = [true, false, true]
  const { rows } = await sql<{ ints: string[] | null; texts: (string | null)[]; bools: boolean[]; empty: number; gtins: string[] }>`
    select (${intArray(ints)}::bigint[])::text[] as ints, ${textArray(texts)}::text[] as texts, ${boolArray(bools)}::bool[] as bools,
           cardinality(${intArray([])}::int[]) as empty, ${textArray(['00012345678905'])}::char(14)[] as gtins`.execute(db)
  const row = rows[0]!
  t.same(row.ints, ints.map((x) => (x === null ? null : String(x))))
  t.same(row.texts, texts, 'quotes, backslashes, commas, braces, the word NULL and null all survive')
  t.same(row.bools, bools)
  t.equal(Number(row.empty), 0)
  t.same(row.gtins, ['00012345678905'])
})

t.test('nullable booleans and fractions read back as sent (the profile write: regular_cycle, median_gap_days)', async (t) => {
  const { db } = await testDatabase(t, { max: 1 })
  const bools = [true, null, false]
  const floats = [7, 7.5, null, -0.25, 1e-7, 123456.5]
  const { rows } = await sql<{ bools: (boolean | null)[]; reals: (number | null)[]; doubles: (number | null)[] }>`
    select ${boolArray(bools)}::bool[] as bools, ${floatArray([7, 7.5, null, -0.25])}::real[] as reals,
           ${floatArray(floats)}::float8[] as doubles`.execute(db)
  t.same(rows[0]!.bools, bools)
  t.same(rows[0]!.reals, [7, 7.5, null, -0.25])
  t.same(rows[0]!.doubles, floats, 'the shortest round-trip form is exact in float8')
  t.throws(() => floatArray([Number.NaN]), /not a finite number/)
  t.throws(() => floatArray([Number.POSITIVE_INFINITY]), /not a finite number/)
  t.equal(floatArray([]), '{}')
})

t.test('a number that is not a safe integer is refused before it reaches the database', async (t) => {
  t.throws(() => intArray([1.5]), /not a safe integer/)
  t.throws(() => intArray([Number.NaN]), /not a safe integer/)
  t.throws(() => intArray([2 ** 60]), /not a safe integer/)
  t.equal(intArray([]), '{}')
  t.equal(textArray([null]), '{NULL}')
})

t.test('rows of arrays: each element is the literal of its row, cast per row, read back element for element', async (t) => {
  const { db } = await testDatabase(t, { max: 1 })
  const texts = [['Dairy/Milk', 'Pet/Cat food'], [], ['say "hi"', 'back\\slash', '\\"', 'a,b', '{braces}', 'NULL', '', ' padded ', 'é'], ['x']]
  const ints = [[1, -2, 9_007_199_254_740_991], [], [0]]
  const { rows } = await sql<{ i: number; texts: string[]; ints: string[] }>`
    select i, (${textArrayRows(texts)}::text[])[i]::text[] as texts, ((${intArrayRows(ints)}::text[])[i]::bigint[])::text[] as ints
    from generate_series(1, 4) i order by i`.execute(db)
  t.same(rows.map((r) => r.texts), texts, 'quotes, backslashes, commas, braces, the word NULL and empty rows survive the two levels')
  t.same(rows.slice(0, 3).map((r) => r.ints), ints.map((row) => row.map(String)))
  t.equal(textArrayRows([]), '{}')
  t.throws(() => intArrayRows([[1.5]]), /not a safe integer/)
})
