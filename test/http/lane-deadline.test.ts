// The lane deadline over real HTTP: a POST whose write waits on a lock answers 503
// problem+json with Retry-After at the deadline, and the POS's retry of the same transaction
// is recorded once. Fastify's own handlerTimeout failed this (its timer is cleared when Node
// closes a request whose body has been read), so the redemption route had no deadline.
import pg from 'pg'
import t from 'tap'
import { checkoutFixture, item } from '../helpers/checkout-fixtures.ts'
import { schedulingSlack } from '../helpers/scheduling.ts'

const DEADLINE_MS = 400

t.test('a lane POST stuck on the database answers 503 at the deadline; the retry records it once', async (t) => {
  const f = await checkoutFixture(t, { LANELIST_LANE_DEADLINE_MS: String(DEADLINE_MS) })
  await f.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = f.app.server.address() as { port: number }
  const c = await f.createCustomer()
  const body = JSON.stringify(f.body(c.cardNumber, [item('milk', 2), item('rice')], { posTransactionId: 'deadline-1' }))
  const post = () =>
    fetch(`http://127.0.0.1:${port}/v1/redemptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${f.posKey}`, 'content-type': 'application/json' },
      body,
      // A missing deadline shows as a failed check, not a hung test.
      signal: AbortSignal.timeout(5_000),
    })

  const blocker = new pg.Client({ connectionString: f.database.url })
  await blocker.connect()
  t.teardown(() => blocker.end())
  await blocker.query('begin')
  await blocker.query('lock table sale in access exclusive mode')
  const started = performance.now()
  const res = await post().catch((err: Error) => err)
  const ms = performance.now() - started
  await blocker.query('commit')
  if (res instanceof Error) {
    t.fail(`no answer within 5 s: ${res.message}`)
    return
  }
  const problem = (await res.json()) as { status: number; type: string; detail: string }

  t.equal(res.status, 503, 'answered 503 while the write waits')
  const slack = schedulingSlack(1_000)
  t.ok(ms < DEADLINE_MS + slack.ms, `answered after ${ms.toFixed(0)} ms (deadline ${DEADLINE_MS} ms; ${slack.says})`)
  t.match(res.headers.get('content-type'), /application\/problem\+json/)
  t.ok(res.headers.get('retry-after'), 'with Retry-After')
  t.match(problem, { status: 503, detail: /lane deadline of 400 ms/ })

  // The cut-off write went on once the lock was gone; the retry is answered either way, once.
  const retry = await post()
  t.ok([200, 201].includes(retry.status), `the retry answers ${retry.status}`)
  const again = await post()
  t.equal(again.status, 200, 'a further replay answers the stored response')
  t.same(await again.json(), await retry.json(), 'the same response')
  const { rows } = await f.database.pool.query(`select count(*)::int as n from sale where external_id = 'deadline-1'`)
  t.equal(rows[0].n, 1, 'recorded once')

  // The cut-off request's handler finishes after its 503 went out; it must not try to answer
  // again (Fastify logs a warning for each such send, a flood when an overloaded machine misses
  // the deadline for many sales at once).
  await new Promise((r) => setTimeout(r, 300))
  t.notOk(f.logs.some((l) => /already sent/i.test(l)), 'no second answer to the cut-off request')
})
