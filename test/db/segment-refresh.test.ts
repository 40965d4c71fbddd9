import t from 'tap'
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../src/db/schema.ts'
import { findProfile, refreshAllProfiles, refreshCustomerProfile } from '../../src/modules/segments/segment.service.ts'
import { usageCutFromMeasures } from '../../src/modules/segments/segment-rules.ts'
import { addDays, tiersByRank } from '../../src/modules/segments/value-rules.ts'
import { DEFAULT_SEGMENT_CONFIG } from '../../src/modules/segments/segment.config.ts'
import { accrueVoucher } from '../../src/modules/vouchers/voucher.service.ts'
import { testDatabase } from '../helpers/database.ts'
import { insertCustomer, insertProduct, insertSale, type ProductFixture } from '../helpers/list-fixtures.ts'

const AS_OF = '2026-11-23'
const ago = (days: number) => addDays(AS_OF, -days)

async function catalog(db: Kysely<DB>) {
  return {
    milk: await insertProduct(db, { category: 'Dairy/Milk', brandType: 'national', priceCents: 300 }),
    storeMilk: await insertProduct(db, { category: 'Dairy/Milk', brandType: 'store', priceCents: 250 }),
    catFood: await insertProduct(db, { category: 'Pet/Cat food', priceCents: 500 }),
    apples: await insertProduct(db, { category: 'Produce/Fruit', priceCents: 600 }),
    diapers: await insertProduct(db, { category: 'Baby/Diapers', priceCents: 1500 }),
  }
}

/** One trip every `gap` days, the last one `lastAgo` days ago, `trips` in all. */
async function regularShopper(db: Kysely<DB>, customerId: number, o: { trips: number; gap: number; lastAgo: number; lines: { product: ProductFixture; quantity?: number }[] }) {
  for (let k = 0; k < o.trips; k++) await insertSale(db, customerId, ago(o.lastAgo + k * o.gap), o.lines)
}

const inTrx = <T>(db: Kysely<DB>, fn: (trx: Transaction<DB>) => Promise<T>) => db.transaction().execute(fn)

t.test('one customer: segments, life stage, value, lifecycle and eligibility from their own sales', async (t) => {
  const { db } = await testDatabase(t)
  const p = await catalog(db)
  const id = await insertCustomer(db, { createdAt: '2025-01-01T00:00:00Z' })
  // 20 weekly trips, the last today: 1 national milk and 4 apples (2,700 cents a trip).
  await regularShopper(db, id, { trips: 20, gap: 7, lastAgo: 0, lines: [{ product: p.milk }, { product: p.apples, quantity: 4 }] })
  await insertSale(db, id, ago(30), [{ product: p.catFood }])
  // Voided and out-of-window sales count for nothing.
  await insertSale(db, id, ago(3), [{ product: p.diapers, quantity: 9 }], { status: 'voided' })
  await insertSale(db, id, AS_OF, [{ product: p.storeMilk, quantity: 5 }]).then(() => undefined)
  await insertSale(db, id, addDays(AS_OF, 1), [{ product: p.diapers, quantity: 9 }])

  const profile = await inTrx(db, (trx) => refreshCustomerProfile(trx, id, AS_OF))
  t.ok(profile)
  t.match(profile, {
    customerId: id,
    optOut: false,
    lifecycle: 'stable',
    trend: 'flat',
    lifeStage: ['pet', 'produce_heavy'],
    firstPurchaseDay: ago(133),
    lastPurchaseDay: AS_OF,
    daysSinceLastTrip: 0,
    medianGapDays: 7,
    regularCycle: true,
    negativeValue: false,
    // No population ranking exists yet, and this is the only customer: no tier to give.
    valueTier: null,
  })
  // 20 x 2,700 + 500 cat food + 5 x 250 store milk = 55,750 spend; 25% margin.
  t.equal(profile!.spendCents, 55_750)
  t.equal(profile!.valueCents, Math.round(55_750 * 0.25))
  // Eligibility window, 56 days: trips at 0..49 days ago (8 x 2,700) + cat food + store milk = 23,350.
  t.equal(profile!.weeklySpendCents, Math.floor((23_350 * 7) / 56))
  t.equal(profile!.eligible, true)
  // Milk: 20 national + 5 store units = 80% national, the loyal boundary: still national loyal.
  t.same(
    profile!.segments.map((s) => [s.category, s.brandGroup, s.usage, s.units]),
    [
      ['Dairy/Milk', 'national', 'high', 25],
      ['Pet/Cat food', 'national', 'low', 1],
      ['Produce/Fruit', 'national', 'high', 80],
    ],
  )
  const stored = await findProfile(db, id)
  t.same(stored, { ...profile!, medianGapDays: 7 }, 'what is stored reads back the same')
})

t.test('lifecycle from the customer\'s own cycle: declining vs lapsed vs new', async (t) => {
  const { db } = await testDatabase(t)
  const p = await catalog(db)
  const line = [{ product: p.milk, quantity: 10 }]
  const declining = await insertCustomer(db)
  await regularShopper(db, declining, { trips: 10, gap: 7, lastAgo: 20, lines: line })
  const lapsedByGap = await insertCustomer(db)
  await regularShopper(db, lapsedByGap, { trips: 10, gap: 7, lastAgo: 30, lines: line })
  const lapsedByCalendar = await insertCustomer(db)
  await regularShopper(db, lapsedByCalendar, { trips: 4, gap: 30, lastAgo: 60, lines: line })
  const monthly = await insertCustomer(db)
  await regularShopper(db, monthly, { trips: 6, gap: 30, lastAgo: 40, lines: line })
  const fresh = await insertCustomer(db)
  await regularShopper(db, fresh, { trips: 3, gap: 7, lastAgo: 1, lines: line })
  const neverBought = await insertCustomer(db, { createdAt: `${ago(10)}T09:00:00Z` })

  const stage = async (id: number) => (await inTrx(db, (trx) => refreshCustomerProfile(trx, id, AS_OF)))!.lifecycle
  t.equal(await stage(declining), 'declining', '20 days > 2 x 7 and > 14, not yet > 28')
  t.equal(await stage(lapsedByGap), 'lapsed', '30 days > 4 x 7 and > 28')
  t.equal(await stage(lapsedByCalendar), 'lapsed', '60 days > 8 weeks')
  t.equal(await stage(monthly), 'stable', '40 days is within a monthly shopper\'s 2 x 30')
  t.equal(await stage(fresh), 'new')
  t.equal(await stage(neverBought), 'new', 'enrolled 10 days ago, nothing bought yet')
})

t.test('opted-out customers are not profiled; erased customers are skipped and lose old rows', async (t) => {
  const { db } = await testDatabase(t)
  const p = await catalog(db)
  const optOut = await insertCustomer(db, { optOut: true, household: { pets: true } })
  await regularShopper(db, optOut, { trips: 8, gap: 7, lastAgo: 0, lines: [{ product: p.milk, quantity: 10 }, { product: p.catFood }] })
  const erased = await insertCustomer(db)
  await regularShopper(db, erased, { trips: 8, gap: 7, lastAgo: 0, lines: [{ product: p.milk }] })
  t.ok(await inTrx(db, (trx) => refreshCustomerProfile(trx, erased, AS_OF)), 'profiled while still a customer')
  await db.updateTable('customer').set({ erased_at: new Date(), first_name: null }).where('id', '=', erased).execute()

  const out = await inTrx(db, (trx) => refreshCustomerProfile(trx, optOut, AS_OF))
  t.match(out, { optOut: true, eligible: true, valueCents: null, valueTier: null, lifecycle: null, lifeStage: [], segments: [], trend: null })
  t.equal(out!.weeklySpendCents, Math.floor((8 * 3500 * 7) / 56), 'eligibility is still known: opted-out customers get untargeted lists')
  t.equal(await inTrx(db, (trx) => refreshCustomerProfile(trx, erased, AS_OF)), null)
  t.equal(await findProfile(db, erased), undefined)
  const segs = await db.selectFrom('customer_segment').select('customer_id').where('customer_id', 'in', [optOut, erased]).execute()
  t.same(segs, [], 'no segment rows for either')
  t.equal(await inTrx(db, (trx) => refreshCustomerProfile(trx, 987_654_321, AS_OF)), null, 'an unknown customer is no profile, not an error')
})

t.test('returns and rewards: units net of returns, value net of discounts and vouchers', async (t) => {
  const { db } = await testDatabase(t)
  const p = await catalog(db)
  const store = 'S1'
  await db.insertInto('store').values({ id: store, name: 'Store one', timezone: 'America/Chicago' }).execute()
  const id = await insertCustomer(db)
  const sale = await insertSale(db, id, ago(5), [{ product: p.milk, quantity: 10, returned: 4 }, { product: p.storeMilk, quantity: 4 }])
  const redemption = await db
    .insertInto('redemption')
    .values({ store_id: store, pos_transaction_id: 'T1', request_hash: 'x', customer_id: id, sale_id: sale, response: JSON.stringify({}) })
    .returning('id')
    .executeTakeFirstOrThrow()
  const offer = await db
    .insertInto('offer')
    .values({ name: 'o', scope: '{}', reward: '{}', targeting: '{}', valid_from: '2026-01-01', valid_until: '2026-12-31' })
    .returning('id')
    .executeTakeFirstOrThrow()
  await db.insertInto('redemption_discount').values({ redemption_id: redemption.id, offer_id: offer.id, gtin: p.milk.gtin, quantity: 10, amount_cents: 200, unit_cents: [20] }).execute()
  await db
    .insertInto('redemption_return')
    .values({ redemption_id: redemption.id, pos_return_id: 'R1', request_hash: 'y', response: JSON.stringify({}), clawback_cents: 80 })
    .execute()
  await inTrx(db, (trx) => accrueVoucher(trx, { customerId: id, saleId: sale, spendCents: 2_700 }))

  const profile = (await inTrx(db, (trx) => refreshCustomerProfile(trx, id, AS_OF)))!
  // 6 national units kept + 4 store units: 60% national, a switcher.
  t.match(profile.segments, [{ category: 'Dairy/Milk', brandGroup: 'switcher', units: 10, nationalUnits: 6 }])
  t.equal(profile.spendCents, 6 * 300 + 4 * 250)
  // Rewards: 200 discount - 80 clawed back + 27 cents of voucher accrual.
  t.equal(profile.rewardsCents, 120 + 27)
  t.equal(profile.valueCents, 700 - 147)
})

t.test('refreshAllProfiles: chunked, usage terciles per category, tiers by rank, same answers as a single refresh', async (t) => {
  const { db } = await testDatabase(t)
  const p = await catalog(db)
  const ids: number[] = []
  const milkUnits: number[] = []
  for (let i = 0; i < 23; i++) {
    const id = await insertCustomer(db, { optOut: i === 5 })
    ids.push(id)
    const units = (i % 9) + 1
    // 5 x 600 cents of apples per step outweighs any milk difference: values are distinct.
    if (i !== 5) milkUnits.push(units)
    const lines = [{ product: i % 3 === 0 ? p.storeMilk : p.milk, quantity: units }, { product: p.apples, quantity: 5 * i }]
    await insertSale(db, id, ago(i), lines.filter((l) => l.quantity > 0))
  }
  const erased = await insertCustomer(db, { erased: true })
  await insertSale(db, erased, ago(1), [{ product: p.milk, quantity: 50 }])

  const config = { chunkSize: 7, usage: { minBuyersForQuantiles: 5 } }
  const chunks: number[] = []
  const result = await refreshAllProfiles(db, AS_OF, { config, onChunk: (n) => void chunks.push(n) })
  t.match(result, { customers: 23, optedOut: 1, chunks: 4 })
  t.same(chunks, [7, 14, 21, 23], 'progress after each chunk; the erased customer is skipped')

  const cut = await db.selectFrom('category_usage_cutoff').selectAll().where('category', '=', 'Dairy/Milk').executeTakeFirstOrThrow()
  const expected = usageCutFromMeasures(milkUnits, { ...DEFAULT_SEGMENT_CONFIG.usage, minBuyersForQuantiles: 5 })
  t.equal(cut.buyers, 22, 'the opted-out customer is not among the buyers')
  t.ok(Math.abs(cut.low_max - expected.lowMax) < 1e-9, `low cut ${cut.low_max} = ${expected.lowMax}`)
  t.ok(Math.abs(cut.medium_max - expected.mediumMax) < 1e-9, `medium cut ${cut.medium_max} = ${expected.mediumMax}`)

  const profiles = await db.selectFrom('customer_profile').select(['customer_id', 'value_cents', 'value_tier', 'opt_out']).orderBy('customer_id').execute()
  t.equal(profiles.length, 23)
  t.notOk(profiles.some((r) => r.customer_id === erased))
  const ranked = profiles.filter((r) => !r.opt_out)
  t.same(
    ranked.map((r) => r.value_tier),
    tiersByRank(ranked.map((r) => r.value_cents!), DEFAULT_SEGMENT_CONFIG.value.tierShares),
    'SQL ranking matches the pure rule',
  )
  t.same(
    ['A', 'B', 'C', 'D'].map((tier) => ranked.filter((r) => r.value_tier === tier).length),
    [3, 4, 7, 8],
    '10/20/30/40% of 22, cumulative boundaries rounded up: 3, 7, 14',
  )

  // A single refresh afterwards reads the stored cut-offs and agrees with the population run.
  for (const id of [ids[0]!, ids[10]!, ids[22]!]) {
    const before = (await findProfile(db, id))!
    const again = (await inTrx(db, (trx) => refreshCustomerProfile(trx, id, AS_OF, config)))!
    t.same({ ...again, computedAt: '' }, { ...before, computedAt: '' }, `customer ${id} unchanged by a single refresh`)
  }
})

t.test('refreshAllProfiles: each chunk is written with the tier the final ranking gives (rewards and category margins included)', async (t) => {
  const { db } = await testDatabase(t)
  const p = await catalog(db)
  const store = 'S1'
  await db.insertInto('store').values({ id: store, name: 'Store one', timezone: 'America/Chicago' }).execute()
  const offer = await db
    .insertInto('offer')
    .values({ name: 'o', scope: '{}', reward: '{}', targeting: '{}', valid_from: '2026-01-01', valid_until: '2026-12-31' })
    .returning('id')
    .executeTakeFirstOrThrow()
  for (let i = 0; i < 24; i++) {
    const id = await insertCustomer(db, { optOut: i === 7 })
    // Odd quantities in categories with margins that are not a power of two: margins in half cents.
    const lines = [
      { product: p.apples, quantity: (i * 7) % 11 },
      { product: i % 2 ? p.milk : p.storeMilk, quantity: (i * 5) % 9 },
      { product: p.catFood, quantity: i % 4 },
    ].filter((l) => l.quantity > 0)
    if (lines.length === 0) continue
    const sale = await insertSale(db, id, ago(i * 9), lines)
    // Every third customer was rewarded, some with more than the margin they bring (negative value).
    if (i % 3 === 0) {
      const r = await db
        .insertInto('redemption')
        .values({ store_id: store, pos_transaction_id: `T${i}`, request_hash: 'x', customer_id: id, sale_id: sale, response: JSON.stringify({}) })
        .returning('id')
        .executeTakeFirstOrThrow()
      await db.insertInto('redemption_discount').values({ redemption_id: r.id, offer_id: offer.id, gtin: p.milk.gtin, quantity: 1, amount_cents: 700 * i + 5, unit_cents: [700 * i + 5] }).execute()
      await inTrx(db, (trx) => accrueVoucher(trx, { customerId: id, saleId: sale, spendCents: 1_350 + 50 * i }))
    }
  }
  // Trip days before the gap window only, and across its start: the window's gaps alone count.
  const before = await insertCustomer(db)
  for (const d of [400, 380, 370]) await insertSale(db, before, ago(d), [{ product: p.milk }])
  const across = await insertCustomer(db)
  for (const d of [380, 350, 340, 20]) await insertSale(db, across, ago(d), [{ product: p.apples }])
  const config = { chunkSize: 5, value: { categoryMargins: { 'Produce/': 0.31, 'Dairy/Milk': 0.17, Pet: 0.43 } } }
  const written = new Map<number, string | null>()
  await refreshAllProfiles(db, AS_OF, {
    config,
    onChunk: async () => {
      const rows = await db.selectFrom('customer_profile').select(['customer_id', 'value_tier']).execute()
      for (const r of rows) if (!written.has(r.customer_id)) written.set(r.customer_id, r.value_tier)
    },
  })
  const final = await db.selectFrom('customer_profile').select(['customer_id', 'value_tier', 'value_cents', 'opt_out']).orderBy('customer_id').execute()
  t.equal(written.size, final.length, 'every profile seen right after its chunk committed')
  t.same(
    final.map((r) => [r.customer_id, written.get(r.customer_id)]),
    final.map((r) => [r.customer_id, r.value_tier]),
    'the tier each chunk wrote is the final one',
  )
  const ranked = final.filter((r) => !r.opt_out)
  t.ok(ranked.some((r) => r.value_cents! < 0), 'a customer rewarded beyond their margin is ranked too')
  t.same(ranked.map((r) => r.value_tier), tiersByRank(ranked.map((r) => r.value_cents!), DEFAULT_SEGMENT_CONFIG.value.tierShares))

  t.match(await findProfile(db, before), { trips: 0, medianGapDays: null, regularCycle: false, lastPurchaseDay: ago(370), lifecycle: 'lapsed' })
  t.match(await findProfile(db, across), { trips: 3, medianGapDays: 165, firstPurchaseDay: ago(380), lastPurchaseDay: ago(20) })
  for (const id of [before, across]) {
    const staged = (await findProfile(db, id))!
    const alone = (await inTrx(db, (trx) => refreshCustomerProfile(trx, id, AS_OF, config)))!
    t.same({ ...alone, computedAt: '' }, { ...staged, computedAt: '' }, `customer ${id}: the staged trips are the single refresh's`)
  }

  // Erased since: the next population refresh deletes the profile. A customer is never deleted
  // (0021), which is why the profile's reference to them needs no check (0034).
  await db.updateTable('customer').set({ erased_at: new Date() }).where('id', '=', before).execute()
  await refreshAllProfiles(db, AS_OF, { config })
  t.equal(await findProfile(db, before), undefined, 'the erased customer has no profile')
  t.ok(await findProfile(db, across))
  await t.rejects(sql`delete from customer where id = ${across}`.execute(db), { message: /customer rows are never deleted/ })
})

t.test('refreshAllProfiles: a customer whose chunk is written can be refreshed alone while the rest runs', async (t) => {
  const { db } = await testDatabase(t)
  const p = await catalog(db)
  const ids: number[] = []
  for (let i = 0; i < 6; i++) {
    const id = await insertCustomer(db)
    ids.push(id)
    await insertSale(db, id, ago(i + 1), [{ product: p.milk, quantity: i + 1 }])
  }
  // A regeneration after a lane sale refreshes one customer's profile in its own transaction.
  // When the first chunk is written it must not wait for the rest of the population: the
  // short lock_timeout turns such a wait into a failure instead of a hang.
  const alone: string[] = []
  await refreshAllProfiles(db, AS_OF, {
    config: { chunkSize: 2 },
    onChunk: async (done) => {
      if (done !== 2) return
      await db.transaction().execute(async (trx) => {
        await sql`set local lock_timeout = '500ms'`.execute(trx)
        const again = await refreshCustomerProfile(trx, ids[0]!, AS_OF)
        alone.push(again ? 'refreshed' : 'none')
      })
    },
  })
  t.same(alone, ['refreshed'], 'the first chunk\'s customer was refreshed during the population refresh')
  const temp = await sql<{ n: number }>`select count(*)::int as n from pg_class where relname = 'refresh_category_facts'`.execute(db)
  t.equal(temp.rows[0]!.n, 0, 'the staged sums are dropped when the refresh ends')
})

t.test('refreshAllProfiles: a chunk reaching a customer a single refresh holds waits for it, then writes their cells without colliding', async (t) => {
  const { db } = await testDatabase(t)
  const p = await catalog(db)
  const ids: number[] = []
  for (let i = 0; i < 4; i++) {
    const id = await insertCustomer(db)
    ids.push(id)
    await insertSale(db, id, ago(i + 2), [{ product: p.milk, quantity: 2 }, { product: p.catFood, quantity: 1 }])
  }
  const held = ids[2]!
  // Nobody has cells yet, so both writers would insert the same new cells: the chunk's write
  // knows which cells exist only because it takes the customer's write lock first
  // (db/customer-lock.ts), which the single refresh holds until it commits.
  let release!: () => void
  const released = new Promise<void>((resolve) => (release = resolve))
  let refreshedAlone = false
  const single = inTrx(db, async (trx) => {
    await refreshCustomerProfile(trx, held, AS_OF)
    refreshedAlone = true
    await released
  })
  while (!refreshedAlone) await new Promise((r) => setTimeout(r, 10))
  const all = refreshAllProfiles(db, AS_OF, { config: { chunkSize: 2 } })
  all.catch(() => {})
  // Wait until the chunk holding that customer is blocked on its lock, then let the single refresh commit.
  let waited = false
  for (let i = 0; i < 500 && !waited; i++) {
    const w = await sql<{ n: number }>`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`.execute(db)
    waited = w.rows[0]!.n > 0
    if (!waited) await new Promise((r) => setTimeout(r, 10))
  }
  t.ok(waited, 'the population refresh waited for the customer the single refresh held')
  release()
  await single
  const result = await all
  t.equal(result.customers, 4, 'every customer profiled')
  const cells = await sql<{ customer_id: number; n: number }>`
    select customer_id, count(*)::int as n from customer_segment where customer_id = any(${ids}::bigint[]) group by 1 order by 1`.execute(db)
  t.same(cells.rows.map((r) => r.n), [2, 2, 2, 2], 'two cells each, the held customer\'s written once')
  const profile = (await findProfile(db, held))!
  t.same(profile.segments.map((s) => s.category), ['Dairy/Milk', 'Pet/Cat food'])
})

t.test('cells keep categories with quotes, backslashes, commas and braces, in code-point order', async (t) => {
  const { db } = await testDatabase(t)
  // Category paths allow any character but the separator (products.schemas.ts): the cells travel as
  // array literals (migration 0029), so these must come back exactly.
  const odd = ['Deli/"Quoted", {braced}', 'Deli/back\\slash', 'Deli/NULL', 'Deli/a,b']
  const products = await Promise.all(odd.map((category) => insertProduct(db, { category, priceCents: 100 })))
  const id = await insertCustomer(db, { createdAt: '2025-01-01T00:00:00Z' })
  await insertSale(db, id, ago(1), products.map((product) => ({ product })))
  const profile = await inTrx(db, (trx) => refreshCustomerProfile(trx, id, AS_OF))
  const sorted = [...odd].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  t.same(profile?.segments.map((s) => s.category), sorted)
  t.same((await findProfile(db, id))?.segments, profile?.segments, 'read back as written')
  const rows = await db.selectFrom('customer_segment').select(['category', 'units']).where('customer_id', '=', id).execute()
  t.same(rows.map((r) => r.category).sort(), [...odd].sort(), 'the view shows one row per cell')
})
