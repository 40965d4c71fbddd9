// Statistics of one customer from their sale lines in one pass, for the bulk rebuild. It gives
// exactly what rebuildCustomerStats gives for the same purchases (a property test holds them
// together, decay bit for bit) without rebuilding per-transaction objects: a full rebuild folds
// millions of lines, so this works on plain arrays.
import type { CustomerStats, Day, ItemStats, PredictionConfig } from './prediction.types.ts'

/** Lines of one customer: slots [from, to) of parallel arrays; quantity is net of returns. */
export interface LineColumns {
  product: ArrayLike<number>
  day: ArrayLike<number>
  quantity: ArrayLike<number>
}

// One item from its purchase days (ascending, net quantity > 0), the way addToItem builds it
// day by day.
function itemFrom(days: readonly Day[], qty: readonly number[], config: PredictionConfig): ItemStats {
  const n = days.length
  let quantity = 0
  let decay = 0
  let last = days[0]!
  for (let i = 0; i < n; i++) {
    const d = days[i]!
    quantity += qty[i]!
    decay = i === 0 ? 1 : decay * Math.pow(2, -(d - last) / config.halfLife) + 1
    last = d
  }
  const recent: Array<[Day, number]> = []
  for (let i = Math.max(0, n - config.recentLimit); i < n; i++) recent.push([days[i]!, qty[i]!])
  return { days: n, quantity, firstDay: days[0]!, lastDay: days[n - 1]!, recent, decay }
}

// Purchase days of one item, ascending, keeping only days with a positive net quantity.
function positiveDays(byDay: Map<Day, number>): { days: Day[]; qty: number[] } {
  const sorted = [...byDay].filter(([, q]) => q > 0).sort((a, b) => a[0] - b[0])
  return { days: sorted.map(([d]) => d), qty: sorted.map(([, q]) => q) }
}

/**
 * The customer's statistics from their lines in slots [from, to) (any order, several lines of
 * one product and day allowed). undefined when nothing is left with a positive quantity.
 */
export function foldCustomerLines(
  customerId: string,
  lines: LineColumns,
  from: number,
  to: number,
  categoryOf: (productId: number) => string | undefined,
  config: PredictionConfig,
): CustomerStats | undefined {
  const byProduct = new Map<number, Map<Day, number>>()
  for (let i = from; i < to; i++) {
    const p = lines.product[i]!
    let days = byProduct.get(p)
    if (days === undefined) byProduct.set(p, (days = new Map()))
    const d = lines.day[i]!
    days.set(d, (days.get(d) ?? 0) + lines.quantity[i]!)
  }
  const products: Record<string, ItemStats> = {}
  const byCategory = new Map<string, Map<Day, number>>()
  const tripProducts = new Map<Day, number>()
  for (const [p, byDay] of byProduct) {
    const { days, qty } = positiveDays(byDay)
    if (days.length === 0) continue
    products[String(p)] = itemFrom(days, qty, config)
    const category = categoryOf(p)
    let catDays: Map<Day, number> | undefined
    if (category !== undefined) {
      catDays = byCategory.get(category)
      if (catDays === undefined) byCategory.set(category, (catDays = new Map()))
    }
    for (let i = 0; i < days.length; i++) {
      const d = days[i]!
      tripProducts.set(d, (tripProducts.get(d) ?? 0) + 1)
      if (catDays !== undefined) catDays.set(d, (catDays.get(d) ?? 0) + qty[i]!)
    }
  }
  if (tripProducts.size === 0) return undefined
  const categories: Record<string, ItemStats> = {}
  for (const [c, byDay] of byCategory) {
    const { days, qty } = positiveDays(byDay)
    categories[c] = itemFrom(days, qty, config)
  }
  const trips = [...tripProducts].sort((a, b) => a[0] - b[0])
  return {
    customerId,
    trips: trips.length,
    firstDay: trips[0]![0],
    lastDay: trips[trips.length - 1]![0],
    recentTrips: trips.slice(Math.max(0, trips.length - config.recentTripLimit)),
    products,
    categories,
  }
}
