import t from 'tap'
import { classifyScannedCode, withCheckDigit } from '../../src/lib/codes.ts'
import { findCustomerByCard, getCustomerSummary } from '../../src/modules/customers/customer.service.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const ta = await buildTestApp(t)
  const key = await ta.createKey('backoffice')
  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: object) => ta.call(key, { method, url, ...(payload ? { payload } : {}) })
  const enrol = async (body: object = {}) => {
    const res = await call('POST', '/v1/customers', body)
    if (res.statusCode !== 201) throw new Error(res.body)
    return res.json() as { id: string; cardNumber: string }
  }
  return { ta, key, call, enrol }
}

const auditsFor = (ta: TestApp, id: string) =>
  ta.database.db.selectFrom('audit_log').select(['action', 'detail']).where('entity', '=', 'customer').where('entity_id', '=', id).orderBy('id').execute()

const insertSale = (ta: TestApp, customerId: string, externalId: string) =>
  ta.database.db
    .insertInto('sale')
    .values({ customer_id: Number(customerId), source: 'lane', external_id: externalId, occurred_at: '2026-11-20T10:00:00-06:00', day: '2026-11-20', total_before_cents: 1234 })
    .returning('id')
    .executeTakeFirstOrThrow()

t.test('enrol issues a valid active card; the record reads back; audited without personal data', async (t) => {
  const { ta, call, enrol } = await setup(t)
  const storeId = await ta.createStore()
  const bare = await enrol()
  t.match(bare, { id: /^[0-9]+$/, cardNumber: /^29[0-9]{11}$/, firstName: null, household: {}, personalisationOptOut: false, erasedAt: null })
  t.same(classifyScannedCode(bare.cardNumber), { kind: 'card', number: bare.cardNumber }, 'check digit valid')

  const household = { adults: 2, children: 1, pets: true, baby: false, postalCode: '53703' }
  const full = await enrol({ firstName: ' Maria ', externalId: 'C-1001', homeStoreId: storeId, household })
  t.match(full, { firstName: 'Maria', externalId: 'C-1001', homeStoreId: storeId, household })
  t.not(full.cardNumber, bare.cardNumber)

  const got = await call('GET', `/v1/customers/${full.id}`)
  t.equal(got.statusCode, 200)
  t.same(got.json(), full)

  const audit = await auditsFor(ta, full.id)
  t.same(audit.map((a) => a.action), ['customer.create'])
  const text = JSON.stringify(audit)
  t.notOk(text.includes(full.cardNumber), 'no card number in clear')
  t.notOk(text.includes('Maria') || text.includes('53703'), 'no personal values')
  t.match(audit[0]!.detail, { fields: ['firstName', 'externalId', 'homeStoreId', 'household'], card: /^•••• \d{4}$/ })
})

t.test('enrol validates strictly and names each bad field; nothing half-written', async (t) => {
  const { ta, call, enrol } = await setup(t)
  const res = await call('POST', '/v1/customers', {
    firstName: '',
    household: { adults: 0, children: -1, pets: 'yes', postalCode: '!!', income: 50000 },
    nickname: 'x',
  })
  t.equal(res.statusCode, 400)
  const paths = res.json().errors.map((e: { path: string }) => e.path)
  for (const p of ['firstName', 'household.adults', 'household.children', 'household.pets', 'household.postalCode', 'household', 'body']) {
    t.ok(paths.includes(p), `${p} named in ${JSON.stringify(paths)}`)
  }

  const noStore = await call('POST', '/v1/customers', { homeStoreId: 'NOPE' })
  t.equal(noStore.statusCode, 422)
  t.same(noStore.json().errors, [{ path: 'homeStoreId', message: 'no such store' }])

  await enrol({ externalId: 'C-7' })
  const dup = await call('POST', '/v1/customers', { externalId: 'C-7', firstName: 'Other' })
  t.equal(dup.statusCode, 409)
  t.equal(dup.json().errors[0].path, 'externalId')
  t.equal((await ta.database.db.selectFrom('customer').select('id').execute()).length, 1, 'no customer from the failed calls')
  t.equal((await ta.database.db.selectFrom('card').select('number').execute()).length, 1, 'no card from the failed calls')
})

t.test('listing pages by cursor with the active card, no duplicates or gaps', async (t) => {
  const { call, enrol } = await setup(t)
  const enrolled = []
  for (let i = 0; i < 12; i++) enrolled.push(await enrol({ firstName: `C${i}` }))
  const seen: { id: string; cardNumber: string }[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res = await call('GET', `/v1/customers?limit=5${cursor ? `&cursor=${cursor}` : ''}`)
    t.equal(res.statusCode, 200)
    const body = res.json() as { items: { id: string; cardNumber: string }[]; nextCursor: string | null }
    seen.push(...body.items)
    cursor = body.nextCursor
    pages++
  } while (cursor && pages < 10)
  t.equal(pages, 3)
  t.same(seen.map((c) => [c.id, c.cardNumber]), enrolled.map((c) => [c.id, c.cardNumber]), 'every customer once, oldest first')

  const productCursor = Buffer.from('p1:1').toString('base64url')
  for (const q of ['cursor=zzz', `cursor=${productCursor}`, 'limit=0', 'limit=x', 'card=1']) {
    const res = await call('GET', `/v1/customers?${q}`)
    t.equal(res.statusCode, 400, q)
  }
})

t.test('replace card: old card looks up as replaced, new one is active, history stays', async (t) => {
  const { ta, call, enrol } = await setup(t)
  const c = await enrol({ firstName: 'Ann' })
  const sale = await insertSale(ta, c.id, 'T-1')

  const before = await call('GET', `/v1/customers/lookup?card=${c.cardNumber}`)
  t.equal(before.statusCode, 200)
  t.match(before.json(), { card: { number: c.cardNumber, status: 'active', replacedAt: null }, customer: { id: c.id, cardNumber: c.cardNumber } })

  const rep = await call('POST', `/v1/customers/${c.id}/cards/replace`)
  t.equal(rep.statusCode, 201, rep.body)
  const { cardNumber: fresh, replacedCardNumber } = rep.json()
  t.equal(replacedCardNumber, c.cardNumber)
  t.not(fresh, c.cardNumber)
  t.equal(classifyScannedCode(fresh).kind, 'card')

  const old = (await call('GET', `/v1/customers/lookup?card=${c.cardNumber}`)).json()
  t.match(old, { card: { status: 'replaced', replacedAt: /Z$/ }, customer: { id: c.id, cardNumber: fresh } })
  t.match((await call('GET', `/v1/customers/lookup?card=${fresh}`)).json(), { card: { status: 'active' }, customer: { id: c.id } })

  t.same(await findCustomerByCard(ta.database.db, c.cardNumber), { customerId: Number(c.id), cardStatus: 'replaced', optOut: false, erased: false })
  t.same(await findCustomerByCard(ta.database.db, fresh), { customerId: Number(c.id), cardStatus: 'active', optOut: false, erased: false })
  const saleRow = await ta.database.db.selectFrom('sale').select('customer_id').where('id', '=', sale.id).executeTakeFirst()
  t.equal(saleRow?.customer_id, Number(c.id), 'history is keyed by the customer, not the card')

  const audit = await auditsFor(ta, c.id)
  t.same(audit.map((a) => a.action), ['customer.create', 'customer.card_replace'])
  t.notOk(JSON.stringify(audit).includes(fresh) || JSON.stringify(audit).includes(c.cardNumber), 'card numbers masked')
})

t.test('two desks replacing the same card at once leave exactly one active card', async (t) => {
  const { ta, call, enrol } = await setup(t)
  const c = await enrol()
  const [a, b] = await Promise.all([call('POST', `/v1/customers/${c.id}/cards/replace`), call('POST', `/v1/customers/${c.id}/cards/replace`)])
  t.equal(a.statusCode, 201)
  t.equal(b.statusCode, 201)
  const cards = await ta.database.db.selectFrom('card').select(['number', 'status']).where('customer_id', '=', Number(c.id)).execute()
  t.equal(cards.length, 3)
  t.equal(cards.filter((k) => k.status === 'active').length, 1)
})

t.test('lookup: unknown card 404, mistyped card 400', async (t) => {
  const { call } = await setup(t)
  const unknown = withCheckDigit('290000000001')
  const res = await call('GET', `/v1/customers/lookup?card=${unknown}`)
  t.equal(res.statusCode, 404)
  t.notOk(res.body.includes(unknown), 'the number is not echoed in clear (problem details are logged)')
  const typo = unknown.slice(0, 12) + String((Number(unknown[12]) + 1) % 10)
  const bad = await call('GET', `/v1/customers/lookup?card=${typo}`)
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().errors[0].path, 'querystring.card')
  t.equal((await call('GET', '/v1/customers/lookup')).statusCode, 400)
})

t.test('opt-out toggles and is audited only when it changes', async (t) => {
  const { ta, call, enrol } = await setup(t)
  const c = await enrol()
  const out = await call('POST', `/v1/customers/${c.id}/opt-out`, { optOut: true })
  t.equal(out.statusCode, 200)
  t.equal(out.json().personalisationOptOut, true)
  t.equal((await findCustomerByCard(ta.database.db, c.cardNumber))?.optOut, true)
  t.equal((await call('POST', `/v1/customers/${c.id}/opt-out`, { optOut: true })).json().personalisationOptOut, true)
  t.equal((await call('POST', `/v1/customers/${c.id}/opt-out`, { optOut: false })).json().personalisationOptOut, false)
  t.same((await auditsFor(ta, c.id)).map((a) => a.action), ['customer.create', 'customer.opt_out', 'customer.opt_in'])
  t.equal((await call('POST', `/v1/customers/${c.id}/opt-out`, { optOut: 'yes' })).statusCode, 400)
  t.equal((await call('POST', `/v1/customers/${c.id}/opt-out`, {})).statusCode, 400)
})

t.test('PATCH changes name, household and home store', async (t) => {
  const { ta, call, enrol } = await setup(t)
  const storeId = await ta.createStore()
  const c = await enrol({ firstName: 'Bob', household: { adults: 2, pets: true } })
  const res = await call('PATCH', `/v1/customers/${c.id}`, { firstName: 'Robert', household: { adults: 1 }, homeStoreId: storeId })
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { firstName: 'Robert', household: { adults: 1 }, homeStoreId: storeId, cardNumber: c.cardNumber })
  t.same(res.json().household, { adults: 1 }, 'household is replaced, not merged')
  const cleared = await call('PATCH', `/v1/customers/${c.id}`, { firstName: null, homeStoreId: null })
  t.match(cleared.json(), { firstName: null, homeStoreId: null, household: { adults: 1 } })

  t.equal((await call('PATCH', `/v1/customers/${c.id}`, {})).statusCode, 400)
  t.equal((await call('PATCH', `/v1/customers/${c.id}`, { household: { cats: 3 } })).statusCode, 400)
  t.equal((await call('PATCH', `/v1/customers/${c.id}`, { cardNumber: '1' })).statusCode, 400)
  t.equal((await call('PATCH', `/v1/customers/${c.id}`, { homeStoreId: 'NOPE' })).statusCode, 422)
  const audit = await auditsFor(ta, c.id)
  t.same(audit.map((a) => a.action), ['customer.create', 'customer.update', 'customer.update'])
  t.match(audit[1]!.detail, { fields: ['firstName', 'household', 'homeStoreId'] })
  t.notOk(JSON.stringify(audit).includes('Robert'))
})

t.test('erase removes personal data and cards, keeps sales; idempotent; then no changes', async (t) => {
  const { ta, call, enrol } = await setup(t)
  const storeId = await ta.createStore()
  const c = await enrol({ firstName: 'Eve', externalId: 'C-42', homeStoreId: storeId, household: { adults: 1, baby: true } })
  await call('POST', `/v1/customers/${c.id}/cards/replace`)
  const sale = await insertSale(ta, c.id, 'T-9')
  const other = await enrol({ firstName: 'Keep' })

  const res = await call('POST', `/v1/customers/${c.id}/erase`)
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { id: c.id, erasedAt: /Z$/ })

  const after = (await call('GET', `/v1/customers/${c.id}`)).json()
  t.match(after, { id: c.id, firstName: null, externalId: null, household: {}, cardNumber: null, personalisationOptOut: true, erasedAt: res.json().erasedAt })
  t.same(await ta.database.db.selectFrom('card').select('number').where('customer_id', '=', Number(c.id)).execute(), [], 'cards gone')
  t.equal((await call('GET', `/v1/customers/lookup?card=${c.cardNumber}`)).statusCode, 404, 'the old number identifies nobody')
  t.equal(await findCustomerByCard(ta.database.db, c.cardNumber), undefined)
  const saleRow = await ta.database.db.selectFrom('sale').select(['customer_id', 'total_before_cents']).where('id', '=', sale.id).executeTakeFirst()
  t.same(saleRow, { customer_id: Number(c.id), total_before_cents: 1234 }, 'the sale stays, on the anonymous id')
  t.match(await getCustomerSummary(ta.database.db, c.id), { erasedAt: /Z$/, maskedCard: null })
  t.match((await call('GET', `/v1/customers/${other.id}`)).json(), { firstName: 'Keep', cardNumber: other.cardNumber }, 'others untouched')

  const again = await call('POST', `/v1/customers/${c.id}/erase`)
  t.equal(again.statusCode, 200)
  t.same(again.json(), res.json(), 'idempotent: same erasure time')

  for (const [method, url, body] of [
    ['PATCH', `/v1/customers/${c.id}`, { firstName: 'Eve' }],
    ['POST', `/v1/customers/${c.id}/cards/replace`, undefined],
    ['POST', `/v1/customers/${c.id}/opt-out`, { optOut: false }],
  ] as const) {
    const r = await call(method, url, body)
    t.equal(r.statusCode, 409, `${method} ${url}`)
    t.equal(r.json().type, 'https://lanelist.dev/problems/conflict')
  }
  t.equal((await ta.database.db.selectFrom('card').select('number').where('customer_id', '=', Number(c.id)).execute()).length, 0, 'no card issued after erasure')

  const audit = await auditsFor(ta, c.id)
  t.same(audit.map((a) => a.action), ['customer.create', 'customer.card_replace', 'customer.erase'])
  const everything = JSON.stringify(await ta.database.db.selectFrom('audit_log').select(['detail', 'entity_id']).execute())
  t.notOk(everything.includes('Eve') || everything.includes('C-42') || everything.includes(c.cardNumber), 'the audit log keeps nothing personal')
})

t.test('unknown ids are 404, malformed ids 400, on every route', async (t) => {
  const { call } = await setup(t)
  const routes = [
    ['GET', (id: string) => `/v1/customers/${id}`, undefined],
    ['PATCH', (id: string) => `/v1/customers/${id}`, { firstName: 'x' }],
    ['POST', (id: string) => `/v1/customers/${id}/cards/replace`, undefined],
    ['POST', (id: string) => `/v1/customers/${id}/opt-out`, { optOut: true }],
    ['POST', (id: string) => `/v1/customers/${id}/erase`, undefined],
  ] as const
  for (const [method, url, body] of routes) {
    t.equal((await call(method, url('999999'), body)).statusCode, 404, `${method} ${url('999999')}`)
    for (const bad of ['abc', '1234567890123456', '-1']) {
      const r = await call(method, url(bad), body)
      t.equal(r.statusCode, 400, `${method} ${url(bad)}`)
      t.equal(r.json().errors[0].path, 'params.id')
    }
  }
})

t.test('keys: none is 401, pos is 403', async (t) => {
  const { ta } = await setup(t)
  const storeId = await ta.createStore()
  const pos = await ta.createKey('pos', storeId)
  t.equal((await ta.call(null, { method: 'POST', url: '/v1/customers', payload: {} })).statusCode, 401)
  t.equal((await ta.call(pos, { method: 'POST', url: '/v1/customers', payload: {} })).statusCode, 403)
  t.equal((await ta.call(pos, { method: 'GET', url: '/v1/customers/lookup?card=2900000000018' })).statusCode, 403)
  t.equal((await ta.database.db.selectFrom('customer').select('id').execute()).length, 0)
})
