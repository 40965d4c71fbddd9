// connectDatabase (src/db/database.ts): a connection whose server process was terminated must
// never go back to the pool. PostgreSQL sends FATAL before it closes the socket, and pg marks a
// client unusable only when the socket closes, so a client released in between was handed to
// the next request: the lane's retry after an outage answered 503 as well.
import t from 'tap'
import pg from 'pg'
import { sql } from 'kysely'
import { testDatabase } from '../helpers/database.ts'

t.test('a query on a terminated connection fails, and the next query gets a live connection', async (t) => {
  // One connection: without the fix the next query would be handed the dead one.
  const { db, pool, url } = await testDatabase(t, { migrated: false, max: 1 })
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  t.teardown(() => admin.end())

  for (let round = 0; round < 3; round++) {
    const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)
    const pid = rows[0]!.pid
    // Settled at once: the FATAL may arrive before the admin's answer, and an unobserved rejection fails the file.
    const waiting = sql`select pg_sleep(30)`.execute(db).then(() => undefined, (err: unknown) => err)
    // Wait until the sleep is running, so the FATAL arrives for an active query.
    for (let i = 0; i < 200; i++) {
      await admin.query('select pg_stat_clear_snapshot()')
      const r = await admin.query(`select 1 from pg_stat_activity where pid = $1 and query like 'select pg_sleep%'`, [pid])
      if (r.rowCount) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    await admin.query('select pg_terminate_backend($1)', [pid])
    t.match(await waiting, { code: '57P01' }, `round ${round}: the running query fails with the server's reason`)
    const next = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)
    t.not(next.rows[0]!.pid, pid, `round ${round}: the next query runs on a new connection`)
  }
  t.equal(pool.totalCount, 1, 'the dead connections left the pool')
})

t.test('a connection terminated while idle in the pool is replaced too', async (t) => {
  const { db, url } = await testDatabase(t, { migrated: false, max: 1 })
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)
  const admin = new pg.Client({ connectionString: url })
  await admin.connect()
  t.teardown(() => admin.end())
  await admin.query('select pg_terminate_backend($1)', [rows[0]!.pid])
  await new Promise((resolve) => setTimeout(resolve, 100))
  const next = await sql<{ ok: number }>`select 1 as ok`.execute(db)
  t.equal(next.rows[0]!.ok, 1)
})
