// The lane's read shared between concurrent lanes (src/modules/redemptions/redemption-read-coalescer.ts):
// reads arriving while one is in flight go together in one statement, each sale answered as if
// read alone; a batch that fails re-runs its members alone. Each test holds the first read on a
// table lock (customer_profile: the read takes the customer's tier from it, the write never
// touches it) so the others gather behind it, then lets go.
import { createRequire } from 'node:module'
import pg from 'pg'
import t from 'tap'
import { configureReadBatching, readBatching, readBatchStats } from '../../src/modules/redemptions/redemption-read-coalescer.ts'
import { withCheckDigit } from '../../src/lib/codes.ts'
import { checkoutFixture, item, SALE_TIME, type CheckoutFixture } from '../helpers/checkout-fixtures.ts'

const saved = readBatching()
// One statement in flight, and never counted as stalled while a test holds it (but see the last test).
configureReadBatching({ inFlight: 1, maxSales: 32, stallMs: 60_000 })
t.teardown(() => configureReadBatching(saved))

const BATCH_TEXT = 'with ordinality as q(store_id'

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

type Tap = Parameters<typeof checkoutFixture>[0]

/** An admin session holding customer_profile, which every read locks for its customer's tier. */
async function holdReads(t: Tap, f: CheckoutFixture) {
  const admin = new pg.Client({ connectionString: f.database.url })
  await admin.connect()
  t.teardown(() => admin.end())
  await admin.query('begin')
  await admin.query('lock table customer_profile in access exclusive mode')
  /** Backends waiting on a lock in a lane read: the batched statement or single ones. */
  const waiting = async (kind: 'batch' | 'single') => {
    await admin.query('select pg_stat_clear_snapshot()')
    const r = await admin.query(
      `select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()
          and wait_event_type = 'Lock' and query like '%pricing_catalog_version%' and (query like $1) = $2`,
      [`%${BATCH_TEXT}%`, kind === 'batch'],
    )
    return r.rows.map((x) => x.pid as number)
  }
  return { admin, waiting, release: () => admin.query('commit') }
}

/** Every statement text pg sends from this process (a spy on pg's Query; the database is real). */
function spySent(t: Tap): string[] {
  const sent: string[] = []
  const Query = createRequire(import.meta.url)('pg/lib/query.js') as { prototype: { submit: (...a: unknown[]) => unknown; text?: string } }
  const submit = Query.prototype.submit
  Query.prototype.submit = function (this: { text?: string }, ...args: unknown[]) {
    if (this.text?.includes('pricing_catalog_version')) sent.push(this.text)
    return submit.apply(this, args)
  }
  t.teardown(() => {
    Query.prototype.submit = submit
  })
  return sent
}

t.test('a read alone is the single statement, as before batching', async (t) => {
  const f = await checkoutFixture(t)
  const c = await f.customerWithList([await f.createOffer()])
  const sent = spySent(t)
  const before = { ...readBatchStats }
  const res = await f.redeem(f.body(c.cardNumber, [item('milk')]))
  t.equal(res.statusCode, 201, res.body)
  t.equal(res.json().totalDiscountCents, 100)
  t.equal(readBatchStats.single - before.single, 1)
  t.equal(readBatchStats.batches - before.batches, 0)
  t.equal(sent.length, 1)
  t.notMatch(sent[0], BATCH_TEXT, 'not the batched statement')
})

t.test('concurrent lanes with good, unknown, replaced, erased, other-store and replayed codes: one statement, each its own answer', async (t) => {
  const f = await checkoutFixture(t)
  const milk = await f.createOffer({ description: '$1 off milk' })
  const rice = await f.createOffer({ description: '$1 off rice', scope: { gtins: [item('rice').gtin] } })
  const soup = await f.createOffer({ description: '$1 off soup', scope: { gtins: [item('soup').gtin] } })
  const first = await f.customerWithList([milk])
  const byCard = await f.customerWithList([milk, rice])
  const byList = await f.customerWithList([rice])
  const quoted = await f.customerWithList([soup])
  const replayed = await f.customerWithList([milk])
  // Offline: the sale happened while an older list (with the soup offer) was current.
  const offline = await f.createCustomer()
  await f.createList(offline.id, [soup], { status: 'superseded', createdAt: '2026-11-15T08:00:00Z' })
  await f.createList(offline.id, [rice], { createdAt: '2026-11-23T08:00:00Z' })
  const replaced = await f.createCustomer()
  t.equal((await f.call(f.officeKey, { method: 'POST', url: `/v1/customers/${replaced.id}/cards/replace` })).statusCode, 201)
  const erased = await f.customerWithList([milk])
  t.equal((await f.call(f.officeKey, { method: 'POST', url: `/v1/customers/${erased.id}/erase` })).statusCode, 200)
  // Another store with its own lane and key: its sale in the same statement reads its own store.
  await f.createStore('S02')
  const s02Key = await f.createKey('pos', 'S02')
  const atS02 = await f.customerWithList([milk])
  const earlierBody = f.body(replayed.cardNumber, [item('milk', 2)])
  const earlier = await f.redeem(earlierBody)
  t.equal(earlier.statusCode, 201, earlier.body)

  const basket = [item('milk'), item('rice'), item('soup')]
  const aloneFirst = {
    card: (await f.quote(f.body(byCard.cardNumber, basket, { laneId: '01' }))).json(),
    list: (await f.quote(f.body(byList.barcode, basket, { laneId: '02' }))).json(),
  }

  const hold = await holdReads(t, f)
  const before = { ...readBatchStats }
  const sent = spySent(t)
  const held = f.redeem(f.body(first.cardNumber, [item('milk')]))
  await until('the first read to wait on the lock', async () => (await hold.waiting('single')).length === 1)
  const lanes = {
    card: f.redeem(f.body(byCard.cardNumber, basket, { laneId: '01' })),
    list: f.redeem(f.body(byList.barcode, basket, { laneId: '02' })),
    quote: f.quote(f.body(quoted.barcode, basket, { laneId: '03' })),
    unknown: f.redeem(f.body(withCheckDigit('290000000000'), basket, { laneId: '04' })),
    replacedCard: f.redeem(f.body(replaced.cardNumber, basket, { laneId: '05' })),
    erasedList: f.redeem(f.body(erased.barcode, basket, { laneId: '06' })),
    replay: f.redeem(earlierBody),
    conflict: f.redeem({ ...earlierBody, items: [item('milk', 3)] }),
    offline: f.redeem(f.body(offline.cardNumber, basket, { laneId: '08', offline: true, occurredAt: SALE_TIME })),
    otherStore: f.redeem(f.body(atS02.cardNumber, basket, { storeId: 'S02' }), s02Key),
    // A pos key of another store is refused before any read.
    wrongKey: f.redeem(f.body(byCard.cardNumber, basket), s02Key),
  }
  // Every lane but the refused one reads; all of them gather behind the held read.
  await until('ten reads to gather', () => readBatchStats.waiting === 10)
  await hold.release()
  const first201 = await held
  const r = Object.fromEntries(await Promise.all(Object.entries(lanes).map(async ([k, p]) => [k, await p] as const)))

  t.equal(first201.statusCode, 201, first201.body)
  t.equal(readBatchStats.batches - before.batches, 1, 'one multi-sale read statement')
  t.equal(readBatchStats.batchedSales - before.batchedSales, 10, 'with the ten that gathered')
  t.equal(readBatchStats.fallbacks - before.fallbacks, 0)
  t.equal(sent.filter((s) => s.includes(BATCH_TEXT)).length, 1, 'the batched statement was sent once')

  t.equal(r.card!.statusCode, 201, r.card!.body)
  t.same(r.card!.json().discounts.map((d: { offerId: string; amountCents: number }) => [d.offerId, d.amountCents]), [[milk, 100], [rice, 100]])
  t.match(r.card!.json(), { customer: { id: byCard.id }, listId: byCard.listId })
  t.equal(r.list!.statusCode, 201, r.list!.body)
  t.match(r.list!.json(), { customer: { id: byList.id }, listId: byList.listId, totalDiscountCents: 100, discounts: [{ offerId: rice }] })
  t.equal(r.quote!.statusCode, 200, r.quote!.body)
  t.match(r.quote!.json(), { customer: { id: quoted.id }, listId: quoted.listId, totalDiscountCents: 100, discounts: [{ offerId: soup }] })
  t.equal(r.unknown!.statusCode, 422)
  t.match(r.unknown!.json().detail, /no known/)
  t.equal(r.replacedCard!.statusCode, 422)
  t.match(r.replacedCard!.json().type, /card-replaced$/)
  t.equal(r.erasedList!.statusCode, 422)
  t.match(r.erasedList!.json().detail, /forgotten/)
  t.equal(r.replay!.statusCode, 200, 'the replay answers the stored response')
  t.same(r.replay!.json(), earlier.json())
  t.equal(r.conflict!.statusCode, 409)
  t.equal(r.offline!.statusCode, 201, r.offline!.body)
  t.same(r.offline!.json().rainChecks.map((x: { offerId: string }) => x.offerId), [soup], "the list current when the sale happened: its offer as a rain check")
  t.equal(r.otherStore!.statusCode, 201, r.otherStore!.body)
  t.match(r.otherStore!.json(), { customer: { id: atS02.id }, totalDiscountCents: 100 })
  t.equal(r.wrongKey!.statusCode, 403)

  // The prices are those the same sales got read alone, just before.
  for (const k of ['card', 'list'] as const) {
    t.same(r[k]!.json().discounts, aloneFirst[k].discounts, `${k}: the same discounts as read alone`)
    t.match(r[k]!.json(), { totalBeforeCents: aloneFirst[k].totalBeforeCents, totalDiscountCents: aloneFirst[k].totalDiscountCents })
  }
  // Recorded: the first, card, list, offline and S02 sales and the earlier one; nothing for the refused.
  t.match(await f.counts(), { sales: 6, redemptions: 6 })
})

t.test('the catalog copy: products and offer definitions split back to each sale of a batch', async (t) => {
  const f = await checkoutFixture(t)
  const milk = await f.createOffer({ description: '$1 off milk' })
  const a = await f.customerWithList([milk])
  const b = await f.customerWithList([milk])
  const c = await f.customerWithList([milk])
  // Warm the copy with milk only; the batch then asks for other GTINs, each sale its own.
  t.equal((await f.quote(f.body(a.cardNumber, [item('milk')]))).statusCode, 200)
  const hold = await holdReads(t, f)
  const before = { ...readBatchStats }
  const held = f.quote(f.body(a.cardNumber, [item('milk')]))
  await until('the first read to wait', async () => (await hold.waiting('single')).length === 1)
  const rb = f.quote(f.body(b.cardNumber, [item('milk'), item('rice'), item('dogFood')]))
  const rc = f.quote(f.body(c.cardNumber, [item('soup'), item('milk')]))
  await until('two to gather', () => readBatchStats.waiting === 2)
  await hold.release()
  const [r0, r1, r2] = [await held, await rb, await rc]
  t.equal(readBatchStats.batches - before.batches, 1)
  for (const x of [r0, r1, r2]) t.equal(x.statusCode, 200, x.body)
  // Priced from each sale's own products: unknown products would be refused or priced differently.
  t.equal(r1.json().totalBeforeCents, item('milk').unitPriceCents + item('rice').unitPriceCents + item('dogFood').unitPriceCents)
  t.equal(r1.json().totalDiscountCents, 100)
  t.equal(r2.json().totalBeforeCents, item('soup').unitPriceCents + item('milk').unitPriceCents)
  t.equal(r2.json().totalDiscountCents, 100)
})

t.test('a batched read that fails: its sales are read again alone, one failing alone answers 503, the retry succeeds', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer()
  const customers = []
  for (let i = 0; i < 4; i++) customers.push(await f.customerWithList([offer]))
  const hold = await holdReads(t, f)
  // A second session queues for the same lock behind the first read, so the batch stops behind it.
  const second = new pg.Client({ connectionString: f.database.url })
  await second.connect()
  t.teardown(() => second.end())
  const before = { ...readBatchStats }
  const bodies = customers.map((c) => f.body(c.cardNumber, [item('milk')]))

  const held = f.redeem(bodies[0]!)
  await until('the first read to wait', async () => (await hold.waiting('single')).length === 1)
  const rest = bodies.slice(1).map((b) => f.redeem(b))
  await until('three to gather', () => readBatchStats.waiting === 3)
  await second.query('begin')
  const secondLock = second.query('lock table customer_profile in access exclusive mode')
  await until('the second session to queue', async () => {
    await hold.admin.query('select pg_stat_clear_snapshot()')
    const r = await hold.admin.query(`select 1 from pg_stat_activity where wait_event_type = 'Lock' and query like 'lock table customer_profile%'`)
    return r.rows.length === 1
  })
  await hold.release()
  await secondLock
  t.equal((await held).statusCode, 201, 'the first read, in its own statement, is not touched')
  let batch: number[] = []
  await until('the batch to wait behind the second session', async () => (batch = await hold.waiting('batch')).length === 1)
  await hold.admin.query('select pg_terminate_backend($1)', [batch[0]])
  let singles: number[] = []
  await until('its three sales to be read again alone', async () => (singles = await hold.waiting('single')).length === 3)
  await hold.admin.query('select pg_terminate_backend($1)', [singles[0]])
  // Give the terminated read's answer a moment before the other two go on.
  await new Promise((r) => setTimeout(r, 200))
  await second.query('commit')
  const results = await Promise.all(rest)

  t.equal(readBatchStats.fallbacks - before.fallbacks, 1, 'the batch failed and its members ran alone')
  const failed = results.filter((r) => r.statusCode === 503)
  t.equal(failed.length, 1, 'only the sale whose own read died fails')
  t.match(failed[0]!.json().type, /database-unavailable$/)
  t.equal(results.filter((r) => r.statusCode === 201).length, 2, 'the other two were read again and recorded')
  t.match(await f.counts(), { sales: 3, redemptions: 3 }, 'nothing of the failed sale recorded')
  const retry = await f.redeem(bodies[1 + results.findIndex((r) => r.statusCode === 503)]!)
  t.equal(retry.statusCode, 201, retry.body)
  t.match(await f.counts(), { sales: 4, redemptions: 4 })
})

t.test('a read stuck on a lock does not hold up the other lanes past the stall window', async (t) => {
  configureReadBatching({ inFlight: 1, maxSales: 32, stallMs: 100 })
  t.teardown(() => configureReadBatching({ inFlight: 1, maxSales: 32, stallMs: 60_000 }))
  const f = await checkoutFixture(t)
  const offer = await f.createOffer()
  const a = await f.customerWithList([offer])
  const b = await f.customerWithList([offer])
  const admin = new pg.Client({ connectionString: f.database.url })
  await admin.connect()
  t.teardown(() => admin.end())
  await admin.query('begin')
  await admin.query('lock table customer_profile in access exclusive mode')
  const before = { ...readBatchStats }
  const stuck = f.redeem(f.body(a.cardNumber, [item('milk')]))
  await until('the read to be sent', () => readBatchStats.single - before.single === 1)
  // b's read cannot run beside it until the stall window lets it; it then waits on the same lock
  // (a table lock holds every read), so release once the second statement was sent.
  const other = f.redeem(f.body(b.cardNumber, [item('milk')]))
  await until('the stall window to let the next read go', () => readBatchStats.stalls - before.stalls >= 1 && readBatchStats.single - before.single === 2)
  await admin.query('commit')
  t.equal((await other).statusCode, 201)
  t.equal((await stuck).statusCode, 201)
})
