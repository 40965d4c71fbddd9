import t from 'tap'
import { ADMIN_KEY, buildTestApp } from '../helpers/app.ts'

const problemType = /application\/problem\+json/

t.test('unknown routes answer 404 problem+json', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ method: 'GET', url: '/v1/nope?card=2912345678904' })
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], problemType)
  t.match(res.json(), { status: 404, title: String, type: /route-not-found$/, detail: /GET \/v1\/nope/ })
  t.notMatch(res.body, /2912345678904/, 'query strings are not echoed')
})

t.test('malformed JSON is a 400 problem, not a 500', async (t) => {
  const { call } = await buildTestApp(t)
  const res = await call(ADMIN_KEY, {
    method: 'POST',
    url: '/v1/api-keys',
    headers: { 'content-type': 'application/json' },
    payload: '{"role": "pos", ',
  })
  t.equal(res.statusCode, 400)
  t.match(res.headers['content-type'], problemType)
  t.match(res.json(), { status: 400, type: /bad-request$/, detail: /JSON/ })
})

t.test('a body that is not JSON is a 415 problem saying what to send, and nothing is written', async (t) => {
  const { call, database } = await buildTestApp(t)
  const keys = async () => (await database.pool.query('select count(*)::int as n from api_key')).rows[0].n
  const before = await keys()
  for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
    const res = await call(ADMIN_KEY, { method: 'POST', url: '/v1/api-keys', headers: { 'content-type': type }, payload: '{"role":"pos","name":"lane"}' })
    t.equal(res.statusCode, 415, type)
    t.match(res.headers['content-type'], problemType)
    t.match(res.json(), { status: 415, type: /unsupported-media-type$/, detail: /must be application\/json/ })
  }
  t.equal(await keys(), before, 'no key created')
})

t.test('validation errors name every bad field', async (t) => {
  const { call } = await buildTestApp(t)
  const res = await call(ADMIN_KEY, { method: 'POST', url: '/v1/api-keys', payload: { role: 'cashier', name: '' } })
  t.equal(res.statusCode, 400)
  const body = res.json()
  t.match(body, { type: /validation-failed$/, status: 400 })
  t.same(body.errors.map((e: { path: string }) => e.path).sort(), ['name', 'role'])
})

t.test('a missing body on a JSON route is a 400 naming the body', async (t) => {
  const { call } = await buildTestApp(t)
  const res = await call(ADMIN_KEY, { method: 'POST', url: '/v1/api-keys' })
  t.equal(res.statusCode, 400)
  t.match(res.headers['content-type'], problemType)
})

t.test('keys: none, malformed, unknown and revoked are 401; the wrong role is 403', async (t) => {
  const { call, createKey, createStore } = await buildTestApp(t)
  const noKey = await call(null, { method: 'GET', url: '/v1/api-keys' })
  t.equal(noKey.statusCode, 401)
  t.match(noKey.headers['content-type'], problemType)

  const basic = await call(null, { method: 'GET', url: '/v1/api-keys', headers: { authorization: 'Basic dXNlcjpwYXNz' } })
  t.equal(basic.statusCode, 401)

  const unknown = await call('ll_notARealKeyAtAllButLongEnough000000000000', { method: 'GET', url: '/v1/api-keys' })
  t.equal(unknown.statusCode, 401)

  const store = await createStore('S01')
  const pos = await createKey('pos', store)
  const backoffice = await createKey('backoffice')
  t.equal((await call(pos, { method: 'GET', url: '/v1/api-keys' })).statusCode, 403, 'pos may not manage keys')
  const bo = await call(backoffice, { method: 'GET', url: '/v1/api-keys' })
  t.equal(bo.statusCode, 403, 'backoffice may not manage keys')
  t.match(bo.json().detail, /needs a admin key; this key is backoffice/)
})

t.test('admin keys: create shows the key once, stores only its hash, revoke takes effect', async (t) => {
  const { call, database, createStore } = await buildTestApp(t)
  await createStore('S02')
  const created = await call(ADMIN_KEY, { method: 'POST', url: '/v1/api-keys', payload: { role: 'pos', storeId: 'S02', name: 'lane 7' } })
  t.equal(created.statusCode, 201)
  const { id, key, role, storeId, prefix } = created.json()
  t.match(key, /^ll_[A-Za-z0-9_-]{43}$/)
  t.same([role, storeId], ['pos', 'S02'])
  t.equal(prefix, key.slice(0, 10))

  const row = await database.db.selectFrom('api_key').selectAll().where('id', '=', Number(id)).executeTakeFirstOrThrow()
  t.notOk(JSON.stringify(row).includes(key.slice(3)), 'the key itself is not stored')

  const listed = await call(ADMIN_KEY, { method: 'GET', url: '/v1/api-keys' })
  t.notMatch(listed.body, key, 'listing never shows a key')

  const admin2 = (await call(ADMIN_KEY, { method: 'POST', url: '/v1/api-keys', payload: { role: 'admin', name: 'ops' } })).json().key
  t.equal((await call(admin2, { method: 'GET', url: '/v1/api-keys' })).statusCode, 200, 'a created admin key works')

  t.equal((await call(ADMIN_KEY, { method: 'DELETE', url: `/v1/api-keys/${id}` })).statusCode, 204)
  t.equal((await call(ADMIN_KEY, { method: 'DELETE', url: `/v1/api-keys/${id}` })).statusCode, 204, 'revoking twice is fine')
  t.equal((await call(ADMIN_KEY, { method: 'DELETE', url: '/v1/api-keys/999999' })).statusCode, 404)
  t.equal((await call(ADMIN_KEY, { method: 'DELETE', url: '/v1/api-keys/abc' })).statusCode, 400)

  const audit = await database.db.selectFrom('audit_log').select(['action', 'actor']).orderBy('id').execute()
  t.same(
    audit.map((a) => a.action),
    ['api_key.create', 'api_key.create', 'api_key.revoke'],
  )
  t.equal(audit[0]!.actor, 'key:bootstrap')
})

t.test('a revoked key stops working', async (t) => {
  const { call, createKey } = await buildTestApp(t)
  const admin = await createKey('admin')
  const list = await call(ADMIN_KEY, { method: 'GET', url: '/v1/api-keys' })
  const id = list.json().items[0].id
  await call(ADMIN_KEY, { method: 'DELETE', url: `/v1/api-keys/${id}` })
  t.equal((await call(admin, { method: 'GET', url: '/v1/api-keys' })).statusCode, 401)
})

t.test('key rules: pos needs an existing store, others have none', async (t) => {
  const { call } = await buildTestApp(t)
  const noStore = await call(ADMIN_KEY, { method: 'POST', url: '/v1/api-keys', payload: { role: 'pos', name: 'x' } })
  t.equal(noStore.statusCode, 400)
  t.same(noStore.json().errors, [{ path: 'storeId', message: 'a pos key must be bound to a store' }])
  const unknownStore = await call(ADMIN_KEY, { method: 'POST', url: '/v1/api-keys', payload: { role: 'pos', storeId: 'S99', name: 'x' } })
  t.equal(unknownStore.statusCode, 422)
  const boWithStore = await call(ADMIN_KEY, { method: 'POST', url: '/v1/api-keys', payload: { role: 'backoffice', storeId: 'S01', name: 'x' } })
  t.equal(boWithStore.statusCode, 400)
})

t.test('no bootstrap key configured: the admin routes are closed', async (t) => {
  const { call } = await buildTestApp(t, { LANELIST_ADMIN_KEY: '' })
  t.equal((await call(ADMIN_KEY, { method: 'GET', url: '/v1/api-keys' })).statusCode, 401)
})

t.test('logs carry one line per request and never a key or card number in clear', async (t) => {
  const { call, logs, createStore } = await buildTestApp(t)
  await createStore('S03')
  const created = await call(ADMIN_KEY, { method: 'POST', url: '/v1/api-keys', payload: { role: 'pos', storeId: 'S03', name: 'lane' } })
  const key = created.json().key
  await call(key, { method: 'GET', url: '/v1/customers/lookup?card=2912345678904' })
  const text = logs.join('')
  t.notMatch(text, key, 'the created key is not logged')
  t.notMatch(text, ADMIN_KEY, 'the bootstrap key is not logged')
  t.notMatch(text, '2912345678904', 'card numbers in URLs are masked')
  const requestLines = logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request')
  t.equal(requestLines.length, 2)
  t.match(requestLines[0], { method: 'POST', route: '/v1/api-keys', status: 201, ms: Number })
})
