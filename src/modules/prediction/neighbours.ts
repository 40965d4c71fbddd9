// "Customers who buy what you buy" as an item-based approximation of TIFU-KNN's user-kNN.
//
// User-kNN needs, per request, a distance to every other customer (100,000 at target scale)
// or a per-customer neighbour list plus those neighbours' statistics. Instead the batch run
// precomputes, per product, its most similar products (cosine over the sets of customers who
// bought them, each customer down-weighted by the log of their assortment size so heavy
// shoppers do not dominate). At request time a customer's score for product j is
//   sum over the customer's products i of frequency(i) * sim(i, j),
// which costs (customer's products) x (neighbours per product) additions: tens of microseconds,
// and reads nothing but the customer's own rows plus the shared, cached neighbour lists.
import type { PredictionConfig } from './prediction.types.ts'
import { topEntries } from './top-k.ts'

export interface NeighbourList {
  ids: string[]
  sims: number[]
}

/**
 * Similar-product lists from each customer's products. `customers` holds one list of product ids
 * per customer, already capped to their most relevant `maxProductsPerCustomer`.
 */
export function buildProductNeighbours(
  customers: readonly (readonly string[])[],
  config: Pick<PredictionConfig, 'neighboursPerProduct'>,
): Record<string, NeighbourList> {
  const index = new Map<string, number>()
  const names: string[] = []
  const sets = customers.map((products) =>
    Int32Array.from(
      new Set(
        products.map((p) => {
          let i = index.get(p)
          if (i === undefined) {
            i = names.length
            index.set(p, i)
            names.push(p)
          }
          return i
        }),
      ),
    ),
  )
  const buyersOf: number[][] = names.map(() => [])
  sets.forEach((s, u) => s.forEach((i) => (buyersOf[i] as number[]).push(u)))
  const weight = sets.map((s) => 1 / Math.log2(2 + s.length))
  const count = buyersOf.map((b) => b.length)

  const acc = new Float64Array(names.length)
  const out: Record<string, NeighbourList> = {}
  for (let i = 0; i < names.length; i++) {
    const touched: number[] = []
    for (const u of buyersOf[i] as number[]) {
      const w = weight[u] as number
      for (const j of sets[u] as Int32Array) {
        if (j === i) continue
        if (acc[j] === 0) touched.push(j)
        acc[j] = (acc[j] as number) + w
      }
    }
    const ni = count[i] as number
    const sims = new Float64Array(touched.length)
    touched.forEach((j, n) => (sims[n] = (acc[j] as number) / Math.sqrt(ni * (count[j] as number))))
    for (const j of touched) acc[j] = 0
    const top = topEntries(touched, sims, config.neighboursPerProduct)
    out[names[i] as string] = { ids: top.map(([j]) => names[j] as string), sims: top.map(([, v]) => v) }
  }
  return out
}

/**
 * Request-time view of the neighbour lists: products interned to integers and lists packed into
 * typed arrays, with one reusable score buffer. Built once per model (features.ts caches it);
 * scoring is synchronous, so sharing the buffer between requests is safe.
 */
export interface NeighbourIndex {
  ids: string[]
  index: Map<string, number>
  offsets: Int32Array
  targets: Int32Array
  sims: Float64Array
  scores: Float64Array
  via: Int32Array
  viaContribution: Float64Array
  owned: Uint8Array
  /** Multiplier used only to pick explore candidates (e.g. sqrt(1 + trending)). */
  boost: Float64Array
}

export function indexNeighbours(
  lists: Readonly<Record<string, NeighbourList>>,
  boostOf: (productId: string) => number = () => 1,
): NeighbourIndex {
  const index = new Map<string, number>()
  const ids: string[] = []
  const intern = (p: string): number => {
    let i = index.get(p)
    if (i === undefined) {
      i = ids.length
      index.set(p, i)
      ids.push(p)
    }
    return i
  }
  const entries = Object.entries(lists)
  for (const [p] of entries) intern(p)
  let total = 0
  for (const [, l] of entries) total += l.ids.length
  const offsets = new Int32Array(ids.length + 1)
  const targets = new Int32Array(total)
  const sims = new Float64Array(total)
  let at = 0
  const byIndex = new Array<NeighbourList | undefined>(ids.length)
  for (const [p, l] of entries) byIndex[intern(p)] = l
  for (const [, l] of entries) for (const q of l.ids) intern(q)
  for (let i = 0; i < byIndex.length; i++) {
    offsets[i] = at
    const l = byIndex[i]
    if (l === undefined) continue
    for (let k = 0; k < l.ids.length; k++) {
      targets[at] = intern(l.ids[k] as string)
      sims[at] = l.sims[k] as number
      at++
    }
  }
  offsets[byIndex.length] = at
  const n = ids.length
  return {
    ids,
    index,
    offsets,
    targets,
    sims,
    scores: new Float64Array(n),
    via: new Int32Array(n),
    viaContribution: new Float64Array(n),
    owned: new Uint8Array(n),
    boost: Float64Array.from(ids, boostOf),
  }
}

export interface NeighbourScore {
  score: number
  /** The customer's product contributing most to the score. */
  via: string
}

export interface NeighbourScores {
  /** Scores of the customer's own products and of the requested extra products, where non-zero. */
  scores: Map<string, NeighbourScore>
  /** The `limit` never-bought products with the best score x boost, best first. */
  best: string[]
}

/**
 * Marks own product `i` and adds its neighbours, times `weight`, into the index's score buffer,
 * keeping for each the own product that contributed most (the first on ties). Indices scored
 * for the first time go to `touched`, so the caller can report and then clear just those.
 */
export function addNeighbours(nx: NeighbourIndex, i: number, weight: number, touched: number[]): void {
  const { offsets, targets, sims, scores: acc, via, viaContribution } = nx
  nx.owned[i] = 1
  const end = offsets[i + 1] as number
  for (let k = offsets[i] as number; k < end; k++) {
    const j = targets[k] as number
    const c = weight * (sims[k] as number)
    const before = acc[j] as number
    if (before === 0) touched.push(j)
    acc[j] = before + c
    if (c > (viaContribution[j] as number)) {
      viaContribution[j] = c
      via[j] = i
    }
  }
}

/**
 * Scores every product similar to the customer's, each of the customer's products weighted by
 * how often and how recently they buy it.
 */
export function neighbourScores(
  owned: ReadonlyArray<readonly [string, number]>,
  nx: NeighbourIndex,
  limit: number,
  extra: readonly string[] = [],
): NeighbourScores {
  const touched: number[] = []
  const ownedIdx: number[] = []
  for (const [productId, weight] of owned) {
    const i = nx.index.get(productId)
    if (i === undefined) continue
    ownedIdx.push(i)
    addNeighbours(nx, i, weight, touched)
  }
  const fresh = touched.filter((j) => nx.owned[j] === 0)
  const values = new Float64Array(fresh.length)
  for (let n = 0; n < fresh.length; n++) {
    const j = fresh[n] as number
    values[n] = (nx.scores[j] as number) * (nx.boost[j] as number)
  }
  const best = topEntries(fresh, values, limit).map(([j]) => j)
  const scores = new Map<string, NeighbourScore>()
  const report = (j: number): void => {
    if ((nx.scores[j] as number) > 0) {
      scores.set(nx.ids[j] as string, { score: nx.scores[j] as number, via: nx.ids[nx.via[j] as number] as string })
    }
  }
  for (const j of ownedIdx) report(j)
  for (const j of best) report(j)
  for (const p of extra) {
    const j = nx.index.get(p)
    if (j !== undefined) report(j)
  }
  for (const j of touched) {
    nx.scores[j] = 0
    nx.viaContribution[j] = 0
  }
  for (const i of ownedIdx) nx.owned[i] = 0
  return { scores, best: best.map((j) => nx.ids[j] as string) }
}
