import t from 'tap'
import { ADMIN_KEY, buildTestApp, type TestApp } from '../helpers/app.ts'

async function audits(ta: TestApp, entity: string, entityId: string) {
  return ta.database.db.selectFrom('audit_log').select(['action', 'actor', 'detail']).where('entity', '=', entity).where('entity_id', '=', entityId).orderBy('id').execute()
}

t.test('PUT creates (201) then updates (200) a store, with a canonical time zone, audited', async (t) => {
  const ta = await buildTestApp(t)
  const key = await ta.createKey('backoffice')
  const put = (body: object) => ta.call(key, { method: 'PUT', url: '/v1/stores/S01', payload: body })

  const created = await put({ name: 'Main Street', timezone: 'america/chicago' })
  t.equal(created.statusCode, 201, created.body)
  t.match(created.json(), { id: 'S01', name: 'Main Street', timezone: 'America/Chicago', active: true })

  const updated = await put({ name: 'Main St.', timezone: 'America/Chicago' })
  t.equal(updated.statusCode, 200)
  t.match(updated.json(), { name: 'Main St.', active: true })

  const rows = await audits(ta, 'store', 'S01')
  t.same(rows.map((r) => r.action), ['store.create', 'store.update'])
  t.match(rows[0]!.actor, /^key:\d+$/)

  const list = await ta.call(key, { method: 'GET', url: '/v1/stores' })
  t.equal(list.statusCode, 200)
  t.same(list.json().items.map((s: { id: string }) => s.id), ['S01'])
})

t.test('invalid time zone, offsets, bad ids and unknown fields are 400 naming the field', async (t) => {
  const ta = await buildTestApp(t)
  const key = await ta.createKey('backoffice')
  for (const timezone of ['Mars/Olympus', '+01:00', '']) {
    const res = await ta.call(key, { method: 'PUT', url: '/v1/stores/S01', payload: { name: 'X', timezone } })
    t.equal(res.statusCode, 400, timezone)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    t.ok(res.json().errors.some((e: { path: string }) => e.path === 'timezone'), `${timezone}: ${res.body}`)
  }
  const both = await ta.call(key, { method: 'PUT', url: '/v1/stores/S01', payload: { name: '', timezone: 'Nowhere/Land', extra: 1 } })
  t.equal(both.statusCode, 400)
  const paths = both.json().errors.map((e: { path: string }) => e.path)
  t.ok(paths.includes('name') && paths.includes('timezone'), both.body)

  const badId = await ta.call(key, { method: 'PUT', url: '/v1/stores/bad%20id!', payload: { name: 'X', timezone: 'UTC' } })
  t.equal(badId.statusCode, 400)
  t.equal(badId.json().errors[0].path, 'params.storeId')
  t.equal(await ta.database.db.selectFrom('store').select('id').executeTakeFirst(), undefined, 'nothing written')
})

t.test('store with lanes: create, rename, deactivate (soft), reactivate', async (t) => {
  const ta = await buildTestApp(t)
  const key = await ta.createKey('backoffice')
  await ta.call(key, { method: 'PUT', url: '/v1/stores/S02', payload: { name: 'North', timezone: 'America/Chicago' } })

  const lane = await ta.call(key, { method: 'PUT', url: '/v1/stores/S02/lanes/07', payload: { name: 'Express' } })
  t.equal(lane.statusCode, 201, lane.body)
  t.match(lane.json(), { id: '07', name: 'Express', active: true })
  t.equal((await ta.call(key, { method: 'PUT', url: '/v1/stores/S02/lanes/08', payload: {} })).statusCode, 201)

  // Omitted fields keep their value.
  const renamed = await ta.call(key, { method: 'PUT', url: '/v1/stores/S02/lanes/07', payload: { active: true } })
  t.equal(renamed.statusCode, 200)
  t.equal(renamed.json().name, 'Express')

  const del = await ta.call(key, { method: 'DELETE', url: '/v1/stores/S02/lanes/07' })
  t.equal(del.statusCode, 204)
  t.equal((await ta.call(key, { method: 'DELETE', url: '/v1/stores/S02/lanes/07' })).statusCode, 204, 'idempotent')

  const store = await ta.call(key, { method: 'GET', url: '/v1/stores/S02' })
  t.equal(store.statusCode, 200)
  t.same(
    store.json().lanes.map((l: { id: string; active: boolean; name: string | null }) => [l.id, l.active, l.name]),
    [['07', false, 'Express'], ['08', true, null]],
  )
  const laneRow = await ta.database.db.selectFrom('lane').selectAll().where('id', '=', '07').executeTakeFirst()
  t.equal(laneRow?.active, false, 'the row stays: history refers to it')

  const back = await ta.call(key, { method: 'PUT', url: '/v1/stores/S02/lanes/07', payload: { active: true, name: null } })
  t.match(back.json(), { active: true, name: null })

  t.equal((await ta.call(key, { method: 'DELETE', url: '/v1/stores/S02' })).statusCode, 204)
  t.equal((await ta.call(key, { method: 'GET', url: '/v1/stores/S02' })).json().active, false)
  // PUT without "active" keeps it deactivated; with active=true reactivates.
  t.equal((await ta.call(key, { method: 'PUT', url: '/v1/stores/S02', payload: { name: 'North', timezone: 'UTC' } })).json().active, false)
  t.equal((await ta.call(key, { method: 'PUT', url: '/v1/stores/S02', payload: { name: 'North', timezone: 'UTC', active: true } })).json().active, true)

  t.same(
    (await audits(ta, 'lane', 'S02/07')).map((r) => r.action),
    ['lane.create', 'lane.update', 'lane.deactivate', 'lane.update'],
    'a repeated deactivation is not audited twice',
  )
  t.same((await audits(ta, 'store', 'S02')).map((r) => r.action), ['store.create', 'store.deactivate', 'store.update', 'store.update'])
})

t.test('unknown store or lane is 404; a lane of an unknown store is not created', async (t) => {
  const ta = await buildTestApp(t)
  const key = await ta.createKey('backoffice')
  t.equal((await ta.call(key, { method: 'GET', url: '/v1/stores/NOPE' })).statusCode, 404)
  t.equal((await ta.call(key, { method: 'DELETE', url: '/v1/stores/NOPE' })).statusCode, 404)
  const lane = await ta.call(key, { method: 'PUT', url: '/v1/stores/NOPE/lanes/01', payload: {} })
  t.equal(lane.statusCode, 404)
  t.equal(lane.json().type, 'https://lanelist.dev/problems/not-found')
  await ta.createStore('S03')
  t.equal((await ta.call(key, { method: 'DELETE', url: '/v1/stores/S03/lanes/99' })).statusCode, 404)
  const badLane = await ta.call(key, { method: 'PUT', url: '/v1/stores/S03/lanes/a.b', payload: {} })
  t.equal(badLane.statusCode, 400)
  t.equal(badLane.json().errors[0].path, 'params.laneId')
})

t.test('keys: none is 401, pos is 403, admin may act as backoffice', async (t) => {
  const ta = await buildTestApp(t)
  const storeId = await ta.createStore()
  const pos = await ta.createKey('pos', storeId)
  t.equal((await ta.call(null, { method: 'GET', url: '/v1/stores' })).statusCode, 401)
  t.equal((await ta.call('nonsense', { method: 'GET', url: '/v1/stores' })).statusCode, 401)
  const forbidden = await ta.call(pos, { method: 'PUT', url: '/v1/stores/S09', payload: { name: 'X', timezone: 'UTC' } })
  t.equal(forbidden.statusCode, 403)
  t.equal((await ta.call(ADMIN_KEY, { method: 'GET', url: '/v1/stores' })).statusCode, 200)
})
