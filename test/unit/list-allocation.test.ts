import fc from 'fast-check'
import t from 'tap'
import { allocateList, matchTargetingOnce, offerValueCents, REASONS, type CandidateOffer, type PredictedProduct } from '../../src/modules/lists/list-allocation.ts'
import { DEFAULT_LIST_GENERATION_CONFIG as CFG } from '../../src/modules/lists/list-generation.config.ts'
import { ledgerFor } from '../../src/modules/lists/list-generation.service.ts'
import { BRAND_GROUPS, LIFE_STAGES, LIFECYCLE_STAGES, USAGE_LEVELS, VALUE_TIERS, type Offer, type PriceReward, type Targeting } from '../../src/modules/offers/offer.types.ts'
import { matchTargeting, type TargetingDecision } from '../../src/modules/segments/profile-targeting.ts'
import type { CustomerProfile } from '../../src/modules/segments/segment.types.ts'

const profile = (o: Partial<CustomerProfile> = {}): CustomerProfile => ({
  customerId: 1, asOf: '2026-11-23', computedAt: '', optOut: false, weeklySpendCents: 5000, eligible: true,
  spendCents: 100_000, marginCents: 25_000, rewardsCents: 1_000, valueCents: 24_000, valueTier: 'A', negativeValue: false,
  trend: 'flat', recentSpendCents: 1, previousSpendCents: 1, lifecycle: 'stable', lifeStage: [],
  firstPurchaseDay: null, lastPurchaseDay: null, daysSinceLastTrip: null, medianGapDays: null, trips: null, regularCycle: null, walletShare: null,
  segments: [{ category: 'Pantry/Coffee', brandGroup: 'national', usage: 'high', units: 12, nationalUnits: 12, spendCents: 9000 }],
  ...o,
})

let nextId = 1
function offer(o: { reward?: PriceReward; scope?: Offer['scope']; targeting?: Targeting; maxRedemptions?: number | null; maxDiscountCents?: number | null; kind?: 'offer' | 'perk'; name?: string }): Offer {
  const id = String(nextId++)
  const common = {
    id, name: o.name ?? `Offer ${id}`, description: '', status: 'active' as const, targeting: o.targeting ?? { everyone: true },
    validFrom: '2026-11-01', validUntil: '2026-12-31', limits: { unitsPerRedemption: null, redemptionsPerCustomer: null },
    budget: {
      maxRedemptions: o.maxRedemptions ?? null, maxDiscountCents: o.maxDiscountCents ?? null, usedRedemptions: 0, usedDiscountCents: 0,
      remainingRedemptions: o.maxRedemptions ?? null, remainingDiscountCents: o.maxDiscountCents ?? null,
    },
    fundedBy: 'store' as const, stackable: false, redemptions: 0, discountGivenCents: 0, createdAt: '', updatedAt: '',
  }
  if (o.kind === 'perk') return { ...common, kind: 'perk', scope: o.scope ?? null, reward: { type: 'perk', perkType: 'recipe', content: 'A soup recipe' } }
  return { ...common, kind: 'offer', scope: o.scope ?? { category: 'Dairy' }, reward: o.reward ?? { type: 'amount_off', amountCents: 100 } }
}
const cand = (o: Offer, priceCents = 500): CandidateOffer => ({ offer: o, reference: { productId: null, priceCents } })

function predicted(category: string, opts: { probability?: number; price?: number; brandType?: 'national' | 'store'; expectedDate?: string } = {}): PredictedProduct {
  const productId = nextId++
  return {
    productId, probability: opts.probability ?? 0.8, expectedDate: opts.expectedDate ?? '2026-11-26', reason: 'You buy this about every week',
    product: { gtin: null, category, brandType: opts.brandType ?? 'national', name: `${category} ${productId}`, regularPriceCents: opts.price ?? 400 },
  }
}

const run = (o: { p?: CustomerProfile; holdout?: boolean; predictions: PredictedProduct[]; offers: CandidateOffer[] }) =>
  allocateList({ profile: o.p ?? profile(), holdout: o.holdout ?? false, predictions: o.predictions, offers: o.offers, budgets: ledgerFor(o.offers), config: CFG })

t.test('value of an offer: its discount on the expected quantity at the regular price', async (t) => {
  t.equal(offerValueCents({ type: 'amount_off', amountCents: 150 }, 400), 150)
  t.equal(offerValueCents({ type: 'amount_off', amountCents: 600 }, 400), 400, 'never more than the price')
  t.equal(offerValueCents({ type: 'percent_off', percent: 25 }, 399), 100)
  t.equal(offerValueCents({ type: 'fixed_price', priceCents: 300 }, 400), 100)
  t.equal(offerValueCents({ type: 'buy_x_get_y', buy: 2, get: 1, percentOff: 100 }, 400), 400)
  t.equal(offerValueCents({ type: 'spend_threshold', minSpendCents: 5000, amountCents: 500 }, 0), 500)
})

t.test('offers attach to predicted items in scope, with reasons for given and withheld', async (t) => {
  const milk = predicted('Dairy/Milk')
  const bread = predicted('Bakery/Bread')
  const dairy = offer({ scope: { category: 'Dairy' } })
  const tea = offer({ scope: { category: 'Pantry/Tea' } })
  const a = run({ predictions: [milk, bread], offers: [cand(dairy), cand(tea)] })
  t.equal(a.items.length, 2)
  t.equal(a.items[0]!.offerId, dairy.id)
  t.equal(a.items[0]!.offerValueCents, 100)
  t.equal(a.items[1]!.offerId, null)
  t.equal(a.totalCouponCents, 100)
  const given = a.decisions.find((d) => d.offerId === dairy.id)!
  t.ok(given.given)
  t.match(given.reason, /every customer.*We expect you to buy Dairy\/Milk .* saves you about \$1\.00/)
  const withheld = a.decisions.find((d) => d.offerId === tea.id)!
  t.notOk(withheld.given)
  t.match(withheld.reason, /do not expect you to buy tea in the next two weeks/)

  const pet = offer({ scope: { category: 'Pet' } })
  t.match(run({ predictions: [milk], offers: [cand(pet)] }).decisions[0], { given: false, reason: 'We do not expect you to buy pet products in the next two weeks.' }, 'a whole department in words')
})

t.test('tier caps bound the list value', async (t) => {
  const items = Array.from({ length: 10 }, () => predicted('Dairy/Milk', { price: 1000 }))
  const offers = Array.from({ length: 10 }, () => cand(offer({ scope: { category: 'Dairy' }, reward: { type: 'amount_off', amountCents: 400 } })))
  for (const [tier, cap] of [['A', 3500], ['B', 2000], ['C', 1000], ['D', 500]] as const) {
    const a = run({ p: profile({ valueTier: tier }), predictions: items, offers })
    t.ok(a.totalCouponCents <= cap, `tier ${tier}: ${a.totalCouponCents} <= ${cap}`)
    t.ok(a.totalCouponCents > cap - 400, `tier ${tier} is filled up to its cap`)
    const capped = a.decisions.filter((d) => !d.given)
    t.ok(capped.length > 0)
    t.match(capped[0]!.reason, new RegExp(`most offer value we give customers in value tier ${tier}`))
  }
  const custom = allocateList({ profile: profile({ valueTier: 'D' }), holdout: false, predictions: items, offers, budgets: ledgerFor(offers), config: { ...CFG, tierCapCents: { ...CFG.tierCapCents, D: 1200 } } })
  t.equal(custom.totalCouponCents, 1200, 'caps are configurable')
})

t.test('budgets are shared across a run and never exceeded', async (t) => {
  const scarce = offer({ scope: { category: 'Dairy' }, reward: { type: 'amount_off', amountCents: 150 }, maxRedemptions: 3, maxDiscountCents: 400 })
  const offers = [cand(scarce)]
  const budgets = ledgerFor(offers)
  let given = 0
  let cents = 0
  const reasons: string[] = []
  for (let i = 0; i < 10; i++) {
    const a = allocateList({ profile: profile(), holdout: false, predictions: [predicted('Dairy/Milk')], offers, budgets, config: CFG })
    given += a.items.filter((it) => it.offerId === scarce.id).length
    cents += a.totalCouponCents
    reasons.push(...a.decisions.filter((d) => !d.given).map((d) => d.reason))
  }
  t.equal(given, 2, 'the discount budget (400) allows two of 150, though three redemptions are left')
  t.ok(cents <= 400)
  t.equal(reasons.length, 8)
  t.ok(reasons.every((r) => r === REASONS.budget))
})

t.test('holdout: no targeted offers, untargeted ones still; opted out: only offers for everyone', async (t) => {
  const milk = predicted('Dairy/Milk')
  const everyone = offer({ scope: { category: 'Dairy/Milk' } })
  const targeted = offer({ scope: { category: 'Dairy' }, targeting: { valueTiers: ['A'] } })
  const perk = offer({ kind: 'perk', targeting: { valueTiers: ['A'] }, name: 'Soup recipe' })
  const held = run({ holdout: true, predictions: [milk], offers: [cand(everyone), cand(targeted), cand(perk)] })
  t.equal(held.items[0]!.offerId, everyone.id)
  t.same(held.perks, [])
  t.equal(held.decisions.find((d) => d.offerId === targeted.id)!.reason, REASONS.holdout)
  t.equal(held.decisions.find((d) => d.offerId === perk.id)!.reason, REASONS.holdout)

  const optedOut = run({ p: profile({ optOut: true, valueTier: null, segments: [] }), predictions: [milk], offers: [cand(everyone), cand(targeted), cand(perk)] })
  t.equal(optedOut.items[0]!.offerId, everyone.id)
  t.match(optedOut.decisions.find((d) => d.offerId === targeted.id)!.reason, /asked us not to personalise/)
  t.same(optedOut.perks, [])

  const normal = run({ predictions: [milk], offers: [cand(everyone), cand(targeted), cand(perk)] })
  t.equal(normal.perks.length, 1, 'the perk goes to list.perks')
  t.same(normal.perks[0], { offerId: perk.id, perkType: 'recipe', name: 'Soup recipe', content: 'A soup recipe' })
  t.ok(normal.decisions.find((d) => d.offerId === perk.id)!.given)
  t.equal(normal.items[0]!.offerId !== null, true)
  t.equal(normal.decisions.filter((d) => d.given && d.offerId !== perk.id).length, 1, 'one offer per item')
  t.equal(normal.decisions.find((d) => !d.given)?.reason, REASONS.taken)
})

t.test('targeting not met is explained in matchTargeting words', async (t) => {
  const a = run({ p: profile({ valueTier: 'C' }), predictions: [predicted('Dairy/Milk')], offers: [cand(offer({ scope: { category: 'Dairy' }, targeting: { valueTiers: ['A'] } }))] })
  t.notOk(a.decisions[0]!.given)
  t.match(a.decisions[0]!.reason, /value tier A .*you are in tier C/)
})

t.test('segment offer without a predicted product: store-brand trial timed to the customer cycle', async (t) => {
  const coffee = predicted('Pantry/Coffee', { brandType: 'national', expectedDate: '2026-11-29', probability: 0.7 })
  const trial = offer({
    name: 'Try Hometown coffee',
    scope: { category: 'Pantry/Coffee', brandType: 'store' },
    reward: { type: 'percent_off', percent: 50 },
    targeting: { segments: [{ category: 'Pantry/Coffee', brandGroup: 'national', usage: 'high' }] },
  })
  const a = run({ predictions: [coffee], offers: [cand(trial, 800)] })
  const item = a.items.find((i) => i.offerId === trial.id)!
  t.ok(item, 'a category item carries the trial offer')
  t.equal(item.productId, null)
  t.equal(item.category, 'Pantry/Coffee')
  t.equal(item.expectedDate, '2026-11-29', 'timed to the coffee cycle')
  t.equal(item.offerValueCents, 400)
  t.match(a.decisions[0]!.reason, /You buy coffee often and choose mostly national brands\. Timed to when you usually buy coffee/)

  const noCycle = run({ predictions: [predicted('Dairy/Milk')], offers: [cand(trial, 800)] })
  t.match(noCycle.decisions[0]!.reason, /do not expect you to buy coffee/)
  t.equal(noCycle.items.length, 1)
})

t.test("a manufacturer's deal for everyone invites buyers of the category to its brand", async (t) => {
  const cereal = predicted('Pantry/Cereal', { expectedDate: '2026-11-27' })
  const deal = offer({ name: 'Sunrise cereal: $1.25 off', scope: { gtins: ['00000000000017'] }, reward: { type: 'amount_off', amountCents: 125 } })
  const dealCand: CandidateOffer = { offer: deal, reference: { productId: 77, priceCents: 450, categories: ['Pantry/Cereal'], label: 'Sunrise cereal' } }
  const a = run({ predictions: [cereal], offers: [dealCand] })
  const item = a.items.find((i) => i.offerId === deal.id)!
  t.ok(item, 'placed beside the predicted items')
  t.equal(item.productId, 77)
  t.equal(item.expectedDate, '2026-11-27', 'timed to the cereal cycle')
  t.equal(item.offerValueCents, 125)
  t.match(a.decisions[0], { given: true, reason: /Timed to when you usually buy cereal/ })
  t.equal(run({ holdout: true, predictions: [cereal], offers: [dealCand] }).decisions[0]!.given, true, 'not targeted: the holdout gets it too')

  const optedOut = run({ p: profile({ optOut: true, valueTier: null, segments: [] }), predictions: [cereal], offers: [dealCand] })
  t.match(optedOut.decisions[0], { given: false, reason: /do not expect you to buy Sunrise cereal/ }, 'no profiling for an opted-out customer')
  const noCycle = run({ predictions: [predicted('Dairy/Milk')], offers: [dealCand] })
  t.equal(noCycle.decisions[0]!.given, false, 'nobody gets a deal for a category they do not buy')
})

t.test('a list keeps to maxItems', async (t) => {
  const many = Array.from({ length: 30 }, () => predicted('Bakery/Bread'))
  const a = allocateList({ profile: profile(), holdout: false, predictions: many, offers: [], budgets: new Map(), config: { ...CFG, maxItems: 15 } })
  t.equal(a.items.length, 15)
})

t.test('coupons placed in a category never push the predicted items off the list', async (t) => {
  // A top-tier customer with a store-brand trial in each of the fifteen categories they buy the
  // national brand in: none covers a predicted product, so each is a coupon beside the list.
  const cats = Array.from({ length: 15 }, (_, i) => `Pantry/Aisle ${i}`)
  const shopping = cats.map((c) => predicted(c, { brandType: 'national' }))
  const trials = cats.map((c) => cand(offer({ scope: { category: c, brandType: 'store' }, reward: { type: 'amount_off', amountCents: 150 } })))
  const a = run({ predictions: shopping, offers: trials })
  t.equal(a.items.length, 30)
  t.same(a.items.slice(0, 15).map((i) => i.productId), shopping.map((p) => p.productId), 'every predicted item, first, in rank order')
  t.ok(a.items.slice(15).every((i) => i.productId === null && i.offerId !== null), 'then the coupons')
  t.equal(a.totalCouponCents, 15 * 150)
  t.match(a.items[15]!.reason, /^An offer picked for you\. Timed to when you usually buy aisle \d+\.$/, 'the reason does not repeat the offer')
})

t.test('the remembered targeting decision is what matchTargeting says, whatever the profile', async (t) => {
  const categories = ['Pantry/Coffee', 'Pantry/Tea', 'Pets/Cat food']
  const cell = fc.record({ category: fc.constantFrom(...categories), brandGroup: fc.constantFrom(...BRAND_GROUPS), usage: fc.constantFrom(...USAGE_LEVELS) })
  const some = <T>(xs: readonly T[]) => fc.option(fc.uniqueArray(fc.constantFrom(...xs), { minLength: 1, maxLength: xs.length }), { nil: undefined })
  const targeting: fc.Arbitrary<Targeting> = fc.oneof(
    fc.constant({ everyone: true } as const),
    fc.record({ segments: fc.option(fc.array(cell, { minLength: 1, maxLength: 3 }), { nil: undefined }), lifeStage: some(LIFE_STAGES), valueTiers: some(VALUE_TIERS), lifecycle: some(LIFECYCLE_STAGES) }),
  )
  const customer = fc.record({
    optOut: fc.boolean(),
    valueTier: fc.option(fc.constantFrom(...VALUE_TIERS), { nil: null }),
    lifecycle: fc.option(fc.constantFrom(...LIFECYCLE_STAGES), { nil: null }),
    lifeStage: fc.uniqueArray(fc.constantFrom(...LIFE_STAGES)),
    cells: fc.uniqueArray(cell, { selector: (c) => c.category, maxLength: 3 }),
  })
  // One memo per offer, shared by many customers, as a run uses it.
  fc.assert(
    fc.property(targeting, fc.array(customer, { minLength: 1, maxLength: 12 }), (tg, customers) => {
      const memo = new Map<string, TargetingDecision>()
      for (const c of customers) {
        const p = profile({ optOut: c.optOut, valueTier: c.valueTier, lifecycle: c.lifecycle, lifeStage: c.lifeStage, segments: c.cells.map((x) => ({ ...x, units: 1, nationalUnits: 0, spendCents: 100 })) })
        const cells = () => new Set(p.segments.map((s) => `${s.category}\u0000${s.brandGroup}\u0000${s.usage}`))
        t.same(matchTargetingOnce(memo, tg, p, cells), matchTargeting(tg, p))
      }
    }),
    { numRuns: 300 },
  )
})

t.test('one offers array reused across customers and chunks allocates as fresh arrays do', async (t) => {
  const dairy = offer({ scope: { category: 'Dairy' } })
  const store = offer({ scope: { category: 'Dairy', brandType: 'store' }, targeting: { segments: [{ category: 'Pantry/Coffee', brandGroup: 'national', usage: 'high' }] } })
  const perk = offer({ kind: 'perk', scope: { category: 'Bakery' }, targeting: { lifeStage: ['pet'] } })
  const shared = [cand(dairy), cand(store), cand(perk)]
  const milk = predicted('Dairy/Milk', { brandType: 'store' })
  // The same product id with other facts (a product edited between two chunks): not the cached answer.
  const moved = { ...milk, product: { ...milk.product, category: 'Bakery/Bread' } }
  const customers = [
    { p: profile(), predictions: [milk] },
    { p: profile({ segments: [], lifeStage: ['pet'] }), predictions: [moved] },
    { p: profile({ optOut: true }), predictions: [milk, moved] },
    { p: profile({ valueTier: 'D' }), predictions: [moved, milk] },
  ]
  for (const c of customers) {
    const fresh = shared.map((x) => ({ ...x }))
    const a = allocateList({ profile: c.p, holdout: false, predictions: c.predictions, offers: shared, budgets: ledgerFor(shared), config: CFG })
    const b = allocateList({ profile: c.p, holdout: false, predictions: c.predictions, offers: fresh, budgets: ledgerFor(fresh), config: CFG })
    t.same(a, b)
  }
  const second = allocateList({ profile: profile({ segments: [], lifeStage: ['pet'] }), holdout: false, predictions: [moved], offers: shared, budgets: ledgerFor(shared), config: CFG })
  t.equal(second.items[0]?.offerId ?? null, null, 'the dairy offers do not follow the product into bakery')
  t.same(second.perks.map((p) => p.offerId), [perk.id], 'the bakery perk does')
})
