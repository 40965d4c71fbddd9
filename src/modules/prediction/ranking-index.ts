// What every customer's ranking reads from the model, prepared once per model instead of once
// per customer and product: the neighbour lists in typed arrays (neighbours.ts), and per product
// (by the same integer ids) its population facts and the two popularity features. Its size is a
// few arrays of the model's product count, and it lives as long as the model object does.
import { indexNeighbours, type NeighbourIndex, type NeighbourList } from './neighbours.ts'
import type { PopulationModel, ProductPopulation } from './population.ts'

export interface RankingIndex {
  nx: NeighbourIndex
  /** The population's facts of product j (undefined for an id known only as someone's neighbour). */
  product: (ProductPopulation | undefined)[]
  /** log(1 + trending) and log(1 + buyers) of product j: features of both logistic models. */
  logTrending: Float64Array
  logBuyers: Float64Array
  /** The population's trending list as product ids j, best first. */
  trending: Int32Array
  /** Scratch marks, one per product, all zero between requests. */
  mark: Uint8Array
}

const cache = new WeakMap<PopulationModel, RankingIndex>()

export function rankingIndexOf(population: PopulationModel): RankingIndex {
  let ri = cache.get(population)
  if (ri === undefined) cache.set(population, (ri = buildRankingIndex(population)))
  return ri
}

function buildRankingIndex(population: PopulationModel): RankingIndex {
  const lists: Record<string, NeighbourList> = {}
  for (const [productId, p] of Object.entries(population.products)) lists[productId] = p.neighbours
  // A trending product always has buyers; the empty list only guards the index against a model
  // that says otherwise.
  for (const p of population.trending) lists[p] ??= { ids: [], sims: [] }
  // Explore candidates favour what sells now, so weak co-occurrences do not crowd it out.
  const nx = indexNeighbours(lists, (p) => Math.sqrt(1 + (population.products[p]?.trending ?? 0)))
  const n = nx.ids.length
  const product = nx.ids.map((p) => population.products[p])
  const logTrending = new Float64Array(n)
  const logBuyers = new Float64Array(n)
  for (let j = 0; j < n; j++) {
    logTrending[j] = Math.log1p(product[j]?.trending ?? 0)
    logBuyers[j] = Math.log1p(product[j]?.buyers ?? 0)
  }
  const trending = Int32Array.from(population.trending, (p) => nx.index.get(p) as number)
  return { nx, product, logTrending, logBuyers, trending, mark: new Uint8Array(n) }
}
