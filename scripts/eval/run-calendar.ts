// Calendar-mode sanity evaluation on the dunnhumby Complete Journey line sample
// (../shared/data/dunnhumby_cj_sample/README.md). Target: each customer's last basket, for
// customers with at least 3 baskets; every customer's earlier baskets are the history. The
// sample holds 5% of receipt lines, so the figures are not comparable with published ones:
// this only checks that calendar mode works end to end and beats P-TopFreq.
//   node --import tsx scripts/eval/run-calendar.ts [--transactions FILE] [--products FILE] [--min-baskets 3]
import { parseArgs } from 'node:util'
import { defaultConfig } from '../../src/modules/prediction/prediction.types.ts'
import { readProductCategories, readTransactions } from './csv.ts'
import { groupBaskets, lastBasketTargets, splitTargets } from './dataset.ts'
import { baselinePredictors, inMemoryPredictor } from './predictor-adapter.ts'
import { evaluateSplits, formatGains, formatLatency, formatTable } from './report.ts'
import { TIFU_TAFENG } from './tifu-knn.ts'

const { values } = parseArgs({
  options: {
    transactions: { type: 'string', default: '../shared/data/dunnhumby_cj_sample/transactions.csv' },
    products: { type: 'string', default: '../shared/data/dunnhumby_cj_sample/products.csv' },
    'min-baskets': { type: 'string', default: '3' },
  },
})
const say = (s: string): void => void process.stdout.write(`${s}\n`)
const started = performance.now()
const rows = readTransactions(values.transactions)
const categories = readProductCategories(values.products)
const all = groupBaskets(rows)
const targetOf = lastBasketTargets(all, Number(values['min-baskets']))
const data = splitTargets(all, targetOf, 'calendar', new Map([...targetOf.keys()].map((c) => [c, 'last-basket'])))
const targets = new Map([...data.targets].filter(([, items]) => items.size > 0))
say(`loaded ${rows.length} rows, ${data.histories.size} customers, ${targets.size} targets`)

const categoryOf = (productId: string): string | undefined => categories.get(productId)
const ours = inMemoryPredictor(data.histories, defaultConfig('calendar'), categoryOf)
say(`lanelist: statistics ${(ours.timings.statsMs / 1000).toFixed(1)} s, batch fit ${(ours.timings.fitMs / 1000).toFixed(1)} s`)
const results = await evaluateSplits(
  [ours, ...baselinePredictors(data.histories, TIFU_TAFENG)],
  new Map([['last-basket', targets]]),
  20,
)
say(formatTable(results))
say(formatGains(results, ours.name, 'P-TopFreq'))
say(formatGains(results, ours.name, 'TIFU-KNN'))
say(formatLatency(ours.latencies, ours.cpuLatencies))
say(`total ${((performance.now() - started) / 1000).toFixed(1)} s`)
