// Pricing must stay far below the lane's latency budget. Run:
//   node --import tsx bench/pricing.bench.ts
// The JSON round trip of the same basket is measured in the same run as a yardstick, so
// the ratio stays meaningful across machines.
import { priceBasket } from '../src/modules/redemptions/pricing.ts'
import type { BasketLine, CandidateOffer } from '../src/modules/redemptions/pricing.ts'

const CATEGORIES = ['Health/Pain relief', 'Health/Vitamins', 'Dairy/Milk', 'Dairy/Cheese', 'Pantry/Rice', 'Pets/Dog food']

function gtin(n: number): string {
  return String(n).padStart(14, '0')
}

function basket(): BasketLine[] {
  return Array.from({ length: 30 }, (_, i) => {
    const product = i % 26 // a few GTINs appear on two lines
    return {
      gtin: gtin(1000 + product),
      quantity: 1 + (i % 3),
      unitPriceCents: 149 + ((product * 137) % 900),
      category: CATEGORIES[product % CATEGORIES.length] ?? 'Pantry/Rice',
      brandType: product % 4 === 0 ? 'store' : 'national',
    }
  })
}

function offer(offerId: string, rest: Pick<CandidateOffer, 'scope' | 'reward'> & Partial<CandidateOffer>): CandidateOffer {
  return {
    offerId,
    description: offerId,
    stackable: false,
    remainingUses: 1,
    budgetRemainingRedemptions: null,
    budgetRemainingCents: null,
    ...rest,
  }
}

// Ten offers of every reward type; several overlap so the exact search has work to do.
function offers(): CandidateOffer[] {
  return [
    offer('o01', { scope: { category: 'Health' }, reward: { type: 'percent_off', percent: 12.5 } }),
    offer('o02', { scope: { gtins: [gtin(1000), gtin(1006)] }, reward: { type: 'amount_off', amountCents: 75 }, maxUnits: 2 }),
    offer('o03', { scope: { category: 'Dairy', brandType: 'store' }, reward: { type: 'fixed_price', priceCents: 199 } }),
    offer('o04', { scope: { category: 'Dairy' }, reward: { type: 'buy_x_get_y', buy: 2, get: 1 } }),
    offer('o05', { scope: { category: 'Pantry' }, reward: { type: 'spend_threshold', minSpendCents: 1000, amountCents: 300 } }),
    offer('o06', { scope: { category: 'Pets' }, reward: { type: 'percent_off', percent: 20 }, stackable: true }),
    offer('o07', { scope: { category: 'Pets' }, reward: { type: 'amount_off', amountCents: 50 }, stackable: true }),
    offer('o08', { scope: { category: 'Health/Vitamins' }, reward: { type: 'buy_x_get_y', buy: 1, get: 1, percentOff: 50 } }),
    offer('o09', { scope: { gtins: [gtin(1002), gtin(1008)] }, reward: { type: 'amount_off', amountCents: 100 }, budgetRemainingCents: 150 }),
    offer('o10', { scope: { category: 'Pantry/Rice' }, reward: { type: 'percent_off', percent: 15 }, maxUnits: 3 }),
  ]
}

/**
 * Runs `run` for about `seconds` after `warmUpRuns` runs, and prints wall-clock ops/s and
 * µs/op, plus CPU µs/op: on a shared machine the CPU figure is the steadier one.
 */
function measure(
  name: string,
  run: () => unknown,
  seconds = 1.5,
  warmUpRuns = 2_000,
): { wallNs: number; cpuNs: number } {
  for (let i = 0; i < warmUpRuns; i++) run() // let the JIT settle first
  let iterations = 0
  const cpuStart = process.cpuUsage()
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(Math.round(seconds * 1e9))
  let now = start
  while (now < deadline) {
    for (let i = 0; i < 100; i++) run()
    iterations += 100
    now = process.hrtime.bigint()
  }
  const cpu = process.cpuUsage(cpuStart)
  const nsPerOp = Number(now - start) / iterations
  const cpuUsPerOp = (cpu.user + cpu.system) / iterations
  process.stdout.write(
    `${name.padEnd(38)} ${Math.round(1e9 / nsPerOp).toLocaleString('en-US').padStart(8)} ops/s ` +
      `${(nsPerOp / 1000).toFixed(1).padStart(8)} µs/op  (cpu ${cpuUsPerOp.toFixed(1)} µs/op)\n`,
  )
  return { wallNs: nsPerOp, cpuNs: cpuUsPerOp * 1000 }
}

const lines = basket()
const candidates = offers()
// Results go somewhere observable so that the JIT cannot drop the work.
let sink: unknown

const result = priceBasket(lines, candidates)
process.stdout.write(
  `basket: ${lines.length} lines, ${result.allocations.length} units, ${candidates.length} offers; ` +
    `discount ${result.totalDiscountCents} of ${result.totalBeforeCents} cents from ${result.appliedOffers.length} offers\n`,
)

const pricing = measure('priceBasket (30 lines, 10 offers)', () => (sink = priceBasket(lines, candidates)))
const json = measure('JSON.stringify+parse (same basket)', () => (sink = JSON.parse(JSON.stringify(lines))))
process.stdout.write(
  `ratio: priceBasket takes ${(pricing.wallNs / json.wallNs).toFixed(1)}x (cpu ${(pricing.cpuNs / json.cpuNs).toFixed(1)}x) ` +
    'a JSON round trip of the basket\n',
)

// Worst case for the exact search: 8 non-stackable offers all competing for one category.
const contested = Array.from({ length: 8 }, (_, i) =>
  offer(`w${i}`, {
    scope: { category: 'Health' },
    reward: i % 2 === 0 ? { type: 'percent_off', percent: 5 + i } : { type: 'amount_off', amountCents: 20 + 10 * i },
    maxUnits: 2 + (i % 3),
  }),
)
measure('worst case: 8 offers, one category', () => (sink = priceBasket(lines, contested)), 1, 100)
if (sink === undefined) process.exitCode = 1
