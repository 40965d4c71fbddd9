// The small JSON routes the console needs, through the real HTTP interface: a customer's
// recent sales, list lookup by barcode, the recent runs, and the ops status (queue depth and
// recent errors). They are public API like any other: role checks and problem+json apply.
import Fastify from 'fastify'
import t from 'tap'
import { withCheckDigit } from '../../src/lib/codes.ts'
import { enqueueJob } from '../../src/modules/jobs/job.repository.ts'
import recentErrors, { RECENT_ERRORS_KEPT } from '../../src/modules/ops/recent-errors.ts'
import problem from '../../src/plugins/problem.ts'
import { buildTestApp } from '../helpers/app.ts'
import { insertCustomer, insertProduct, insertSale } from '../helpers/list-fixtures.ts'

t.test('console routes', async (t) => {
  const { call, createKey, createStore, database } = await buildTestApp(t)
  const { db } = database
  const key = await createKey('backoffice')
  const store = await createStore()
  const pos = await createKey('pos', store)

  t.test("the service's address opens the console", async (t) => {
    const res = await call(null, { method: 'GET', url: '/' })
    t.equal(res.statusCode, 302)
    t.equal(res.headers.location, '/console')
    t.equal((await call(null, { method: 'GET', url: '/console' })).statusCode, 200)
  })

  t.test('recent sales: newest first, with lines, limited, 404 for nobody', async (t) => {
    const customer = await insertCustomer(db, { firstName: 'Ada' })
    const milk = await insertProduct(db, { category: 'Dairy/Milk', name: 'Whole milk' })
    const bread = await insertProduct(db, { category: 'Bakery/Bread', name: 'Sourdough' })
    await insertSale(db, customer, '2026-11-01', [{ product: milk, quantity: 2, unitPriceCents: 300 }])
    await insertSale(db, customer, '2026-11-10', [{ product: milk, unitPriceCents: 300 }, { product: bread, unitPriceCents: 450, returned: 1 }], { storeId: store })
    await insertSale(db, customer, '2026-11-05', [{ product: bread }], { status: 'voided' })

    const res = await call(key, { method: 'GET', url: `/v1/customers/${customer}/sales?limit=2` })
    t.equal(res.statusCode, 200)
    const items = res.json().items
    t.same(items.map((s: { day: string }) => s.day), ['2026-11-10', '2026-11-05'])
    t.match(items[0], { store: { id: store, name: `Store ${store}` }, source: 'import', status: 'recorded', totalBeforeCents: 750 })
    t.match(items[0].lines, [{ lineNo: 1, name: 'Whole milk', quantity: 1, unitPriceCents: 300 }, { lineNo: 2, name: 'Sourdough', returnedQuantity: 1 }])
    t.equal(items[1].status, 'voided')
    t.equal(items[1].totalBeforeCents, 0, 'no prices known: 0, not a guess')

    const nobody = await call(key, { method: 'GET', url: '/v1/customers/999999999/sales' })
    t.equal(nobody.statusCode, 404)
    t.match(nobody.headers['content-type'], /application\/problem\+json/)
    const none = await call(key, { method: 'GET', url: `/v1/customers/${await insertCustomer(db)}/sales` })
    t.same(none.json(), { items: [] }, 'a customer without sales is an empty page, not a 404')
    const bad = await call(key, { method: 'GET', url: `/v1/customers/${customer}/sales?limit=0` })
    t.equal(bad.statusCode, 400)
    t.match(bad.json().errors, [{ path: 'querystring.limit' }])
    t.equal((await call(pos, { method: 'GET', url: `/v1/customers/${customer}/sales` })).statusCode, 403)
    t.equal((await call(null, { method: 'GET', url: `/v1/customers/${customer}/sales` })).statusCode, 401)
  })

  t.test('list lookup by barcode', async (t) => {
    const customer = await insertCustomer(db)
    const barcode = `LL${withCheckDigit('202611230042')}`
    const list = await db
      .insertInto('list')
      .values({ customer_id: customer, barcode, cycle_start: '2026-11-23', valid_from: '2026-11-23', valid_until: '2026-12-06', status: 'current', trigger: 'manual' } as never)
      .returning('id')
      .executeTakeFirstOrThrow()
    const res = await call(key, { method: 'GET', url: `/v1/lists/lookup?barcode=${barcode.toLowerCase()}` })
    t.equal(res.statusCode, 200)
    t.same(res.json(), { listId: String(list.id), customerId: String(customer), status: 'current', validFrom: '2026-11-23', validUntil: '2026-12-06' })
    const typo = `LL${withCheckDigit('202611230042').slice(0, 12)}${(Number(withCheckDigit('202611230042').at(-1)) + 1) % 10}`
    const bad = await call(key, { method: 'GET', url: `/v1/lists/lookup?barcode=${typo}` })
    t.equal(bad.statusCode, 400)
    t.match(bad.json().errors, [{ path: 'querystring.barcode', message: /check digit/ }])
    t.equal((await call(key, { method: 'GET', url: '/v1/lists/lookup?barcode=2900000000000' })).statusCode, 400, 'a card number is not a list barcode')
    const unknown = await call(key, { method: 'GET', url: `/v1/lists/lookup?barcode=LL${withCheckDigit('999999999999')}` })
    t.equal(unknown.statusCode, 404)
    t.notMatch(unknown.body, /999999999999/, 'the barcode is not echoed into problem details (they reach logs)')
  })

  t.test('recent runs, newest first, paged', async (t) => {
    for (const asOf of ['2026-11-09', '2026-11-23', '2026-12-07']) {
      t.equal((await call(key, { method: 'POST', url: '/v1/list-generations', payload: { asOf } })).statusCode, 202)
    }
    const first = await call(key, { method: 'GET', url: '/v1/list-generations?limit=2' })
    t.equal(first.statusCode, 200)
    t.same(first.json().items.map((r: { asOf: string }) => r.asOf), ['2026-12-07', '2026-11-23'])
    t.match(first.json().items[0], { status: 'queued', skipped: { notEligible: 0, listStillCurrent: 0 } })
    const next = await call(key, { method: 'GET', url: `/v1/list-generations?limit=2&cursor=${first.json().nextCursor}` })
    t.same(next.json().items.map((r: { asOf: string }) => r.asOf), ['2026-11-09'])
    t.equal(next.json().nextCursor, null)
  })

  t.test('ops status: queue depth per task and recent errors', async (t) => {
    // The three runs above are queued jobs; add one that keeps failing.
    await enqueueJob(db, 'regenerate_list', { customerId: 1 }, { maxAttempts: 1 })
    await db.executeQuery(
      (await import('kysely')).sql`update graphile_worker._private_jobs set attempts = 1, last_error = 'boom for card 2912345678903'
        where id = (select max(id) from graphile_worker._private_jobs)`.compile(db),
    )
    await db.updateTable('list_generation').set({ status: 'failed', error: 'database went away', finished_at: new Date() }).where('as_of', '=', '2026-11-09').execute()

    const res = await call(key, { method: 'GET', url: '/v1/ops/status' })
    t.equal(res.statusCode, 200)
    const s = res.json()
    t.match(s.queue.total, { ready: 3, failed: 1 })
    t.match(s.queue.tasks, [{ task: 'list_generation_run', ready: 3 }, { task: 'regenerate_list', failed: 1 }])
    t.type(s.queue.oldestReadySeconds, 'number')
    t.equal(s.listRuns.active, 2)
    t.match(s.jobErrors, [{ task: 'regenerate_list', attempts: 1, maxAttempts: 1 }])
    t.notMatch(JSON.stringify(s), /2912345678903/, 'card numbers masked in every error')
    t.match(s.runErrors, [{ status: 'failed', error: 'database went away' }])
    t.same(s.requestErrors, [], 'no 5xx answered yet')
    t.equal((await call(pos, { method: 'GET', url: '/v1/ops/status' })).statusCode, 403)
    t.equal((await call(null, { method: 'GET', url: '/v1/ops/status' })).statusCode, 401)
  })
})

t.test('recent errors: the last 5xx of this instance, masked, capped', async (t) => {
  const app = Fastify({ logger: false })
  await app.register(problem)
  await app.register(recentErrors)
  app.get('/explode/:n', async (request) => {
    throw new Error(`exploded ${(request.params as { n: string }).n} for card 2912345678903`)
  })
  app.get('/fine', async () => ({ ok: true }))
  await app.ready()
  t.teardown(() => app.close())
  for (let i = 0; i < RECENT_ERRORS_KEPT + 5; i++) t.equal((await app.inject({ url: `/explode/${i}` })).statusCode, 500)
  await app.inject({ url: '/fine' })
  await app.inject({ url: '/nowhere' })
  const errors = app.recentErrors()
  t.equal(errors.length, RECENT_ERRORS_KEPT, 'capped')
  t.match(errors[0], { method: 'GET', route: '/explode/:n', status: 500, message: `exploded ${RECENT_ERRORS_KEPT + 4} for card 29…03` })
  t.ok(errors.every((e) => e.status >= 500 && !e.message.includes('2912345678903')))
})
