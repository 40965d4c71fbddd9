// TIFU-KNN (Hu et al., SIGIR 2020) as run by the Reality Check paper
// (methods/tifuknn/tifuknn_new.py): repeated-purchase vectors with within-group decay by the
// basket's position from the end, group decay, brute-force Euclidean user-kNN, and
// alpha * own vector + (1 - alpha) * mean neighbour vector.
import { topEntries } from '../../src/modules/prediction/top-k.ts'
import type { EvalBasket } from './dataset.ts'

export interface TifuKnnParams {
  neighbours: number
  withinDecay: number
  groupDecay: number
  alpha: number
  groupSize: number
}

/** The Reality Check paper's Ta-Feng settings. */
export const TIFU_TAFENG: TifuKnnParams = { neighbours: 300, withinDecay: 0.9, groupDecay: 0.7, alpha: 0.7, groupSize: 7 }

interface SparseVec {
  idx: number[]
  val: number[]
  norm2: number
}

/** Group boundaries [start, end) of upstream group_history_list: the later groups take the extra baskets. */
function groupRanges(m: number, groupSize: number): Array<[number, number]> {
  if (m < groupSize) return Array.from({ length: m }, (_, i): [number, number] => [i, i + 1])
  const base = Math.floor(m / groupSize)
  const extra = m - base * groupSize
  const ranges: Array<[number, number]> = []
  let start = 0
  for (let g = 0; g < groupSize; g++) {
    const size = g < groupSize - extra ? base : base + 1
    ranges.push([start, start + size])
    start += size
  }
  return ranges
}

function personalVector(baskets: readonly EvalBasket[], itemIndex: Map<string, number>, p: TifuKnnParams): SparseVec {
  const m = baskets.length
  const acc = new Map<number, number>()
  const ranges = groupRanges(m, p.groupSize)
  ranges.forEach(([start, end], g) => {
    const weight = Math.pow(p.groupDecay, p.groupSize - 1 - g) / (end - start) / ranges.length
    for (let i = start; i < end; i++) {
      const within = Math.pow(p.withinDecay, m - 1 - i)
      const basket = baskets[i] as EvalBasket
      for (const product of new Set(basket.lines.map((l) => l.productId))) {
        const j = itemIndex.get(product) as number
        acc.set(j, (acc.get(j) ?? 0) + within * weight)
      }
    }
  })
  const idx = [...acc.keys()]
  const val = idx.map((j) => acc.get(j) as number)
  return { idx, val, norm2: val.reduce((s, v) => s + v * v, 0) }
}

/**
 * Top-k products for each query customer. Neighbours are searched among every customer in
 * `histories` except the query itself. Customers without item overlap still have a finite
 * Euclidean distance (|q|^2 + |v|^2), so the smallest-norm customers are candidates too.
 */
export function tifuKnn(
  histories: ReadonlyMap<string, readonly EvalBasket[]>,
  queries: readonly string[],
  k: number,
  p: TifuKnnParams = TIFU_TAFENG,
): Map<string, string[]> {
  const itemIndex = new Map<string, number>()
  const items: string[] = []
  for (const baskets of histories.values()) {
    for (const b of baskets) {
      for (const l of b.lines) {
        if (!itemIndex.has(l.productId)) {
          itemIndex.set(l.productId, items.length)
          items.push(l.productId)
        }
      }
    }
  }
  const users = [...histories.keys()]
  const userIndex = new Map(users.map((u, i) => [u, i]))
  const vecs = users.map((u) => personalVector(histories.get(u) ?? [], itemIndex, p))
  const postingsUser: number[][] = items.map(() => [])
  const postingsVal: number[][] = items.map(() => [])
  vecs.forEach((v, u) => {
    v.idx.forEach((j, n) => {
      ;(postingsUser[j] as number[]).push(u)
      ;(postingsVal[j] as number[]).push(v.val[n] as number)
    })
  })
  const byNorm = users.map((_, i) => i).sort((a, b) => (vecs[a] as SparseVec).norm2 - (vecs[b] as SparseVec).norm2)

  const dots = new Float64Array(users.length)
  const scores = new Float64Array(items.length)
  const out = new Map<string, string[]>()
  for (const query of queries) {
    const self = userIndex.get(query)
    if (self === undefined) continue
    const q = vecs[self] as SparseVec
    const touched: number[] = []
    q.idx.forEach((j, n) => {
      const qv = q.val[n] as number
      const us = postingsUser[j] as number[]
      const vs = postingsVal[j] as number[]
      for (let t = 0; t < us.length; t++) {
        const u = us[t] as number
        if (dots[u] === 0) touched.push(u)
        dots[u] = (dots[u] as number) + qv * (vs[t] as number)
      }
    })
    const candIds: number[] = []
    const candNegDist: number[] = []
    for (const u of touched) {
      if (u === self) continue
      candIds.push(u)
      candNegDist.push(-(q.norm2 + (vecs[u] as SparseVec).norm2 - 2 * (dots[u] as number)))
    }
    let added = 0
    for (const u of byNorm) {
      if (added >= p.neighbours) break
      if (u === self || dots[u] !== 0) continue
      candIds.push(u)
      candNegDist.push(-(q.norm2 + (vecs[u] as SparseVec).norm2))
      added++
    }
    for (const u of touched) dots[u] = 0
    const nn = topEntries(candIds, Float64Array.from(candNegDist), p.neighbours)

    const scored: number[] = []
    const add = (j: number, v: number): void => {
      if (v === 0) return
      if (scores[j] === 0) scored.push(j)
      scores[j] = (scores[j] as number) + v
    }
    q.idx.forEach((j, n) => add(j, p.alpha * (q.val[n] as number)))
    const w = (1 - p.alpha) / Math.max(1, nn.length)
    for (const [u] of nn) {
      const v = vecs[u] as SparseVec
      v.idx.forEach((j, n) => add(j, w * (v.val[n] as number)))
    }
    const top = topEntries(scored, Float64Array.from(scored, (j) => scores[j] as number), k)
    out.set(
      query,
      top.map(([j]) => items[j] as string),
    )
    for (const j of scored) scores[j] = 0
  }
  return out
}
