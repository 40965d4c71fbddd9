// Offline next-basket evaluation (protocol: ../shared/data/tafeng/README.md).
//   node --import tsx scripts/eval/run.ts --transactions FILE.csv --targets eval_targets.csv \
//     [--split val|train|test|train,val] [--out predictions.csv] [--k 20] [--time-mode sequence|calendar]
// Strips each customer's target basket, builds the predictor from the remaining history of every
// customer in the file, and prints Recall/NDCG@10/20 for lanelist and the reference baselines.
import { parseArgs } from 'node:util'
import { defaultConfig, type TimeMode } from '../../src/modules/prediction/prediction.types.ts'
import { readTargets, readTransactions } from './csv.ts'
import { detectTimeMode, groupBaskets, splitTargets, targetsBySplit } from './dataset.ts'
import { baselinePredictors, inMemoryPredictor } from './predictor-adapter.ts'
import { evaluateSplits, formatGains, formatLatency, formatStatsSize, formatTable, writePredictionsCsv } from './report.ts'
import { TIFU_TAFENG } from './tifu-knn.ts'

const { values } = parseArgs({
  options: {
    transactions: { type: 'string' },
    targets: { type: 'string' },
    split: { type: 'string', default: 'val' },
    out: { type: 'string' },
    k: { type: 'string', default: '20' },
    'time-mode': { type: 'string' },
    'no-baselines': { type: 'boolean', default: false },
  },
})
if (values.transactions === undefined || values.targets === undefined) {
  process.stderr.write('usage: run.ts --transactions FILE.csv --targets eval_targets.csv [--split val] [--out FILE]\n')
  process.exit(2)
}
const k = Number(values.k)
const started = performance.now()
const say = (s: string): void => void process.stdout.write(`${s}\n`)

const rows = readTransactions(values.transactions)
const targetRows = readTargets(values.targets)
const all = groupBaskets(rows)
const timeMode: TimeMode =
  (values['time-mode'] as TimeMode | undefined) ?? detectTimeMode(rows)
const data = splitTargets(
  all,
  new Map(targetRows.map((t) => [t.customerId, t.targetTransactionId])),
  timeMode,
  new Map(targetRows.map((t) => [t.customerId, t.split])),
)
const splits = targetsBySplit(data, values.split)
say(`loaded ${rows.length} rows, ${data.histories.size} customers, time mode ${timeMode} in ${((performance.now() - started) / 1000).toFixed(1)} s`)

const ours = inMemoryPredictor(data.histories, defaultConfig(timeMode))
say(`lanelist: statistics ${(ours.timings.statsMs / 1000).toFixed(1)} s, batch fit ${(ours.timings.fitMs / 1000).toFixed(1)} s`)
const predictors = [ours, ...(values['no-baselines'] ? [] : baselinePredictors(data.histories, TIFU_TAFENG))]
const predictions = new Map<string, string[]>()
const results = await evaluateSplits(predictors, splits, k, (_split, name, ranked) => {
  if (name === ours.name) for (const [c, r] of ranked) predictions.set(c, r)
})
say(formatTable(results))
say(formatGains(results, ours.name, 'TIFU-KNN'))
say(formatLatency(ours.latencies, ours.cpuLatencies))
say(formatStatsSize(ours.stats.values()))
if (values.out !== undefined) {
  writePredictionsCsv(values.out, predictions)
  say(`wrote ${predictions.size} customers' top-${k} to ${values.out}`)
}
say(`total ${((performance.now() - started) / 1000).toFixed(1)} s`)
