// Per-key rate limits (src/plugins/rate-limit.ts): a key over its limit gets 429 problem+json
// with Retry-After and RateLimit headers; other keys are unaffected; limits differ by role.
import t from 'tap'
import { loadConfig } from '../../src/config.ts'
import { ADMIN_KEY } from '../helpers/app.ts'
import { checkoutFixture, item } from '../helpers/checkout-fixtures.ts'

const problemType = /^application\/problem\+json/

t.test('a key over its limit gets 429 with Retry-After; another key is unaffected', async (t) => {
  const fx = await checkoutFixture(t, { LANELIST_RATE_LIMIT_POS: '5', LANELIST_RATE_LIMIT_BACKOFFICE: '3' })
  const customer = await fx.createCustomer()
  const body = () => fx.body(customer.cardNumber, [item('milk')])

  for (let i = 1; i <= 5; i++) {
    const res = await fx.quote(body())
    t.equal(res.statusCode, 200, `call ${i} is served`)
    t.equal(res.headers['ratelimit-limit'], '5')
    t.equal(res.headers['ratelimit-remaining'], String(5 - i))
    t.ok(Number(res.headers['ratelimit-reset']) > 0, 'ratelimit-reset')
  }
  const limited = await fx.quote(body())
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['content-type'], problemType)
  t.match(limited.json(), { type: /\/rate-limited$/, status: 429, title: 'Too many requests', detail: /pos key may make 5 requests per 60 s/ })
  const retryAfter = Number(limited.headers['retry-after'])
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`)
  t.equal(limited.headers['ratelimit-remaining'], '0')

  const bad = await fx.call(fx.posKey, { method: 'POST', url: '/v1/redemptions/quote', payload: '{not json', headers: { 'content-type': 'application/json' } })
  t.equal(bad.statusCode, 429, 'a limited request is refused before its body is read')

  const otherLane = await fx.createKey('pos', fx.storeId)
  t.equal((await fx.quote(body(), otherLane)).statusCode, 200, 'another pos key of the same store is unaffected')

  // Different limits per role.
  const office = await fx.call(fx.officeKey, { method: 'GET', url: '/v1/stores' })
  t.equal(office.statusCode, 200)
  t.equal(office.headers['ratelimit-limit'], '3', 'backoffice keys have their own limit')

  // Health, metrics and refused keys are not counted against anyone.
  for (let i = 0; i < 10; i++) {
    const res = await fx.app.inject({ method: 'GET', url: '/health/live' })
    t.equal(res.statusCode, 200)
    t.notOk(res.headers['ratelimit-limit'], 'probes carry no limit')
  }
  const unknown = await fx.call('ll_unknownKeyThatIsLongEnough0000000000000000', { method: 'POST', url: '/v1/redemptions/quote', payload: body() })
  t.equal(unknown.statusCode, 401)
})

t.test('a role with limit 0 is not limited', async (t) => {
  const fx = await checkoutFixture(t, { LANELIST_RATE_LIMIT_ADMIN: '0', LANELIST_RATE_LIMIT_BACKOFFICE: '2' })
  for (let i = 0; i < 5; i++) {
    const res = await fx.call(ADMIN_KEY, { method: 'GET', url: '/v1/stores' })
    t.equal(res.statusCode, 200)
    t.notOk(res.headers['ratelimit-limit'])
  }
})

t.test('the default limits leave a busy store room: a peak minute of a 40-lane store on one key', async (t) => {
  const config = loadConfig({})
  // 40 lanes, a sale every 20 s each at the peak, a quote and a redemption per sale, and a
  // retry or a void now and then: about 300 calls a minute on the store's one pos key.
  const peakMinute = 40 * 3 * 2 + 60
  t.ok(config.LANELIST_RATE_LIMIT_POS >= peakMinute * 5, `pos limit ${config.LANELIST_RATE_LIMIT_POS} per minute is 5x the peak`)
  t.equal(config.LANELIST_RATE_LIMIT_WINDOW_SECONDS, 60)

  const fx = await checkoutFixture(t)
  const customer = await fx.createCustomer()
  const statuses = new Map<number, number>()
  for (let i = 0; i < peakMinute; i++) {
    const res = await fx.quote(fx.body(customer.cardNumber, [item('milk'), item('rice', 2)]))
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1)
  }
  t.same(Object.fromEntries(statuses), { 200: peakMinute }, `${peakMinute} calls in well under a minute, none limited`)
})
