import t from 'tap'
import { moveRegenRequests } from '../../src/modules/jobs/regen-requests.ts'
import { maskCard, withCheckDigit } from '../../src/lib/codes.ts'
import { CATALOG, checkoutFixture, item, UNKNOWN_GTIN } from '../helpers/checkout-fixtures.ts'

const NOTHING = { sales: 0, lines: 0, redemptions: 0, discounts: 0, usage: 0, rainChecks: 0, returns: 0, jobs: 0 }

t.test('card scan: list offers applied, every line recorded, usage, job, stored response', async (t) => {
  const f = await checkoutFixture(t)
  const milkOffer = await f.createOffer({ description: '$1 off milk' })
  const riceOffer = await f.createOffer({ description: '10% off rice', scope: { category: 'Pantry/Rice' }, reward: { type: 'percent_off', percent: 10 } })
  const c = await f.customerWithList([milkOffer, riceOffer])

  const body = f.body(c.cardNumber, [item('milk', 2), item('rice', 3), item('cheese'), { gtin: UNKNOWN_GTIN, quantity: 1, unitPriceCents: 250 }])
  // Before tender: the same savings, worded as a prospect, and no list promised for a sale
  // that is not recorded.
  const quoted = await f.quote(body)
  t.equal(quoted.statusCode, 200, quoted.body)
  t.same(quoted.json().receiptLines, ['Your list saves $2.90', 'Offers that apply: 2'])
  const res = await f.redeem(body)
  t.equal(res.statusCode, 201, res.body)
  const r = res.json()
  t.match(r.redemptionId, /^[0-9]+$/)
  t.same(r.customer, { id: c.id, maskedCard: maskCard(c.cardNumber), tier: null })
  t.equal(r.listId, c.listId)
  // Single use means one redemption; within it, every unit in scope is discounted unless unitsPerRedemption says less.
  t.same(
    r.discounts.map((d: { offerId: string; gtin: string; quantity: number; amountCents: number }) => [d.offerId, d.gtin, d.quantity, d.amountCents]).sort(),
    [
      [milkOffer, CATALOG.milk[0], 2, 200],
      [riceOffer, CATALOG.rice[0], 3, 90],
    ].sort(),
  )
  const before = 2 * 349 + 3 * 299 + 499 + 250
  t.equal(r.totalBeforeCents, before)
  t.equal(r.totalDiscountCents, 290)
  t.equal(r.totalAfterCents, before - 290)
  t.same(r.rainChecks, [])
  t.ok(r.receiptLines.length > 0)
  for (const line of r.receiptLines) t.ok(line.length <= 40, `receipt line fits: ${line}`)
  t.same(r.receiptLines, ['You saved $2.90 with your list', 'Offers used: 2', 'Your next list: ready now'])

  const db = f.database.db
  const sale = await db.selectFrom('sale').selectAll().executeTakeFirstOrThrow()
  t.match(sale, { customer_id: Number(c.id), store_id: 'S01', lane_id: '07', source: 'lane', external_id: body.posTransactionId, day: '2026-11-22', total_before_cents: before, total_discount_cents: 290, status: 'recorded' })
  const lines = await db.selectFrom('sale_line').selectAll().orderBy('line_no').execute()
  t.same(
    lines.map((l) => [l.line_no, l.gtin, l.quantity, l.unit_price_cents, l.discount_cents, l.product_id === null]),
    [
      [1, CATALOG.milk[0], 2, 349, 200, false],
      [2, CATALOG.rice[0], 3, 299, 90, false],
      [3, CATALOG.cheese[0], 1, 499, 0, false],
      [4, UNKNOWN_GTIN, 1, 250, 0, true],
    ],
    'all lines, the unknown GTIN without a product and never discounted',
  )
  const discounts = await db.selectFrom('redemption_discount').selectAll().orderBy('offer_id').execute()
  t.same(discounts.map((d) => [String(d.offer_id), d.quantity, d.amount_cents, d.unit_cents]), [
    [milkOffer, 2, 200, [100, 100]],
    [riceOffer, 3, 90, [30, 30, 30]],
  ])
  const usage = await db.selectFrom('offer_usage').selectAll().orderBy('offer_id').execute()
  t.same(usage.map((u) => [String(u.offer_id), u.redemptions, u.discount_cents]), [
    [milkOffer, 1, 200],
    [riceOffer, 1, 90],
  ])
  const offer = await f.call(f.officeKey, { method: 'GET', url: `/v1/offers/${milkOffer}` })
  t.match(offer.json().budget, { usedRedemptions: 1, usedDiscountCents: 200 }, 'budget counters count the redemption')
  const requests = await f.database.pool.query(`select customer_id from list_regen_request`)
  t.same(requests.rows, [{ customer_id: Number(c.id) }], 'regeneration request committed with the sale')
  t.equal(await moveRegenRequests(f.database.db), 1, 'moved into the job queue')
  const jobs = await f.database.pool.query(`select j.key, j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks k on k.id = j.task_id where k.identifier = 'regenerate_list'`)
  t.same(jobs.rows, [{ key: `regen:${c.id}`, payload: { customerId: c.id } }], 'as a regenerate_list job keyed by customer')
  t.same((await f.database.pool.query(`select * from list_regen_request`)).rows, [], 'and no longer a request row')
  const stored = await db.selectFrom('redemption').select(['response', 'list_id', 'offline']).executeTakeFirstOrThrow()
  t.same(stored.response, r, 'the response is stored for replays')
  t.equal(stored.list_id, Number(c.listId))
})

t.test('list scan: an old list identifies the customer, the current list\'s offers apply', async (t) => {
  const f = await checkoutFixture(t)
  const oldOffer = await f.createOffer({ description: 'old list offer' })
  const newOffer = await f.createOffer({ description: '$2 off cheese', scope: { gtins: [CATALOG.cheese[0]] }, reward: { type: 'amount_off', amountCents: 200 } })
  const c = await f.createCustomer()
  const old = await f.createList(c.id, [oldOffer])
  const current = await f.createList(c.id, [newOffer])

  for (const barcode of [current.barcode, old.barcode.toLowerCase()]) {
    const res = await f.redeem(f.body(` ${barcode} `, [item('milk'), item('cheese')]))
    t.equal(res.statusCode, 201, res.body)
    const r = res.json()
    t.equal(r.customer.id, c.id)
    t.equal(r.customer.maskedCard, maskCard(c.cardNumber))
    t.equal(r.listId, current.id)
    if (barcode === current.barcode) {
      t.same(r.discounts.map((d: { offerId: string }) => d.offerId), [newOffer], 'only the current list\'s offer')
      t.equal(r.totalDiscountCents, 200)
    } else {
      t.same(r.discounts, [], 'the single-use offer was used by the first sale')
    }
  }
})

t.test('no current list: the sale is recorded without discounts', async (t) => {
  const f = await checkoutFixture(t)
  const c = await f.createCustomer()
  const res = await f.redeem(f.body(c.cardNumber, [item('milk', 2)]))
  t.equal(res.statusCode, 201, res.body)
  t.match(res.json(), { listId: null, discounts: [], totalBeforeCents: 698, totalDiscountCents: 0, totalAfterCents: 698 })
  t.match(await f.counts(), { sales: 1, lines: 1, redemptions: 1, discounts: 0, jobs: 1 })
})

t.test('offers that do not apply: paused, ended, outside validity, perks, limits', async (t) => {
  const f = await checkoutFixture(t)
  const paused = await f.createOffer({ description: 'paused' })
  await f.call(f.officeKey, { method: 'POST', url: `/v1/offers/${paused}/pause` })
  const expired = await f.createOffer({ description: 'expired', validFrom: '2026-10-01', validUntil: '2026-11-20' })
  const future = await f.createOffer({ description: 'future', validFrom: '2026-11-23', validUntil: '2026-11-30' })
  // 23:30 in Chicago on the 21st is the 22nd in UTC: the store's day decides.
  const lastDay = await f.createOffer({ description: 'last day 21st', validFrom: '2026-11-01', validUntil: '2026-11-21', scope: { gtins: [CATALOG.cheese[0]] } })
  const twice = await f.createOffer({ description: 'twice', scope: { gtins: [CATALOG.rice[0]] }, limits: { redemptionsPerCustomer: 2, unitsPerRedemption: 1 } })
  const c = await f.customerWithList([paused, expired, future, lastDay, twice])
  const basket = [item('milk'), item('cheese'), item('rice', 3)]

  const late = await f.redeem(f.body(c.cardNumber, basket, { occurredAt: '2026-11-21T23:30:00-06:00' }))
  t.equal(late.statusCode, 201, late.body)
  t.same(late.json().discounts.map((d: { description: string; amountCents: number }) => [d.description, d.amountCents]).sort(), [['last day 21st', 100], ['twice', 100]])

  const next = await f.redeem(f.body(c.cardNumber, basket, { occurredAt: '2026-11-22T00:30:00-06:00' }))
  t.same(next.json().discounts.map((d: { description: string }) => d.description), ['twice'], 'last day over; second use of "twice"')
  const third = await f.redeem(f.body(c.cardNumber, basket))
  t.same(third.json().discounts, [], 'redemptionsPerCustomer 2 reached')
})

t.test('scanned codes that do not identify a usable customer: 422, nothing recorded', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer()
  const c = await f.customerWithList([offer])
  const erasedOne = await f.customerWithList([offer])
  const replaced = await f.createCustomer()
  const rep = await f.call(f.officeKey, { method: 'POST', url: `/v1/customers/${replaced.id}/cards/replace` })
  t.equal(rep.statusCode, 201, rep.body)
  const erase = await f.call(f.officeKey, { method: 'POST', url: `/v1/customers/${erasedOne.id}/erase` })
  t.equal(erase.statusCode, 200, erase.body)

  const mistypedCard = c.cardNumber.slice(0, 12) + String((Number(c.cardNumber[12]) + 1) % 10)
  const cases: [string, number, string, RegExp][] = [
    ['unknown card', 422, withCheckDigit('290000000000'), /no known/],
    ['mistyped card', 422, mistypedCard, /check digit/],
    ['mistyped list', 422, c.barcode.slice(0, 14) + String((Number(c.barcode[14]) + 1) % 10), /check digit/],
    ['noise', 422, 'HELLO', /no known/],
    ['unknown list', 422, 'LL0000000000000', /no known/],
    ['replaced card', 422, replaced.cardNumber, /replaced/],
    ['erased customer card', 422, erasedOne.cardNumber, /no known/],
    ['erased customer list', 422, erasedOne.barcode, /forgotten/],
  ]
  for (const [what, status, code, detail] of cases) {
    const res = await f.redeem(f.body(code, [item('milk')]))
    t.equal(res.statusCode, status, `${what}: ${res.body}`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json().detail, detail, what)
    t.notMatch(res.body, code.length === 13 ? code : '\u0000', 'never echoes a card number')
  }
  const replacedRes = await f.redeem(f.body(replaced.cardNumber, [item('milk')]))
  t.match(replacedRes.json().type, /card-replaced$/)
  t.same(await f.counts(), NOTHING)
})

t.test('each validation failure is 400 naming the field, and records nothing', async (t) => {
  const f = await checkoutFixture(t)
  const c = await f.customerWithList([await f.createOffer()])
  const good = () => f.body(c.cardNumber, [item('milk')])
  const without = (field: string) => {
    const b = good()
    delete b[field]
    return b
  }
  const cases: [string, Record<string, unknown>, string][] = [
    ['missing storeId', without('storeId'), 'storeId'],
    ['missing laneId', without('laneId'), 'laneId'],
    ['missing posTransactionId', without('posTransactionId'), 'posTransactionId'],
    ['missing scannedCode', without('scannedCode'), 'scannedCode'],
    ['missing occurredAt', without('occurredAt'), 'occurredAt'],
    ['missing items', without('items'), 'items'],
    ['wrong type: quantity string', { ...good(), items: [{ ...item('milk'), quantity: '2' }] }, 'items.0.quantity'],
    ['wrong type: storeId number', { ...good(), storeId: 1 }, 'storeId'],
    ['wrong type: offline string', { ...good(), offline: 'yes' }, 'offline'],
    ['negative quantity', { ...good(), items: [item('milk', -1)] }, 'items.0.quantity'],
    ['zero quantity', { ...good(), items: [item('milk', 0)] }, 'items.0.quantity'],
    ['fractional quantity', { ...good(), items: [item('milk', 1.5)] }, 'items.0.quantity'],
    ['negative price', { ...good(), items: [item('milk', 1, -5)] }, 'items.0.unitPriceCents'],
    ['fractional price', { ...good(), items: [item('milk', 1, 3.5)] }, 'items.0.unitPriceCents'],
    ['bad GTIN check digit', { ...good(), items: [item('cheese'), { ...item('milk'), gtin: CATALOG.milk[0].slice(0, 13) + String((Number(CATALOG.milk[0][13]) + 1) % 10) }] }, 'items.1.gtin'],
    ['GTIN not digits', { ...good(), items: [{ ...item('milk'), gtin: 'ABC' }] }, 'items.0.gtin'],
    ['unknown store', { ...good(), storeId: 'S99' }, 'storeId'],
    ['bad store id', { ...good(), storeId: 'S 01' }, 'storeId'],
    ['empty basket', { ...good(), items: [] }, 'items'],
    ['oversized basket', { ...good(), items: Array.from({ length: 501 }, () => item('milk')) }, 'items'],
    ['too many units', { ...good(), items: [item('milk', 9999)] }, 'items'],
    ['occurredAt without offset', { ...good(), occurredAt: '2026-11-22T15:04:05' }, 'occurredAt'],
    ['occurredAt not a time', { ...good(), occurredAt: 'yesterday' }, 'occurredAt'],
    ['posTransactionId with a space', { ...good(), posTransactionId: 'T 1' }, 'posTransactionId'],
    ['posTransactionId too long', { ...good(), posTransactionId: 'T'.repeat(65) }, 'posTransactionId'],
    ['unknown field', { ...good(), discount: 5 }, ''],
    ['offline sale in the future', { ...good(), offline: true, occurredAt: new Date(Date.now() + 3_600_000).toISOString() }, 'occurredAt'],
  ]
  for (const [what, body, path] of cases) {
    const res = await f.redeem(body)
    t.equal(res.statusCode, 400, `${what}: ${res.body}`)
    t.match(res.headers['content-type'], /^application\/problem\+json/, what)
    const paths = (res.json().errors ?? []).map((e: { path: string }) => e.path)
    if (path) t.ok(paths.includes(path), `${what} names ${path}: ${JSON.stringify(paths)}`)
    else t.ok(paths.length > 0, `${what} names a field: ${JSON.stringify(paths)}`)
  }
  const several = await f.redeem({ ...good(), laneId: '', items: [item('milk', 0, -1)] })
  const paths = several.json().errors.map((e: { path: string }) => e.path).sort()
  t.same(paths, ['items.0.quantity', 'items.0.unitPriceCents', 'laneId'], 'every bad field is named')
  const quote = await f.quote({ ...good(), items: [] })
  t.equal(quote.statusCode, 400, 'quote validates the same way')
  t.same(await f.counts(), NOTHING)
})

t.test('idempotent replay, conflicting replay, another store\'s same transaction id', async (t) => {
  const f = await checkoutFixture(t)
  const c = await f.customerWithList([await f.createOffer()])
  const body = f.body(c.cardNumber, [item('milk', 2), item('rice')])
  const first = await f.redeem(body)
  t.equal(first.statusCode, 201, first.body)
  const after = await f.counts()

  const replay = await f.redeem({ ...body, occurredAt: '2026-11-22T21:04:05Z', items: [{ ...item('milk', 2), gtin: CATALOG.milk[0].slice(1) }, item('rice')] })
  t.equal(replay.statusCode, 200, 'same sale spelt differently (offset, GTIN-13) is a replay')
  t.same(replay.json(), first.json(), 'the stored response')
  t.same(await f.counts(), after, 'nothing new recorded')

  const conflict = await f.redeem({ ...body, items: [item('milk', 3)] })
  t.equal(conflict.statusCode, 409)
  t.match(conflict.json().type, /idempotency-conflict$/)
  t.same(await f.counts(), after)

  await f.createStore('S02')
  const key2 = await f.createKey('pos', 'S02')
  const other = await f.redeem({ ...body, storeId: 'S02' }, key2)
  t.equal(other.statusCode, 201, 'the key is per store')
})

t.test('auth: pos key of another store 403, backoffice and admin keys 403, no key 401', async (t) => {
  const f = await checkoutFixture(t)
  const c = await f.customerWithList([await f.createOffer()])
  await f.createStore('S02')
  const otherPos = await f.createKey('pos', 'S02')
  const body = f.body(c.cardNumber, [item('milk')])
  t.equal((await f.redeem(body, otherPos)).statusCode, 403, 'pos key for S02 on S01')
  t.equal((await f.quote(body, otherPos)).statusCode, 403)
  t.equal((await f.redeem(body, f.officeKey)).statusCode, 403, 'backoffice key')
  t.equal((await f.quote(body, f.officeKey)).statusCode, 403)
  t.equal((await f.redeem(body, null)).statusCode, 401)
  t.same(await f.counts(), NOTHING)

  const ok = await f.redeem(body)
  t.equal(ok.statusCode, 201)
  const id = ok.json().redemptionId
  t.equal((await f.voidIt(id, otherPos)).statusCode, 403, 'void with another store\'s key')
  t.equal((await f.voidIt(id, f.officeKey)).statusCode, 403)
  const ret = { posReturnId: 'R1', items: [{ gtin: CATALOG.milk[0], quantity: 1 }] }
  t.equal((await f.returnIt(id, ret, otherPos)).statusCode, 403)
  t.equal((await f.returnIt(id, ret, f.officeKey)).statusCode, 403)
  t.equal((await f.voidIt('999999')).statusCode, 404)
  t.equal((await f.voidIt('abc')).statusCode, 400)
})

t.test('quote equals redeem for the same basket and records nothing', async (t) => {
  const f = await checkoutFixture(t)
  const o1 = await f.createOffer()
  const o2 = await f.createOffer({ description: 'dairy 20%', scope: { category: 'Dairy' }, reward: { type: 'percent_off', percent: 20 } })
  const c = await f.customerWithList([o1, o2])
  const body = f.body(c.cardNumber, [item('milk', 2), item('cheese'), item('yogurt', 4), item('rice')])
  const q = await f.quote(body)
  t.equal(q.statusCode, 200, q.body)
  t.same(await f.counts(), NOTHING, 'a quote records nothing')
  const quoted = q.json()
  t.notOk('redemptionId' in quoted)
  const r = await f.redeem(body)
  t.equal(r.statusCode, 201)
  const { redemptionId: _id, receiptLines: soldLines, ...redeemed } = r.json()
  const { receiptLines: quotedLines, ...prospect } = quoted
  t.same(redeemed, prospect, 'same discounts and totals')
  t.ok(quoted.totalDiscountCents > 0)
  const saved = `$${(quoted.totalDiscountCents / 100).toFixed(2)}`
  t.same(quotedLines, [`Your list saves ${saved}`, 'Offers that apply: 2'], 'the quote says what the basket would save')
  t.same(soldLines, [`You saved ${saved} with your list`, 'Offers used: 2', 'Your next list: ready now'], 'the sale what it saved')
})

t.test('occurredAt is kept as the instant; the day is the store\'s', async (t) => {
  const f = await checkoutFixture(t)
  const c = await f.createCustomer()
  const res = await f.redeem(f.body(c.cardNumber, [item('milk')], { occurredAt: '2026-11-23T03:00:00Z' }))
  t.equal(res.statusCode, 201)
  const sale = await f.database.db.selectFrom('sale').select(['day', 'occurred_at']).executeTakeFirstOrThrow()
  t.equal(sale.day, '2026-11-22', '21:00 in Chicago')
  t.equal(sale.occurred_at.toISOString(), '2026-11-23T03:00:00.000Z')
})

t.test('a store with a lane register redeems only on its active lanes', async (t) => {
  const f = await checkoutFixture(t)
  const c = await f.customerWithList([await f.createOffer()])
  const sale = (lane: string, n: number) => f.body(c.cardNumber, [item('milk')], { laneId: lane, posTransactionId: `LANE-${n}` })
  t.equal((await f.redeem(sale('42', 1))).statusCode, 201, 'no register yet: any lane')

  const put = await f.call(f.officeKey, { method: 'PUT', url: `/v1/stores/${f.storeId}/lanes/07`, payload: { name: 'Lane 7' } })
  t.equal(put.statusCode, 201, put.body)
  const before = await f.counts()
  const unknown = await f.redeem(sale('42', 2))
  t.equal(unknown.statusCode, 400, unknown.body)
  t.same(unknown.json().errors.map((e: { path: string }) => e.path), ['laneId'])
  t.match(unknown.json().errors[0].message, /lane 42 is not an active lane/)
  t.equal((await f.quote(sale('42', 2))).statusCode, 400, 'quote checks the lane too')
  t.same(await f.counts(), before, 'nothing recorded')
  t.equal((await f.redeem(sale('07', 3))).statusCode, 201, 'a registered lane')

  const del = await f.call(f.officeKey, { method: 'DELETE', url: `/v1/stores/${f.storeId}/lanes/07` })
  t.equal(del.statusCode, 204, del.body)
  const closed = await f.redeem(sale('07', 4))
  t.equal(closed.statusCode, 400, 'a lane taken out of service')
  t.same(closed.json().errors.map((e: { path: string }) => e.path), ['laneId'])
  const replay = await f.redeem(sale('07', 3))
  t.equal(replay.statusCode, 400, 'the lane is checked before the replay is looked up')
})
