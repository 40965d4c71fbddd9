import { writeFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { migrate, MigrationError, pendingMigrations, readMigrations } from '../../src/db/migrate.ts'
import { testDatabase } from '../helpers/database.ts'
import { tempDataDir } from '../helpers/process.ts'

function dirWith(files: Record<string, string>): string {
  const dir = tempDataDir('lanelist-migrations-')
  for (const [name, sql] of Object.entries(files)) writeFileSync(path.join(dir, name), sql)
  return dir
}

t.test('the project migrations apply in order on an empty database and are recorded', async (t) => {
  const { pool } = await testDatabase(t, { migrated: false })
  const applied = await migrate(pool)
  t.same(applied.map((m) => m.version), (await readMigrations()).map((m) => m.version))
  t.same(await pendingMigrations(pool), [])
  t.same(await migrate(pool), [], 'a second run applies nothing')
})

t.test('every project migration opens with a comment saying why', async (t) => {
  for (const m of await readMigrations()) t.match(m.sql, /^-- \S/, m.file)
})

t.test('a failing migration is rolled back whole, stops the run, and names the file and line', async (t) => {
  const { pool } = await testDatabase(t, { migrated: false })
  const dir = dirWith({
    '0001_good.sql': '-- fine\ncreate table a (id int);',
    '0002_bad.sql': '-- breaks halfway\ncreate table b (id int);\ninsert into nope values (1);',
    '0003_later.sql': '-- never reached\ncreate table c (id int);',
  })
  const err = await migrate(pool, { dir }).catch((e: unknown) => e)
  t.ok(err instanceof MigrationError)
  t.match((err as Error).message, /0002_bad.sql failed and was rolled back: relation "nope" does not exist \(line 3\)/)
  const tables = await pool.query(`select table_name from information_schema.tables where table_schema = 'public' order by 1`)
  t.same(tables.rows.map((r) => r.table_name), ['a', 'lanelist_migration'], 'b was rolled back, c never ran')
  const recorded = await pool.query('select version from lanelist_migration')
  t.same(recorded.rows, [{ version: 1 }])
})

t.test('editing an applied migration is refused', async (t) => {
  const { pool } = await testDatabase(t, { migrated: false })
  const dir = dirWith({ '0001_a.sql': '-- one\ncreate table a (id int);' })
  await migrate(pool, { dir })
  writeFileSync(path.join(dir, '0001_a.sql'), '-- one, edited\ncreate table a (id bigint);')
  await t.rejects(migrate(pool, { dir }), /0001_a.sql was changed after it was applied/)
})

t.test('badly named migration files are refused', async (t) => {
  await t.rejects(readMigrations(dirWith({ 'add-table.sql': 'select 1' })), /must look like 0001_some_name.sql/)
})

t.test('concurrent starts of several instances apply each migration once', async (t) => {
  const { pool } = await testDatabase(t, { migrated: false, max: 8 })
  const runs = await Promise.all([migrate(pool), migrate(pool), migrate(pool)])
  const total = runs.reduce((n, r) => n + r.length, 0)
  t.equal(total, (await readMigrations()).length)
})

t.test('a migration chosen as a deadlock victim is rolled back and run again', async (t) => {
  const { pool } = await testDatabase(t, { migrated: false, max: 4 })
  await pool.query('create table first_t (id int); create table second_t (id int)')
  // The migration turns its own lock_timeout off so that only deadlock detection can end its
  // wait, and the other session detects later, so PostgreSQL fails the migration's side.
  const dir = dirWith({
    '0001_two_tables.sql': '-- locks first_t, then waits for second_t\nset local lock_timeout = 0;\nalter table first_t add column a int;\nalter table second_t add column a int;',
  })
  const other = await pool.connect()
  t.teardown(() => other.release())
  await other.query(`begin; set local deadlock_timeout = '10s'; lock table second_t in access share mode`)
  const logged: string[] = []
  const migrating = migrate(pool, { dir, log: (m) => logged.push(m) })
  // Wait until the migration holds first_t and queues for second_t, then close the cycle.
  for (let i = 0; i < 100; i++) {
    const { rows } = await pool.query(`select count(*)::int as n from pg_locks where relation = 'second_t'::regclass and not granted`)
    if (rows[0].n > 0) break
    await new Promise((r) => setTimeout(r, 20))
  }
  const closing = other.query('select count(*) from first_t').then(() => other.query('commit'))
  const applied = await migrating
  await closing
  t.same(applied.map((m) => m.version), [1], 'applied on the second attempt')
  t.match(logged.join('\n'), /0001_two_tables.sql was chosen as a deadlock victim; rolled back, trying again \(1\/20\)/)
  const cols = await pool.query(`select table_name from information_schema.columns where column_name = 'a' order by 1`)
  t.same(cols.rows.map((r) => r.table_name), ['first_t', 'second_t'])
})
