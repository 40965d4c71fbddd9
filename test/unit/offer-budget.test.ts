import t from 'tap'
import { sql } from 'kysely'
import { insertOffer } from '../../src/modules/offers/offer.repository.ts'
import { releaseOfferBudget, reserveOfferBudget } from '../../src/modules/offers/offer.service.ts'
import { testDatabase } from '../helpers/database.ts'
import { offerRow } from '../helpers/list-fixtures.ts'

const base = offerRow()

const CALLERS = 20

/**
 * Every caller opens its own transaction on its own connection and waits at a barrier until
 * all of them are open, so the 20 UPDATEs really contend for the same row. Each successful
 * caller also holds its lock a moment before committing, to widen the window for a race.
 */
async function race(db: Awaited<ReturnType<typeof testDatabase>>['db'], offerId: number, cents: number) {
  let arrived = 0
  let release!: () => void
  const barrier = new Promise<void>((r) => (release = r))
  const seen: { redemptions: number; cents: number }[] = []
  const results = await Promise.all(
    Array.from({ length: CALLERS }, () =>
      db.transaction().execute(async (trx) => {
        await sql`select pg_backend_pid()`.execute(trx)
        if (++arrived === CALLERS) release()
        await barrier
        const ok = await reserveOfferBudget(trx, offerId, cents)
        if (ok) {
          const row = await trx
            .selectFrom('offer')
            .select(['budget_used_redemptions', 'budget_used_discount_cents'])
            .where('id', '=', offerId)
            .executeTakeFirstOrThrow()
          seen.push({ redemptions: row.budget_used_redemptions, cents: row.budget_used_discount_cents })
          await sql`select pg_sleep(0.005)`.execute(trx)
        }
        return ok
      }),
    ),
  )
  const final = await db
    .selectFrom('offer')
    .select(['budget_used_redemptions', 'budget_used_discount_cents'])
    .where('id', '=', offerId)
    .executeTakeFirstOrThrow()
  return { granted: results.filter(Boolean).length, seen, final }
}

t.test('20 concurrent reservations against a budget of 7 redemptions: exactly 7 succeed', async (t) => {
  const { db } = await testDatabase(t, { max: CALLERS + 2 })
  const offer = await insertOffer(db, { ...base, maxRedemptions: 7 })
  const { granted, seen, final } = await race(db, offer.id, 25)
  t.equal(granted, 7)
  t.equal(final.budget_used_redemptions, 7)
  t.equal(final.budget_used_discount_cents, 7 * 25)
  t.ok(seen.every((s) => s.redemptions <= 7), 'no transaction ever saw the counter above the budget')
  t.same(seen.map((s) => s.redemptions).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6, 7], 'each success took the next unit')
  t.equal(await reserveOfferBudget(db, offer.id, 0), false, 'still exhausted afterwards')
})

t.test('20 concurrent reservations against a cents budget: never above the maximum', async (t) => {
  const { db } = await testDatabase(t, { max: CALLERS + 2 })
  const offer = await insertOffer(db, { ...base, maxDiscountCents: 1000 })
  const { granted, seen, final } = await race(db, offer.id, 150)
  t.equal(granted, 6, 'six reservations of 150 fit in 1000 cents')
  t.equal(final.budget_used_discount_cents, 900)
  t.equal(final.budget_used_redemptions, 6)
  t.ok(seen.every((s) => s.cents <= 1000))
  t.equal(await reserveOfferBudget(db, offer.id, 100), true, 'a smaller discount still fits the remaining 100')
  t.equal(await reserveOfferBudget(db, offer.id, 1), false, 'and then nothing more')
})

t.test('both maximums must hold; without a maximum the counters still count', async (t) => {
  const { db } = await testDatabase(t)
  const both = await insertOffer(db, { ...base, maxRedemptions: 2, maxDiscountCents: 500 })
  t.equal(await reserveOfferBudget(db, both.id, 400), true)
  t.equal(await reserveOfferBudget(db, both.id, 200), false, 'cents would exceed even though redemptions remain')
  t.equal(await reserveOfferBudget(db, both.id, 100), true)
  t.equal(await reserveOfferBudget(db, both.id, 0), false, 'redemptions exhausted')

  const open = await insertOffer(db, base)
  t.equal(await reserveOfferBudget(db, String(open.id), 300), true)
  t.equal(await reserveOfferBudget(db, open.id, 300), true)
  const row = await db.selectFrom('offer').selectAll().where('id', '=', open.id).executeTakeFirstOrThrow()
  t.equal(row.budget_used_redemptions, 2)
  t.equal(row.budget_used_discount_cents, 600)

  t.equal(await reserveOfferBudget(db, 987654321, 1), false, 'an unknown offer reserves nothing')
  await t.rejects(reserveOfferBudget(db, open.id, -1), RangeError)
  await t.rejects(reserveOfferBudget(db, open.id, 1.5), RangeError)
})

t.test('release gives budget back and never goes below zero', async (t) => {
  const { db } = await testDatabase(t)
  const offer = await insertOffer(db, { ...base, maxRedemptions: 1, maxDiscountCents: 100 })
  t.equal(await reserveOfferBudget(db, offer.id, 100), true)
  t.equal(await reserveOfferBudget(db, offer.id, 1), false)
  await releaseOfferBudget(db, offer.id, 100, 1)
  t.equal(await reserveOfferBudget(db, offer.id, 60), true, 'a voided redemption frees its budget')
  await releaseOfferBudget(db, offer.id, 1000, 5)
  const row = await db.selectFrom('offer').selectAll().where('id', '=', offer.id).executeTakeFirstOrThrow()
  t.equal(row.budget_used_redemptions, 0)
  t.equal(row.budget_used_discount_cents, 0)
  await t.rejects(releaseOfferBudget(db, offer.id, -5, 0), RangeError)
})
