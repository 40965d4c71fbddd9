// Group commit of lane writes (src/modules/redemptions/redemption-coalescer.ts): concurrent
// first attempts share one statement; a failing batch re-runs its members alone. Each test
// holds a budgeted offer's row so the first write stops there, lets the others gather behind
// it, then lets go: what gathered goes as one statement. Sales written by one statement share
// their transaction id (xmin), which is how the tests see who was batched with whom.
import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { createRequire } from 'node:module'
import pg from 'pg'
import t from 'tap'
import { configureWriteBatching, writeBatching, writeBatchStats } from '../../src/modules/redemptions/redemption-coalescer.ts'
import { checkoutFixture, item, type CheckoutFixture } from '../helpers/checkout-fixtures.ts'

const saved = writeBatching()
// One statement in flight: the writes arriving behind it gather into the next. The tests hold
// a statement on a lock for as long as they need, so it never counts as stalled here (but see
// the last test).
configureWriteBatching({ inFlight: 1, maxSales: 16, stallMs: 60_000 })
t.teardown(() => configureWriteBatching(saved))

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** An admin connection holding the offer's row, as a lane's budget update would. */
async function holdOffer(t: Tap, f: CheckoutFixture, offerId: string) {
  const admin = new pg.Client({ connectionString: f.database.url })
  await admin.connect()
  t.teardown(() => admin.end())
  await admin.query('begin')
  await admin.query('select id from offer where id = $1 for no key update', [Number(offerId)])
  const waitingOnLock = async (text: string) => {
    await admin.query('select pg_stat_clear_snapshot()')
    const r = await admin.query(
      `select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
          and wait_event_type = 'Lock' and query ilike $1`,
      [`%${text}%`],
    )
    return r.rows.map((x) => x.pid as number)
  }
  return { admin, waitingOnLock, release: () => admin.query('rollback') }
}
type Tap = Parameters<typeof checkoutFixture>[0]

/** Which sales went in one statement: customer ids grouped by the writing transaction. */
async function statements(f: CheckoutFixture): Promise<number[][]> {
  const { rows } = await f.database.pool.query(
    `select array_agg(customer_id::int order by customer_id) as customers from sale group by xmin::text order by min(id)`,
  )
  return rows.map((r) => r.customers as number[])
}

t.test('concurrent redemptions of different customers land in one statement, each answered as alone', async (t) => {
  const f = await checkoutFixture(t)
  const budgeted = await f.createOffer({ description: '$1 off milk', budget: { maxRedemptions: 100, maxDiscountCents: 10_000 } })
  const rice = await f.createOffer({ description: '$1 off rice', scope: { gtins: [item('rice').gtin] } })
  const customers = []
  for (let i = 0; i < 6; i++) customers.push(await f.customerWithList([budgeted, rice]))
  const hold = await holdOffer(t, f, budgeted)
  const before = { ...writeBatchStats }
  // A tracer sees each statement (bench/trace-preload.ts subscribes the same way).
  const traced: { started: number; ms: number; sales: number }[] = []
  const onStatement = (m: unknown) => void traced.push(m as (typeof traced)[0])
  subscribe('lanelist:redemption-write-statement', onStatement)
  t.teardown(() => void unsubscribe('lanelist:redemption-write-statement', onStatement))

  const bodies = customers.map((c, i) => f.body(i % 2 ? c.cardNumber : c.barcode, [item('milk', 2), item('rice'), item('soup')]))
  const first = f.redeem(bodies[0]!)
  await until('the first write to wait on the offer', async () => (await hold.waitingOnLock('insert into redemption')).length === 1)
  const rest = bodies.slice(1).map((b) => f.redeem(b))
  await until('the other five to gather', () => writeBatchStats.waiting === 5)
  await hold.release()
  const results = [await first, ...(await Promise.all(rest))]

  for (const r of results) t.equal(r.statusCode, 201, r.body)
  for (const r of results) t.match(r.json(), { totalDiscountCents: 300, discounts: [{ offerId: budgeted, amountCents: 200 }, { offerId: rice, amountCents: 100 }] })
  t.equal(writeBatchStats.batches - before.batches, 1, 'one multi-sale statement')
  t.equal(writeBatchStats.batchedSales - before.batchedSales, 5, 'with the five that gathered')
  t.equal(writeBatchStats.fallbacks - before.fallbacks, 0)
  const ids = customers.map((c) => Number(c.id))
  t.same(await statements(f), [[ids[0]], ids.slice(1)], 'the first alone, the other five together')
  t.same(traced.map((x) => x.sales), [1, 5], 'the tracer saw both statements with their sales')
  t.ok(traced[1]!.started >= traced[0]!.started + traced[0]!.ms - 1, 'the batch started once the held statement ended')

  // Everything a single write keeps, for each member.
  t.match(await f.counts(), { sales: 6, lines: 18, redemptions: 6, discounts: 12, usage: 12, jobs: 6 })
  const offer = await f.call(f.officeKey, { method: 'GET', url: `/v1/offers/${budgeted}` })
  t.match(offer.json().budget, { usedRedemptions: 6, usedDiscountCents: 1200 }, 'the batch counted each sale on the budget')
  const events = await f.database.pool.query(`select payload->>'redemptionId' as id from event_outbox where type = 'redemption.recorded'`)
  t.same(events.rows.map((r) => r.id).sort(), results.map((r) => r.json().redemptionId).sort(), 'one event per sale, naming it')
  const vouchers = await f.database.pool.query(`select count(distinct sale_id)::int as n from voucher_entry where kind = 'accrual'`)
  t.equal(vouchers.rows[0].n, 6)
  // The stored response is the one given: a replay answers it.
  for (const [i, r] of results.entries()) {
    const replay = await f.redeem(bodies[i]!)
    t.equal(replay.statusCode, 200)
    t.same(replay.json(), r.json())
  }
  const lines = await f.database.pool.query(
    `select s.customer_id::int as c, array_agg(l.line_no order by l.line_no) as n, sum(l.discount_cents)::int as d
       from sale s join sale_line l on l.sale_id = s.id group by 1 order by 1`,
  )
  t.same(lines.rows, ids.map((c) => ({ c, n: [1, 2, 3], d: 300 })), 'every sale has its own lines, numbered from 1')
  // Operators see the grouping on /metrics.
  const metrics = (await f.app.inject({ method: 'GET', url: '/metrics' })).body
  t.match(metrics, new RegExp(`lanelist_redemption_write_statements_total\\{kind="batch"\\} ${writeBatchStats.batches}\\b`))
  t.match(metrics, new RegExp(`lanelist_redemption_batched_sales_total ${writeBatchStats.batchedSales}\\b`))
  t.match(metrics, /lanelist_redemption_write_stalls_total \d+/)
  // ... and where each sale's time went: twelve reads (the six sales and their replays), six writes,
  // the five behind the held first waited.
  const part = (name: string, what: 'count' | 'sum') =>
    Number(new RegExp(`lanelist_redemption_part_seconds_${what}\\{part="${name}"\\} ([0-9.e-]+)`).exec(metrics)?.[1])
  t.equal(part('read', 'count'), 12)
  t.equal(part('write_wait', 'count'), 6)
  t.equal(part('write_statement', 'count'), 6)
  t.ok(part('write_wait', 'sum') > 0 && part('write_statement', 'sum') > 0, 'waits and statements took time')
})

t.test('a batch with a member whose budget ran out: the others are recorded, that one is answered as alone', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ description: 'first four', budget: { maxRedemptions: 4 } })
  const customers = []
  for (let i = 0; i < 5; i++) customers.push(await f.customerWithList([offer]))
  const hold = await holdOffer(t, f, offer)
  const before = { ...writeBatchStats }

  const first = f.redeem(f.body(customers[0]!.cardNumber, [item('milk')]))
  await until('the first write to wait on the offer', async () => (await hold.waitingOnLock('insert into redemption')).length === 1)
  const rest = customers.slice(1).map((c) => f.redeem(f.body(c.cardNumber, [item('milk')])))
  await until('the other four to gather', () => writeBatchStats.waiting === 4)
  await hold.release()
  const results = [await first, ...(await Promise.all(rest))]

  for (const r of results) t.equal(r.statusCode, 201, r.body)
  t.equal(writeBatchStats.fallbacks - before.fallbacks, 1, 'the batch of four needed one redemption more than was left')
  const granted = results.filter((r) => r.json().totalDiscountCents === 100)
  const refused = results.filter((r) => r.json().totalDiscountCents === 0)
  t.equal(granted.length, 4, 'four customers got the offer')
  t.equal(refused.length, 1, 'the one past the budget did not')
  t.same(refused[0]?.json().discounts, [])
  t.match(await f.counts(), { sales: 5, redemptions: 5, discounts: 4, usage: 4, jobs: 5 }, 'all five recorded, nothing twice')
  const row = await f.database.db.selectFrom('offer').select(['budget_used_redemptions', 'budget_used_discount_cents']).where('id', '=', Number(offer)).executeTakeFirstOrThrow()
  t.same(row, { budget_used_redemptions: 4, budget_used_discount_cents: 400 }, 'never exceeded')
  t.ok((await statements(f)).every((s) => s.length === 1), 'after the failed batch every member was written alone')
})

t.test('two sales of one customer are never in one batch', async (t) => {
  const f = await checkoutFixture(t)
  const hot = await f.createOffer({ description: 'held', scope: { gtins: [item('soup').gtin] }, budget: { maxRedemptions: 100 } })
  const single = await f.createOffer({ description: '$1 off milk, once' })
  const x = await f.customerWithList([hot, single])
  const others = [await f.customerWithList([hot, single]), await f.customerWithList([hot, single])]
  const hold = await holdOffer(t, f, hot)

  const first = f.redeem(f.body(others[0]!.cardNumber, [item('soup')]))
  await until('the first write to wait on the offer', async () => (await hold.waitingOnLock('insert into redemption')).length === 1)
  // Three sales of x (two lanes scanning card and list, one a second basket), one of another customer.
  const pending = [
    f.redeem(f.body(x.cardNumber, [item('milk')], { laneId: '01' })),
    f.redeem(f.body(x.barcode, [item('milk')], { laneId: '02' })),
    f.redeem(f.body(x.cardNumber, [item('milk'), item('rice')], { laneId: '03' })),
    f.redeem(f.body(others[1]!.cardNumber, [item('milk')])),
  ]
  await until('the four to gather', () => writeBatchStats.waiting === 4)
  await hold.release()
  const results = [await first, ...(await Promise.all(pending))]
  for (const r of results) t.equal(r.statusCode, 201, r.body)

  const groups = await statements(f)
  t.ok(groups.some((g) => g.length > 1), `some sales shared a statement: ${JSON.stringify(groups)}`)
  for (const g of groups) t.equal(new Set(g).size, g.length, `no customer twice in one statement: ${JSON.stringify(g)}`)
  const xSales = results.slice(1, 4)
  t.equal(xSales.filter((r) => r.json().totalDiscountCents > 0).length, 1, 'the single-use offer was granted to x once')
  const usage = await f.database.db.selectFrom('offer_usage').select('redemptions').where('customer_id', '=', Number(x.id)).where('offer_id', '=', Number(single)).executeTakeFirstOrThrow()
  t.equal(usage.redemptions, 1)
})

t.test('the database going away mid-batch: each member gets 503, nothing half-written, the retries succeed', async (t) => {
  const f = await checkoutFixture(t)
  // The first write stops on one offer's row, the batch behind it on another's.
  const a = await f.createOffer({ description: 'first', scope: { gtins: [item('soup').gtin] }, budget: { maxRedemptions: 100 } })
  const b = await f.createOffer({ budget: { maxRedemptions: 100 } })
  const customers = []
  for (let i = 0; i < 4; i++) customers.push(await f.customerWithList([a, b]))
  const holdA = await holdOffer(t, f, a)
  const holdB = await holdOffer(t, f, b)
  const before = { ...writeBatchStats }
  const bodies = [f.body(customers[0]!.cardNumber, [item('soup')]), ...customers.slice(1).map((c) => f.body(c.cardNumber, [item('milk'), item('rice')]))]

  const first = f.redeem(bodies[0]!)
  await until('the first write to wait on its offer', async () => (await holdA.waitingOnLock('insert into redemption')).length === 1)
  const rest = bodies.slice(1).map((body) => f.redeem(body))
  await until('the other three to gather', () => writeBatchStats.waiting === 3)
  await holdA.release()
  t.equal((await first).statusCode, 201)
  let batchPid: number[] = []
  await until('the batch to wait on its offer', async () => (batchPid = await holdB.waitingOnLock('ids as materialized')).length === 1)
  // Now the server "goes away" for this service: every statement it sends dies, the batch
  // first, then each member's own attempt.
  let answered = false
  const all = Promise.all(rest).finally(() => {
    answered = true
  })
  await holdB.admin.query('select pg_terminate_backend($1)', [batchPid[0]])
  while (!answered) {
    for (const pid of await holdB.waitingOnLock('insert into redemption')) await holdB.admin.query('select pg_terminate_backend($1)', [pid])
    await new Promise((r) => setTimeout(r, 10))
  }
  const results = await all
  for (const r of results) {
    t.equal(r.statusCode, 503, r.body)
    t.match(r.json().type, /database-unavailable$/)
  }
  t.equal(writeBatchStats.fallbacks - before.fallbacks, 1, 'the batch failed and its members ran alone')
  await holdB.release()
  t.match(await f.counts(), { sales: 1, lines: 1, redemptions: 1, discounts: 1, usage: 1, jobs: 1 }, 'only the first sale; nothing of the batch half-written')
  const usedB = async () =>
    (await f.database.db.selectFrom('offer').select('budget_used_redemptions').where('id', '=', Number(b)).executeTakeFirstOrThrow()).budget_used_redemptions
  t.equal(await usedB(), 0)

  const retries = await Promise.all(bodies.slice(1).map((body) => f.redeem(body)))
  for (const r of retries) t.equal(r.statusCode, 201, r.body)
  t.match(await f.counts(), { sales: 4, lines: 7, redemptions: 4, discounts: 4, usage: 4, jobs: 4 })
  t.equal(await usedB(), 3)
})

t.test('offline sales and rain checks in a batch: each earns and spends its own', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ description: '$1 off milk', budget: { maxRedemptions: 100 } })
  const held = await f.createOffer({ description: 'held', scope: { gtins: [item('soup').gtin] }, budget: { maxRedemptions: 100 } })
  const spender = await f.customerWithList([offer, held])
  const earner = await f.customerWithList([offer, held])
  const plain = await f.customerWithList([offer, held])
  const opener = await f.customerWithList([offer, held])
  // The spender earned a rain check earlier, offline.
  const earlier = await f.redeem(f.body(spender.cardNumber, [item('milk', 2)], { offline: true, occurredAt: '2026-11-21T10:00:00-06:00' }))
  t.equal(earlier.statusCode, 201, earlier.body)
  const hold = await holdOffer(t, f, held)
  const before = { ...writeBatchStats }

  const first = f.redeem(f.body(opener.cardNumber, [item('soup')]))
  await until('the first write to wait on the offer', async () => (await hold.waitingOnLock('insert into redemption')).length === 1)
  const pending = [
    f.redeem(f.body(spender.cardNumber, [item('milk', 3)])),
    f.redeem(f.body(earner.barcode, [item('milk', 2), item('rice')], { offline: true, occurredAt: '2026-11-21T11:00:00-06:00' })),
    f.redeem(f.body(plain.cardNumber, [item('milk')])),
  ]
  await until('the three to gather', () => writeBatchStats.waiting === 3)
  await hold.release()
  const [, spent, earned, bought] = [await first, ...(await Promise.all(pending))]
  for (const r of [spent, earned, bought]) t.equal(r?.statusCode, 201, r?.body ?? "")
  t.equal(writeBatchStats.batches - before.batches, 1)
  t.equal(writeBatchStats.fallbacks - before.fallbacks, 0)

  t.same(spent!.json().discounts.map((d: { offerId: string; description: string; amountCents: number }) => [d.offerId, d.description, d.amountCents]), [[offer, 'Rain check: $1 off milk', 200]], 'the rain check paid out (the list offer was used by it)')
  t.same(earned!.json().rainChecks, [{ offerId: offer, description: '$1 off milk', valueCents: 200, expiresOn: '2026-12-19' }])
  t.equal(bought!.json().totalDiscountCents, 100)
  const checks = await f.database.pool.query(`select customer_id::int as c, redemption_id::text as earned_by, redeemed_by::text, value_cents::int as v, expires_on::text from rain_check order by id`)
  t.same(checks.rows, [
    { c: Number(spender.id), earned_by: earlier.json().redemptionId, redeemed_by: spent!.json().redemptionId, v: 200, expires_on: '2026-12-19' },
    { c: Number(earner.id), earned_by: earned!.json().redemptionId, redeemed_by: null, v: 200, expires_on: '2026-12-19' },
  ])
  const sales = await f.database.pool.query(`select customer_id::int as c, source, day::text, total_discount_cents::int as d from sale where customer_id <> $1 order by id`, [Number(opener.id)])
  t.same(sales.rows.slice(1).sort((a, b) => a.c - b.c), [
    { c: Number(spender.id), source: 'lane', day: '2026-11-22', d: 200 },
    { c: Number(earner.id), source: 'offline', day: '2026-11-21', d: 0 },
    { c: Number(plain.id), source: 'lane', day: '2026-11-22', d: 100 },
  ])
  const groups = await statements(f)
  t.ok(groups.some((g) => g.length === 3), `the three went together: ${JSON.stringify(groups)}`)
  const used = await f.database.db.selectFrom('offer').select('budget_used_redemptions').where('id', '=', Number(offer)).executeTakeFirstOrThrow()
  t.equal(used.budget_used_redemptions, 3, "the spender's earlier use, the earner's rain check, the plain sale")
})

t.test('a write stuck on a lock does not hold up the other lanes past the stall window', async (t) => {
  configureWriteBatching({ inFlight: 1, maxSales: 16, stallMs: 100 })
  t.teardown(() => configureWriteBatching({ inFlight: 1, maxSales: 16, stallMs: 60_000 }))
  const f = await checkoutFixture(t)
  const stuck = await f.createOffer({ description: 'held', scope: { gtins: [item('soup').gtin] }, budget: { maxRedemptions: 100 } })
  const free = await f.createOffer({ description: '$1 off milk' })
  const a = await f.customerWithList([stuck, free])
  const others = [await f.customerWithList([stuck, free]), await f.customerWithList([stuck, free])]
  const hold = await holdOffer(t, f, stuck)
  const before = { ...writeBatchStats }

  const blocked = f.redeem(f.body(a.cardNumber, [item('soup')]))
  await until('the first write to wait on the offer', async () => (await hold.waitingOnLock('insert into redemption')).length === 1)
  const started = performance.now()
  const results = await Promise.all(others.map((c) => f.redeem(f.body(c.cardNumber, [item('milk')]))))
  for (const r of results) t.equal(r.statusCode, 201, r.body)
  t.ok(performance.now() - started < 1_500, 'answered while the first write still waits')
  t.ok(writeBatchStats.stalls - before.stalls >= 1, 'the stuck statement stopped counting')
  await hold.release()
  t.equal((await blocked).statusCode, 201)
  t.match(await f.counts(), { sales: 3, redemptions: 3 })
})

t.test('the next batch is sent before the lanes of the last one are answered', async (t) => {
  // The one writer is the lanes' critical path (docs/redemptions.md): when a batch commits, the
  // sales that gathered behind it go to the database first, then its lanes get their answers.
  const f = await checkoutFixture(t)
  const offer = await f.createOffer({ description: '$1 off milk', budget: { maxRedemptions: 100 } })
  const customers: Awaited<ReturnType<CheckoutFixture['customerWithList']>>[] = []
  for (let i = 0; i < 6; i++) customers.push(await f.customerWithList([offer]))
  const hold = await holdOffer(t, f, offer)
  // A second session queues for the offer's row behind the first write, so the batch after it
  // (A) stops there too, while B gathers.
  const second = new pg.Client({ connectionString: f.database.url })
  await second.connect()
  t.teardown(() => second.end())
  const events: string[] = []
  const Query = createRequire(import.meta.url)('pg/lib/query.js') as { prototype: { submit: (...a: unknown[]) => unknown; text?: string } }
  const submit = Query.prototype.submit
  Query.prototype.submit = function (this: { text?: string }, ...args: unknown[]) {
    if (this.text?.includes('with ids as materialized')) events.push('batch sent')
    return submit.apply(this, args)
  }
  t.teardown(() => {
    Query.prototype.submit = submit
  })

  const redeem = (c: (typeof customers)[number], name: string) =>
    f.redeem(f.body(c.cardNumber, [item('milk')])).then((r) => {
      events.push(`${name} answered`)
      return r
    })
  const first = redeem(customers[0]!, 'first')
  await until('the first write to wait on the offer', async () => (await hold.waitingOnLock('insert into redemption')).length === 1)
  const a = customers.slice(1, 4).map((c) => redeem(c, 'A'))
  await until('A to gather', () => writeBatchStats.waiting === 3)
  await second.query('begin')
  const secondLock = second.query('select id from offer where id = $1 for no key update', [Number(offer)])
  await until('the second session to queue for the row', async () => (await hold.waitingOnLock('for no key update')).length === 1)
  await hold.release()
  await secondLock
  await until('A to wait on the row', async () => (await hold.waitingOnLock('with ids as materialized')).length === 1)
  const b = customers.slice(4).map((c) => redeem(c, 'B'))
  await until('B to gather', () => writeBatchStats.waiting === 2)
  events.length = 0
  await second.query('rollback')
  const results = [await first, ...(await Promise.all([...a, ...b]))]
  for (const r of results) t.equal(r.statusCode, 201, r.body)
  t.same(events.slice(0, 2), ['batch sent', 'A answered'], 'B was sent before any lane of A was answered')
  t.same(await statements(f), [[Number(customers[0]!.id)], customers.slice(1, 4).map((c) => Number(c.id)), customers.slice(4).map((c) => Number(c.id))])
})

t.test("a first use whose usage row appeared after the read: the batch fails, that sale is priced again alone", async (t) => {
  const f = await checkoutFixture(t)
  const held = await f.createOffer({ description: 'held', scope: { gtins: [item('soup').gtin] }, budget: { maxRedemptions: 100 } })
  const single = await f.createOffer({ description: '$1 off milk, once' })
  const w = await f.customerWithList([held])
  const x = await f.customerWithList([single])
  const y = await f.customerWithList([single])
  const hold = await holdOffer(t, f, held)
  const before = { ...writeBatchStats }

  const first = f.redeem(f.body(w.cardNumber, [item('soup')]))
  await until('the first write to wait on the offer', async () => (await hold.waitingOnLock('insert into redemption')).length === 1)
  // Both read no usage row for the single-use offer, so the batch would insert theirs plainly ...
  const xs = f.redeem(f.body(x.cardNumber, [item('milk')]))
  const ys = f.redeem(f.body(y.cardNumber, [item('milk')]))
  await until('the two to gather', () => writeBatchStats.waiting === 2)
  // ... but another instance records x's use of it meanwhile, committed as the hold ends (inserted
  // after a rollback instead, the batch could write x's row first once the hold was gone: seen in CI).
  await hold.admin.query('insert into offer_usage (customer_id, offer_id, redemptions, discount_cents) values ($1, $2, 1, 100)', [Number(x.id), Number(single)])
  await hold.admin.query('commit')
  const results = [await first, await xs, await ys]

  for (const r of results) t.equal(r.statusCode, 201, r.body)
  t.equal(writeBatchStats.fallbacks - before.fallbacks, 1, 'the batch of two failed on the row that appeared')
  t.equal(results[1]!.json().totalDiscountCents, 0, 'x had used the single-use offer: priced again without it')
  t.equal(results[2]!.json().totalDiscountCents, 100, 'y gets it')
  const usage = await f.database.pool.query('select customer_id::int, redemptions from offer_usage where offer_id = $1 order by customer_id', [Number(single)])
  t.same(usage.rows, [{ customer_id: Number(x.id), redemptions: 1 }, { customer_id: Number(y.id), redemptions: 1 }], 'one use each, never two')
  t.match(await f.counts(), { sales: 3, redemptions: 3 })
})
