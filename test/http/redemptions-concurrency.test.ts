import pg from 'pg'
import t from 'tap'
import { buildApp } from '../../src/app.ts'
import { connectDatabase } from '../../src/db/database.ts'
import { readMigrations } from '../../src/db/migrate.ts'
import pino from 'pino'
import { startWorker } from '../../src/modules/jobs/worker.ts'
import { listTasks, runListJobsOnce } from '../../src/modules/lists/list-tasks.ts'
import { checkoutFixture, item } from '../helpers/checkout-fixtures.ts'

// A regeneration request is a row of the lanes' table until a mover makes it a queued job.
const regenRequests = (pool: pg.Pool, customerId: string) =>
  pool
    .query(
      `select customer_id from list_regen_request where customer_id = $1
       union all select null from graphile_worker._private_jobs j where j.key = $2`,
      [Number(customerId), `regen:${customerId}`],
    )
    .then((r) => r.rows.length)

t.test('two lanes redeem the same list at once: the single-use offer is granted exactly once', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ description: '$1 off milk' })
  for (let round = 0; round < 5; round++) {
    const c = await f.customerWithList([offer])
    const [a, b] = await Promise.all([
      f.redeem(f.body(c.barcode, [item('milk')], { laneId: '01' })),
      f.redeem(f.body(c.cardNumber, [item('milk')], { laneId: '02' })),
    ])
    t.equal(a?.statusCode, 201, a?.body)
    t.equal(b?.statusCode, 201, b?.body)
    const granted = [a, b].filter((r) => (r?.json().totalDiscountCents ?? 0) > 0).length
    t.equal(granted, 1, `round ${round}: exactly one lane got the discount`)
    const usage = await f.database.db.selectFrom('offer_usage').select('redemptions').where('customer_id', '=', Number(c.id)).executeTakeFirstOrThrow()
    t.equal(usage.redemptions, 1)
  }
  const o = await f.call(f.officeKey, { method: 'GET', url: `/v1/offers/${offer}` })
  t.equal(o.json().budget.usedRedemptions, 5, 'one redemption counted per customer')
})

t.test('budget exhaustion under 20 concurrent redemptions: never exceeded', async (t) => {
  const f = await checkoutFixture(t)
  const byCount = await f.createOffer({ description: 'first five', budget: { maxRedemptions: 5 } })
  const byCents = await f.createOffer({
    description: '$1 off rice, $4.50 budget',
    scope: { gtins: [item('rice').gtin] },
    budget: { maxDiscountCents: 450 },
  })
  const customers = []
  for (let i = 0; i < 20; i++) customers.push(await f.customerWithList([byCount, byCents]))
  const results = await Promise.all(customers.map((c) => f.redeem(f.body(c.cardNumber, [item('milk'), item('rice')]))))
  for (const r of results) t.equal(r.statusCode, 201, r.body)
  const grants = (offerId: string) =>
    results.flatMap((r) => r.json().discounts as { offerId: string; amountCents: number }[]).filter((d) => d.offerId === offerId)
  t.equal(grants(byCount).length, 5, 'exactly maxRedemptions customers got the count-limited offer')
  const cents = grants(byCents).reduce((s, d) => s + d.amountCents, 0)
  t.equal(cents, 450, 'the cents budget is used to the cent and never beyond')
  t.ok(grants(byCents).every((d) => d.amountCents <= 100))
  const rows = await f.database.db.selectFrom('offer').select(['id', 'budget_used_redemptions', 'budget_used_discount_cents']).orderBy('id').execute()
  t.same(rows.map((r) => [r.budget_used_redemptions, r.budget_used_discount_cents]), [
    [5, 500],
    [grants(byCents).length, 450],
  ])
  const recorded = await f.database.db.selectFrom('redemption_discount').select((eb) => eb.fn.sum<number>('amount_cents').as('sum')).where('offer_id', '=', Number(byCents)).executeTakeFirstOrThrow()
  t.equal(Number(recorded.sum), 450)
})

t.test('a double submit from a lane: one 201, one 200 with the same body, one sale', async (t) => {
  const f = await checkoutFixture(t)
  const c = await f.customerWithList([await f.createOffer()])
  for (let round = 0; round < 3; round++) {
    const body = f.body(c.cardNumber, [item('milk', 2), item('cheese')])
    const results = await Promise.all([f.redeem(body), f.redeem(body), f.redeem(body)])
    t.same(results.map((r) => r.statusCode).sort(), [200, 200, 201], results.map((r) => r.body).join('\n'))
    t.same(results[1]?.json(), results[0]?.json())
    t.same(results[2]?.json(), results[0]?.json())
  }
  t.match(await f.counts(), { sales: 3, redemptions: 3, lines: 6 })
})

t.test('the same transaction id with different bodies at once: one 201, one 409', async (t) => {
  const f = await checkoutFixture(t)
  const a = await f.customerWithList([await f.createOffer()])
  const b = await f.createCustomer()
  const body = f.body(a.cardNumber, [item('milk')])
  const results = await Promise.all([f.redeem(body), f.redeem({ ...body, scannedCode: b.cardNumber })])
  t.same(results.map((r) => r.statusCode).sort(), [201, 409])
  t.match(await f.counts(), { sales: 1, redemptions: 1 })
})

t.test('the database going away mid-request: 503, nothing half-written, the retry succeeds', async (t) => {
  const f = await checkoutFixture(t)
  // A budget: its counter row is what the write locks, so holding it stops the write there.
  const offer = await f.createOffer({ budget: { maxRedemptions: 100 } })
  const c = await f.customerWithList([offer])
  const admin = new pg.Client({ connectionString: f.database.url })
  await admin.connect()
  t.teardown(() => admin.end())

  // Hold the offer row so the redemption's write stops at its budget update, part-way through
  // the statement that writes the sale, lines, discounts, usage and job; then kill its
  // connection. (NO KEY UPDATE: the foreign keys' KEY SHARE locks pass, the update waits.)
  await admin.query('begin')
  await admin.query('select id from offer where id = $1 for no key update', [Number(offer)])
  const body = f.body(c.cardNumber, [item('milk'), item('rice')])
  const pending = f.redeem(body)
  let pid: number | undefined
  for (let i = 0; i < 200 && pid === undefined; i++) {
    // Activity is snapshotted once per transaction: clear it to see the request arrive.
    await admin.query('select pg_stat_clear_snapshot()')
    const r = await admin.query(
      `select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
          and wait_event_type = 'Lock' and query ilike '%insert into redemption %'`,
    )
    pid = r.rows[0]?.pid
    if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 25))
  }
  t.ok(pid, 'the redemption is waiting in the middle of its write')
  if (pid === undefined) await admin.query('rollback')
  else await admin.query('select pg_terminate_backend($1)', [pid])
  const res = await pending
  t.equal(res.statusCode, 503, res.body)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json().type, /database-unavailable$/)
  t.ok(res.headers['retry-after'])
  if (pid !== undefined) await admin.query('rollback')
  t.match(await f.counts(), { sales: 0, lines: 0, redemptions: 0, discounts: 0, usage: 0, jobs: 0 }, 'nothing half-written')

  const retry = await f.redeem(body)
  t.equal(retry.statusCode, 201, retry.body)
  t.equal(retry.json().totalDiscountCents, 100)
  t.match(await f.counts(), { sales: 1, lines: 2, redemptions: 1, discounts: 1, usage: 1, jobs: 1 })
})

t.test('a regeneration request survives a restart', async (t) => {
  const f = await checkoutFixture(t)
  const c = await f.customerWithList([await f.createOffer()])
  const res = await f.redeem(f.body(c.cardNumber, [item('milk')]))
  t.equal(res.statusCode, 201)
  await f.app.close()
  await f.database.close()

  // A new process: a new pool and app on the same database find the request still queued.
  const database = connectDatabase(f.database.url, { max: 2 })
  const app = await buildApp({ config: f.config, database, migrationVersions: (await readMigrations()).map((m) => m.version) })
  t.teardown(async () => {
    await app.close()
    await database.close()
  })
  await app.ready()
  t.equal(await regenRequests(database.pool, c.id), 1, 'the request committed with the sale is still there')
  const ready = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(ready.statusCode, 200)
  // The new process's worker moves the request into the queue and regenerates the list.
  await runListJobsOnce(database.pool, database.db)
  t.equal(await regenRequests(database.pool, c.id), 0, 'request taken')
  const lists = await database.db.selectFrom('list').select(['status', 'trigger']).where('customer_id', '=', Number(c.id)).orderBy('id').execute()
  t.match(lists.at(-1), { status: 'current', trigger: 'redemption' }, 'the promised list was written after the restart')
})

t.test('a rolled-back redemption leaves no regeneration request', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ budget: { maxRedemptions: 1 } })
  const c = await f.customerWithList([offer])
  // A trigger refusing sale lines fails the write after the job was enqueued in the same
  // statement and the budget reserved in the same transaction.
  await f.database.pool.query(`create function fail_sale() returns trigger language plpgsql as $$ begin raise exception 'boom'; end $$`)
  await f.database.pool.query('create trigger fail_sale before insert on sale_line for each row execute function fail_sale()')
  const res = await f.redeem(f.body(c.cardNumber, [item('milk')]))
  t.equal(res.statusCode, 500)
  t.equal(await regenRequests(f.database.pool, c.id), 0, 'no job without the sale')
  t.match(await f.counts(), { sales: 0, redemptions: 0, usage: 0, jobs: 0 })
  const o = await f.database.db.selectFrom('offer').select('budget_used_redemptions').where('id', '=', Number(offer)).executeTakeFirstOrThrow()
  t.equal(o.budget_used_redemptions, 0)
})

t.test('the next list exists within a second of the response (worker running, light load)', async (t) => {
  const f = await checkoutFixture(t)
  const worker = await startWorker({ pool: f.database.pool, db: f.database.db, log: pino({ level: 'silent' }), tasks: listTasks(f.database.db) })
  t.teardown(() => worker.stop())
  const c = await f.customerWithList([await f.createOffer()])
  const waits: number[] = []
  for (let n = 1; n <= 5; n++) {
    const res = await f.redeem(f.body(c.cardNumber, [item('milk'), item('rice')], { posTransactionId: `NEXT-${n}` }))
    t.equal(res.statusCode, 201, res.body)
    const answered = performance.now()
    const recorded = new Date()
    for (;;) {
      const list = await f.database.db
        .selectFrom('list')
        .select('id')
        .where('customer_id', '=', Number(c.id))
        .where('status', '=', 'current')
        .where('trigger', '=', 'redemption')
        .where('created_at', '>=', recorded)
        .executeTakeFirst()
      if (list) break
      if (performance.now() - answered > 10_000) throw new Error(`no new list 10 s after sale ${n}`)
      await new Promise((r) => setTimeout(r, 10))
    }
    waits.push(performance.now() - answered)
  }
  const sorted = [...waits].sort((a, b) => a - b)
  t.comment(`response to current list, ms: ${waits.map((w) => w.toFixed(0)).join(', ')}`)
  // The median, so one sale slowed by a busy CI machine does not decide it.
  t.ok(sorted[2]! < 1_000, `median ${sorted[2]!.toFixed(0)} ms under a second`)
})
