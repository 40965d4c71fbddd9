import t from 'tap'
import { ADMIN_KEY } from '../helpers/app.ts'
import { CATALOG, checkoutFixture } from '../helpers/checkout-fixtures.ts'

interface Entry {
  id: string
  at: string
  actor: { id: string; keyId: string | null; name: string | null; role: string | null }
  action: string
  entity: string
  entityId: string | null
  detail: Record<string, unknown>
}

t.test('every back-office change leaves an audit entry with who and when, readable by admins only', async (t) => {
  const f = await checkoutFixture(t)
  const office = f.officeKey
  const officeKeyId = (await f.call(ADMIN_KEY, { method: 'GET', url: '/v1/api-keys' })).json().items.find((k: { role: string }) => k.role === 'backoffice').id as string
  const started = new Date(Date.now() - 1000).toISOString()
  const ok = async (key: string, method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) => {
    const res = await f.call(key, { method, url, ...(payload ? { payload } : {}) })
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`)
    return res.statusCode === 204 ? null : res.json()
  }

  // Each kind of change the issue names, through the HTTP API as people make them.
  const offer = await f.createOffer()
  await ok(office, 'PATCH', `/v1/offers/${offer}`, { description: '$1 off any milk' })
  await ok(office, 'POST', `/v1/offers/${offer}/pause`)
  await ok(office, 'POST', `/v1/offers/${offer}/resume`)
  await ok(office, 'POST', `/v1/offers/${offer}/end`)
  const key = await ok(ADMIN_KEY, 'POST', '/v1/api-keys', { role: 'backoffice', name: 'marketing laptop' })
  await ok(ADMIN_KEY, 'DELETE', `/v1/api-keys/${key.id}`)
  const customer = await ok(office, 'POST', '/v1/customers', { firstName: 'Wilhelmina' })
  await ok(office, 'PATCH', `/v1/customers/${customer.id}`, { firstName: 'Mina' })
  await ok(office, 'POST', `/v1/customers/${customer.id}/cards/replace`)
  await ok(office, 'POST', `/v1/customers/${customer.id}/opt-out`, { optOut: true })
  await ok(office, 'POST', `/v1/customers/${customer.id}/erase`)
  await ok(office, 'PUT', '/v1/stores/S09', { name: 'Lakeside', timezone: 'America/Chicago' })
  await ok(office, 'PUT', '/v1/stores/S09/lanes/01', { name: 'Lane 1' })
  await ok(office, 'DELETE', '/v1/stores/S09/lanes/01')
  await ok(office, 'DELETE', '/v1/stores/S09')
  await ok(office, 'POST', '/v1/products', { products: [{ gtin: '00012345678905', name: 'Oat milk', category: 'Dairy/Milk', brand: 'Oaty', brandType: 'national', regularPriceCents: 299 }] })
  await ok(office, 'PATCH', `/v1/products/${CATALOG.milk[0]}`, { regularPriceCents: 359 })
  const hook = await ok(ADMIN_KEY, 'POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/hook', eventTypes: ['list.created'] })
  await ok(ADMIN_KEY, 'PATCH', `/v1/webhooks/${hook.id}`, { enabled: false })
  const run = await ok(office, 'POST', '/v1/list-generations', { asOf: '2026-11-23' })

  const read = async (query: string) => {
    const res = await f.call(ADMIN_KEY, { method: 'GET', url: `/v1/audit-log${query}` })
    t.equal(res.statusCode, 200, res.body)
    return res.json() as { items: Entry[]; nextCursor: string | null }
  }
  const all: Entry[] = []
  let cursor: string | null = null
  do {
    const page = await read(`?limit=7&from=${encodeURIComponent(started)}${cursor ? `&cursor=${cursor}` : ''}`)
    t.ok(page.items.length <= 7)
    all.push(...page.items)
    cursor = page.nextCursor
  } while (cursor)
  t.equal(new Set(all.map((e) => e.id)).size, all.length, 'paging repeats nothing')
  t.same(all.map((e) => Number(e.id)), all.map((e) => Number(e.id)).sort((a, b) => b - a), 'newest first')

  const find = (action: string, entity: string, entityId: string | null) => all.find((e) => e.action === action && e.entity === entity && (entityId === null || e.entityId === entityId))
  const expected: [string, string, string | null][] = [
    ['offer.create', 'offer', offer],
    ['offer.update', 'offer', offer],
    ['offer.pause', 'offer', offer],
    ['offer.resume', 'offer', offer],
    ['offer.end', 'offer', offer],
    ['api_key.create', 'api_key', key.id],
    ['api_key.revoke', 'api_key', key.id],
    ['customer.create', 'customer', customer.id],
    ['customer.update', 'customer', customer.id],
    ['customer.card_replace', 'customer', customer.id],
    ['customer.opt_out', 'customer', customer.id],
    ['customer.erase', 'customer', customer.id],
    ['store.create', 'store', 'S09'],
    ['lane.create', 'lane', 'S09/01'],
    ['lane.deactivate', 'lane', 'S09/01'],
    ['store.deactivate', 'store', 'S09'],
    ['product.upsert_batch', 'product', null],
    ['product.update', 'product', null],
    ['webhook.create', 'webhook_endpoint', hook.id],
    ['webhook.update', 'webhook_endpoint', hook.id],
    ['list_generation.start', 'list_generation', run.id],
  ]
  for (const [action, entity, id] of expected) {
    const e = find(action, entity, id)
    if (!t.ok(e, `${action} on ${entity} ${id ?? ''}`)) continue
    t.ok(Date.parse(e!.at) >= Date.parse(started) && Date.parse(e!.at) <= Date.now(), `${action}: when`)
    t.ok(e!.actor.id.startsWith('key:'), `${action}: who`)
  }
  t.match(find('offer.pause', 'offer', offer)!.actor, { id: `key:${officeKeyId}`, keyId: officeKeyId, name: 'test backoffice', role: 'backoffice' })
  t.match(find('api_key.create', 'api_key', key.id)!.actor, { id: 'key:bootstrap', keyId: 'bootstrap', name: 'bootstrap admin', role: 'admin' })

  // No personal data: not the name given at enrolment or in the update, not a full card number.
  const text = JSON.stringify(all)
  t.notOk(/Wilhelmina|Mina/.test(text), 'no names')
  t.notOk(text.includes(customer.cardNumber), 'no card numbers')

  // Filters: entity and id, action, time window.
  const ofCustomer = await read(`?entity=customer&entityId=${customer.id}`)
  t.same(ofCustomer.items.map((e) => e.action), ['customer.erase', 'customer.opt_out', 'customer.card_replace', 'customer.update', 'customer.create'])
  t.same((await read('?action=offer.end')).items.map((e) => e.entityId), [offer])
  t.equal((await read(`?from=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).items.length, 0)
  t.equal((await read(`?to=${encodeURIComponent(started)}&entity=offer`)).items.length, 0)

  const denied = await f.call(office, { method: 'GET', url: '/v1/audit-log' })
  t.equal(denied.statusCode, 403)
  const bad = await f.call(ADMIN_KEY, { method: 'GET', url: '/v1/audit-log?from=yesterday&to=2026-01-01T00:00:00Z&limit=0&cursor=nope' })
  t.equal(bad.statusCode, 400)
  const paths = bad.json().errors.map((e: { path: string }) => e.path).join(' ')
  for (const p of ['from', 'limit', 'cursor']) t.match(paths, p, `names ${p}: ${paths}`)
  const reversed = await f.call(ADMIN_KEY, { method: 'GET', url: '/v1/audit-log?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z' })
  t.equal(reversed.statusCode, 400)
  t.match(reversed.json().errors, [{ path: 'querystring.to' }])
})
