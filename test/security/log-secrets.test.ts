// Personal data and secrets never reach the logs: a representative flow through every kind of
// route (keys, enrolment, lane calls by card and by list, reversals, errors, lookups, prints),
// then its whole log grepped. test/run.ts greps the logs of the whole suite the same way.
// Also: the printed list carries no personal data beyond the customer's first name.
import t from 'tap'
import { ADMIN_KEY } from '../helpers/app.ts'
import { item } from '../helpers/checkout-fixtures.ts'
import { findSecrets } from './log-scan.ts'
import { PII, seedWorld } from './route-catalog.ts'

t.test('a whole flow logs no card, list barcode, key, name or household fact', async (t) => {
  const w = await seedWorld(t)
  const calls: [string | null, string, string, unknown?][] = [
    [w.posKey, 'POST', '/v1/redemptions/quote', w.body(w.barcode, [item('milk', 3)])],
    [w.posKey, 'POST', '/v1/redemptions', w.body(w.barcode, [item('milk'), item('cheese')])],
    [w.posKey, 'POST', `/v1/redemptions/${w.redemptionId}/returns`, { posReturnId: 'R-1', items: [{ gtin: item('milk').gtin, quantity: 1 }] }],
    [w.posKey, 'POST', `/v1/redemptions/${w.redemptionId}/void`],
    // Mistyped and unknown codes, an offline sale, a bad body naming the card.
    [w.posKey, 'POST', '/v1/redemptions', w.body(`${w.cardNumber.slice(0, 12)}0`, [item('milk')])],
    [w.posKey, 'POST', '/v1/redemptions', w.body('2000000000008', [item('milk')])],
    [w.posKey, 'POST', '/v1/redemptions', w.body(w.cardNumber, [item('milk')], { offline: true })],
    [w.posKey, 'POST', '/v1/redemptions', { scannedCode: w.cardNumber, firstName: PII.firstName }],
    [w.otherPosKey, 'POST', '/v1/redemptions', w.body(w.cardNumber, [item('milk')])],
    [w.officeKey, 'GET', `/v1/customers/lookup?card=${w.cardNumber}`],
    [w.officeKey, 'GET', `/v1/customers/lookup?card=${w.barcode}`],
    [w.officeKey, 'GET', `/v1/customers/${w.customerId}`],
    [w.officeKey, 'PATCH', `/v1/customers/${w.customerId}`, { firstName: `${PII.firstName}a`, household: { postalCode: PII.postalCode } }],
    [w.officeKey, 'POST', '/v1/customers', { firstName: PII.firstName, externalId: `${PII.externalId}-2`, household: { postalCode: 'bad postal code!!' } }],
    [w.officeKey, 'GET', `/v1/customers/${w.customerId}/profile`],
    [w.officeKey, 'GET', `/v1/lists/${w.listId}`],
    [w.officeKey, 'GET', `/v1/lists/${w.listId}/print`],
    [w.officeKey, 'GET', `/v1/list-generations/${w.generationId}/lists`],
    [w.officeKey, 'POST', `/v1/customers/${w.spare.customerId}/erase`],
    [ADMIN_KEY, 'POST', '/v1/api-keys', { role: 'backoffice', name: 'flow' }],
    [`${w.posKey}x`, 'POST', '/v1/redemptions', w.body(w.cardNumber, [item('milk')])],
    [null, 'GET', `/v1/customers/lookup?card=${w.cardNumber}`],
  ]
  for (const [key, method, url, payload] of calls) {
    const res = await w.call(key, { method: method as 'GET', url, ...(payload === undefined ? {} : { payload: payload as object }) })
    t.ok(res.statusCode < 500, `${method} ${url.slice(0, 60)}: ${res.statusCode}`)
  }
  const created = (await w.call(ADMIN_KEY, { method: 'POST', url: '/v1/api-keys', payload: { role: 'admin', name: 'flow 2' } })).json().key as string

  const text = w.logs.join('')
  t.ok(w.logs.length > calls.length, `${w.logs.length} log lines`)
  const secrets = [w.cardNumber, w.barcode, w.posKey, w.otherPosKey, w.officeKey, w.adminKey, created, ADMIN_KEY, PII.firstName, PII.externalId, PII.postalCode]
  t.same(findSecrets(text, 'flow', secrets), [], 'nothing personal or secret in the log')
})

t.test('the scanner finds what it looks for', async (t) => {
  const found = findSecrets(
    '{"url":"/v1/x?card=2000000000008"} LL000000000017 ll_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ a.b@example.com {"firstName":"Ann"} {"authorization":"Bearer x"} test-admin-key-0123456789abcdef',
  ).map((f) => f.what)
  t.same(found.sort(), ['API key', 'authorization header', 'bootstrap key', 'card number', 'e-mail address', 'list barcode', 'personal field'].sort())
  t.same(findSecrets('{"time":1795427253071,"ms":2000000000001,"firstName":null,"authorization":"[redacted]"}'), [], 'timestamps, nulls and redactions are fine')
})

t.test('the printed list carries no personal data beyond the first name', async (t) => {
  const w = await seedWorld(t)
  for (const url of [`/v1/lists/${w.listId}/print`, `/v1/list-generations/${w.generationId}/print`]) {
    const res = await w.call(w.officeKey, { method: 'GET', url })
    t.equal(res.statusCode, 200, url)
    t.match(res.headers['content-type'], /text\/html/)
    const html = res.body
    t.ok(html.includes(PII.firstName), `${url}: addressed by first name`)
    for (const [what, value] of [
      ['card number', w.cardNumber],
      ['external id', PII.externalId],
      ['postal code', PII.postalCode],
      ['customer id', `customer ${w.customerId}`],
    ] as const) {
      t.notOk(html.includes(value), `${url}: no ${what}`)
    }
    t.notMatch(html, /postal|household|adults|pets|@[a-z0-9-]+\.[a-z]{2,}/i, `${url}: no household facts or e-mail`)
  }
})
