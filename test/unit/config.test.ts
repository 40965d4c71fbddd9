import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.ts'

t.test('defaults make a working embedded installation', async (t) => {
  const c = loadConfig({})
  t.match(c, { PORT: 3000, HOST: '127.0.0.1', LANELIST_DATA_DIR: './.lanelist', LANELIST_DEMO: true })
  t.equal(c.DATABASE_URL, undefined)
  t.ok(Object.isFrozen(c))
})

t.test('values are parsed and empty strings mean unset', async (t) => {
  const c = loadConfig({ PORT: '8080', LANELIST_DEMO: '0', DATABASE_URL: '', LANELIST_WORKER: 'false' })
  t.equal(c.PORT, 8080)
  t.equal(c.LANELIST_DEMO, false)
  t.equal(c.LANELIST_WORKER, false)
  t.equal(c.DATABASE_URL, undefined)
})

t.test('every bad variable is named, all at once', async (t) => {
  try {
    loadConfig({ PORT: 'eighty', DATABASE_URL: 'mysql://x', LANELIST_ADMIN_KEY: 'short', LANELIST_DEMO: 'maybe' })
    t.fail('should throw')
  } catch (err) {
    t.ok(err instanceof ConfigError)
    const issues = (err as ConfigError).issues.join('\n')
    for (const name of ['PORT', 'DATABASE_URL', 'LANELIST_ADMIN_KEY', 'LANELIST_DEMO']) t.match(issues, name)
    t.match((err as Error).message, /invalid configuration/)
  }
})

t.test('a direct database URL (behind a transaction pooler) needs DATABASE_URL and a postgres URL', async (t) => {
  const c = loadConfig({ DATABASE_URL: 'postgres://a@pooler:6432/l', LANELIST_DIRECT_DATABASE_URL: 'postgres://a@db:5432/l', LANELIST_DB_PREPARED_STATEMENTS: '0' })
  t.equal(c.LANELIST_DIRECT_DATABASE_URL, 'postgres://a@db:5432/l')
  t.equal(c.LANELIST_DB_PREPARED_STATEMENTS, false)
  t.equal(loadConfig({}).LANELIST_DB_PREPARED_STATEMENTS, true, 'prepared statements on by default')
  t.throws(() => loadConfig({ LANELIST_DIRECT_DATABASE_URL: 'postgres://a@db:5432/l' }), /LANELIST_DIRECT_DATABASE_URL: only meaningful with DATABASE_URL/)
  t.throws(() => loadConfig({ DATABASE_URL: 'postgres://a@p/l', LANELIST_DIRECT_DATABASE_URL: 'mysql://x' }), /LANELIST_DIRECT_DATABASE_URL/)
})
