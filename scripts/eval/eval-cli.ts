// Offline evaluation through the database path (scripts/predict.ts):
//   npm run eval -- --transactions FILE.csv --targets eval_targets.csv [--split val] [--k 20]
//   npm run eval -- --demo-cycles [--customers 2000]   (next-purchase-date error on the demo population)
// Strips each evaluated customer's target basket, writes the rest to a temporary CSV, runs the
// predict pipeline on it (import into a fresh embedded PostgreSQL, statistics, fit, predict),
// and scores it with the baselines computed in the same run.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { generateDemo } from '../../src/demo/generate.ts'
import { dayOf } from '../../src/modules/prediction/prediction.service.ts'
import { runPredict } from '../predict.ts'
import { readTargets, readTransactions } from './csv.ts'
import { measureCycleError, type SyntheticCustomer } from './cycle-error.ts'
import { detectTimeMode, groupBaskets, splitTargets, targetsBySplit } from './dataset.ts'
import { baselinePredictors, type RankingPredictor } from './predictor-adapter.ts'
import { evaluateSplits, formatGains, formatTable } from './report.ts'
import { TIFU_TAFENG } from './tifu-knn.ts'

const { values } = parseArgs({
  options: {
    transactions: { type: 'string' },
    targets: { type: 'string' },
    split: { type: 'string', default: 'val' },
    k: { type: 'string', default: '20' },
    'demo-cycles': { type: 'boolean', default: false },
    customers: { type: 'string', default: '2000' },
  },
})
const say = (s: string): void => void process.stdout.write(`${s}\n`)

if (values['demo-cycles']) {
  // The demo's last 60 days are hidden: each regularly bought product's next purchase after
  // the cut is the truth the predicted date is measured against.
  const demo = generateDemo({ customers: Number(values.customers), endDate: '2026-11-22', seed: 1 })
  const cut = dayOf('2026-09-23')
  const end = dayOf('2026-11-22')
  const customers: SyntheticCustomer[] = []
  for (const c of demo.customers()) {
    const txs = [...demo.transactions(c)].map((t) => ({
      day: dayOf(t.occurredAt.slice(0, 10)),
      lines: t.lines.map((l) => ({ productId: l.gtin, quantity: l.quantity })),
    }))
    const cycles = demo.trueCycles(c)
    // The generator buys a due need here with probability share x 0.95 (else elsewhere), so
    // the expected in-store cycle is the household cycle over that.
    const hereShare = Math.max(0.01, c.segmentTruth.shareOfWallet * 0.95)
    const truth = Object.entries(cycles).map(([productId, cycleDays]) => {
      const next = txs.find((t) => t.day > cut && t.lines.some((l) => l.productId === productId))
      const inStoreCycleDays = cycleDays / hereShare
      return next === undefined ? { productId, cycleDays, inStoreCycleDays, censoredAfter: end } : { productId, cycleDays, inStoreCycleDays, nextDay: next.day }
    })
    customers.push({ customerId: c.externalId, transactions: txs.filter((t) => t.day <= cut), truth, asOf: cut })
  }
  const r = measureCycleError(customers)
  say(`demo population: ${customers.length} customers; regular products bought here before the cut: ${r.products + r.censored} (${r.skipped} never bought here before it)`)
  say(`bought here again in the 60 hidden days: ${r.products}; median |predicted next purchase - actual next purchase here| = ${r.medianAbsErrorDays} days; median |cycle - in-store cycle| = ${r.medianCycleErrorDays.toFixed(2)} days`)
  say(`not bought here again by the end (censored): ${r.censored}, of which predicted before the end: ${r.censoredPredictedBeforeEnd}; median with censored at their lower bound >= ${r.medianAbsErrorLowerBoundDays} days`)
  process.exit(0)
}

if (values.transactions === undefined || values.targets === undefined) {
  process.stderr.write('usage: npm run eval -- --transactions FILE.csv --targets eval_targets.csv [--split val]\n')
  process.exit(2)
}
const k = Number(values.k)
const rows = readTransactions(values.transactions)
const targetRows = readTargets(values.targets)
const timeMode = detectTimeMode(rows)
const data = splitTargets(
  groupBaskets(rows),
  new Map(targetRows.map((t) => [t.customerId, t.targetTransactionId])),
  timeMode,
  new Map(targetRows.map((t) => [t.customerId, t.split])),
)
const splits = targetsBySplit(data, values.split)
// Only target baskets are dropped; history rows keep the file's own day values.
const targetTx = new Set(targetRows.map((t) => `${t.customerId}\u0000${t.targetTransactionId}`))
const dir = mkdtempSync(path.join(tmpdir(), 'lanelist-eval-'))
const stripped = path.join(dir, 'history.csv')
const out = ['customer_id,transaction_id,day,product_id,quantity']
for (const r of rows) if (!targetTx.has(`${r.customerId}\u0000${r.transactionId}`)) out.push(`${r.customerId},${r.transactionId},${r.day},${r.productId},${r.quantity}`)
writeFileSync(stripped, `${out.join('\n')}\n`)
say(`history without target baskets: ${out.length - 1} rows, ${data.histories.size} customers (${timeMode})`)
const started = performance.now()
const run = await runPredict({ transactions: stripped, top: k, log: say }).finally(() => rmSync(dir, { recursive: true, force: true }))
say(`database path total ${((performance.now() - started) / 1000).toFixed(1)} s`)
const ours: RankingPredictor = {
  name: 'lanelist (db)',
  rank: async (ids, kk) => new Map(ids.map((c) => [c, (run.ranked.get(c) ?? []).slice(0, kk)])),
}
const results = await evaluateSplits([ours, ...baselinePredictors(data.histories, TIFU_TAFENG)], splits, k)
say(formatTable(results))
say(formatGains(results, ours.name, 'TIFU-KNN'))
process.exit(0)
