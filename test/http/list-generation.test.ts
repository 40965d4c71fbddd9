import t from 'tap'
import { enqueueJob } from '../../src/modules/jobs/job.repository.ts'
import { runListJobsOnce } from '../../src/modules/lists/list-tasks.ts'
import { runGeneration, startGeneration } from '../../src/modules/lists/list-run.service.ts'
import { predictAhead, predictionsFor } from '../../src/modules/lists/list-generation.service.ts'
import { findLikelyEligible } from '../../src/modules/lists/list-writer.repository.ts'
import { installSegmentDefaults, segmentConfig } from '../../src/modules/segments/segment.config.ts'
import { buildTestApp } from '../helpers/app.ts'
import { AS_OF, population } from './list-generation-fixtures.ts'
import { insertCustomer } from '../helpers/list-fixtures.ts'

t.test('generation runs end to end through the HTTP routes', async (t) => {
  const { call, createKey, database } = await buildTestApp(t)
  const { db, pool } = database
  const key = await createKey('backoffice')
  const pop = await population(db)
  const all = [...pop.regular, pop.small, pop.optedOut]

  t.test('rankings worked out ahead of a chunk are taken only while they hold', async (t) => {
    // The fixture writes lines only; the lane and the imports fill the sale's total as well.
    await pool.query(`update sale s set total_before_cents = (select coalesce(sum(l.quantity * coalesce(l.unit_price_cents, p.regular_price_cents, 0)), 0) from sale_line l join product p on p.id = l.product_id where l.sale_id = s.id)`)
    const likely = await findLikelyEligible(db, AS_OF, segmentConfig().eligibility, 100)
    t.same([...likely].sort((a, b) => a - b), [...pop.regular, pop.optedOut].sort((a, b) => a - b), 'the regular shoppers, not the one below the threshold')
    t.same(await findLikelyEligible(db, AS_OF, segmentConfig().eligibility, 2), likely.slice(0, 2), 'most spend first, capped')
    const fresh = await predictionsFor(db, pop.regular, AS_OF, 40)
    const ahead = await predictAhead(db, likely, AS_OF, 40, 3)
    t.equal(ahead.ranked.size, likely.length)
    t.same(await predictionsFor(db, pop.regular, AS_OF, 40, ahead), fresh, 'the same predictions as ranking them in the chunk')
    t.same([...ahead.ranked.keys()], [pop.optedOut], 'taken rankings are let go')
    // A ranking the chunk can tell from its own: taken while the statistics row is unchanged...
    const [a, b] = pop.regular as [number, number]
    const poisoned = await predictAhead(db, [a, b], AS_OF, 40)
    for (const r of poisoned.ranked.values()) r.items = []
    // ...and not once the row was written again (a lane sale folded in, a rebuild).
    await pool.query('update customer_stats set trips = trips where customer_id = $1', [b])
    const got = await predictionsFor(db, [a, b], AS_OF, 40, poisoned)
    t.same(got.get(a), [], 'unchanged statistics: the ranking ahead is used')
    t.same(got.get(b), fresh.get(b), 'rewritten statistics: ranked again')
    t.same(await predictionsFor(db, [a], '2026-11-24', 40, await predictAhead(db, [a], AS_OF, 40)), await predictionsFor(db, [a], '2026-11-24', 40), 'another day: ranked again')
  })

  t.test('validation and auth', async (t) => {
    t.equal((await call(null, { method: 'POST', url: '/v1/list-generations', payload: { asOf: AS_OF } })).statusCode, 401)
    const bad = await call(key, { method: 'POST', url: '/v1/list-generations', payload: { asOf: '2026-02-30', customerIds: ['x'] } })
    t.equal(bad.statusCode, 400)
    t.match(JSON.stringify(bad.json().errors), /asOf.*customerIds/s)
    t.equal((await call(key, { method: 'GET', url: '/v1/list-generations/999999' })).statusCode, 404)
    t.equal((await call(key, { method: 'GET', url: '/v1/list-generations/999999/lists' })).statusCode, 404)
  })

  const start = await call(key, { method: 'POST', url: '/v1/list-generations', payload: { asOf: AS_OF } })
  t.equal(start.statusCode, 202)
  const runId = start.json().id as string
  t.same(start.json(), { id: runId, status: 'queued' })
  await runListJobsOnce(pool, db)
  const status = (await call(key, { method: 'GET', url: `/v1/list-generations/${runId}` })).json()
  t.match(status, { status: 'succeeded', total: all.length, done: all.length, listsCreated: 7, skipped: { notEligible: 1, listStillCurrent: 0 }, error: null })
  t.ok(status.startedAt && status.finishedAt)

  const lists = await db.selectFrom('list').selectAll().where('generation_id', '=', Number(runId)).execute()
  t.equal(lists.length, 7)
  t.notOk(lists.some((l) => l.customer_id === pop.small), 'the small spender got no list')
  t.ok(lists.every((l) => l.status === 'current' && l.trigger === 'run' && l.valid_from === AS_OF && l.valid_until === '2026-12-06'))

  t.test('offers: budgets respected, opted out only untargeted, every decision with a reason', async (t) => {
    const items = await db.selectFrom('list_item').selectAll().where('list_id', 'in', lists.map((l) => l.id)).execute()
    t.ok(items.length >= 7 * 3, 'predicted items on every list')
    const bakery = items.filter((i) => i.offer_id === pop.offers.bakery)
    t.equal(bakery.length, 2, 'the scarce offer (2 redemptions) went to exactly two lists')
    const optedList = lists.find((l) => l.customer_id === pop.optedOut)!
    const optedItems = items.filter((i) => i.list_id === optedList.id && i.offer_id !== null)
    t.ok(optedItems.every((i) => i.offer_id === pop.offers.dairy), 'opted out: only the offer for everyone')
    const trials = items.filter((i) => i.offer_id === pop.offers.trial)
    t.ok(trials.length >= 1, 'heavy national coffee buyers got the store-brand trial')
    t.ok(trials.every((i) => i.product_id === null && i.category === 'Pantry/Coffee'))
    const decisions = await db.selectFrom('list_offer_decision').selectAll().where('list_id', 'in', lists.map((l) => l.id)).execute()
    t.ok(decisions.every((d) => d.reason.length > 10))
    const budgetOut = decisions.filter((d) => d.offer_id === pop.offers.bakery && !d.given)
    t.ok(budgetOut.some((d) => /budget/.test(d.reason)), 'the withheld scarce offer says its budget ran out')
    t.ok(lists.filter((l) => l.customer_id !== pop.optedOut).every((l) => (l.perks as unknown[]).length === 1), 'the perk is on the lists')
    // Highest value first: the two bakery offers went to the two most valuable customers.
    const ranked = await db.selectFrom('customer_profile').select(['customer_id']).where('customer_id', 'in', pop.regular).orderBy('value_cents', 'desc').limit(2).execute()
    const bakeryCustomers = bakery.map((i) => i.customer_id).sort()
    t.same(bakeryCustomers, ranked.map((r) => r.customer_id).sort())
  })

  t.test('what lists refer to is never deleted (the references they no longer check, 0032, 0035)', async (t) => {
    const ids = lists.map((l) => l.id)
    const item = await db.selectFrom('list_item').select(['product_id']).where('list_id', 'in', ids).where('product_id', 'is not', null).executeTakeFirstOrThrow()
    const decision = await db.selectFrom('list_offer_decision').select(['offer_id']).where('list_id', 'in', ids).executeTakeFirstOrThrow()
    const count = async () =>
      (await pool.query(`select (select count(*) from list_item) as items, (select count(*) from list_offer_decision) as decisions, (select count(*) from product) as products, (select count(*) from offer) as offers`)).rows[0]
    const before = await count()
    for (const [table, id] of <[string, number][]>[['product', item.product_id!], ['offer', decision.offer_id], ['list', ids[0]!], ['list_generation', Number(runId)]]) {
      await t.rejects(pool.query(`delete from ${table} where id = $1`, [id]), { code: '23001', message: new RegExp(`${table} rows are never deleted`) }, table)
    }
    await t.rejects(pool.query('delete from product where not active'), { code: '23001' }, 'even when no row matches')
    t.same(await count(), before, 'all still there')
  })

  t.test('NDJSON export and print', async (t) => {
    const res = await call(key, { method: 'GET', url: `/v1/list-generations/${runId}/lists` })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /application\/x-ndjson/)
    const rows = res.body.trim().split('\n').map((l) => JSON.parse(l))
    t.equal(rows.length, 7)
    t.ok(rows.every((r) => r.generationId === runId && /^LL\d{13}$/.test(r.barcode) && Array.isArray(r.items) && !('storeName' in r)))
    const one = (await call(key, { method: 'GET', url: `/v1/lists/${rows[0].id}` })).json()
    t.same(rows[0], one, 'same shape as GET /v1/lists/{id}')
    const print = await call(key, { method: 'GET', url: `/v1/list-generations/${runId}/print` })
    t.equal(print.statusCode, 200)
    t.match(print.headers['content-type'], /text\/html/)
    for (const r of rows) t.ok(print.body.includes(r.barcode), `printed ${r.barcode}`)
  })

  t.test('a re-run skips current lists; force regenerates', async (t) => {
    const again = await call(key, { method: 'POST', url: '/v1/list-generations', payload: { asOf: AS_OF } })
    await runListJobsOnce(pool, db)
    const s = (await call(key, { method: 'GET', url: `/v1/list-generations/${again.json().id}` })).json()
    t.match(s, { status: 'succeeded', listsCreated: 0, skipped: { notEligible: 1, listStillCurrent: 7 } })
    const forced = await call(key, { method: 'POST', url: '/v1/list-generations', payload: { asOf: AS_OF, force: true, customerIds: pop.regular.map(String) } })
    await runListJobsOnce(pool, db)
    const f = (await call(key, { method: 'GET', url: `/v1/list-generations/${forced.json().id}` })).json()
    t.match(f, { status: 'succeeded', total: 6, listsCreated: 6, skipped: { notEligible: 0, listStillCurrent: 0 } })
    const current = await db.selectFrom('list').select(['customer_id', 'generation_id']).where('status', '=', 'current').execute()
    t.equal(current.length, 7, 'one current list per customer')
    t.equal(current.filter((c) => c.generation_id === Number(f.id)).length, 6)
    // A forced run's lists are run lists (not 'manual'); the first run's lists are superseded.
    const forcedLists = await db.selectFrom('list').select(['trigger', 'status']).where('generation_id', '=', Number(f.id)).execute()
    t.same([...new Set(forcedLists.map((l) => `${l.trigger}/${l.status}`))], ['run/current'])
    const perCycle = await db.selectFrom('list').select(['customer_id']).where('trigger', '=', 'run').where('cycle_start', '=', AS_OF).where('status', '=', 'current').execute()
    t.equal(new Set(perCycle.map((r) => r.customer_id)).size, perCycle.length, 'no customer has two current run lists for one cycle')
  })

  t.test('resume after a crash mid-run, and failure on the last attempt', async (t) => {
    const run = await startGeneration(db, { asOf: '2026-11-24', force: true, settings: { chunkSize: 3, holdoutShare: 0.5 } }, 'test')
    const id = Number(run.id)
    let crashed = false
    const hooks = {
      beforeChunkCommit: ({ fromSeq }: { fromSeq: number }) => {
        if (fromSeq > 1 && !crashed) {
          crashed = true
          throw new Error('simulated crash')
        }
      },
    }
    await t.rejects(runGeneration(db, id, { hooks }), /simulated crash/)
    let row = await db.selectFrom('list_generation').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    t.match(row, { status: 'running', done: 3, next_seq: 4, error: 'simulated crash' })
    const firstChunk = await db.selectFrom('list').select('customer_id').where('generation_id', '=', id).execute()
    // The next chunk was written alongside the failing one (docs/lists.md, "Runs"): it rolled back with it.
    const firstSeqs = await db.selectFrom('list_generation_customer').select('customer_id').where('generation_id', '=', id).where('seq', '<=', 3).execute()
    t.ok(firstChunk.length > 0 && firstChunk.every((c) => firstSeqs.some((s) => s.customer_id === c.customer_id)), 'only the first chunk committed its lists')
    await runGeneration(db, id, { hooks })
    row = await db.selectFrom('list_generation').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    t.match(row, { status: 'succeeded', total: 8, done: 8 })
    t.equal(row.lists_created + row.skipped_not_eligible, 8)
    const written = await db.selectFrom('list').select(['customer_id', 'holdout', 'id']).where('generation_id', '=', id).execute()
    t.equal(new Set(written.map((w) => w.customer_id)).size, written.length, 'nobody written twice')
    t.ok(firstChunk.every((c) => written.some((w) => w.customer_id === c.customer_id)))
    const held = written.filter((w) => w.holdout)
    t.ok(held.length > 0, 'some customers were held out at a 50% share')
    const heldItems = await db.selectFrom('list_item').select('offer_id').where('list_id', 'in', held.map((h) => h.id)).where('offer_id', 'is not', null).execute()
    t.ok(heldItems.every((i) => i.offer_id === pop.offers.dairy), 'held-out lists carry only untargeted offers')

    const failing = await startGeneration(db, { asOf: '2026-11-25', force: true }, 'test')
    const boom = { beforeChunkCommit: () => { throw new Error('disk full') } }
    await t.rejects(runGeneration(db, Number(failing.id), { hooks: boom, finalAttempt: true }))
    const f = (await call(key, { method: 'GET', url: `/v1/list-generations/${failing.id}` })).json()
    t.match(f, { status: 'failed', error: 'disk full', done: 0 })
    t.ok(f.finishedAt)
  })

  t.test('a full run writes lists beside its refresh; a crash before it is prepared resumes after its committed chunks', async (t) => {
    // Refresh chunks of two customers, list chunks of three: list chunk 1 (positions 1-3) needs
    // refresh chunks 1 and 2. Profiles of this as-of day are this run's refresh's.
    installSegmentDefaults({ chunkSize: 2 })
    t.teardown(() => installSegmentDefaults(undefined))
    const asOf = '2026-11-26'
    const run = await startGeneration(db, { asOf, force: true, settings: { chunkSize: 3 } }, 'test')
    const id = Number(run.id)
    let seen: { refreshed: number[]; chunk: number[] } | undefined
    let crash = true
    const row = () => db.selectFrom('list_generation').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    const hooks = {
      afterChunkWrite: async ({ fromSeq }: { fromSeq: number }) => {
        if (fromSeq !== 1 || seen) return
        const chunk = (await db.selectFrom('list_generation_customer').select('customer_id').where('generation_id', '=', id).where('seq', '<=', 3).execute()).map((r) => r.customer_id)
        const refreshed = (await db.selectFrom('customer_profile').select('customer_id').where('as_of', '=', asOf).execute()).map((r) => r.customer_id)
        seen = { refreshed, chunk }
      },
      // The refresh is done; the first list chunk, written beside it, commits without waiting for
      // the run to be prepared. Then the crash, before the run is marked prepared.
      beforePrepared: async () => {
        if (!crash) return
        crash = false
        for (let i = 0; i < 500 && (await row()).next_seq === 1; i++) await new Promise((r) => setTimeout(r, 20))
        throw new Error('crash before the run is prepared')
      },
    }
    await t.rejects(runGeneration(db, id, { hooks }), /crash before the run is prepared/)
    t.ok(seen && seen.chunk.length === 3 && seen.chunk.every((c) => seen!.refreshed.includes(c)), 'the first list chunk read its customers after the refresh wrote their profiles')
    t.ok(seen && seen.refreshed.length >= 4, 'the refresh chunks up to its last customer were committed')
    const crashed = await row()
    t.match(crashed, { status: 'running', prepared_at: null, error: 'crash before the run is prepared' })
    t.ok(crashed.next_seq > 1 && crashed.done === crashed.next_seq - 1, 'list chunks committed beside the refresh')
    const before = await db.selectFrom('list').select(['customer_id', 'id']).where('generation_id', '=', id).execute()
    t.equal(before.length, crashed.lists_created)
    const snapshot = async () => (await db.selectFrom('list_generation_customer').select(['seq', 'customer_id']).where('generation_id', '=', id).orderBy('seq').execute()).map((r) => `${r.seq}:${r.customer_id}`)
    const firstSnapshot = await snapshot()
    // Resumed: the refresh again, the snapshot kept, the chunks after the committed ones.
    await runGeneration(db, id, { hooks })
    const done = await row()
    t.match(done, { status: 'succeeded', total: 8, done: 8, error: null })
    t.ok(done.prepared_at)
    t.same(await snapshot(), firstSnapshot, 'the snapshot was kept')
    t.equal(done.lists_created + done.skipped_not_eligible, 8)
    const lists = await db.selectFrom('list').select(['customer_id', 'id']).where('generation_id', '=', id).execute()
    t.equal(lists.length, done.lists_created)
    t.equal(new Set(lists.map((l) => l.customer_id)).size, lists.length, 'nobody written twice')
    t.ok(before.every((b) => lists.some((l) => l.id === b.id)), 'the lists committed before the crash stand')
    // The run's order: the eligible customers first, highest value first.
    const order = await db
      .selectFrom('list_generation_customer as g')
      .innerJoin('customer_profile as p', 'p.customer_id', 'g.customer_id')
      .select(['p.eligible', 'p.value_cents'])
      .where('g.generation_id', '=', id)
      .orderBy('g.seq')
      .execute()
    const eligibleFirst = order.findIndex((o) => !o.eligible)
    t.ok(eligibleFirst > 0 && order.slice(eligibleFirst).every((o) => !o.eligible), 'eligible customers first')
    const values = order.slice(0, eligibleFirst).map((o) => o.value_cents ?? -Infinity)
    t.same(values, [...values].sort((a, b) => b - a), 'then by value, highest first')
  })

  t.test('single-customer regeneration: the task after a redemption, and generate now', async (t) => {
    const customer = pop.regular[0]!
    const before = await db.selectFrom('list').select(['id']).where('customer_id', '=', customer).where('status', '=', 'current').executeTakeFirstOrThrow()
    await enqueueJob(db, 'regenerate_list', { customerId: String(customer) }, { jobKey: `regen:${customer}` })
    await runListJobsOnce(pool, db)
    const after = await db.selectFrom('list').selectAll().where('customer_id', '=', customer).where('status', '=', 'current').executeTakeFirstOrThrow()
    t.not(after.id, before.id)
    t.equal(after.trigger, 'redemption')
    t.equal(after.generation_id, null)
    // Ops see the job's time by part on /metrics.
    const metrics = (await call(key, { method: 'GET', url: '/metrics' })).body
    for (const part of ['stats', 'list']) t.match(metrics, new RegExp(`lanelist_list_regeneration_seconds_count\\{part="${part}"\\} [1-9]`), `${part} timed`)

    const now = await call(key, { method: 'POST', url: `/v1/customers/${pop.small}/lists`, payload: { asOf: AS_OF } })
    t.equal(now.statusCode, 201, 'generated even below the eligibility threshold')
    t.match(now.json(), { customerId: String(pop.small), trigger: 'manual', status: 'current', validFrom: AS_OF })
    const current = await call(key, { method: 'GET', url: `/v1/customers/${pop.small}/lists/current` })
    t.equal(current.json().id, now.json().id)
    t.equal((await call(key, { method: 'POST', url: '/v1/customers/99999999/lists', payload: {} })).statusCode, 404)
  })

  t.test('the tail below the threshold is counted in growing chunks; one who turned eligible gets an ordinary chunk', async (t) => {
    // Six card holders without a purchase: after the eligible customers and the small spender,
    // a tail of seven below the threshold. List chunks of one customer.
    const extras: number[] = []
    for (let i = 0; i < 6; i++) extras.push(await insertCustomer(db))
    const run = await startGeneration(db, { asOf: '2026-11-27', force: true, settings: { chunkSize: 1 } }, 'test')
    const id = Number(run.id)
    const chunks: { fromSeq: number; customers: number; listsCreated: number }[] = []
    let turned: number | undefined
    const hooks = {
      afterChunkWrite: async (c: { fromSeq: number; customers: number; listsCreated: number }) => {
        chunks.push(c)
        // While chunk 6 is written the chunk after the next is not read yet (each waits for the
        // commit of the one before the one before it), and the refresh (one chunk) is done.
        if (c.fromSeq !== 6) return
        const at = await db.selectFrom('list_generation_customer').select('customer_id').where('generation_id', '=', id).where('seq', '=', 11).executeTakeFirstOrThrow()
        turned = at.customer_id
        await db.updateTable('customer_profile').set({ eligible: true }).where('customer_id', '=', turned).execute()
      },
    }
    await runGeneration(db, id, { hooks })
    const row = await db.selectFrom('list_generation').selectAll().where('id', '=', id).executeTakeFirstOrThrow()
    t.match(row, { status: 'succeeded', total: all.length + extras.length, done: all.length + extras.length })
    t.ok(turned !== undefined && extras.includes(turned!), 'a card holder without purchases sits at position 11')
    const lists = await db.selectFrom('list').select('customer_id').where('generation_id', '=', id).execute()
    t.ok(lists.some((l) => l.customer_id === turned), 'the customer who turned eligible in the tail got a list')
    t.equal(row.lists_created, lists.length)
    t.ok(chunks.some((c) => c.customers > 1), 'the tail grew past the chunk size')
    t.same(chunks.filter((c) => c.listsCreated > 0 && c.customers > 1), [], 'no chunk that wrote lists took more than the chunk size')
    t.equal(chunks.reduce((n, c) => n + c.customers, 0), row.total, 'every customer in exactly one chunk')
  })
})
