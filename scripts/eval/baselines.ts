// Frequency baselines of the Reality Check paper (methods/g-p-gp-topfreq). An item counts once
// per basket, as in the de-duplicated Ta-Feng baskets.
import type { EvalBasket } from './dataset.ts'

/** The customer's own items by number of baskets, ties by first appearance. */
export function pTopFreq(baskets: readonly EvalBasket[], k: number): string[] {
  const counts = new Map<string, number>()
  for (const b of baskets) {
    for (const p of new Set(b.lines.map((l) => l.productId))) counts.set(p, (counts.get(p) ?? 0) + 1)
  }
  // Map iteration order is first appearance and Array.prototype.sort is stable.
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([p]) => p)
}

/** Products by number of baskets that hold them, over every customer's history. */
export function globalPopularity(histories: Iterable<readonly EvalBasket[]>): string[] {
  const counts = new Map<string, number>()
  for (const baskets of histories) {
    for (const b of baskets) {
      for (const p of new Set(b.lines.map((l) => l.productId))) counts.set(p, (counts.get(p) ?? 0) + 1)
    }
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([p]) => p)
}

/** P-TopFreq padded with the most popular products the customer has not bought. */
export function gpTopFreq(baskets: readonly EvalBasket[], popular: readonly string[], k: number): string[] {
  const out = pTopFreq(baskets, k)
  const seen = new Set(out)
  for (const p of popular) {
    if (out.length >= k) break
    if (!seen.has(p)) {
      out.push(p)
      seen.add(p)
    }
  }
  return out
}
