// The report routes' contract on an empty installation: roles, validation as problem+json
// naming each bad field, JSON and CSV negotiation, the rollup status and its job.
import t from 'tap'
import { runReportJobsOnce } from '../../src/modules/reports/report-tasks.ts'
import { buildTestApp } from '../helpers/app.ts'

t.test('report routes: roles, validation, CSV, rollup job', async (t) => {
  const { call, createKey, createStore, database } = await buildTestApp(t)
  const office = await createKey('backoffice')
  const pos = await createKey('pos', await createStore('S01'))
  const routes = ['/v1/reports/segments', '/v1/reports/value', '/v1/reports/offers', '/v1/reports/manufacturers', '/v1/reports/rollup']

  for (const url of routes) {
    t.equal((await call(null, { method: 'GET', url })).statusCode, 401, `${url} without a key`)
    const forbidden = await call(pos, { method: 'GET', url })
    t.equal(forbidden.statusCode, 403, `${url} with a pos key`)
    t.match(forbidden.headers['content-type'], /application\/problem\+json/)
    t.equal((await call(office, { method: 'GET', url })).statusCode, 200, `${url} with a backoffice key`)
  }
  t.equal((await call(pos, { method: 'POST', url: '/v1/reports/rollup' })).statusCode, 403)

  const empty = (await call(office, { method: 'GET', url: '/v1/reports/offers?from=2026-11-01&to=2026-11-30' })).json()
  t.match(empty, { from: '2026-11-01', to: '2026-11-30', offers: [] })
  t.match((await call(office, { method: 'GET', url: '/v1/reports/segments' })).json(), { snapshot: null, categories: [] })
  t.match((await call(office, { method: 'GET', url: '/v1/reports/value' })).json(), { customers: 0, earlyWarning: { total: 0, customers: [] } })

  // Validation: every bad field named, also when the client asked for CSV.
  const bad = await call(office, { method: 'GET', url: '/v1/reports/offers?from=2026-13-01&to=yesterday', headers: { accept: 'text/csv' } })
  t.equal(bad.statusCode, 400)
  t.match(bad.headers['content-type'], /application\/problem\+json/)
  const paths = (bad.json().errors as { path: string }[]).map((e) => e.path).sort()
  t.same(paths, ['querystring.from', 'querystring.to'])
  const reversed = await call(office, { method: 'GET', url: '/v1/reports/manufacturers?from=2026-11-30&to=2026-11-01' })
  t.equal(reversed.statusCode, 400)
  t.match(reversed.json(), { errors: [{ path: 'querystring.from', message: /not be after/ }] })
  const tooLong = await call(office, { method: 'GET', url: '/v1/reports/offers?from=2020-01-01&to=2026-11-01' })
  t.match(tooLong.json(), { status: 400, errors: [{ path: 'querystring.to' }] })
  const badValue = await call(office, { method: 'GET', url: '/v1/reports/value?limit=0&table=pie&days=x' })
  t.equal(badValue.statusCode, 400)
  t.same((badValue.json().errors as { path: string }[]).map((e) => e.path).sort(), ['querystring.days', 'querystring.limit', 'querystring.table'])
  t.equal((await call(office, { method: 'GET', url: '/v1/reports/segments?category=/Health' })).statusCode, 400)
  t.equal((await call(office, { method: 'GET', url: '/v1/reports/offers?offerId=abc' })).statusCode, 400)

  // CSV by Accept; JSON stays the default and q=0 refuses CSV.
  const csv = await call(office, { method: 'GET', url: '/v1/reports/manufacturers?from=2026-11-01&to=2026-11-30', headers: { accept: 'text/csv' } })
  t.equal(csv.statusCode, 200)
  t.match(csv.headers['content-type'], /^text\/csv/)
  t.match(csv.headers['content-disposition'], /attachment; filename="manufacturer-claims-2026-11-01-2026-11-30.csv"/)
  t.equal(csv.body, 'manufacturer,offer_id,offer_name,from,to,redemptions,units,face_value_cents\r\n')
  const json = await call(office, { method: 'GET', url: '/v1/reports/manufacturers', headers: { accept: 'application/json, text/csv;q=0' } })
  t.match(json.headers['content-type'], /application\/json/)
  const seg = await call(office, { method: 'GET', url: '/v1/reports/segments?table=moves', headers: { accept: 'text/csv' } })
  t.equal(seg.body.split('\r\n')[0], 'as_of,category,from_brand_group,from_usage,to_brand_group,to_usage,customers,after_offer')

  // The rollup: queued by POST, run by the worker, its freshness reported.
  const before = (await call(office, { method: 'GET', url: '/v1/reports/rollup' })).json()
  t.match(before, { queued: false, offersRolledAt: null, pendingReversals: 0 })
  const queued = await call(office, { method: 'POST', url: '/v1/reports/rollup' })
  t.equal(queued.statusCode, 202)
  t.equal(queued.json().queued, true)
  await runReportJobsOnce(database.pool, database.db)
  const after = (await call(office, { method: 'GET', url: '/v1/reports/rollup' })).json()
  t.ok(after.offersRolledAt && after.valueRolledAt && after.cyclesRolledAt, 'every rollup ran')
  t.equal(after.lastError, null)
})
