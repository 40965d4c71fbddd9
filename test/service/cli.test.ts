import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import t from 'tap'
import { createTestDatabase, testDatabase } from '../helpers/database.ts'
import { ROOT } from '../helpers/test-server.ts'

const run = promisify(execFile)

function cli(script: string, args: string[], env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', LANELIST_LOG_LEVEL: 'warn', ...env },
  }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  )
}

t.test('npm run migrate applies everything to an empty DATABASE_URL, then nothing', async (t) => {
  const { url } = await createTestDatabase(t, { migrated: false })
  const first = await cli('scripts/migrate.ts', [], { DATABASE_URL: url, LANELIST_LOG_LEVEL: 'info' })
  t.equal(first.code, 0, first.stderr)
  t.match(first.stdout, /applied migration 0001_initial.sql/)
  const second = await cli('scripts/migrate.ts', [], { DATABASE_URL: url, LANELIST_LOG_LEVEL: 'info' })
  t.match(second.stdout, /database is up to date/)
})

t.test('npm run key creates a store-bound pos key, lists and revokes it', async (t) => {
  const database = await testDatabase(t)
  await database.db.insertInto('store').values({ id: 'S01', name: 'Main St', timezone: 'America/Chicago' }).execute()
  const env = { DATABASE_URL: database.url }
  const created = await cli('scripts/key.ts', ['create', '--role', 'pos', '--store', 'S01'], env)
  t.equal(created.code, 0, created.stderr)
  t.match(created.stdout, /created key (\d+) \(pos, store S01\)/)
  const key = /key \(shown once, store it now\): (ll_\S+)/.exec(created.stdout)?.[1]
  t.ok(key)
  const id = /created key (\d+)/.exec(created.stdout)![1]!

  const listed = await cli('scripts/key.ts', ['list'], env)
  t.match(listed.stdout, new RegExp(`^${id}\\tpos\\tS01\\t`, 'm'))
  t.notMatch(listed.stdout, key!, 'listing never shows the key')

  const revoked = await cli('scripts/key.ts', ['revoke', id], env)
  t.equal(revoked.code, 0)
  const row = await database.db.selectFrom('api_key').select('revoked_at').where('id', '=', Number(id)).executeTakeFirstOrThrow()
  t.ok(row.revoked_at)
  const audit = await database.db.selectFrom('audit_log').select(['action', 'actor']).execute()
  t.match(audit, [{ action: 'api_key.create', actor: /^cli:/ }, { action: 'api_key.revoke' }])
})

t.test('npm run key refuses bad input with a clear message', async (t) => {
  const database = await testDatabase(t)
  const env = { DATABASE_URL: database.url }
  const noStore = await cli('scripts/key.ts', ['create', '--role', 'pos'], env)
  t.equal(noStore.code, 1)
  t.match(noStore.stderr, /storeId: a pos key must be bound to a store/)
  const badRole = await cli('scripts/key.ts', ['create', '--role', 'cashier'], env)
  t.match(badRole.stderr, /usage: npm run key/)
})
