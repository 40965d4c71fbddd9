// inRegenerationTransaction (list-writer.repository.ts) opens a regeneration's transaction
// without Kysely's transaction(): BEGIN and the customer's lock go out as one query. It must
// behave as a transaction does: what it wrote is visible only once it returns, nothing survives a
// throw, the lock is held until the end and released after, and the pooled connection goes back
// outside any transaction either way.
import t from 'tap'
import pg from 'pg'
import { sql } from 'kysely'
import { CUSTOMER_WRITE_LOCK } from '../../src/db/customer-lock.ts'
import { inRegenerationTransaction } from '../../src/modules/lists/list-writer.repository.ts'
import { testDatabase } from '../helpers/database.ts'

/**
 * One pooled connection (the statements after a transaction run on the connection it used), a
 * probe table, and a second session to look from outside.
 */
async function probeDatabase(t: Parameters<typeof testDatabase>[0]) {
  const handle = await testDatabase(t, { migrated: false, max: 1 })
  await sql`create table probe (id int)`.execute(handle.db)
  const other = new pg.Client({ connectionString: handle.url })
  await other.connect()
  t.teardown(() => other.end())
  return { ...handle, other }
}

t.test('commits what it wrote, holds the lock with the settings for the transaction only', async (t) => {
  const { db, other } = await probeDatabase(t)
  // The test server itself runs with synchronous_commit off: compare with what the session had.
  const before = (await sql<{ sync: string }>`select current_setting('synchronous_commit') as sync`.execute(db)).rows[0]!.sync
  const customerId = 2 ** 31 + 5 // past int4: the lock key is taken modulo 2^31 - 1, as lockCustomers does
  const inside = await inRegenerationTransaction(db, customerId, { lazyCommit: true }, async (trx) => {
    await sql`insert into probe values (1)`.execute(trx)
    const seen = await other.query('select count(*)::int as n from probe')
    const lock = await other.query(`select count(*)::int as n from pg_locks where locktype = 'advisory' and classid = $1 and objid = $2 and granted`, [CUSTOMER_WRITE_LOCK, (customerId % 2147483647) >>> 0])
    const settings = (await sql<{ plan: string; sync: string }>`select current_setting('plan_cache_mode') as plan, current_setting('synchronous_commit') as sync`.execute(trx)).rows[0]!
    return { seenOutside: seen.rows[0].n, locked: lock.rows[0].n, ...settings }
  })
  t.same(inside, { seenOutside: 0, locked: 1, plan: 'force_generic_plan', sync: 'off' }, 'uncommitted and locked inside, with its settings')
  t.equal((await other.query('select count(*)::int as n from probe')).rows[0].n, 1, 'committed when it returned')
  t.equal((await other.query(`select count(*)::int as n from pg_locks where locktype = 'advisory' and granted`)).rows[0].n, 0, 'the lock is released')
  const after = (await sql<{ plan: string; sync: string; xact: string | null }>`select current_setting('plan_cache_mode') as plan, current_setting('synchronous_commit') as sync, pg_current_xact_id_if_assigned()::text as xact`.execute(db)).rows[0]!
  t.same(after, { plan: 'auto', sync: before, xact: null }, 'the connection is back outside a transaction, its settings as before')

  const durable = await inRegenerationTransaction(db, 7, { lazyCommit: false }, async (trx) => (await sql<{ sync: string }>`select current_setting('synchronous_commit') as sync`.execute(trx)).rows[0]!.sync)
  t.equal(durable, 'on', 'a manual regeneration commits durably')
})

t.test('a throw rolls back and leaves the connection usable outside a transaction', async (t) => {
  const { db, other } = await probeDatabase(t)
  await t.rejects(
    inRegenerationTransaction(db, 11, { lazyCommit: true }, async (trx) => {
      await sql`insert into probe values (1)`.execute(trx)
      throw new Error('boom')
    }),
    { message: 'boom' },
  )
  // A statement error leaves the transaction aborted: the rollback must still end it.
  await t.rejects(
    inRegenerationTransaction(db, 11, { lazyCommit: true }, async (trx) => {
      await sql`insert into probe values (2)`.execute(trx)
      await sql`select 1 / 0`.execute(trx)
    }),
    { code: '22012' },
  )
  t.equal((await other.query('select count(*)::int as n from probe')).rows[0].n, 0, 'nothing written survives')
  t.equal((await other.query(`select count(*)::int as n from pg_locks where locktype = 'advisory' and granted`)).rows[0].n, 0, 'no lock is left')
  await sql`insert into probe values (3)`.execute(db)
  t.equal((await other.query('select count(*)::int as n from probe')).rows[0].n, 1, 'the next statement on the connection commits on its own')
  t.equal((await sql<{ plan: string }>`select current_setting('plan_cache_mode') as plan`.execute(db)).rows[0]!.plan, 'auto', 'the settings did not outlive the transaction')
})

// fn's first statement is issued while BEGIN and the lock are still on their way (it queues
// behind them on the connection): if they fail, that failure is what the caller hears, and what
// fn sent ran in no transaction of its own.
t.test('a lock that cannot be had is the error reported, and nothing fn sent is kept', async (t) => {
  const { db, other } = await probeDatabase(t)
  await other.query('select pg_advisory_lock($1, $2)', [CUSTOMER_WRITE_LOCK, 11])
  await sql`set statement_timeout = '200ms'`.execute(db)
  let reached = false
  await t.rejects(
    inRegenerationTransaction(db, 11, { lazyCommit: true }, async (trx) => {
      reached = true
      await sql`insert into probe values (1)`.execute(trx)
    }),
    { code: '57014' },
    'the lock wait was cancelled: that error, not the aborted transaction after it',
  )
  t.ok(reached, 'fn had started')
  await sql`reset statement_timeout`.execute(db)
  t.equal((await other.query('select count(*)::int as n from probe')).rows[0].n, 0, 'its insert is nowhere')
  t.equal((await sql<{ xact: string | null }>`select pg_current_xact_id_if_assigned()::text as xact`.execute(db)).rows[0]!.xact, null, 'the connection is back outside a transaction')
  await other.query('select pg_advisory_unlock($1, $2)', [CUSTOMER_WRITE_LOCK, 11])
  t.equal(await inRegenerationTransaction(db, 11, { lazyCommit: true }, async () => 'done'), 'done', 'the next one gets the lock')
})
