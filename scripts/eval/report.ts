// Runs predictors over evaluation splits and formats the results. Knows nothing about how a
// predictor gets its data (see predictor-adapter.ts).
import { writeFileSync } from 'node:fs'
import { evaluateRankings, type MetricSummary } from './metrics.ts'
import type { RankingPredictor } from './predictor-adapter.ts'

export interface ResultRow {
  split: string
  predictor: string
  summary: MetricSummary
  ms: number
}

export async function evaluateSplits(
  predictors: readonly RankingPredictor[],
  splits: ReadonlyMap<string, ReadonlyMap<string, ReadonlySet<string>>>,
  k: number,
  onRanked?: (split: string, predictor: string, ranked: Map<string, string[]>) => void,
): Promise<ResultRow[]> {
  const rows: ResultRow[] = []
  for (const [split, targets] of splits) {
    for (const p of predictors) {
      const t0 = performance.now()
      const ranked = await p.rank([...targets.keys()], k)
      rows.push({ split, predictor: p.name, summary: evaluateRankings(targets, ranked, [10, 20]), ms: performance.now() - t0 })
      onRanked?.(split, p.name, ranked)
    }
  }
  return rows
}

export function formatTable(rows: readonly ResultRow[]): string {
  const head = '| split | predictor | customers | Recall@10 | Recall@20 | NDCG@10 | NDCG@20 | seconds |'
  const sep = '|---|---|---:|---:|---:|---:|---:|---:|'
  const f = (v: number | undefined): string => (v ?? 0).toFixed(4)
  const lines = rows.map(
    (r) =>
      `| ${r.split} | ${r.predictor} | ${r.summary.customers} | ${f(r.summary.recall[10])} | ${f(r.summary.recall[20])} | ${f(r.summary.ndcg[10])} | ${f(r.summary.ndcg[20])} | ${(r.ms / 1000).toFixed(1)} |`,
  )
  return [head, sep, ...lines].join('\n')
}

/** Relative gain of `ours` over `reference` per split, for Recall@20 and NDCG@20. */
export function formatGains(rows: readonly ResultRow[], ours: string, reference: string): string {
  const out: string[] = []
  for (const split of new Set(rows.map((r) => r.split))) {
    const a = rows.find((r) => r.split === split && r.predictor === ours)
    const b = rows.find((r) => r.split === split && r.predictor === reference)
    if (a === undefined || b === undefined) continue
    const gain = (x: number | undefined, y: number | undefined): string =>
      `${((((x ?? 0) / Math.max(1e-12, y ?? 0)) - 1) * 100).toFixed(1)}%`
    out.push(
      `${split}: ${ours} vs ${reference}: Recall@20 ${gain(a.summary.recall[20], b.summary.recall[20])}, NDCG@20 ${gain(a.summary.ndcg[20], b.summary.ndcg[20])}`,
    )
  }
  return out.join('\n')
}

export function writePredictionsCsv(path: string, ranked: ReadonlyMap<string, readonly string[]>): void {
  const lines = ['customer_id,rank,product_id']
  for (const [customerId, products] of ranked) products.forEach((p, i) => lines.push(`${customerId},${i + 1},${p}`))
  writeFileSync(path, `${lines.join('\n')}\n`)
}

export function formatLatency(wall: readonly number[], cpu: readonly number[]): string {
  const quantiles = (ms: readonly number[]): string => {
    const s = [...ms].sort((a, b) => a - b)
    const q = (p: number): string => (s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0).toFixed(2)
    return `p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`
  }
  return `single-customer prediction over ${wall.length} calls: wall ${quantiles(wall)}; CPU ${quantiles(cpu)}`
}

/** Mean JSON size of one stored (customer, product) statistics row and of a customer's whole set. */
export function formatStatsSize(stats: Iterable<{ products: Record<string, unknown> }>): string {
  let rows = 0
  let rowBytes = 0
  let customers = 0
  for (const s of stats) {
    customers++
    for (const item of Object.values(s.products)) {
      rows++
      rowBytes += JSON.stringify(item).length
    }
  }
  return `statistics: ${rows} (customer, product) rows, mean ${(rowBytes / Math.max(1, rows)).toFixed(0)} bytes as JSON, ${(rows / Math.max(1, customers)).toFixed(1)} rows per customer`
}
