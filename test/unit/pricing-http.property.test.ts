// Quote equals redeem, through the real HTTP interface and the real database: for random
// offer sets (created through the API, on a customer's current list) and random baskets,
// POST /v1/redemptions/quote then POST /v1/redemptions of the same basket give the same
// discounts and totals; and the redemption respects each offer's limits and budget.
import fc from 'fast-check'
import t from 'tap'
import { CATALOG, checkoutFixture, type Item, type ProductName } from '../helpers/checkout-fixtures.ts'

const NAMES = Object.keys(CATALOG) as ProductName[]
const gtinOf = (name: ProductName) => CATALOG[name][0]

const rewardArb = fc.oneof(
  fc.record({ type: fc.constant('amount_off'), amountCents: fc.integer({ min: 1, max: 800 }) }),
  fc.record({ type: fc.constant('percent_off'), percent: fc.oneof(fc.integer({ min: 1, max: 100 }), fc.constantFrom(12.5, 33.3333)) }),
  fc.record({ type: fc.constant('fixed_price'), priceCents: fc.integer({ min: 0, max: 1500 }) }),
  fc.record({ type: fc.constant('buy_x_get_y'), buy: fc.integer({ min: 1, max: 3 }), get: fc.integer({ min: 1, max: 2 }), percentOff: fc.integer({ min: 1, max: 100 }) }),
  fc.integer({ min: 1, max: 3000 }).chain((minSpendCents) =>
    fc.record({ type: fc.constant('spend_threshold'), minSpendCents: fc.constant(minSpendCents), amountCents: fc.integer({ min: 1, max: minSpendCents }) }),
  ),
)

const scopeArb = fc.oneof(
  fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }).map((names) => ({ gtins: names.map(gtinOf) })),
  fc.record({ category: fc.constantFrom('Dairy', 'Health/Pain relief', 'Pantry') }),
  fc.record({ category: fc.constantFrom('Dairy', 'Health'), brandType: fc.constantFrom('national', 'store') }),
)

const offerArb = fc.record(
  {
    scope: scopeArb,
    reward: rewardArb,
    stackable: fc.boolean(),
    limits: fc.record({ unitsPerRedemption: fc.integer({ min: 1, max: 4 }), redemptionsPerCustomer: fc.integer({ min: 1, max: 2 }) }, { requiredKeys: [] }),
    budget: fc.record({ maxRedemptions: fc.integer({ min: 1, max: 3 }), maxDiscountCents: fc.integer({ min: 1, max: 1500 }) }, { requiredKeys: [] }),
  },
  { requiredKeys: ['scope', 'reward', 'stackable'] },
)

const basketArb = fc.array(
  fc.record({ name: fc.constantFrom(...NAMES), quantity: fc.integer({ min: 1, max: 5 }), price: fc.oneof(fc.integer({ min: 0, max: 2500 }), fc.constant(-1)) }),
  { minLength: 1, maxLength: 8 },
)

t.test('quote then redeem of the same basket: the same discounts; limits and budgets held', async (t) => {
  const fx = await checkoutFixture(t, { LANELIST_RATE_LIMIT_POS: '0', LANELIST_RATE_LIMIT_BACKOFFICE: '0' })
  let runs = 0
  let discounted = 0
  await fc.assert(
    fc.asyncProperty(fc.array(offerArb, { minLength: 1, maxLength: 4 }), basketArb, async (offers, basket) => {
      const offerIds: string[] = []
      for (const offer of offers) offerIds.push(await fx.createOffer({ ...offer, name: 'prop', description: 'prop' }))
      const customer = await fx.customerWithList(offerIds)
      const items: Item[] = basket.map((l) => ({ gtin: gtinOf(l.name), quantity: l.quantity, unitPriceCents: l.price < 0 ? CATALOG[l.name][3] : l.price }))
      const body = fx.body(customer.cardNumber, items)

      const quote = await fx.quote(body)
      if (quote.statusCode !== 200) throw new Error(`quote ${quote.statusCode}: ${quote.body}`)
      const sale = await fx.redeem(body)
      if (sale.statusCode !== 201) throw new Error(`redeem ${sale.statusCode}: ${sale.body}`)
      const q = quote.json()
      const r = sale.json()
      runs++
      if (r.totalDiscountCents > 0) discounted++
      const same = (a: unknown, b: unknown, what: string) => {
        if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`${what}: quote ${JSON.stringify(a)} vs redeem ${JSON.stringify(b)}`)
      }
      same(q.discounts, r.discounts, 'discounts')
      same([q.totalBeforeCents, q.totalDiscountCents, q.totalAfterCents], [r.totalBeforeCents, r.totalDiscountCents, r.totalAfterCents], 'totals')
      if (r.totalAfterCents < 0 || r.totalDiscountCents < 0) throw new Error('negative total')

      // Per line: never more discount than the line is worth.
      for (const gtin of new Set(items.map((i) => i.gtin))) {
        const worth = items.filter((i) => i.gtin === gtin).reduce((s, i) => s + i.quantity * i.unitPriceCents, 0)
        const given = (r.discounts as { gtin: string; amountCents: number }[]).filter((d) => d.gtin === gtin).reduce((s, d) => s + d.amountCents, 0)
        if (given > worth) throw new Error(`${gtin}: discount ${given} > line ${worth}`)
      }
      // Per offer: units and budget.
      offers.forEach((offer, i) => {
        const rows = (r.discounts as { offerId: string; quantity: number; amountCents: number }[]).filter((d) => d.offerId === offerIds[i])
        const cents = rows.reduce((s, d) => s + d.amountCents, 0)
        const units = rows.reduce((s, d) => s + d.quantity, 0)
        if (offer.budget?.maxDiscountCents !== undefined && cents > offer.budget.maxDiscountCents) throw new Error(`offer ${i}: budget ${cents} > ${offer.budget.maxDiscountCents}`)
        if (offer.limits?.unitsPerRedemption !== undefined && units > offer.limits.unitsPerRedemption) throw new Error(`offer ${i}: ${units} units > ${offer.limits.unitsPerRedemption}`)
        if (offer.reward.type === 'spend_threshold' && cents > offer.reward.amountCents) throw new Error(`offer ${i}: threshold amount`)
      })

      // The same basket again, on a new transaction: the per-customer limit and the
      // redemption budget hold across sales, and quote still equals redeem.
      const again = fx.body(customer.cardNumber, items)
      const q2 = (await fx.quote(again)).json()
      const r2 = (await fx.redeem(again)).json()
      same(q2.discounts, r2.discounts, 'second sale discounts')
      offers.forEach((offer, i) => {
        const used = [r, r2].filter((x) => (x.discounts as { offerId: string }[]).some((d) => d.offerId === offerIds[i])).length
        const cap = Math.min(offer.limits?.redemptionsPerCustomer ?? Infinity, offer.budget?.maxRedemptions ?? Infinity)
        if (used > cap) throw new Error(`offer ${i}: used in ${used} sales, cap ${cap}`)
        const cents = [r, r2].flatMap((x) => (x.discounts as { offerId: string; amountCents: number }[]).filter((d) => d.offerId === offerIds[i])).reduce((s, d) => s + d.amountCents, 0)
        if (offer.budget?.maxDiscountCents !== undefined && cents > offer.budget.maxDiscountCents) throw new Error(`offer ${i}: budget over two sales ${cents}`)
      })
    }),
    { numRuns: Number(process.env.PRICING_HTTP_RUNS ?? 40) },
  )
  t.ok(discounted > runs / 4, `${runs} random offer sets and baskets, ${discounted} with discounts`)
})
