import t from 'tap'
import { runListJobsOnce } from '../../src/modules/lists/list-tasks.ts'
import { buildTestApp } from '../helpers/app.ts'
import { AS_OF, population } from './list-generation-fixtures.ts'

t.test('GET /v1/customers/{id}/profile explains the customer and their offers', async (t) => {
  const { call, createKey, database } = await buildTestApp(t)
  const { db, pool } = database
  const key = await createKey('backoffice')
  const pop = await population(db)

  t.equal((await call(null, { method: 'GET', url: `/v1/customers/${pop.regular[0]}/profile` })).statusCode, 401)
  t.equal((await call(key, { method: 'GET', url: '/v1/customers/99999999/profile' })).statusCode, 404)
  t.equal((await call(key, { method: 'GET', url: '/v1/customers/abc/profile' })).statusCode, 400)

  const before = (await call(key, { method: 'GET', url: `/v1/customers/${pop.small}/profile` })).json()
  t.match(before, { customerId: String(pop.small), eligible: false, currentList: null, holdout: false, voucherBalanceCents: 0 })

  await call(key, { method: 'POST', url: '/v1/list-generations', payload: { asOf: AS_OF } })
  await runListJobsOnce(pool, db)

  const res = await call(key, { method: 'GET', url: `/v1/customers/${pop.regular[5]}/profile` })
  t.equal(res.statusCode, 200)
  const p = res.json()
  t.match(p, { eligible: true, optOut: false, asOf: AS_OF, holdout: false })
  t.ok(['A', 'B', 'C', 'D'].includes(p.valueTier))
  t.ok(p.lifecycle)
  t.ok(p.segments.some((s: { category: string; brandGroup: string; usage: string }) => s.category === 'Pantry/Coffee' && s.brandGroup === 'national' && s.usage === 'high'))
  t.ok(p.cycles.length > 0, 'purchase cycles')
  for (const c of p.cycles) {
    t.ok(c.cycleDays > 0 && c.name && c.lastPurchase, `cycle of ${c.name}: every ${c.cycleDays} days, last ${c.lastPurchase}, next ${c.expectedNext}`)
  }
  t.ok(p.currentList, 'the current list')
  const offers = p.currentList.offers as { offerId: string; given: boolean; reason: string; name: string; kind: string }[]
  t.ok(offers.length >= 3)
  const dairy = offers.find((o) => o.offerId === String(pop.offers.dairy))!
  t.match(dairy, { given: true, name: '50c off dairy', kind: 'offer' })
  t.match(dairy.reason, /every customer.*saves you about/)
  t.ok(offers.some((o) => o.kind === 'perk' && o.given))

  const opted = (await call(key, { method: 'GET', url: `/v1/customers/${pop.optedOut}/profile` })).json()
  t.match(opted, { optOut: true, valueTier: null, segments: [] })
  t.ok(opted.currentList.offers.every((o: { given: boolean; reason: string }) => o.given || /not to personalise|do not expect/.test(o.reason)))
})
