// The single regeneration's offer cache (cachedCandidateOffers): a regeneration meeting the budget
// counters the previous one met gets the same offers back (no copy per call), one meeting moved
// counters gets them with its remaining budget, and an edit of an offer reloads the offers.
import t from 'tap'
import { sql } from 'kysely'
import { cachedCandidateOffers } from '../../src/modules/lists/list-generation.service.ts'
import { insertOffer } from '../../src/modules/offers/offer.repository.ts'
import { testDatabase } from '../helpers/database.ts'
import { offerRow } from '../helpers/list-fixtures.ts'

const base = offerRow({ maxRedemptions: 10, maxDiscountCents: 5_000 })

t.test('reused while the counters hold, fresh budget when they move, reloaded on an edit', async (t) => {
  const { db } = await testDatabase(t)
  const a = await insertOffer(db, base)
  const b = await insertOffer(db, { ...base, name: 'Unlimited', maxRedemptions: null, maxDiscountCents: null })
  const day = '2026-11-23'
  const budgetOf = (offers: Awaited<ReturnType<typeof cachedCandidateOffers>>, id: unknown) => offers.find((c) => c.offer.id === String(id))!.offer.budget

  const first = await cachedCandidateOffers(db, day)
  t.equal(first.length, 2)
  t.match(budgetOf(first, a.id), { usedRedemptions: 0, remainingRedemptions: 10, remainingDiscountCents: 5_000 })
  t.equal(await cachedCandidateOffers(db, day), first, 'the same counters: the same offers, not a copy')

  await sql`update offer set budget_used_redemptions = 3, budget_used_discount_cents = 300 where id = ${a.id}`.execute(db)
  const moved = await cachedCandidateOffers(db, day)
  t.not(moved, first, 'moved counters: offers derived again')
  t.match(budgetOf(moved, a.id), { usedRedemptions: 3, usedDiscountCents: 300, remainingRedemptions: 7, remainingDiscountCents: 4_700 })
  t.match(budgetOf(moved, b.id), { remainingRedemptions: null, remainingDiscountCents: null })
  t.match(budgetOf(first, a.id), { remainingRedemptions: 10 }, 'what an earlier call returned is left as it was')
  t.equal(await cachedCandidateOffers(db, day), moved)

  await sql`update offer set name = 'Renamed', updated_at = updated_at + interval '1 second' where id = ${b.id}`.execute(db)
  const edited = await cachedCandidateOffers(db, day)
  t.equal(edited.find((c) => c.offer.id === String(b.id))!.offer.name, 'Renamed', 'an edit reloads the offers')
  t.match(budgetOf(edited, a.id), { remainingRedemptions: 7 }, 'with the current counters')

  await sql`update offer set status = 'paused', updated_at = updated_at + interval '1 second' where id = ${a.id}`.execute(db)
  t.same((await cachedCandidateOffers(db, day)).map((c) => c.offer.id), [String(b.id)], 'a paused offer leaves the cache')
})
