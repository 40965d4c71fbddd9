import t from 'tap'
import { classifyCustomer, customerValue } from '../../src/modules/segments/profile-classify.ts'
import { DEFAULT_SEGMENT_CONFIG as D } from '../../src/modules/segments/segment.config.ts'
import type { CustomerFacts } from '../../src/modules/segments/segment.types.ts'
import {
  addDays,
  daysBetween,
  eligibility,
  lifecycleStage,
  regularCycle,
  tierBoundaries,
  tierCutsFromValues,
  tierForValue,
  tiersByRank,
  trendOf,
  walletShare,
  type LifecycleInput,
} from '../../src/modules/segments/value-rules.ts'

const AS_OF = '2026-11-23'
const ago = (n: number) => addDays(AS_OF, -n)

t.test('calendar days', async (t) => {
  t.equal(daysBetween('2026-11-01', '2026-11-23'), 22)
  t.equal(daysBetween('2026-03-28', '2026-03-30'), 2, 'across a DST change in most zones')
  t.equal(daysBetween('2026-11-23', '2026-11-01'), -22)
  t.equal(addDays('2026-12-31', 1), '2027-01-01')
  t.equal(addDays('2028-03-01', -1), '2028-02-29')
})

t.test('value tiers by rank: top 10% A, next 20% B, next 30% C, rest D', async (t) => {
  const shares = D.value.tierShares
  const cases: [number, { a: number; b: number; c: number }][] = [
    [1, { a: 1, b: 1, c: 1 }],
    [3, { a: 1, b: 1, c: 2 }],
    [10, { a: 1, b: 3, c: 6 }],
    [22, { a: 3, b: 7, c: 14 }],
    [100, { a: 10, b: 30, c: 60 }],
    [1000, { a: 100, b: 300, c: 600 }],
  ]
  for (const [n, expected] of cases) t.same(tierBoundaries(n, shares), expected, `${n} customers`)

  const hundred = Array.from({ length: 100 }, (_, i) => (i + 1) * 100)
  const tiers = tiersByRank(hundred, shares)
  t.same(
    ['A', 'B', 'C', 'D'].map((x) => tiers.filter((y) => y === x).length),
    [10, 20, 30, 40],
  )
  t.equal(tiers[99], 'A', 'the highest value is A')
  t.equal(tiers[0], 'D')

  // Sorted: 900 | 500 100 | 100 100 50 | 20 10 0 -200; the three 100s straddle the B/C boundary.
  t.same(tiersByRank([500, -200, 0, 900, 100, 100, 100, 50, 20, 10], shares), ['B', 'D', 'D', 'A', 'B', 'B', 'B', 'C', 'D', 'D'], 'ties at a boundary all take the better tier')
  t.same(tiersByRank([], shares), [])
  t.same(tiersByRank([42], shares), ['A'], 'one customer is the top 10%')
  const cuts = tierCutsFromValues([900, 500, 100, 100, 100, 50, 20, 10, 0, -200], shares)
  t.same(cuts, { aMin: 900, bMin: 100, cMin: 50 })
  t.equal(tierForValue(901, cuts!), 'A', 'a single refresh above the top cut is A')
  t.equal(tierForValue(100, cuts!), 'B')
  t.equal(tierForValue(99, cuts!), 'C')
  t.equal(tierForValue(-1, cuts!), 'D', 'negative value is D')
})

t.test('trend: last 8 weeks against the 8 before', async (t) => {
  const cases: [number, number, string][] = [
    [0, 0, 'flat'],
    [1000, 0, 'rising'],
    [0, 1000, 'falling'],
    [1200, 1000, 'rising'],
    [1199, 1000, 'flat'],
    [801, 1000, 'flat'],
    [800, 1000, 'falling'],
  ]
  for (const [recent, previous, expected] of cases) t.equal(trendOf(recent, previous, D.trend), expected, `${recent} vs ${previous}`)
})

t.test('lifecycle transitions, declining vs lapsed against the customer\'s own cycle', async (t) => {
  const base: LifecycleInput = { asOf: AS_OF, enrolledOn: '2024-01-01', firstPurchaseDay: ago(400), lastPurchaseDay: ago(0), medianGapDays: 7, trend: 'flat' }
  const cases: [string, Partial<LifecycleInput>, string][] = [
    ['weekly shopper, in rhythm', { lastPurchaseDay: ago(5) }, 'stable'],
    ['weekly shopper, spend rising', { lastPurchaseDay: ago(2), trend: 'rising' }, 'growing'],
    ['falling spend alone is not declining', { lastPurchaseDay: ago(2), trend: 'falling' }, 'stable'],
    ['weekly shopper, 14 days away: 2x gap but not past 14 days', { lastPurchaseDay: ago(14) }, 'stable'],
    ['weekly shopper, 15 days away', { lastPurchaseDay: ago(15) }, 'declining'],
    ['weekly shopper, 28 days away: still declining (not past 28)', { lastPurchaseDay: ago(28) }, 'declining'],
    ['weekly shopper, 29 days away: > 4x gap and > 28 days', { lastPurchaseDay: ago(29) }, 'lapsed'],
    ['daily shopper, 10 days away: > 4x gap but a short absence', { lastPurchaseDay: ago(10), medianGapDays: 1 }, 'stable'],
    ['daily shopper, 15 days away', { lastPurchaseDay: ago(15), medianGapDays: 1 }, 'declining'],
    ['monthly shopper, 45 days away: under 2x gap', { lastPurchaseDay: ago(45), medianGapDays: 30 }, 'stable'],
    ['monthly shopper, 56 days away: the calendar limit itself', { lastPurchaseDay: ago(56), medianGapDays: 30 }, 'stable'],
    ['monthly shopper, 57 days away: > 8 weeks', { lastPurchaseDay: ago(57), medianGapDays: 30 }, 'lapsed'],
    ['bimonthly shopper, 50 days', { lastPurchaseDay: ago(50), medianGapDays: 60 }, 'stable'],
    ['one trip, no gap known, 40 days ago', { firstPurchaseDay: ago(40), lastPurchaseDay: ago(40), medianGapDays: null }, 'new'],
    ['one trip, 70 days ago', { firstPurchaseDay: ago(70), lastPurchaseDay: ago(70), medianGapDays: null }, 'lapsed'],
    ['first purchase 55 days ago', { firstPurchaseDay: ago(55), lastPurchaseDay: ago(3) }, 'new'],
    ['first purchase 56 days ago', { firstPurchaseDay: ago(56), lastPurchaseDay: ago(3), trend: 'rising' }, 'growing'],
    ['new customer who stopped coming: declining first', { firstPurchaseDay: ago(40), lastPurchaseDay: ago(20) }, 'declining'],
    ['enrolled, never bought, 10 days', { enrolledOn: ago(10), firstPurchaseDay: null, lastPurchaseDay: null, medianGapDays: null }, 'new'],
    ['enrolled, never bought, a year', { enrolledOn: ago(365), firstPurchaseDay: null, lastPurchaseDay: null, medianGapDays: null }, 'lapsed'],
  ]
  for (const [name, change, expected] of cases) t.equal(lifecycleStage({ ...base, ...change }, D.lifecycle), expected, name)
})

t.test('eligibility: average weekly spend over 8 weeks at or above $25', async (t) => {
  const cases: [number, number, boolean][] = [
    [0, 0, false],
    [19_999, 2_499, false],
    [20_000, 2_500, true],
    [20_001, 2_500, true],
    [100_000, 12_500, true],
  ]
  for (const [spend, weekly, ok] of cases) t.same(eligibility(spend, D.eligibility), { weeklySpendCents: weekly, eligible: ok }, `${spend} cents in 8 weeks`)
  t.same(eligibility(10_000, { windowDays: 30, minWeeklySpendCents: 2_000 }), { weeklySpendCents: 2_333, eligible: true }, 'other windows')
  t.same(eligibility(8_571, { windowDays: 30, minWeeklySpendCents: 2_000 }), { weeklySpendCents: 1_999, eligible: false }, 'exact comparison, not the rounded average')
})

t.test('share-of-wallet signals: regular cycle and spend', async (t) => {
  t.equal(regularCycle(10, 7, 1, D.wallet), true)
  t.equal(regularCycle(10, 7, 6, D.wallet), false, 'erratic gaps')
  t.equal(regularCycle(5, 7, 0, D.wallet), false, 'too few trips')
  t.equal(regularCycle(10, null, null, D.wallet), false)
  t.equal(walletShare(true, 6_000, D.wallet), 'high')
  t.equal(walletShare(false, 9_000, D.wallet), 'medium', 'big but irregular baskets')
  t.equal(walletShare(true, 1_499, D.wallet), 'low')
})

const facts = (o: Partial<CustomerFacts> = {}): CustomerFacts => ({
  customerId: 7,
  enrolledOn: '2025-01-01',
  optOut: false,
  household: {},
  firstPurchaseDay: ago(300),
  lastPurchaseDay: ago(3),
  trips: 40,
  medianGapDays: 7,
  meanGapDays: 7,
  stddevGapDays: 1,
  recentSpendCents: 40_000,
  previousSpendCents: 30_000,
  eligibilitySpendCents: 40_000,
  discountCents: 1_500,
  voucherCents: 400,
  categories: [
    { category: 'Produce/Fruit', units: 30, nationalUnits: 30, spendCents: 20_000, valueSpendCents: 40_000, recentUnits: 5 },
    { category: 'Health/Pain relief', units: 4, nationalUnits: 4, spendCents: 4_000, valueSpendCents: 8_000, recentUnits: 1 },
  ],
  ...o,
})

t.test('value and the whole profile from facts', async (t) => {
  t.same(customerValue(facts(), { ...D.value, categoryMargins: { Produce: 0.4 } }), {
    spendCents: 48_000,
    marginCents: 16_000 + 2_000,
    rewardsCents: 1_900,
    valueCents: 16_100,
  })
  const negative = customerValue(facts({ discountCents: 20_000 }), D.value)
  t.equal(negative.valueCents, 12_000 - 20_400, 'rewards can exceed margin: negative value')

  const ctx = { asOf: AS_OF, computedAt: new Date('2026-11-23T06:00:00Z'), usageCuts: new Map(), tierCuts: { aMin: 10_000, bMin: 5_000, cMin: 1_000 }, config: D }
  const p = classifyCustomer(facts(), ctx)
  t.match(p, { valueCents: 10_100, valueTier: 'A', negativeValue: false, trend: 'rising', lifecycle: 'growing', eligible: true, weeklySpendCents: 5_000, regularCycle: true, walletShare: 'medium', lifeStage: ['produce_heavy'], daysSinceLastTrip: 3 })
  t.equal(classifyCustomer(facts({ discountCents: 20_000 }), ctx).negativeValue, true)
  t.equal(classifyCustomer(facts(), { ...ctx, tierCuts: null }).valueTier, null, 'no ranking yet, no tier')
  const out = classifyCustomer(facts({ optOut: true }), ctx)
  t.match(out, { optOut: true, eligible: true, weeklySpendCents: 5_000, valueCents: null, valueTier: null, lifecycle: null, segments: [], lifeStage: [] })
})
