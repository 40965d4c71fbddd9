// Load shedding (src/plugins/overload.ts): past capacity a request is refused at once with a
// 503 problem and Retry-After, instead of queueing until the POS times out.
import Fastify from 'fastify'
import type { PoolClient } from 'pg'
import t from 'tap'
import overload from '../../src/plugins/overload.ts'
import problem from '../../src/plugins/problem.ts'
import { ADMIN_KEY, buildTestApp, type TestApp } from '../helpers/app.ts'
import { testDatabase } from '../helpers/database.ts'
import { schedulingSlack } from '../helpers/scheduling.ts'

const problemType = /^application\/problem\+json/
// A shed request is answered without touching the database: well within this, load permitting.
const AT_ONCE = schedulingSlack(250)

/** Takes every connection of the app's pool, so requests that need the database wait. */
async function holdPool(ctx: TestApp): Promise<() => void> {
  const clients: PoolClient[] = []
  for (let i = 0; i < ctx.database.pool.options.max!; i++) clients.push(await ctx.database.pool.connect())
  return () => clients.forEach((c) => c.release())
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const start = Date.now()
  while (!condition()) {
    if (Date.now() - start > 3000) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

// The bootstrap admin key needs no database lookup: only the route's own query waits.
const listStores = (ctx: TestApp) => (async () => ctx.call(ADMIN_KEY, { method: 'GET', url: '/v1/stores' }))()

t.test('past the in-flight cap a request is refused at once: 503 problem, Retry-After; probes still answer', async (t) => {
  const ctx = await buildTestApp(t, { LANELIST_MAX_IN_FLIGHT: '3', LANELIST_MAX_DB_WAITING: '0' })
  const release = await holdPool(ctx)
  const waiting = [listStores(ctx), listStores(ctx), listStores(ctx)]
  await until(() => ctx.app.inFlightRequests() === 3, 'three requests in flight')

  const started = performance.now()
  const shed = await listStores(ctx)
  const ms = performance.now() - started
  t.equal(shed.statusCode, 503)
  t.match(shed.headers['content-type'], problemType)
  t.equal(shed.headers['retry-after'], '1')
  t.match(shed.json(), { type: /\/overloaded$/, status: 503, detail: /more than 3 requests in progress/ })
  t.ok(ms < AT_ONCE.ms, `answered in ${ms.toFixed(1)} ms, not after a wait (${AT_ONCE.says})`)

  t.equal((await ctx.app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200, 'liveness is exempt')
  t.equal((await ctx.app.inject({ method: 'GET', url: '/metrics' })).statusCode, 200, 'metrics are exempt')

  release()
  const done = await Promise.all(waiting)
  t.same(done.map((r) => r.statusCode), [200, 200, 200], 'the requests let in complete')
  t.equal(ctx.app.inFlightRequests(), 0, 'the count goes back to zero')
  t.equal((await listStores(ctx)).statusCode, 200, 'and new requests are served again')
})

t.test('past the database wait-queue cap a request is refused at once', async (t) => {
  const ctx = await buildTestApp(t, { LANELIST_MAX_IN_FLIGHT: '0', LANELIST_MAX_DB_WAITING: '2' })
  const release = await holdPool(ctx)
  const waiting = [listStores(ctx), listStores(ctx)]
  await until(() => ctx.database.pool.waitingCount === 2, 'two queries waiting for a connection')

  const started = performance.now()
  const shed = await listStores(ctx)
  const ms = performance.now() - started
  t.equal(shed.statusCode, 503)
  t.match(shed.headers['content-type'], problemType)
  t.equal(shed.headers['retry-after'], '1')
  t.match(shed.json(), { type: /\/overloaded$/, detail: /queries waiting for the database/ })
  t.ok(ms < AT_ONCE.ms, `answered in ${ms.toFixed(1)} ms (${AT_ONCE.says})`)
  t.equal((await ctx.app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200)

  release()
  t.same((await Promise.all(waiting)).map((r) => r.statusCode), [200, 200])
})

t.test('a blocked event loop sheds load until it recovers', async (t) => {
  const ctx = await buildTestApp(t, { LANELIST_MAX_EVENT_LOOP_DELAY_MS: '50' })
  t.equal((await listStores(ctx)).statusCode, 200, 'served before')

  // A synchronous stall, like a runaway computation or a long GC pause.
  const stall = Date.now()
  while (Date.now() - stall < 1200) {
    /* busy */
  }
  // The stall is recorded by the delay histogram's next tick and seen by the sampler's next
  // round, which may come in either order: the shedding starts within one sample interval.
  let started = performance.now()
  let shed = await listStores(ctx)
  let ms = performance.now() - started
  for (const until = Date.now() + 2500; shed.statusCode !== 503 && Date.now() < until; ) {
    await new Promise((r) => setTimeout(r, 50))
    started = performance.now()
    shed = await listStores(ctx)
    ms = performance.now() - started
  }
  t.equal(shed.statusCode, 503)
  t.match(shed.headers['content-type'], problemType)
  t.ok(Number(shed.headers['retry-after']) >= 1, 'Retry-After')
  t.match(shed.json(), { type: /\/overloaded$/, detail: /event loop delay \d+ ms/ })
  t.ok(ms < AT_ONCE.ms, `answered in ${ms.toFixed(1)} ms (${AT_ONCE.says})`)
  t.equal((await ctx.app.inject({ method: 'GET', url: '/health/live' })).statusCode, 200, 'liveness is exempt')
  t.equal((await ctx.app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200, 'readiness is exempt')

  // The next samples see a free loop again.
  const recovered = Date.now()
  let status = 503
  while (status === 503 && Date.now() - recovered < 5000) {
    await new Promise((r) => setTimeout(r, 200))
    status = (await listStores(ctx)).statusCode
  }
  t.equal(status, 200, 'served again once the loop is free')
})

t.test('a stall longer than one sample interval sheds, whichever timer the unblocked loop runs first', async (t) => {
  // When the loop unblocks, the delay histogram's timer and the sampler's overdue one both fire,
  // in either order; when the sampler came first, the stall's one long tick was averaged with the
  // next window's short ones and a stall could pass unshed. Several stalls at different points of
  // the sample window, each must shed.
  const { pool } = await testDatabase(t, { migrated: false, max: 1 })
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(problem)
  await app.register(overload, { pool, maxInFlight: 0, maxDbWaiting: 0, maxEventLoopDelayMs: 50, maxHeapMb: 0, sampleIntervalMs: 200 })
  app.get('/work', async () => ({ ok: true }))
  await app.ready()
  const status = async () => (await app.inject({ method: 'GET', url: '/work' })).statusCode

  for (const offset of [0, 40, 80, 120, 160, 190]) {
    // Served again: the previous stall's shedding has passed.
    for (const until = Date.now() + 3000; (await status()) !== 200 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 50))
    await new Promise((r) => setTimeout(r, 250 + offset))
    const stall = Date.now()
    while (Date.now() - stall < 320) {
      /* busy: longer than the 200 ms interval */
    }
    let shed = false
    for (const until = Date.now() + 600; !shed && Date.now() < until; ) {
      shed = (await status()) === 503
      if (!shed) await new Promise((r) => setTimeout(r, 20))
    }
    t.ok(shed, `a 320 ms stall ${offset} ms into the wait sheds`)
  }
})
