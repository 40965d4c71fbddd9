import t from 'tap'
import { connectDatabase } from '../../src/db/database.ts'
import { recordEvent } from '../../src/modules/events/event-outbox.service.ts'
import { startDispatcher, type DispatcherOptions } from '../../src/modules/events/webhook-dispatcher.ts'
import { verifySignature } from '../../src/modules/events/webhook-signing.ts'
import { ADMIN_KEY, buildTestApp, type TestApp } from '../helpers/app.ts'
import { startReceiver, waitFor, type Received } from '../helpers/webhook-receiver.ts'

const quiet = { debug() {}, warn() {}, error() {} }

function dispatcher(t: Tap, ta: TestApp, over: Partial<DispatcherOptions> = {}) {
  const d = startDispatcher({ db: ta.database.db, log: quiet, pollMs: 50, timeoutMs: 1000, retry: { maxAttempts: 3, baseMs: 100, capMs: 1000 }, ...over })
  t.teardown(() => d.stop())
  return d
}
type Tap = { teardown(fn: () => unknown): void }

async function createEndpoint(ta: TestApp, body: Record<string, unknown>) {
  const res = await ta.call(ADMIN_KEY, { method: 'POST', url: '/v1/webhooks', payload: { eventTypes: ['redemption.voided'], ...body } })
  if (res.statusCode !== 201) throw new Error(`endpoint: ${res.body}`)
  return res.json() as { id: string; secret: string }
}

async function emit(ta: TestApp, n = 1, type: 'redemption.voided' | 'list.created' = 'redemption.voided') {
  await ta.database.db.transaction().execute(async (trx) => {
    for (let i = 0; i < n; i++) await recordEvent(trx, type, { redemptionId: String(i + 1), reversedDiscountCents: 100 })
  })
}

const verified = (r: Received, secret: string) =>
  verifySignature(secret, { signature: r.headers['lanelist-signature'] as string, timestamp: r.headers['lanelist-timestamp'] as string }, r.body)

async function deliveries(ta: TestApp, endpointId: string, query = '') {
  const res = await ta.call(ADMIN_KEY, { method: 'GET', url: `/v1/webhooks/${endpointId}/deliveries${query}` })
  if (res.statusCode !== 200) throw new Error(res.body)
  return res.json().items as { id: string; eventId: string; status: string; attempts: number; lastStatusCode: number | null; lastError: string | null }[]
}

t.test('admin keys manage endpoints; the secret is shown once; changes are audited without it', async (t) => {
  const ta = await buildTestApp(t)
  const office = await ta.createKey('backoffice')
  const receiver = await startReceiver(t)

  const denied = await ta.call(office, { method: 'POST', url: '/v1/webhooks', payload: { url: receiver.url, eventTypes: ['list.created'] } })
  t.equal(denied.statusCode, 403)
  t.equal((await ta.call(null, { method: 'GET', url: '/v1/webhooks' })).statusCode, 401)

  const bad = await ta.call(ADMIN_KEY, { method: 'POST', url: '/v1/webhooks', payload: { url: 'ftp://example.com/x', eventTypes: ['list.deleted'], secret: 'short', extra: 1 } })
  t.equal(bad.statusCode, 400)
  t.equal(bad.headers['content-type'], 'application/problem+json; charset=utf-8')
  const paths = bad.json().errors.map((e: { path: string }) => e.path).join(' ')
  for (const p of ['url', 'eventTypes', 'secret']) t.match(paths, p, `names ${p}: ${paths}`)
  const none = await ta.call(ADMIN_KEY, { method: 'POST', url: '/v1/webhooks', payload: { url: receiver.url, eventTypes: [] } })
  t.equal(none.statusCode, 400)

  const created = await ta.call(ADMIN_KEY, { method: 'POST', url: '/v1/webhooks', payload: { url: `${receiver.url}?token=abc`, description: 'CRM', eventTypes: ['list.created', 'customer.declining', 'list.created'] } })
  t.equal(created.statusCode, 201, created.body)
  const ep = created.json()
  t.match(ep, { url: `${receiver.url}?token=abc`, description: 'CRM', eventTypes: ['list.created', 'customer.declining'], enabled: true, createdBy: 'key:bootstrap', deliveries: { pending: 0, dead: 0 } })
  t.match(ep.secret, /^whsec_[A-Za-z0-9_-]{43}$/)

  const listed = await ta.call(ADMIN_KEY, { method: 'GET', url: '/v1/webhooks' })
  t.equal(listed.statusCode, 200)
  t.equal(listed.json().items.length, 1)
  t.notOk(listed.body.includes(ep.secret), 'never listed')
  const one = await ta.call(ADMIN_KEY, { method: 'GET', url: `/v1/webhooks/${ep.id}` })
  t.notOk('secret' in one.json())

  const own = await createEndpoint(ta, { url: receiver.url, secret: 'my-own-secret-of-24-chars!' })
  t.equal(own.secret, 'my-own-secret-of-24-chars!')

  const patched = await ta.call(ADMIN_KEY, { method: 'PATCH', url: `/v1/webhooks/${ep.id}`, payload: { enabled: false, eventTypes: ['redemption.voided'] } })
  t.equal(patched.statusCode, 200, patched.body)
  t.match(patched.json(), { enabled: false, eventTypes: ['redemption.voided'] })
  t.equal((await ta.call(ADMIN_KEY, { method: 'PATCH', url: `/v1/webhooks/${ep.id}`, payload: {} })).statusCode, 400)
  t.equal((await ta.call(ADMIN_KEY, { method: 'PATCH', url: '/v1/webhooks/999999', payload: { enabled: true } })).statusCode, 404)

  // Test-send: signed like any delivery, whatever the endpoint's subscriptions or enabled flag.
  const rotated = await ta.call(ADMIN_KEY, { method: 'POST', url: `/v1/webhooks/${ep.id}/secret` })
  t.equal(rotated.statusCode, 200)
  const secret = rotated.json().secret as string
  t.not(secret, ep.secret)
  const sent = await ta.call(ADMIN_KEY, { method: 'POST', url: `/v1/webhooks/${ep.id}/test` })
  t.equal(sent.statusCode, 200, sent.body)
  t.match(sent.json(), { delivered: true, statusCode: 200, error: null })
  const got = receiver.received.at(-1)!
  t.equal(got.path, '/hook?token=abc')
  t.equal(got.headers['lanelist-event-id'], sent.json().eventId)
  t.equal(got.headers['lanelist-event-type'], 'webhook.test')
  t.equal(got.headers['content-type'], 'application/json')
  t.match(JSON.parse(got.body), { id: sent.json().eventId, type: 'webhook.test', data: { endpointId: ep.id } })
  t.ok(verified(got, secret), 'signed with the new secret')
  t.notOk(verified(got, ep.secret), 'not with the old one')

  receiver.respond = () => ({ status: 500 })
  const failed = await ta.call(ADMIN_KEY, { method: 'POST', url: `/v1/webhooks/${ep.id}/test` })
  t.match(failed.json(), { delivered: false, statusCode: 500, error: 'receiver answered 500' })

  t.equal((await ta.call(ADMIN_KEY, { method: 'DELETE', url: `/v1/webhooks/${ep.id}` })).statusCode, 204)
  t.equal((await ta.call(ADMIN_KEY, { method: 'GET', url: `/v1/webhooks/${ep.id}` })).statusCode, 404)
  t.equal((await ta.call(ADMIN_KEY, { method: 'DELETE', url: `/v1/webhooks/${ep.id}` })).statusCode, 404)

  const audit = await ta.database.db.selectFrom('audit_log').select(['action', 'actor', 'detail']).where('entity', '=', 'webhook_endpoint').where('entity_id', '=', ep.id).orderBy('id').execute()
  t.same(audit.map((a) => a.action), ['webhook.create', 'webhook.update', 'webhook.rotate_secret', 'webhook.delete'])
  t.ok(audit.every((a) => a.actor === 'key:bootstrap'))
  const text = JSON.stringify(audit)
  t.notOk(text.includes(ep.secret) || text.includes(secret), 'no secret in the audit log')
  t.notOk(text.includes('token=abc'), 'no query string (it may carry a token) in the audit log')
})

t.test('retries after a 500 and a timeout with backoff, same event id, then delivered', async (t) => {
  const ta = await buildTestApp(t)
  const replies = [{ status: 500 }, { delayMs: 1500 }, { status: 204 }]
  const receiver = await startReceiver(t, (_r, i) => replies[i] ?? { status: 200 })
  const ep = await createEndpoint(ta, { url: receiver.url })
  await emit(ta)
  dispatcher(t, ta, { timeoutMs: 400, retry: { maxAttempts: 5, baseMs: 200, capMs: 5000 } })
  await waitFor('three attempts', async () => (await deliveries(ta, ep.id))[0]?.status === 'succeeded')

  t.equal(receiver.received.length, 3)
  const ids = receiver.received.map((r) => r.headers['lanelist-event-id'])
  t.equal(new Set(ids).size, 1, 'one event id across retries')
  t.same(receiver.received.map((r) => r.headers['lanelist-delivery-attempt']), ['1', '2', '3'])
  t.ok(receiver.received.every((r) => verified(r, ep.secret)), 'every attempt signed')
  const body = JSON.parse(receiver.received[0]!.body)
  t.match(body, { id: ids[0], type: 'redemption.voided', data: { redemptionId: '1', reversedDiscountCents: 100 } })
  t.match(body.createdAt, /^\d{4}-\d\d-\d\dT/)
  t.ok(receiver.received.every((r) => r.body === receiver.received[0]!.body), 'the same body every time')

  const [a, b, c] = receiver.received.map((r) => r.at)
  // Backoff: 200 ms nominal after the first failure, 400 after the second, each +-20%.
  t.ok(b! - a! >= 160, `second attempt ${b! - a!} ms after the first`)
  t.ok(c! - b! >= 400 + 320, `third attempt ${c! - b!} ms after the second (400 ms timeout + 400 ms backoff)`)
  const [d] = await deliveries(ta, ep.id)
  t.match(d, { eventId: ids[0], status: 'succeeded', attempts: 3, lastStatusCode: 204, lastError: null })
})

t.test('dead after the last attempt, visible, and redeliverable', async (t) => {
  const ta = await buildTestApp(t)
  const receiver = await startReceiver(t, () => ({ status: 503 }))
  const ep = await createEndpoint(ta, { url: receiver.url })
  await emit(ta)
  dispatcher(t, ta, { retry: { maxAttempts: 3, baseMs: 50, capMs: 200 } })
  await waitFor('dead', async () => (await deliveries(ta, ep.id, '?status=dead')).length === 1)
  t.equal(receiver.received.length, 3, 'exactly the documented number of attempts')
  const [dead] = await deliveries(ta, ep.id, '?status=dead')
  t.match(dead, { status: 'dead', attempts: 3, lastStatusCode: 503, lastError: 'receiver answered 503' })
  const health = (await ta.call(ADMIN_KEY, { method: 'GET', url: `/v1/webhooks/${ep.id}` })).json()
  t.match(health.deliveries, { pending: 0, dead: 1, lastDeliveredAt: null, lastFailure: { statusCode: 503 } })
  await new Promise((r) => setTimeout(r, 300))
  t.equal(receiver.received.length, 3, 'a dead delivery is not tried again by itself')

  receiver.respond = () => ({ status: 200 })
  const again = await ta.call(ADMIN_KEY, { method: 'POST', url: `/v1/webhooks/${ep.id}/redeliver-dead` })
  t.same(again.json(), { redelivered: 1 })
  await waitFor('redelivered', async () => (await deliveries(ta, ep.id))[0]?.status === 'succeeded')
  t.equal(receiver.received.length, 4)
  t.equal(receiver.received[3]!.headers['lanelist-event-id'], dead!.eventId, 'same event id after redelivery')
  t.equal(receiver.received[3]!.headers['lanelist-delivery-attempt'], '1', 'a fresh set of attempts')

  // A delivered event can be sent again on request (the receiver lost it).
  const one = await ta.call(ADMIN_KEY, { method: 'POST', url: `/v1/webhooks/${ep.id}/deliveries/${dead!.id}/redeliver` })
  t.equal(one.statusCode, 200, one.body)
  t.match(one.json(), { id: dead!.id, status: 'pending', attempts: 0 })
  await waitFor('sent again', () => receiver.received.length === 5)
  t.equal(receiver.received[4]!.headers['lanelist-event-id'], dead!.eventId)
  t.equal((await ta.call(ADMIN_KEY, { method: 'POST', url: `/v1/webhooks/${ep.id}/deliveries/999999/redeliver` })).statusCode, 404)
  t.equal((await ta.call(ADMIN_KEY, { method: 'GET', url: `/v1/webhooks/${ep.id}/deliveries?status=lost` })).statusCode, 400)
  const audit = await ta.database.db.selectFrom('audit_log').select('action').where('action', '=', 'webhook.redeliver').execute()
  t.equal(audit.length, 2)
})

t.test('fan-out follows subscriptions; a disabled endpoint gets nothing', async (t) => {
  const ta = await buildTestApp(t)
  const receiver = await startReceiver(t)
  await createEndpoint(ta, { url: `${receiver.url}/voids` })
  await createEndpoint(ta, { url: `${receiver.url}/lists`, eventTypes: ['list.created'] })
  const off = await createEndpoint(ta, { url: `${receiver.url}/off`, enabled: false })
  await emit(ta, 2)
  await emit(ta, 1, 'list.created')
  dispatcher(t, ta)
  await waitFor('all delivered', () => receiver.received.length === 3)
  await new Promise((r) => setTimeout(r, 200))
  const byPath = (p: string) => receiver.received.filter((r) => r.path === `/hook/${p}`)
  t.equal(byPath('voids').length, 2)
  t.equal(byPath('lists').length, 1)
  t.equal(byPath('off').length, 0)
  t.equal((await deliveries(ta, off.id)).length, 0)
})

t.test('pausing an endpoint holds its retries; enabling it again sends them', async (t) => {
  const ta = await buildTestApp(t)
  const receiver = await startReceiver(t, () => ({ status: 500 }))
  const ep = await createEndpoint(ta, { url: receiver.url })
  await emit(ta)
  dispatcher(t, ta, { retry: { maxAttempts: 10, baseMs: 100, capMs: 100 } })
  await waitFor('a first failure', () => receiver.received.length >= 1)
  await ta.call(ADMIN_KEY, { method: 'PATCH', url: `/v1/webhooks/${ep.id}`, payload: { enabled: false } })
  // An attempt already claimed may still land (on a busy machine, well after the pause);
  // unpaused they would keep coming every 100 ms, so a quiet 500 ms means paused.
  let seen = receiver.received.length
  let quietSince = Date.now()
  await waitFor('the attempts to stop', () => {
    if (receiver.received.length !== seen) [seen, quietSince] = [receiver.received.length, Date.now()]
    return Date.now() - quietSince >= 500
  })
  const held = receiver.received.length
  await emit(ta)
  await new Promise((r) => setTimeout(r, 400))
  t.equal(receiver.received.length, held, 'nothing is sent while paused')
  t.match((await deliveries(ta, ep.id))[0], { status: 'pending' })
  receiver.respond = () => ({ status: 200 })
  await ta.call(ADMIN_KEY, { method: 'PATCH', url: `/v1/webhooks/${ep.id}`, payload: { enabled: true } })
  await waitFor('the held retry', async () => (await deliveries(ta, ep.id, '?status=succeeded')).length === 1)
  t.equal((await deliveries(ta, ep.id)).length, 1, 'the event recorded while paused was not queued for it')
})

t.test('a slow receiver does not hold up the others', async (t) => {
  const ta = await buildTestApp(t)
  // The slow one answers after the attempt timeout: while its attempts hang, the fast one must flow.
  const slow = await startReceiver(t, () => ({ delayMs: 30_000 }))
  const fast = await startReceiver(t)
  await createEndpoint(ta, { url: slow.url })
  await createEndpoint(ta, { url: fast.url })
  await emit(ta, 10)
  dispatcher(t, ta, { timeoutMs: 20_000, maxInFlight: 4, perEndpoint: 2 })
  await waitFor('the fast receiver got everything', () => fast.received.length === 10, 15_000)
  t.ok(slow.received.length <= 2, `the slow one holds at most its per-endpoint share (${slow.received.length})`)
})

t.test('two instances on one database deliver each event once per endpoint', async (t) => {
  const ta = await buildTestApp(t)
  const a = await startReceiver(t, () => ({ delayMs: 20 }))
  const b = await startReceiver(t, () => ({ delayMs: 20 }))
  await createEndpoint(ta, { url: a.url })
  await createEndpoint(ta, { url: b.url })
  // The second instance has its own pool, as a second process would.
  const other = connectDatabase(ta.database.url, { max: 4 })
  t.teardown(() => other.close())
  const counts = [0, 0]
  const counting = (i: number) => ({ ...quiet, debug: () => void counts[i]!++ })
  dispatcher(t, ta, { log: counting(0), maxInFlight: 4 })
  dispatcher(t, ta, { db: other.db, log: counting(1), maxInFlight: 4 })
  await emit(ta, 40)
  await waitFor('80 deliveries', () => a.received.length + b.received.length >= 80)
  await new Promise((r) => setTimeout(r, 300))
  for (const r of [a, b]) {
    const ids = r.received.map((x) => x.headers['lanelist-event-id'])
    t.equal(ids.length, 40, 'every event, once')
    t.equal(new Set(ids).size, 40, 'no duplicates')
  }
  t.ok(counts[0]! > 0 && counts[1]! > 0, `both instances delivered (${counts.join(' + ')})`)
  const left = await ta.database.db.selectFrom('webhook_delivery').select('status').where('status', '<>', 'succeeded').execute()
  t.equal(left.length, 0)
})
