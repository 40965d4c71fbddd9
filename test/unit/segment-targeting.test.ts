import t from 'tap'
import { matchTargeting } from '../../src/modules/segments/profile-targeting.ts'
import type { CustomerProfile } from '../../src/modules/segments/segment.types.ts'
import type { Targeting } from '../../src/modules/offers/offer.types.ts'

const profile = (o: Partial<CustomerProfile> = {}): CustomerProfile => ({
  customerId: 1, asOf: '2026-11-23', computedAt: '', optOut: false, weeklySpendCents: 5000, eligible: true,
  spendCents: 100_000, marginCents: 25_000, rewardsCents: 1_000, valueCents: 24_000, valueTier: 'B', negativeValue: false,
  trend: 'flat', recentSpendCents: 1, previousSpendCents: 1, lifecycle: 'declining', lifeStage: ['pet'],
  firstPurchaseDay: null, lastPurchaseDay: null, daysSinceLastTrip: null, medianGapDays: null, trips: null, regularCycle: null, walletShare: null,
  segments: [{ category: 'Health/Pain relief', brandGroup: 'national', usage: 'high', units: 9, nationalUnits: 9, spendCents: 5000 }],
  ...o,
})

t.test('targeting: AND across criteria, OR within one, reasons in plain words', async (t) => {
  const heavyNational: Targeting = { segments: [{ category: 'Health/Pain relief', brandGroup: 'national', usage: 'high' }] }
  const cases: [string, Targeting, Partial<CustomerProfile>, boolean, RegExp][] = [
    ['everyone', { everyone: true }, {}, true, /every customer/],
    ['everyone, even opted out', { everyone: true }, { optOut: true }, true, /every customer/],
    ['opted out never gets a targeted offer', heavyNational, { optOut: true }, false, /not to personalise/],
    ['in the cell', heavyNational, {}, true, /You buy pain relief often and choose mostly national brands/],
    ['not in the cell', { segments: [{ category: 'Health/Pain relief', brandGroup: 'store', usage: 'high' }] }, {}, false, /customers who buy pain relief often and choose mostly our own brand/],
    ['any of several cells', { segments: [{ category: 'Dairy/Milk', brandGroup: 'store', usage: 'low' }, heavyNational.segments![0]!] }, {}, true, /pain relief/],
    ['life stage', { lifeStage: ['baby', 'pet'] }, {}, true, /buy for a pet/],
    ['life stage missing', { lifeStage: ['baby'] }, {}, false, /buy for a baby/],
    ['value tier', { valueTiers: ['A', 'B'] }, {}, true, /tier B/],
    ['value tier too low', { valueTiers: ['A'] }, {}, false, /tier A .*you are in tier B/],
    ['no tier yet', { valueTiers: ['A'] }, { valueTier: null }, false, /not worked out yet/],
    ['win-back for declining', { lifecycle: ['declining', 'lapsed'] }, {}, true, /less often than usual/],
    ['all criteria must hold', { ...heavyNational, lifeStage: ['pet'], valueTiers: ['A'] }, {}, false, /^This offer is for customers in value tier A/],
    ['empty targeting', {}, {}, true, /no conditions/],
  ]
  for (const [name, targeting, change, matches, reason] of cases) {
    const d = matchTargeting(targeting, profile(change))
    t.equal(d.matches, matches, name)
    t.match(d.reasons[0], reason, name)
  }
  const all = matchTargeting({ ...heavyNational, lifeStage: ['pet'], lifecycle: ['declining'] }, profile())
  t.equal(all.reasons.length, 3, 'one reason per criterion')
})
