/**
 * Size and shape of the demo population, and how long the generator takes to produce it.
 *
 *   node --import tsx scripts/demo-stats.ts [customers=10000] [seed=1] [endDate=2025-12-31]
 */
import { generateDemo } from '../src/demo/generate.ts'

const customers = Number(process.argv[2] ?? 10_000)
const seed = Number(process.argv[3] ?? 1)
const endDate = process.argv[4] ?? '2025-12-31'

const started = process.hrtime.bigint()
const cpuStarted = process.cpuUsage()
const demo = generateDemo({ customers, seed, endDate })
const spend: number[] = []
const basketSizes = new Map<number, number>()
const byEngagement = new Map<string, { customers: number; lines: number; spend: number }>()
const byLifecycle = new Map<string, number>()
let trips = 0
let lines = 0
let units = 0
for (const customer of demo.customers()) {
  let cents = 0
  let customerLines = 0
  for (const t of demo.transactions(customer)) {
    trips++
    customerLines += t.lines.length
    basketSizes.set(t.lines.length, (basketSizes.get(t.lines.length) ?? 0) + 1)
    for (const line of t.lines) {
      units += line.quantity
      cents += line.quantity * line.unitPriceCents
    }
  }
  lines += customerLines
  spend.push(cents)
  const e = customer.segmentTruth.engagement
  const agg = byEngagement.get(e) ?? { customers: 0, lines: 0, spend: 0 }
  agg.customers++
  agg.lines += customerLines
  agg.spend += cents
  byEngagement.set(e, agg)
  byLifecycle.set(customer.segmentTruth.lifecycle, (byLifecycle.get(customer.segmentTruth.lifecycle) ?? 0) + 1)
}
const seconds = Number(process.hrtime.bigint() - started) / 1e9
const cpu = process.cpuUsage(cpuStarted)

spend.sort((a, b) => b - a)
const total = spend.reduce((a, b) => a + b, 0)
const topShare = (fraction: number): string => {
  const n = Math.max(1, Math.round(spend.length * fraction))
  const top = spend.slice(0, n).reduce((a, b) => a + b, 0)
  return `${((100 * top) / total).toFixed(1)}%`
}
const basketQuantile = (q: number): number => {
  let seen = 0
  for (const size of [...basketSizes.keys()].sort((a, b) => a - b)) {
    seen += basketSizes.get(size)!
    if (seen >= q * trips) return size
  }
  return 0
}
let inRange = 0
for (const [size, count] of basketSizes) if (size >= 5 && size <= 40) inRange += count

const dollars = (cents: number): string => `$${(cents / 100).toLocaleString('en-US', { maximumFractionDigits: 0 })}`
const report = {
  customers,
  seed,
  period: `${demo.startDate}..${demo.endDate}`,
  products: demo.products.length,
  trips,
  lines,
  units,
  spend: dollars(total),
  tripsPerCustomer: +(trips / customers).toFixed(1),
  linesPerCustomer: +(lines / customers).toFixed(1),
  linesPerTrip: +(lines / trips).toFixed(1),
  basketLines: { p10: basketQuantile(0.1), median: basketQuantile(0.5), p90: basketQuantile(0.9), max: Math.max(...basketSizes.keys()) },
  basketsWith5to40Lines: `${((100 * inRange) / trips).toFixed(1)}%`,
  spendShareOfTop: { '1%': topShare(0.01), '2.5%': topShare(0.025), '10%': topShare(0.1), '20%': topShare(0.2) },
  medianCustomerSpend: dollars(spend[Math.floor(spend.length / 2)] ?? 0),
  byEngagement: Object.fromEntries(
    [...byEngagement].map(([e, a]) => [
      e,
      { customers: a.customers, linesPerCustomer: Math.round(a.lines / a.customers), spendShare: `${((100 * a.spend) / total).toFixed(1)}%` },
    ]),
  ),
  byLifecycle: Object.fromEntries(byLifecycle),
  seconds: +seconds.toFixed(2),
  cpuSeconds: +((cpu.user + cpu.system) / 1e6).toFixed(2),
  heapUsedMB: Math.round(process.memoryUsage().heapUsed / 1e6),
}
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
