// What the batch run learns across customers: per product its buyers, what is selling right
// now, its population repurchase cycle (the fallback for customers with little history) and
// its similar products. Built from the per-customer statistics only, so the lead can build it
// from the stored rows.
import { decayAt } from './customer-stats.ts'
import { buildProductNeighbours, type NeighbourList } from './neighbours.ts'
import type { CustomerStats, Day, PredictionConfig } from './prediction.types.ts'

export interface ProductPopulation {
  /** Customers who bought the product. */
  buyers: number
  /**
   * Customers who bought it "now": within the window before the as-of day (calendar), or in their
   * latest visit (sequence data, where the latest visits are the closest thing to "now").
   */
  trending: number
  /** Population repurchase cycle in days (visits): exposure time per repurchase, shrunk to the category. */
  cycleDays: number
  category?: string
  neighbours: NeighbourList
}

export interface PopulationModel {
  asOf: Day
  customers: number
  globalCycleDays: number
  categoryCycleDays: Record<string, number>
  products: Record<string, ProductPopulation>
  /** Products by `trending`, best first: explore candidates for every customer. */
  trending: string[]
}

export interface PopulationOptions {
  /** Calendar reference day for `trending`; default: the latest trip day of any customer. */
  asOf?: Day
  categoryOf?: (productId: string) => string | undefined
}

export function buildPopulation(
  customers: readonly CustomerStats[],
  config: PredictionConfig,
  options: PopulationOptions = {},
): PopulationModel {
  const asOf = options.asOf ?? customers.reduce((m, c) => Math.max(m, c.lastDay), Number.NEGATIVE_INFINITY)
  const buyers = new Map<string, number>()
  const trending = new Map<string, number>()
  const repurchases = new Map<string, number>()
  const exposure = new Map<string, number>()
  const productLists: string[][] = []
  const bump = (m: Map<string, number>, k: string, v: number): void => {
    m.set(k, (m.get(k) ?? 0) + v)
  }

  for (const c of customers) {
    const owned: Array<[string, number]> = []
    for (const [productId, item] of Object.entries(c.products)) {
      if (item.firstDay > asOf) continue
      bump(buyers, productId, 1)
      // Repurchases per unit of time the customer was seen after first buying the product.
      bump(repurchases, productId, item.days - 1)
      bump(exposure, productId, Math.max(0, Math.min(c.lastDay, asOf) - item.firstDay))
      const isNow =
        config.timeMode === 'sequence'
          ? item.lastDay === c.lastDay
          : item.recent.some(([d]) => d > asOf - config.windowDays && d <= asOf)
      if (isNow) bump(trending, productId, 1)
      owned.push([productId, decayAt(item, asOf, config)])
    }
    owned.sort((a, b) => b[1] - a[1])
    productLists.push(owned.slice(0, config.maxProductsPerCustomer).map(([p]) => p))
  }

  let totalRe = 0
  let totalExp = 0
  for (const v of repurchases.values()) totalRe += v
  for (const v of exposure.values()) totalExp += v
  const globalCycleDays = totalRe > 0 ? totalExp / totalRe : 1000
  // Hierarchical shrinkage: `priorIntervals` pseudo-repurchases at the parent's cycle.
  const a = config.priorIntervals
  const shrink = (re: number, exp: number, parent: number): number => (exp + a * parent) / (re + a)

  const categoryRe = new Map<string, number>()
  const categoryExp = new Map<string, number>()
  const categoryOf = new Map<string, string>()
  if (options.categoryOf !== undefined) {
    for (const productId of buyers.keys()) {
      const category = options.categoryOf(productId)
      if (category === undefined || category === '') continue
      categoryOf.set(productId, category)
      bump(categoryRe, category, repurchases.get(productId) ?? 0)
      bump(categoryExp, category, exposure.get(productId) ?? 0)
    }
  }
  const categoryCycleDays: Record<string, number> = {}
  for (const [category, re] of categoryRe) {
    categoryCycleDays[category] = shrink(re, categoryExp.get(category) ?? 0, globalCycleDays)
  }

  const neighbours = buildProductNeighbours(productLists, config)
  const products: Record<string, ProductPopulation> = {}
  for (const [productId, n] of buyers) {
    const category = categoryOf.get(productId)
    const parent = (category === undefined ? undefined : categoryCycleDays[category]) ?? globalCycleDays
    products[productId] = {
      buyers: n,
      trending: trending.get(productId) ?? 0,
      cycleDays: shrink(repurchases.get(productId) ?? 0, exposure.get(productId) ?? 0, parent),
      ...(category === undefined ? {} : { category }),
      neighbours: neighbours[productId] ?? { ids: [], sims: [] },
    }
  }
  const trendingList = [...trending.entries()]
    .sort((x, y) => y[1] - x[1] || (buyers.get(y[0]) ?? 0) - (buyers.get(x[0]) ?? 0))
    .slice(0, config.exploreCandidates)
    .map(([p]) => p)
  return { asOf, customers: customers.length, globalCycleDays, categoryCycleDays, products, trending: trendingList }
}
