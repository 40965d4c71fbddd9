import { sql } from 'kysely'
import t from 'tap'
import { recordEvent } from '../../src/modules/events/event-outbox.service.ts'
import { runGeneration, startGeneration } from '../../src/modules/lists/list-run.service.ts'
import { refreshCustomerProfile } from '../../src/modules/segments/segment.service.ts'
import { addDays } from '../../src/modules/segments/value-rules.ts'
import { buildTestApp } from '../helpers/app.ts'
import { CATALOG, checkoutFixture, item } from '../helpers/checkout-fixtures.ts'
import { testDatabase } from '../helpers/database.ts'
import { insertCustomer, insertProduct, insertSale } from '../helpers/list-fixtures.ts'
import { AS_OF, population } from '../http/list-generation-fixtures.ts'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

t.test('an event commits with its change and vanishes with its rollback', async (t) => {
  const { db } = await testDatabase(t)
  await db.transaction().execute(async (trx) => {
    await sql`insert into store (id, name, timezone) values ('E1', 'Kept', 'UTC')`.execute(trx)
    await recordEvent(trx, 'redemption.voided', { redemptionId: '1' })
  })
  await t.rejects(
    db.transaction().execute(async (trx) => {
      await sql`insert into store (id, name, timezone) values ('E2', 'Gone', 'UTC')`.execute(trx)
      await recordEvent(trx, 'redemption.voided', { redemptionId: '2' })
      throw new Error('the change fails after its event was written')
    }),
    /change fails/,
  )
  const rows = await db.selectFrom('event_outbox').selectAll().execute()
  t.equal(rows.length, 1)
  t.match(rows[0], { type: 'redemption.voided', payload: { redemptionId: '1' }, dispatched_at: null })
  t.match(rows[0]!.id, UUID)
  t.ok(rows[0]!.created_at instanceof Date)
  t.same((await db.selectFrom('store').select('id').execute()).map((s) => s.id), ['E1'])

  // The interface the redemption write statement relies on: type and payload are all it gives.
  await sql`insert into event_outbox (type, payload) values ('redemption.recorded', '{"redemptionId":"9"}')`.execute(db)
  const plain = await db.selectFrom('event_outbox').selectAll().where('type', '=', 'redemption.recorded').executeTakeFirstOrThrow()
  t.match(plain.id, UUID)
  t.equal(plain.dispatched_at, null)
})

t.test('list.created: one per list a run commits, none for a chunk that rolled back', async (t) => {
  const { database } = await buildTestApp(t)
  const { db } = database
  const pop = await population(db)
  const run = await startGeneration(db, { asOf: AS_OF, settings: { chunkSize: 3 } }, 'test')
  let crashed = false
  const hooks = {
    beforeChunkCommit: ({ fromSeq }: { fromSeq: number }) => {
      if (fromSeq > 1 && !crashed) {
        crashed = true
        throw new Error('simulated crash')
      }
    },
  }
  await t.rejects(runGeneration(db, Number(run.id), { hooks }), /simulated crash/)
  const events = () => db.selectFrom('event_outbox').select(['payload']).where('type', '=', 'list.created').execute()
  const afterCrash = await db.selectFrom('list').select('id').where('generation_id', '=', Number(run.id)).execute()
  t.ok(afterCrash.length > 0, 'the first chunk committed')
  t.same((await events()).map((e) => Number(e.payload.listId)).sort(), afterCrash.map((l) => l.id).sort(), 'events exactly for the committed lists')

  await runGeneration(db, Number(run.id), { hooks })
  const lists = await db.selectFrom('list').selectAll().where('generation_id', '=', Number(run.id)).execute()
  const all = await events()
  t.equal(all.length, lists.length, 'one event per list, none for the rolled-back attempt')
  const list = lists.find((l) => l.customer_id === pop.regular[0])!
  const items = await db.selectFrom('list_item').select(['offer_id']).where('list_id', '=', list.id).execute()
  t.same(all.find((e) => e.payload.listId === String(list.id))!.payload, {
    listId: String(list.id),
    customerId: String(list.customer_id),
    generationId: run.id,
    trigger: 'run',
    cycleStart: AS_OF,
    validFrom: AS_OF,
    validUntil: list.valid_until,
    holdout: list.holdout,
    totalCouponCents: list.total_coupon_cents,
    items: items.length,
    offers: items.filter((i) => i.offer_id !== null).length,
  })
})

t.test('redemption.voided and redemption.returned ride in the reversal transaction, once', async (t) => {
  const f = await checkoutFixture(t)
  const offer = await f.createOffer()
  const c = await f.customerWithList([offer])
  const first = await f.redeem(f.body(c.cardNumber, [item('milk', 2)], { posTransactionId: 'T-1' }))
  const second = await f.redeem(f.body(c.cardNumber, [item('milk', 1)], { posTransactionId: 'T-2' }))
  t.equal(first.statusCode, 201, first.body)
  t.equal(second.statusCode, 201, second.body)
  const events = (type: string) => f.database.db.selectFrom('event_outbox').select('payload').where('type', '=', type).execute()

  const back = await f.returnIt(first.json().redemptionId, { posReturnId: 'R-1', items: [{ gtin: CATALOG.milk[0], quantity: 1 }] })
  t.equal(back.statusCode, 201, back.body)
  await f.returnIt(first.json().redemptionId, { posReturnId: 'R-1', items: [{ gtin: CATALOG.milk[0], quantity: 1 }] })
  const returned = await events('redemption.returned')
  t.equal(returned.length, 1, 'a replayed return records nothing new')
  t.match(returned[0]!.payload, {
    redemptionId: first.json().redemptionId,
    storeId: 'S01',
    customerId: c.id,
    posTransactionId: 'T-1',
    posReturnId: 'R-1',
    items: [{ gtin: CATALOG.milk[0], quantity: 1 }],
    clawbackCents: back.json().clawbackCents,
  })

  const v = await f.voidIt(first.json().redemptionId)
  t.equal(v.statusCode, 200, v.body)
  await f.voidIt(first.json().redemptionId)
  const voided = await events('redemption.voided')
  t.equal(voided.length, 1, 'a replayed void records nothing new')
  t.same(voided[0]!.payload, {
    redemptionId: first.json().redemptionId,
    storeId: 'S01',
    customerId: c.id,
    posTransactionId: 'T-1',
    voidedAt: v.json().voidedAt,
    reversedDiscountCents: v.json().reversedDiscountCents,
  })
  t.notOk(JSON.stringify(voided).includes(c.cardNumber), 'no card number in any payload')

  const refused = await f.returnIt(first.json().redemptionId, { posReturnId: 'R-2', items: [{ gtin: CATALOG.milk[0], quantity: 1 }] })
  t.equal(refused.statusCode, 409)
  t.equal((await events('redemption.returned')).length, 1, 'a refused return leaves no event')
})

t.test('customer.declining when a refresh moves a customer into declining, once', async (t) => {
  const { db } = await testDatabase(t)
  const milk = await insertProduct(db, { category: 'Dairy/Milk', priceCents: 300 })
  const weekly = async () => {
    const id = await insertCustomer(db, { createdAt: '2025-01-01T00:00:00Z' })
    for (let k = 0; k < 12; k++) await insertSale(db, id, addDays(AS_OF, -7 * k), [{ product: milk, quantity: 3 }])
    return id
  }
  const seen = await weekly()
  const newcomer = await weekly()
  const refresh = (id: number, day: string) => db.transaction().execute((trx) => refreshCustomerProfile(trx, id, day))
  const declining = () => db.selectFrom('event_outbox').select('payload').where('type', '=', 'customer.declining').execute()

  const before = await refresh(seen, AS_OF)
  t.ok(before?.lifecycle && before.lifecycle !== 'declining', `${before?.lifecycle} before`)
  t.equal((await declining()).length, 0)
  // Three weeks without a trip against a weekly cycle: declining (docs/lists.md, lifecycle).
  const later = addDays(AS_OF, 20)
  const moved = await refresh(seen, later)
  t.equal(moved?.lifecycle, 'declining')
  t.equal((await refresh(newcomer, later))?.lifecycle, 'declining', 'first profiled already declining')
  await refresh(seen, addDays(AS_OF, 21))
  const events = await declining()
  t.equal(events.length, 1, 'only the observed move, and only once')
  t.same(events[0]!.payload, {
    customerId: String(seen),
    lifecycle: 'declining',
    previousLifecycle: before!.lifecycle,
    asOf: later,
    valueTier: moved!.valueTier,
    lastPurchaseDay: AS_OF,
    daysSinceLastTrip: 20,
    medianGapDays: 7,
    recentSpendCents: events[0]!.payload.recentSpendCents,
    previousSpendCents: events[0]!.payload.previousSpendCents,
  })
})
