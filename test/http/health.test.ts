import t from 'tap'
import { buildTestApp } from '../helpers/app.ts'

t.test('liveness needs no key and says live', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ method: 'GET', url: '/health/live' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'live' })
})

t.test('readiness is ready on a migrated database', async (t) => {
  const { app } = await buildTestApp(t)
  const res = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ready', checks: { database: 'ok', migrations: 'ok', shuttingDown: false } })
})

t.test('readiness is 503 when a migration is pending', async (t) => {
  const { app, database } = await buildTestApp(t)
  await database.db.deleteFrom('lanelist_migration').where('version', '=', 1).execute()
  const res = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(res.statusCode, 503)
  t.equal(res.json().checks.migrations, 'pending')
  t.equal(res.headers['retry-after'], '1')
})

t.test('readiness is 503 when the database is unreachable', async (t) => {
  const { app, database } = await buildTestApp(t)
  // Point the pool at a port nobody listens on by ending it: every query now fails.
  await database.pool.end()
  const res = await app.inject({ method: 'GET', url: '/health/ready' })
  t.equal(res.statusCode, 503)
  t.equal(res.json().checks.database, 'unreachable')
})

t.test('metrics are Prometheus text with route histograms and pool gauges', async (t) => {
  const { app } = await buildTestApp(t)
  await app.inject({ method: 'GET', url: '/health/live' })
  const res = await app.inject({ method: 'GET', url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /text\/plain/)
  t.match(res.body, /http_request_duration_seconds_bucket\{.*route="\/health\/live".*\}/)
  t.match(res.body, /http_request_duration_seconds_count\{method="GET",route="\/health\/live",status_code="200"\} 1/)
  t.match(res.body, /lanelist_db_pool_total \d+/)
  t.match(res.body, /lanelist_db_pool_waiting \d+/)
})
