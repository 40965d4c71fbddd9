// The population refresh classifies in PostgreSQL (staged-profiles.repository.ts); a single
// refresh classifies in Node (classifyCustomer). These hold the two to the same profile for every
// customer of populations built to reach each rule's branches, under the default rules and under
// settings that change every comparison, and to the same customer.declining events.
import t from 'tap'
import { sql, type Kysely } from 'kysely'
import type { DB } from '../../src/db/schema.ts'
import { findProfiles, refreshAllProfiles, refreshCustomerProfile } from '../../src/modules/segments/segment.service.ts'
import type { SegmentConfigOverrides } from '../../src/modules/segments/segment.config.ts'
import { addDays } from '../../src/modules/segments/value-rules.ts'
import { accrueVoucher } from '../../src/modules/vouchers/voucher.service.ts'
import { testDatabase } from '../helpers/database.ts'
import { insertCustomer, insertProduct, insertSale, type LineFixture, type ProductFixture } from '../helpers/list-fixtures.ts'

const AS_OF = '2026-11-23'
const ago = (days: number) => addDays(AS_OF, -days)

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function rng(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let r = Math.imul(a ^ (a >>> 15), 1 | a)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296
  }
}

async function population(db: Kysely<DB>) {
  const catalog: ProductFixture[] = []
  const specs: [string, 'national' | 'store', number][] = [
    ['Dairy/Milk', 'national', 319], ['Dairy/Milk', 'store', 249], ['Pet/Cat food', 'national', 577], ['Pet/Cat food', 'store', 401],
    ['Baby/Diapers', 'national', 1499], ['Produce/Fruit', 'store', 613], ['Produce', 'national', 97], ['Petrol', 'national', 4999],
    ['Deli/"odd", {cat}', 'national', 333], ['Health/Pain relief', 'national', 799], ['Health/Pain relief', 'store', 399],
  ]
  for (const [category, brandType, priceCents] of specs) catalog.push(await insertProduct(db, { category, brandType, priceCents }))
  const store = 'S1'
  await db.insertInto('store').values({ id: store, name: 'Store one', timezone: 'America/Chicago' }).execute()
  const offer = await db
    .insertInto('offer')
    .values({ name: 'o', scope: '{}', reward: '{}', targeting: '{}', valid_from: '2025-01-01', valid_until: '2026-12-31' })
    .returning('id')
    .executeTakeFirstOrThrow()
  const random = rng(7)
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!
  const ids: number[] = []
  for (let i = 0; i < 70; i++) {
    const household = i % 11 === 3 ? { pets: true } : i % 13 === 4 ? { baby: true, pets: 'yes' } : {}
    const createdAt = `${ago(i % 9 === 0 ? 20 : 500)}T23:30:00Z`
    const id = await insertCustomer(db, { optOut: i % 17 === 5, household, createdAt })
    ids.push(id)
    if (i % 23 === 7) continue // enrolled, never bought
    // A cycle of its own, from daily to monthly, with jitter; some stop coming a while ago.
    const gap = 1 + Math.floor(random() * 30)
    const stopped = i % 6 === 0 ? Math.floor(random() * 120) : 0
    const span = i % 10 === 1 ? 40 : 400
    const favourites = [pick(catalog), pick(catalog), pick(catalog)]
    for (let d = stopped + Math.floor(random() * 3); d < span; d += gap + Math.floor(random() * gap * (i % 4 === 0 ? 1.5 : 0.3))) {
      const lines: LineFixture[] = favourites
        .filter(() => random() < 0.8)
        .map((product) => {
          const quantity = 1 + Math.floor(random() * 4)
          return {
            product,
            quantity,
            ...(random() < 0.1 ? { returned: Math.floor(random() * (quantity + 1)) } : {}),
            ...(random() < 0.3 ? { unitPriceCents: 50 + Math.floor(random() * 900) } : {}),
          }
        })
      // Later trips grow or shrink for some customers: every trend.
      if (i % 5 === 2 && d < 56) lines.push({ product: catalog[5]!, quantity: 6 })
      if (i % 5 === 3 && d >= 56) lines.push({ product: catalog[4]!, quantity: 3 })
      if (lines.length === 0) continue
      const sale = await insertSale(db, id, ago(d), lines, random() < 0.05 ? { status: 'voided' } : {})
      if (i % 7 === 2 && random() < 0.3) {
        const r = await db
          .insertInto('redemption')
          .values({ store_id: store, pos_transaction_id: `T${sale}`, request_hash: 'x', customer_id: id, sale_id: sale, response: JSON.stringify({}) })
          .returning('id')
          .executeTakeFirstOrThrow()
        await db.insertInto('redemption_discount').values({ redemption_id: r.id, offer_id: offer.id, gtin: catalog[0]!.gtin, quantity: 1, amount_cents: 3_000 + i, unit_cents: [3_000 + i] }).execute()
      }
      if (i % 3 === 1) await db.transaction().execute((trx) => accrueVoucher(trx, { customerId: id, saleId: sale, spendCents: 1_337 + 7 * i }))
    }
    // Lines of no known product count toward spend and value, never toward a cell.
    if (i % 8 === 1) {
      const sale = await insertSale(db, id, ago(3), [])
      await db.insertInto('sale_line').values({ sale_id: sale, line_no: 1, customer_id: id, product_id: null, gtin: '00000000000000', quantity: 2, unit_price_cents: 777 }).execute()
    }
  }
  const erased = await insertCustomer(db, { erased: true })
  await insertSale(db, erased, ago(2), [{ product: catalog[0]!, quantity: 9 }])
  return ids
}

const SETTINGS: [string, SegmentConfigOverrides][] = [
  ['default rules, odd margins', { chunkSize: 9, usage: { minBuyersForQuantiles: 6 }, value: { categoryMargins: { 'Produce/': 0.31, 'Dairy/Milk': 0.17, Pet: 0.43, Health: 0.299 } } }],
  [
    'every threshold moved',
    {
      chunkSize: 25,
      segmentWindowDays: 120,
      brandGroup: { nationalLoyalMinShare: 0.6, storeLoyalMaxShare: 0.4 },
      usage: { measure: 'spend', lowQuantile: 0.25, highQuantile: 0.9, minBuyersForQuantiles: 4, fixed: { lowMax: 500, mediumMax: 2_000 } },
      lifeStage: {
        recentDays: 30,
        pet: { prefixes: ['Pet/Cat food', 'Petrol'], minUnits: 3 },
        baby: { prefixes: ['Baby'], minUnits: 2 },
        produceHeavy: { prefixes: ['Produce'], minShare: 0.05, minTotalSpendCents: 1_000 },
        useDeclaredHousehold: false,
      },
      value: { windowDays: 200, defaultMargin: 0.213, tierShares: { A: 0.15, B: 0.15, C: 0.4 } },
      trend: { recentDays: 30, risingRatio: 1.05, fallingRatio: 0.95 },
      lifecycle: { newDays: 90, gapWindowDays: 180, decliningGapMultiple: 1.5, decliningMinDays: 5, lapsedDays: 70, lapsedGapMultiple: 3, lapsedMinDays: 20 },
      wallet: { regularMinTrips: 4, regularMaxCv: 0.5, highWeeklySpendCents: 2_000, lowWeeklySpendCents: 800 },
      eligibility: { windowDays: 28, minWeeklySpendCents: 1_000 },
    },
  ],
]

t.test('the population refresh (SQL) gives every customer the profile a single refresh (Node) gives', async (t) => {
  const { db } = await testDatabase(t)
  const ids = await population(db)
  for (const [name, config] of SETTINGS) {
    const result = await refreshAllProfiles(db, AS_OF, { config })
    t.equal(result.customers, ids.length, `${name}: every customer but the erased one profiled`)
    const stored = await findProfiles(db, ids)
    const seen = { lifecycle: new Set<unknown>(), trend: new Set<unknown>(), walletShare: new Set<unknown>(), tier: new Set<unknown>(), cells: new Set<string>(), lifeStage: new Set<string>() }
    let differ = 0
    for (const id of ids) {
      const population = stored.get(id)!
      const single = (await db.transaction().execute((trx) => refreshCustomerProfile(trx, id, AS_OF, config)))!
      if (!t.same({ ...population, computedAt: '' }, { ...single, computedAt: '' }, `${name}: customer ${id}`)) differ++
      seen.lifecycle.add(population.lifecycle)
      seen.trend.add(population.trend)
      seen.walletShare.add(population.walletShare)
      seen.tier.add(population.valueTier)
      for (const s of population.segments) seen.cells.add(`${s.brandGroup}/${s.usage}`)
      for (const f of population.lifeStage) seen.lifeStage.add(f)
    }
    t.equal(differ, 0, `${name}: no customer differs`)
    // The population reaches the branches, so the comparison above means something.
    t.same([...seen.lifecycle].sort(), ['declining', 'growing', 'lapsed', 'new', 'stable', null].sort(), `${name}: every lifecycle stage (null: opted out)`)
    t.ok(seen.trend.has('rising') && seen.trend.has('falling') && seen.trend.has('flat'), `${name}: every trend`)
    t.ok(seen.walletShare.has('high') && seen.walletShare.has('low') && seen.walletShare.has('medium'), `${name}: every wallet share`)
    t.ok(['A', 'B', 'C', 'D'].every((x) => seen.tier.has(x)), `${name}: every tier`)
    t.ok(seen.cells.size >= 7, `${name}: ${seen.cells.size} of the nine cells`)
    t.same([...seen.lifeStage].sort(), ['baby', 'pet', 'produce_heavy'], `${name}: every life-stage flag`)
    const negative = [...stored.values()].filter((p) => p.negativeValue)
    t.ok(negative.length > 0, `${name}: a customer rewarded beyond their margin`)
  }
})

t.test('customer.declining from a population refresh carries what a single refresh would send', async (t) => {
  const { db } = await testDatabase(t)
  const milk = await insertProduct(db, { category: 'Dairy/Milk', priceCents: 300 })
  const ids: number[] = []
  for (let i = 0; i < 3; i++) {
    const id = await insertCustomer(db)
    ids.push(id)
    // Weekly for half a year up to 16 days ago: stable two weeks ago, declining now (16 days > 2 x 7).
    for (let d = 16; d < 200; d += 7) await insertSale(db, id, ago(d), [{ product: milk, quantity: 1 + i }])
  }
  const earlier = ago(14)
  await refreshAllProfiles(db, earlier)
  t.same([...(await findProfiles(db, ids)).values()].map((p) => p.lifecycle), ['stable', 'stable', 'stable'])
  await refreshAllProfiles(db, AS_OF, { config: { chunkSize: 2 } })
  const events = await sql<{ payload: Record<string, unknown> }>`
    select payload from event_outbox where type = 'customer.declining' order by (payload->>'customerId')::bigint`.execute(db)
  const profiles = await findProfiles(db, ids)
  t.same(
    events.rows.map((e) => e.payload),
    ids.map((id) => {
      const p = profiles.get(id)!
      t.equal(p.lifecycle, 'declining')
      return {
        customerId: String(id),
        lifecycle: 'declining',
        previousLifecycle: 'stable',
        asOf: AS_OF,
        valueTier: p.valueTier,
        lastPurchaseDay: p.lastPurchaseDay,
        daysSinceLastTrip: p.daysSinceLastTrip,
        medianGapDays: p.medianGapDays,
        recentSpendCents: p.recentSpendCents,
        previousSpendCents: p.previousSpendCents,
      }
    }),
    'one event per customer moved into declining, with the profile the refresh wrote',
  )
  await refreshAllProfiles(db, AS_OF)
  const again = await sql<{ n: number }>`select count(*)::int as n from event_outbox where type = 'customer.declining'`.execute(db)
  t.equal(again.rows[0]!.n, 3, 'declining again is no new move')
})

t.test('erased customers lose their profiles wherever their ids fall among the chunks', async (t) => {
  const { db } = await testDatabase(t)
  const milk = await insertProduct(db, { category: 'Dairy/Milk', priceCents: 300 })
  const ids: number[] = []
  for (let i = 0; i < 9; i++) {
    const id = await insertCustomer(db)
    ids.push(id)
    await insertSale(db, id, ago(i + 1), [{ product: milk, quantity: 1 + i }])
  }
  await refreshAllProfiles(db, AS_OF, { config: { chunkSize: 2 } })
  t.equal((await findProfiles(db, ids)).size, 9)
  // With the erased skipped, chunks of two are [1,2] [4,5] [7,8]: 3 and 6 fall between them, 9 after the last.
  const erased = [ids[2]!, ids[5]!, ids[8]!]
  await db.updateTable('customer').set({ erased_at: new Date() }).where('id', 'in', erased).execute()
  const result = await refreshAllProfiles(db, AS_OF, { config: { chunkSize: 2 } })
  t.equal(result.customers, 6)
  t.same([...(await findProfiles(db, ids)).keys()].sort((a, b) => a - b), ids.filter((id) => !erased.includes(id)), 'no erased customer keeps a profile')
  const tier = await db.selectFrom('value_tier_cutoff').select('customers').executeTakeFirstOrThrow()
  t.equal(tier.customers, 6, 'the ranking counts the six left')
})
