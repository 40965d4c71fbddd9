import t from 'tap'
import { reserveOfferBudget } from '../../src/modules/offers/offer.service.ts'
import { ADMIN_KEY, buildTestApp, type TestApp } from '../helpers/app.ts'

const EAN13 = '4006381333931'
const UPCA = '036000291452'

function offerBody(over: Record<string, unknown> = {}) {
  return {
    name: 'Store-brand pain relief trial',
    description: '$1 off store-brand ibuprofen',
    scope: { category: 'Health/Pain relief', brandType: 'store' },
    reward: { type: 'amount_off', amountCents: 100 },
    targeting: { segments: [{ category: 'Health/Pain relief', brandGroup: 'national', usage: 'high' }] },
    validFrom: '2026-11-01',
    validUntil: '2026-11-30',
    fundedBy: 'store',
    ...over,
  }
}

async function setup(t: Parameters<typeof buildTestApp>[0]) {
  const ctx = await buildTestApp(t)
  const key = await ctx.createKey('backoffice')
  const post = (body: unknown, k: string | null = key) => ctx.call(k, { method: 'POST', url: '/v1/offers', payload: body as object })
  const get = (url: string) => ctx.call(key, { method: 'GET', url })
  const patch = (id: string, body: unknown) => ctx.call(key, { method: 'PATCH', url: `/v1/offers/${id}`, payload: body as object })
  const act = (id: string, action: string) => ctx.call(key, { method: 'POST', url: `/v1/offers/${id}/${action}` })
  const create = async (over: Record<string, unknown> = {}) => {
    const res = await post(offerBody(over))
    if (res.statusCode !== 201) throw new Error(res.body)
    return res.json() as { id: string } & Record<string, unknown>
  }
  return { ...ctx, key, post, get, patch, act, create }
}

function paths(res: { json(): unknown }): string[] {
  return ((res.json() as { errors?: { path: string }[] }).errors ?? []).map((e) => e.path)
}

async function auditActions(ctx: TestApp, id: string): Promise<string[]> {
  const rows = await ctx.database.db.selectFrom('audit_log').select('action').where('entity', '=', 'offer').where('entity_id', '=', id).orderBy('id').execute()
  return rows.map((r) => r.action)
}

t.test('every reward type is accepted, stored and read back', async (t) => {
  const ctx = await setup(t)
  const rewards = [
    [{ type: 'amount_off', amountCents: 150 }, { type: 'amount_off', amountCents: 150 }],
    [{ type: 'percent_off', percent: 12.5 }, { type: 'percent_off', percent: 12.5 }],
    [{ type: 'fixed_price', priceCents: 0 }, { type: 'fixed_price', priceCents: 0 }],
    [{ type: 'buy_x_get_y', buy: 2, get: 1 }, { type: 'buy_x_get_y', buy: 2, get: 1, percentOff: 100 }],
    [{ type: 'buy_x_get_y', buy: 1, get: 1, percentOff: 50 }, { type: 'buy_x_get_y', buy: 1, get: 1, percentOff: 50 }],
    [{ type: 'spend_threshold', minSpendCents: 5000, amountCents: 500 }, { type: 'spend_threshold', minSpendCents: 5000, amountCents: 500 }],
  ]
  for (const [reward, stored] of rewards) {
    const res = await ctx.post(offerBody({ reward }))
    t.equal(res.statusCode, 201, JSON.stringify(reward))
    const created = res.json()
    t.match(created.id, /^[0-9]+$/)
    t.same(created.reward, stored)
    t.equal(created.status, 'active')
    t.equal(created.kind, 'offer')
    t.same(created.budget, { maxRedemptions: null, maxDiscountCents: null, usedRedemptions: 0, usedDiscountCents: 0, remainingRedemptions: null, remainingDiscountCents: null })
    const again = await ctx.get(`/v1/offers/${created.id}`)
    t.equal(again.statusCode, 200)
    t.same(again.json(), created, 'GET returns what POST returned')
  }
})

t.test('scope GTINs are normalised to 14 digits; manufacturer deals, limits, budget, stackable', async (t) => {
  const ctx = await setup(t)
  const res = await ctx.post(
    offerBody({
      scope: { gtins: [EAN13, UPCA, `0${EAN13}`] },
      reward: { type: 'percent_off', percent: 20 },
      targeting: { valueTiers: ['A', 'B'], lifecycle: ['declining'], lifeStage: ['pet'] },
      limits: { unitsPerRedemption: 2, redemptionsPerCustomer: 1 },
      budget: { maxRedemptions: 500, maxDiscountCents: 250_000 },
      fundedBy: { manufacturer: 'Acme Pharma' },
      stackable: true,
    }),
  )
  t.equal(res.statusCode, 201, res.body)
  const o = res.json()
  t.same(o.scope, { gtins: ['04006381333931', '00036000291452'] }, 'normalised, duplicates dropped')
  t.same(o.targeting, { valueTiers: ['A', 'B'], lifecycle: ['declining'], lifeStage: ['pet'] })
  t.same(o.limits, { unitsPerRedemption: 2, redemptionsPerCustomer: 1 })
  t.same(o.budget, { maxRedemptions: 500, maxDiscountCents: 250_000, usedRedemptions: 0, usedDiscountCents: 0, remainingRedemptions: 500, remainingDiscountCents: 250_000 })
  t.same(o.fundedBy, { manufacturer: 'Acme Pharma' })
  t.equal(o.stackable, true)
  t.same(await auditActions(ctx, o.id), ['offer.create'])

  const defaults = (await ctx.create({ targeting: { everyone: true }, description: undefined }))
  t.equal(defaults.stackable, false)
  t.equal(defaults.description, '')
  t.same(defaults.targeting, { everyone: true })
  t.same(defaults.fundedBy, 'store')
})

t.test('perks: non-price rewards with optional scope and no limits or budget', async (t) => {
  const ctx = await setup(t)
  const perk = {
    kind: 'perk',
    name: 'Weekly meal plan',
    reward: { type: 'perk', perkType: 'meal_plan', content: 'Five dinners under $40 this week', url: 'https://example.org/plan' },
    targeting: { lifeStage: ['baby'] },
    validFrom: '2026-11-01',
    validUntil: '2026-11-14',
  }
  const res = await ctx.post(perk)
  t.equal(res.statusCode, 201, res.body)
  const p = res.json()
  t.equal(p.kind, 'perk')
  t.equal(p.scope, null)
  t.same(p.reward, perk.reward)
  t.equal(p.fundedBy, 'store')
  t.same(await auditActions(ctx, p.id), ['perk.create'])

  const scoped = await ctx.post({ ...perk, scope: { category: 'Produce' }, reward: { type: 'perk', perkType: 'recipe', content: 'Squash soup' } })
  t.equal(scoped.statusCode, 201)
  t.same(scoped.json().scope, { category: 'Produce' })

  for (const perkType of ['tip', 'fast_lane', 'home_delivery']) {
    const r = await ctx.post({ ...perk, reward: { type: 'perk', perkType, content: 'x' } })
    t.equal(r.statusCode, 201, perkType)
  }

  const bad = await ctx.post({ ...perk, budget: { maxRedemptions: 5 }, reward: { type: 'perk', perkType: 'coupon', content: '' } })
  t.equal(bad.statusCode, 400)
  t.match(bad.json().errors, [{ path: 'reward.perkType' }, { path: 'reward.content' }, { path: 'body', message: /budget/ }])
  const tooLong = await ctx.post({ ...perk, reward: { type: 'perk', perkType: 'tip', content: 'x'.repeat(2001) } })
  t.same(paths(tooLong), ['reward.content'])
  const priceRewardOnPerk = await ctx.post({ ...perk, reward: { type: 'amount_off', amountCents: 100 } })
  t.same(paths(priceRewardOnPerk), ['reward.type'])
  const perkRewardOnOffer = await ctx.post(offerBody({ reward: { type: 'perk', perkType: 'tip', content: 'x' } }))
  t.same(paths(perkRewardOnOffer), ['reward.type'])

  const perks = await ctx.get('/v1/offers?kind=perk')
  t.equal(perks.json().items.length, 5)
  t.ok(perks.json().items.every((o: { kind: string }) => o.kind === 'perk'))

  const noBudget = await ctx.patch(p.id, { budget: { maxRedemptions: 3 }, name: 'Meal plan' })
  t.equal(noBudget.statusCode, 400)
  t.same(paths(noBudget), ['budget.maxRedemptions'])
})

t.test('each invalid field is named in the 400', async (t) => {
  const ctx = await setup(t)
  const cases: [string, Record<string, unknown>, string[]][] = [
    ['bad GTIN check digit', { scope: { gtins: [EAN13, '4006381333932'] } }, ['scope.gtins.1']],
    ['GTIN with letters', { scope: { gtins: ['40063813339X1'] } }, ['scope.gtins.0']],
    ['no GTINs', { scope: { gtins: [] } }, ['scope.gtins']],
    ['too many GTINs', { scope: { gtins: Array.from({ length: 1001 }, () => EAN13) } }, ['scope.gtins']],
    ['gtins and category', { scope: { gtins: [EAN13], category: 'Health' } }, ['scope.category']],
    ['empty scope', { scope: {} }, ['scope.gtins']],
    ['brandType on a GTIN scope', { scope: { gtins: [EAN13], brandType: 'store' } }, ['scope.brandType']],
    ['empty category part', { scope: { category: 'Health//Pain' } }, ['scope.category']],
    ['percent 0', { reward: { type: 'percent_off', percent: 0 } }, ['reward.percent']],
    ['percent 150', { reward: { type: 'percent_off', percent: 150 } }, ['reward.percent']],
    ['negative cents', { reward: { type: 'amount_off', amountCents: -5 } }, ['reward.amountCents']],
    ['zero amount off', { reward: { type: 'amount_off', amountCents: 0 } }, ['reward.amountCents']],
    ['fractional cents', { reward: { type: 'fixed_price', priceCents: 1.5 } }, ['reward.priceCents']],
    ['negative fixed price', { reward: { type: 'fixed_price', priceCents: -1 } }, ['reward.priceCents']],
    ['buy 0', { reward: { type: 'buy_x_get_y', buy: 0, get: 1 } }, ['reward.buy']],
    ['percentOff 0', { reward: { type: 'buy_x_get_y', buy: 1, get: 1, percentOff: 0 } }, ['reward.percentOff']],
    ['threshold above spend', { reward: { type: 'spend_threshold', minSpendCents: 500, amountCents: 600 } }, ['reward.amountCents']],
    ['unknown reward type', { reward: { type: 'cashback', amountCents: 5 } }, ['reward.type']],
    ['extra reward property', { reward: { type: 'amount_off', amountCents: 5, percent: 3 } }, ['reward']],
    ['until before from', { validFrom: '2026-11-10', validUntil: '2026-11-09' }, ['validUntil']],
    ['impossible date', { validFrom: '2026-02-30' }, ['validFrom']],
    ['empty targeting', { targeting: {} }, ['targeting']],
    ['empty criterion list', { targeting: { valueTiers: [] } }, ['targeting.valueTiers']],
    ['everyone false', { targeting: { everyone: false } }, ['targeting.everyone']],
    ['everyone plus criteria', { targeting: { everyone: true, valueTiers: ['A'] } }, ['targeting.everyone']],
    ['unknown brandGroup', { targeting: { segments: [{ category: 'Health', brandGroup: 'loyal', usage: 'high' }] } }, ['targeting.segments.0.brandGroup']],
    ['unknown value tier', { targeting: { valueTiers: ['E'] } }, ['targeting.valueTiers.0']],
    ['unknown lifecycle', { targeting: { lifecycle: ['dormant'] } }, ['targeting.lifecycle.0']],
    ['zero units per redemption', { limits: { unitsPerRedemption: 0 } }, ['limits.unitsPerRedemption']],
    ['negative budget cents', { budget: { maxDiscountCents: -100 } }, ['budget.maxDiscountCents']],
    ['fractional budget', { budget: { maxRedemptions: 2.5 } }, ['budget.maxRedemptions']],
    ['empty manufacturer', { fundedBy: { manufacturer: ' ' } }, ['fundedBy.manufacturer']],
    ['unknown kind', { kind: 'coupon' }, ['kind']],
    ['missing name', { name: undefined }, ['name']],
  ]
  for (const [name, over, expected] of cases) {
    const res = await ctx.post(offerBody(over))
    t.equal(res.statusCode, 400, name)
    t.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8', name)
    t.same(paths(res), expected, name)
  }

  const extra = await ctx.post({ ...offerBody(), discountCode: 'X' })
  t.equal(extra.statusCode, 400)
  t.match(extra.json().errors, [{ path: 'body', message: /discountCode/ }], 'an extra top-level property is named')

  const many = await ctx.post(
    offerBody({
      reward: { type: 'percent_off', percent: 150 },
      validFrom: '2026-11-10',
      validUntil: '2026-11-01',
      targeting: { segments: [{ category: 'Health', brandGroup: 'loyal', usage: 'high' }] },
    }),
  )
  t.equal(many.statusCode, 400)
  t.same(paths(many).sort(), ['reward.percent', 'targeting.segments.0.brandGroup', 'validUntil'], 'one 400 names every bad field')
  t.equal((await ctx.database.db.selectFrom('offer').select('id').execute()).length, 0, 'nothing was written')
})

t.test('state machine: active <-> paused, either -> ended, ended is final', async (t) => {
  const ctx = await setup(t)
  const { id } = await ctx.create()

  const paused = await ctx.act(id, 'pause')
  t.equal(paused.statusCode, 200)
  t.equal(paused.json().status, 'paused')
  t.equal((await ctx.act(id, 'pause')).json().status, 'paused', 'pausing a paused offer is 200')
  const resumed = await ctx.act(id, 'resume')
  t.equal(resumed.statusCode, 200)
  t.equal(resumed.json().status, 'active')
  t.equal((await ctx.act(id, 'resume')).statusCode, 200, 'resuming an active offer is 200')
  await ctx.act(id, 'pause')
  const ended = await ctx.act(id, 'end')
  t.equal(ended.json().status, 'ended', 'a paused offer can end')
  t.equal((await ctx.act(id, 'end')).statusCode, 200, 'ending an ended offer is 200')

  for (const action of ['resume', 'pause']) {
    const res = await ctx.act(id, action)
    t.equal(res.statusCode, 409, action)
    t.equal(res.json().type, 'https://lanelist.dev/problems/conflict')
  }
  const change = await ctx.patch(id, { name: 'Too late' })
  t.equal(change.statusCode, 409, 'an ended offer cannot change')
  t.equal((await ctx.get(`/v1/offers/${id}`)).json().name, 'Store-brand pain relief trial')

  t.same(await auditActions(ctx, id), ['offer.create', 'offer.pause', 'offer.resume', 'offer.pause', 'offer.end'], 'no-ops are not audited')

  const other = await ctx.create()
  t.equal((await ctx.act(other.id, 'end')).json().status, 'ended', 'an active offer can end')

  t.equal((await ctx.act('999999', 'pause')).statusCode, 404)
  t.equal((await ctx.get('/v1/offers/999999')).statusCode, 404)
  t.equal((await ctx.patch('999999', { name: 'x' })).statusCode, 404)
  t.same(paths(await ctx.get('/v1/offers/abc')), ['params.id'])
})

t.test('PATCH changes terms but never what was already used or redeemed', async (t) => {
  const ctx = await setup(t)
  const { db } = ctx.database
  const o = await ctx.create({ budget: { maxRedemptions: 10, maxDiscountCents: 1000 }, limits: { unitsPerRedemption: 3 } })
  const id = Number(o.id)
  t.ok(await reserveOfferBudget(db, id, 300))
  t.ok(await reserveOfferBudget(db, id, 300))

  // A redemption already granted under the old terms.
  const customer = await db.insertInto('customer').defaultValues().returning('id').executeTakeFirstOrThrow()
  const store = await ctx.createStore()
  const sale = await db
    .insertInto('sale')
    .values({ customer_id: customer.id, store_id: store, source: 'lane', external_id: 'T-1', occurred_at: new Date(), day: '2026-11-02', total_before_cents: 1000, total_discount_cents: 300 })
    .returning('id')
    .executeTakeFirstOrThrow()
  const redemption = await db
    .insertInto('redemption')
    .values({ store_id: store, pos_transaction_id: 'T-1', request_hash: 'h', customer_id: customer.id, sale_id: sale.id, response: JSON.stringify({}) })
    .returning('id')
    .executeTakeFirstOrThrow()
  await db.insertInto('redemption_discount').values({ redemption_id: redemption.id, offer_id: id, gtin: '04006381333931', quantity: 3, amount_cents: 300, unit_cents: [100, 100, 100] }).execute()

  const lowered = await ctx.patch(o.id, { budget: { maxRedemptions: 1, maxDiscountCents: 500 } })
  t.equal(lowered.statusCode, 409)
  t.same(paths(lowered), ['budget.maxRedemptions', 'budget.maxDiscountCents'], 'the 409 names each field')
  t.match(lowered.json().errors[0].message, /2 redemptions/)
  const onlyCents = await ctx.patch(o.id, { budget: { maxDiscountCents: 599 } })
  t.equal(onlyCents.statusCode, 409)
  t.same(paths(onlyCents), ['budget.maxDiscountCents'])

  const res = await ctx.patch(o.id, {
    name: 'Renamed',
    description: 'New words',
    validUntil: '2026-12-15',
    targeting: { everyone: true },
    limits: { unitsPerRedemption: null, redemptionsPerCustomer: 2 },
    budget: { maxRedemptions: 2, maxDiscountCents: 600 },
  })
  t.equal(res.statusCode, 200, res.body)
  const changed = res.json()
  t.equal(changed.name, 'Renamed')
  t.equal(changed.validUntil, '2026-12-15')
  t.same(changed.targeting, { everyone: true })
  t.same(changed.limits, { unitsPerRedemption: null, redemptionsPerCustomer: 2 })
  t.same(changed.budget, { maxRedemptions: 2, maxDiscountCents: 600, usedRedemptions: 2, usedDiscountCents: 600, remainingRedemptions: 0, remainingDiscountCents: 0 })
  t.equal(changed.redemptions, 2)
  t.equal(changed.discountGivenCents, 600)
  t.same(changed.reward, o.reward, 'reward untouched')
  t.same(changed.scope, o.scope, 'scope untouched')
  t.equal(await reserveOfferBudget(db, id, 0), false, 'the lowered budget is exhausted')

  const rd = await db.selectFrom('redemption_discount').selectAll().where('offer_id', '=', id).execute()
  t.same(rd.map((r) => [r.amount_cents, r.quantity, r.unit_cents]), [[300, 3, [100, 100, 100]]], 'redemption rows untouched')
  const s = await db.selectFrom('sale').selectAll().where('id', '=', sale.id).executeTakeFirstOrThrow()
  t.equal(s.total_discount_cents, 300, 'sale untouched')

  const removed = await ctx.patch(o.id, { budget: { maxRedemptions: null } })
  t.same(removed.json().budget.remainingRedemptions, null, 'null removes a maximum')

  const audit = await db.selectFrom('audit_log').select(['action', 'detail']).where('entity', '=', 'offer').where('entity_id', '=', o.id).orderBy('id').execute()
  t.same(audit.map((a) => a.action), ['offer.create', 'offer.update', 'offer.update'])
  t.match(audit[1]!.detail, { changes: { name: { from: 'Store-brand pain relief trial', to: 'Renamed' }, 'budget.maxRedemptions': { from: 10, to: 2 } } })

  const same = await ctx.patch(o.id, { name: 'Renamed', targeting: { everyone: true } })
  t.equal(same.statusCode, 200)
  t.equal((await auditActions(ctx, o.id)).length, 3, 're-sending current values changes and audits nothing')

  t.same(paths(await ctx.patch(o.id, { validUntil: '2026-10-31' })), ['validUntil'], 'until before from')
  t.same(paths(await ctx.patch(o.id, {})), ['body'], 'empty patch')
  t.same(paths(await ctx.patch(o.id, { reward: { type: 'amount_off', amountCents: 1 } })), ['body'], 'reward cannot change')
  t.same(paths(await ctx.patch(o.id, { budget: { maxDiscountCents: -1 } })), ['budget.maxDiscountCents'])
  t.same(paths(await ctx.patch(o.id, { targeting: {} })), ['targeting'])

  await ctx.act(o.id, 'pause')
  const whilePaused = await ctx.patch(o.id, { name: 'Paused rename' })
  t.equal(whilePaused.statusCode, 200, 'a paused offer can change')
  t.equal(whilePaused.json().status, 'paused')
})

t.test('list: filters and cursor pagination', async (t) => {
  const ctx = await setup(t)
  const ids: string[] = []
  for (let i = 0; i < 5; i++) ids.push((await ctx.create({ name: `Offer ${i}` })).id)
  await ctx.create({ name: 'December', validFrom: '2026-12-01', validUntil: '2026-12-31' })
  await ctx.act(ids[1]!, 'pause')
  await ctx.act(ids[2]!, 'end')

  const seen: string[] = []
  let cursor: string | null = null
  let pages = 0
  do {
    const res = await ctx.get(`/v1/offers?limit=2${cursor ? `&cursor=${cursor}` : ''}`)
    t.equal(res.statusCode, 200)
    const body = res.json() as { items: { id: string }[]; nextCursor: string | null }
    t.ok(body.items.length <= 2)
    seen.push(...body.items.map((o) => o.id))
    cursor = body.nextCursor
    pages++
  } while (cursor && pages < 10)
  t.equal(pages, 3)
  t.equal(seen.length, 6)
  t.equal(new Set(seen).size, 6, 'no offer twice')
  t.same(seen, [...seen].sort((a, b) => Number(b) - Number(a)), 'newest first')

  const exact = await ctx.get('/v1/offers?limit=6')
  t.equal(exact.json().nextCursor, null, 'a full last page has no next cursor')

  const status = (q: string) => ctx.get(`/v1/offers?${q}`).then((r) => r.json().items.map((o: { name: string }) => o.name))
  t.same(await status('status=paused'), ['Offer 1'])
  t.same(await status('status=ended'), ['Offer 2'])
  t.same(await status('activeOn=2026-11-15'), ['Offer 4', 'Offer 3', 'Offer 0'])
  t.same(await status('activeOn=2026-12-05'), ['December'])
  t.same(await status('activeOn=2026-11-30&kind=offer'), ['Offer 4', 'Offer 3', 'Offer 0'], 'validUntil is inclusive')
  t.same(await status('activeOn=2027-01-01'), [])
  t.same(await status('kind=perk'), [])

  t.same(paths(await ctx.get('/v1/offers?limit=0')), ['querystring.limit'])
  t.same(paths(await ctx.get('/v1/offers?limit=201')), ['querystring.limit'])
  t.same(paths(await ctx.get('/v1/offers?cursor=abc')), ['querystring.cursor'])
  t.same(paths(await ctx.get('/v1/offers?status=gone')), ['querystring.status'])
  t.same(paths(await ctx.get('/v1/offers?activeOn=2026-13-01')), ['querystring.activeOn'])
})

t.test('roles: backoffice and admin may; pos is 403, no key is 401', async (t) => {
  const ctx = await setup(t)
  const store = await ctx.createStore()
  const pos = await ctx.createKey('pos', store)
  const { id } = await ctx.create()

  const noKey = await ctx.post(offerBody(), null)
  t.equal(noKey.statusCode, 401)
  t.equal(noKey.headers['content-type'], 'application/problem+json; charset=utf-8')
  t.equal((await ctx.call(null, { method: 'GET', url: '/v1/offers' })).statusCode, 401)
  t.equal((await ctx.call('ll_not-a-key', { method: 'GET', url: `/v1/offers/${id}` })).statusCode, 401)

  t.equal((await ctx.post(offerBody(), pos)).statusCode, 403)
  t.equal((await ctx.call(pos, { method: 'GET', url: '/v1/offers' })).statusCode, 403)
  t.equal((await ctx.call(pos, { method: 'GET', url: `/v1/offers/${id}` })).statusCode, 403)
  t.equal((await ctx.call(pos, { method: 'PATCH', url: `/v1/offers/${id}`, payload: { name: 'x' } })).statusCode, 403)
  t.equal((await ctx.call(pos, { method: 'POST', url: `/v1/offers/${id}/pause` })).statusCode, 403)

  t.equal((await ctx.post(offerBody(), ADMIN_KEY)).statusCode, 201, 'admin implies backoffice')
  t.equal((await ctx.get(`/v1/offers/${id}`)).json().status, 'active', 'the pos key changed nothing')
})

t.test('the offer routes are documented in the OpenAPI document', async (t) => {
  const ctx = await setup(t)
  const doc = ctx.app.swagger() as { paths: Record<string, Record<string, { tags?: string[]; security?: unknown[]; summary?: string }>> }
  const expected: [string, string][] = [
    ['/v1/offers', 'post'],
    ['/v1/offers', 'get'],
    ['/v1/offers/{id}', 'get'],
    ['/v1/offers/{id}', 'patch'],
    ['/v1/offers/{id}/pause', 'post'],
    ['/v1/offers/{id}/resume', 'post'],
    ['/v1/offers/{id}/end', 'post'],
  ]
  for (const [path, method] of expected) {
    const op = doc.paths[path]?.[method]
    t.ok(op?.summary, `${method} ${path} has a summary`)
    t.same(op?.tags, ['backoffice'])
    t.same(op?.security, [{ bearer: [] }])
  }
})

t.test('a lone UTF-16 surrogate is a 400 naming the field, and nothing changes', async (t) => {
  const { post, patch, get, create } = await setup(t)
  // JSON can spell "\ud800", which is no character: PostgreSQL refuses it in json.
  const raw = (body: string) => body.replace('LONE', '\\ud800')
  const bad = await post(JSON.parse(raw(JSON.stringify(offerBody({ name: 'LONE' })))))
  t.equal(bad.statusCode, 400, bad.body)
  t.same(paths(bad), ['name'])
  t.equal((await get('/v1/offers')).json().items.length, 0, 'nothing created')

  const offer = await create()
  const targeting = { segments: [{ category: 'LONE', brandGroup: 'switcher', usage: 'low' }] }
  const res = await patch(offer.id, JSON.parse(raw(JSON.stringify({ targeting }))))
  t.equal(res.statusCode, 400, res.body)
  t.same(paths(res), ['targeting.segments.0.category'])
  t.match(res.json(), { type: /validation/, errors: [{ message: /not valid Unicode/ }] })
  t.same((await get(`/v1/offers/${offer.id}`)).json().targeting, offerBody().targeting, 'the offer is unchanged')

  const emoji = await create({ name: 'Basket deal 🛒' })
  t.equal(emoji.name, 'Basket deal 🛒', 'a paired surrogate (an emoji) is fine')
})
