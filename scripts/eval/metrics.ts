// Next-basket metrics exactly as in the Reality Check evaluation (evaluation/metrics.py):
// binary gains, Recall@K divides by the target size, and the ideal DCG sums over every
// target item, even when the target holds more than K items.

export function recallAtK(truth: ReadonlySet<string>, ranked: readonly string[], k: number): number {
  if (truth.size === 0) return 0
  let hits = 0
  const n = Math.min(k, ranked.length)
  for (let i = 0; i < n; i++) if (truth.has(ranked[i] as string)) hits++
  return hits / truth.size
}

export function ndcgAtK(truth: ReadonlySet<string>, ranked: readonly string[], k: number): number {
  if (truth.size === 0) return 0
  let dcg = 0
  const n = Math.min(k, ranked.length)
  for (let i = 0; i < n; i++) if (truth.has(ranked[i] as string)) dcg += 1 / Math.log2(i + 2)
  let idcg = 0
  for (let i = 0; i < truth.size; i++) idcg += 1 / Math.log2(i + 2)
  return dcg / idcg
}

export interface MetricSummary {
  customers: number
  recall: Record<number, number>
  ndcg: Record<number, number>
}

/** Mean Recall@K and NDCG@K over the customers that have a target; missing predictions count as empty. */
export function evaluateRankings(
  targets: ReadonlyMap<string, ReadonlySet<string>>,
  predictions: ReadonlyMap<string, readonly string[]>,
  ks: readonly number[] = [10, 20],
): MetricSummary {
  const recall: Record<number, number> = {}
  const ndcg: Record<number, number> = {}
  for (const k of ks) {
    recall[k] = 0
    ndcg[k] = 0
  }
  let customers = 0
  for (const [customerId, truth] of targets) {
    if (truth.size === 0) continue
    customers++
    const ranked = predictions.get(customerId) ?? []
    for (const k of ks) {
      recall[k] = (recall[k] ?? 0) + recallAtK(truth, ranked, k)
      ndcg[k] = (ndcg[k] ?? 0) + ndcgAtK(truth, ranked, k)
    }
  }
  for (const k of ks) {
    recall[k] = customers === 0 ? 0 : (recall[k] ?? 0) / customers
    ndcg[k] = customers === 0 ? 0 : (ndcg[k] ?? 0) / customers
  }
  return { customers, recall, ndcg }
}
