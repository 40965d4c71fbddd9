// Per-customer statistics and their incremental maintenance. Recording, voiding or partially
// returning one transaction touches only the customer's own rows, so regenerating one list
// never reads other customers. Updates are exact for anything inside the kept windows of
// recent days (`recentLimit` per item, `recentTripLimit` per customer); a correction to an
// older day cannot see that day, so it assumes a void removed the whole purchase day and a
// return did not. The nightly rebuild (rebuildCustomerStats) restores exactness.
import type {
  CustomerStats,
  Day,
  ItemStats,
  PredictionConfig,
  PurchaseLine,
  PurchaseTransaction,
} from './prediction.types.ts'

export function emptyCustomerStats(customerId: string): CustomerStats {
  return { customerId, trips: 0, firstDay: 0, lastDay: 0, recentTrips: [], products: {}, categories: {} }
}

const decayOver = (days: number, config: PredictionConfig): number => Math.pow(2, -days / config.halfLife)

/** The frequency score of an item as of `asOf` (not before its last purchase). */
export function decayAt(item: ItemStats, asOf: Day, config: PredictionConfig): number {
  return decayOf(item.decay, item.lastDay, asOf, config)
}

/** decayAt from an item's decay and last day. */
export function decayOf(decay: number, lastDay: Day, asOf: Day, config: PredictionConfig): number {
  return decay * decayOver(Math.max(0, asOf - lastDay), config)
}

// A day may be inserted into (or looked up in) a kept list of recent days when the list holds
// every counted day, or the day is newer than the oldest kept one (or, if voids emptied the
// list, newer than the last known day). Older days are outside the window.
function inWindow(list: ReadonlyArray<[Day, number]>, total: number, day: Day, lastDay: Day): boolean {
  if (total === 0 || list.length === total) return true
  const first = list[0]
  return first === undefined ? day > lastDay : day > first[0]
}

/** Adds a quantity on a day. Returns the updated item and whether the day is a new purchase day. */
export function addToItem(
  item: ItemStats | undefined,
  day: Day,
  quantity: number,
  config: PredictionConfig,
): { item: ItemStats; newDay: boolean } {
  if (item === undefined) {
    return { item: { days: 1, quantity, firstDay: day, lastDay: day, recent: [[day, quantity]], decay: 1 }, newDay: true }
  }
  const next: ItemStats = { ...item, recent: item.recent.map(([d, q]): [Day, number] => [d, q]) }
  next.quantity += quantity
  const entry = next.recent.find(([d]) => d === day)
  if (entry !== undefined) {
    entry[1] += quantity
    return { item: next, newDay: false }
  }
  if (inWindow(next.recent, next.days, day, next.lastDay)) {
    next.recent.push([day, quantity])
    next.recent.sort((a, b) => a[0] - b[0])
    if (next.recent.length > config.recentLimit) next.recent.shift()
  }
  next.days += 1
  next.firstDay = Math.min(next.firstDay, day)
  if (day > next.lastDay) {
    next.decay = next.decay * decayOver(day - next.lastDay, config) + 1
    next.lastDay = day
  } else {
    next.decay += decayOver(next.lastDay - day, config)
  }
  return { item: next, newDay: true }
}

/**
 * Subtracts a quantity bought on a day (void or return). Returns the item (undefined once no
 * purchase day is left) and whether the day stopped being a purchase day.
 */
export function subtractFromItem(
  item: ItemStats,
  day: Day,
  quantity: number,
  wholeLine: boolean,
  config: PredictionConfig,
): { item: ItemStats | undefined; removedDay: boolean } {
  const next: ItemStats = { ...item, recent: item.recent.map(([d, q]): [Day, number] => [d, q]) }
  const at = next.recent.findIndex(([d]) => d === day)
  let removedDay: boolean
  if (at >= 0) {
    const entry = next.recent[at] as [Day, number]
    const taken = Math.min(entry[1], quantity)
    entry[1] -= taken
    next.quantity = Math.max(0, next.quantity - taken)
    removedDay = entry[1] <= 0
    if (removedDay) next.recent.splice(at, 1)
  } else if (inWindow(item.recent, item.days, day, item.lastDay) || day < item.firstDay) {
    return { item, removedDay: false }; // nothing was bought that day
  } else {
    next.quantity = Math.max(0, next.quantity - quantity)
    removedDay = wholeLine
  }
  if (!removedDay) return { item: next, removedDay }
  next.days -= 1
  if (next.days <= 0) return { item: undefined, removedDay }
  next.decay = Math.max(0, next.decay - decayOver(next.lastDay - day, config))
  if (day === next.lastDay) {
    const newLast = next.recent[next.recent.length - 1]?.[0] ?? next.firstDay
    next.decay *= decayOver(newLast - next.lastDay, config)
    next.lastDay = newLast
  }
  if (day === next.firstDay && next.recent.length === next.days) next.firstDay = next.recent[0]?.[0] ?? next.firstDay
  return { item: next, removedDay }
}

// Sums quantities per product and per category within one transaction (a product may be
// scanned on several lines).
function aggregate(lines: readonly PurchaseLine[]): { products: Map<string, number>; categories: Map<string, number> } {
  const products = new Map<string, number>()
  const categories = new Map<string, number>()
  for (const l of lines) {
    if (!(l.quantity > 0)) continue
    products.set(l.productId, (products.get(l.productId) ?? 0) + l.quantity)
    if (l.category !== undefined && l.category !== '') {
      categories.set(l.category, (categories.get(l.category) ?? 0) + l.quantity)
    }
  }
  return { products, categories }
}

function applyTripDelta(stats: CustomerStats, day: Day, delta: number, wholeLine: boolean, config: PredictionConfig): void {
  if (delta === 0) return
  const entry = stats.recentTrips.find(([d]) => d === day)
  if (entry !== undefined) {
    entry[1] += delta
    if (entry[1] > 0) return
    stats.recentTrips = stats.recentTrips.filter(([d]) => d !== day)
  } else if (delta > 0) {
    if (inWindow(stats.recentTrips, stats.trips, day, stats.lastDay)) {
      stats.recentTrips.push([day, delta])
      stats.recentTrips.sort((a, b) => a[0] - b[0])
      if (stats.recentTrips.length > config.recentTripLimit) stats.recentTrips.shift()
    }
    stats.firstDay = stats.trips === 0 ? day : Math.min(stats.firstDay, day)
    stats.lastDay = stats.trips === 0 ? day : Math.max(stats.lastDay, day)
    stats.trips += 1
    return
  } else if (!wholeLine || inWindow(stats.recentTrips, stats.trips, day, stats.lastDay)) {
    return
  }
  // The trip day is gone.
  stats.trips -= 1
  if (stats.trips <= 0) {
    Object.assign(stats, { trips: 0, firstDay: 0, lastDay: 0, recentTrips: [] })
    return
  }
  if (day === stats.lastDay) stats.lastDay = stats.recentTrips[stats.recentTrips.length - 1]?.[0] ?? stats.firstDay
  if (day === stats.firstDay && stats.recentTrips.length === stats.trips) stats.firstDay = stats.recentTrips[0]?.[0] ?? stats.firstDay
}

// Mutates `stats` (already a private copy).
function applyRecord(stats: CustomerStats, tx: PurchaseTransaction, config: PredictionConfig): void {
  const { products, categories } = aggregate(tx.lines)
  let newDays = 0
  for (const [productId, qty] of products) {
    const r = addToItem(stats.products[productId], tx.day, qty, config)
    stats.products[productId] = r.item
    if (r.newDay) newDays++
  }
  for (const [category, qty] of categories) {
    stats.categories[category] = addToItem(stats.categories[category], tx.day, qty, config).item
  }
  applyTripDelta(stats, tx.day, newDays, false, config)
}

/** Records a purchase. Returns new stats; the input is not modified. */
export function recordTransaction(stats: CustomerStats, tx: PurchaseTransaction, config: PredictionConfig): CustomerStats {
  const next = cloneShallow(stats)
  applyRecord(next, tx, config)
  return next
}

function subtractLines(
  stats: CustomerStats,
  tx: PurchaseTransaction,
  wholeLine: boolean,
  config: PredictionConfig,
): CustomerStats {
  const next = cloneShallow(stats)
  const { products, categories } = aggregate(tx.lines)
  let removedDays = 0
  for (const [productId, qty] of products) {
    const item = next.products[productId]
    if (item === undefined) continue
    const r = subtractFromItem(item, tx.day, qty, wholeLine, config)
    if (r.item === undefined) delete next.products[productId]
    else next.products[productId] = r.item
    if (r.removedDay) removedDays++
  }
  for (const [category, qty] of categories) {
    const item = next.categories[category]
    if (item === undefined) continue
    const r = subtractFromItem(item, tx.day, qty, wholeLine, config)
    if (r.item === undefined) delete next.categories[category]
    else next.categories[category] = r.item
  }
  applyTripDelta(next, tx.day, -removedDays, wholeLine, config)
  return next
}

/** Removes a whole recorded transaction (a void), identified by its day and lines. */
export function voidTransaction(stats: CustomerStats, tx: PurchaseTransaction, config: PredictionConfig): CustomerStats {
  return subtractLines(stats, tx, true, config)
}

/** Removes returned quantities of lines bought on `tx.day`; a line returned in full drops that purchase. */
export function recordReturn(stats: CustomerStats, tx: PurchaseTransaction, config: PredictionConfig): CustomerStats {
  return subtractLines(stats, tx, false, config)
}

/** Statistics from the full history, in day order. Equal to applying the same purchases one by one. */
export function rebuildCustomerStats(
  customerId: string,
  history: Iterable<PurchaseTransaction>,
  config: PredictionConfig,
): CustomerStats {
  const sorted = [...history].sort((a, b) => a.day - b.day)
  const stats = emptyCustomerStats(customerId)
  for (const tx of sorted) applyRecord(stats, tx, config)
  return stats
}

function cloneShallow(stats: CustomerStats): CustomerStats {
  return {
    ...stats,
    recentTrips: stats.recentTrips.map(([d, n]): [Day, number] => [d, n]),
    products: { ...stats.products },
    categories: { ...stats.categories },
  }
}

// ---- exactness ------------------------------------------------------------------------------
// The kept lists hold only the last days, so a change to an older day may need a day the
// statistics no longer hold. These checks say, before a change, whether the incremental update
// gives exactly what the rebuild gives; where not, the caller rebuilds the customer instead.

// The list holds every counted day, or `day` is newer than the oldest kept one: whether `day`
// is a purchase day, and what the list looks like after it, is then known.
function knows(list: ReadonlyArray<[Day, number]>, total: number, day: Day, firstDay: Day): boolean {
  if (total === 0 || list.length === total || day < firstDay) return true
  const first = list[0]
  return first !== undefined && day >= first[0]
}

type Sums = Map<string, number>

// For one item: whether the change is exact, and whether `day` becomes (+1) or stops being
// (-1) a purchase day of it.
function itemChange(item: ItemStats | undefined, day: Day, quantity: number, sign: 1 | -1): { exact: boolean; dayDelta: number } {
  if (item === undefined) return { exact: true, dayDelta: sign === 1 ? 1 : 0 }
  if (!knows(item.recent, item.days, day, item.firstDay)) return { exact: false, dayDelta: 0 }
  const entry = item.recent.find(([d]) => d === day)
  if (sign === 1) return { exact: true, dayDelta: entry === undefined ? 1 : 0 }
  if (entry === undefined) return { exact: true, dayDelta: 0 }
  if (entry[1] - quantity > 0) return { exact: true, dayDelta: 0 }
  // The day goes; a truncated list would have to bring back an older day it no longer holds.
  return { exact: item.recent.length === item.days, dayDelta: -1 }
}

function itemsExact(items: Record<string, ItemStats>, sums: Sums, day: Day, sign: 1 | -1): { exact: boolean; dayDelta: number } {
  let dayDelta = 0
  for (const [key, q] of sums) {
    const r = itemChange(items[key], day, q, sign)
    if (!r.exact) return { exact: false, dayDelta: 0 }
    dayDelta += r.dayDelta
  }
  return { exact: true, dayDelta }
}

/**
 * Whether recording (sign 1) or taking back (sign -1: a void, or a return's quantities) the
 * lines of one transaction gives exactly the statistics a rebuild from the changed history
 * gives (decay up to rounding).
 */
export function changeIsExact(stats: CustomerStats, tx: PurchaseTransaction, sign: 1 | -1): boolean {
  const { products, categories } = aggregate(tx.lines)
  const p = itemsExact(stats.products, products, tx.day, sign)
  if (!p.exact || !itemsExact(stats.categories, categories, tx.day, sign).exact) return false
  if (p.dayDelta === 0) return true
  if (!knows(stats.recentTrips, stats.trips, tx.day, stats.firstDay)) return false
  const trip = stats.recentTrips.find(([d]) => d === tx.day)
  if (p.dayDelta > 0) return true
  if (trip === undefined) return false
  return trip[1] + p.dayDelta > 0 || stats.recentTrips.length === stats.trips
}

/** A change to apply: a new sale, a void of a recorded one, or returned quantities. */
export interface StatsChange {
  kind: 'record' | 'void' | 'return'
  tx: PurchaseTransaction
}

/**
 * Applies the changes in order; undefined as soon as one would not be exact (the caller then
 * rebuilds from history). Never changes its input.
 */
export function applyChangesExactly(stats: CustomerStats, changes: readonly StatsChange[], config: PredictionConfig): CustomerStats | undefined {
  let s = stats
  for (const c of changes) {
    if (!changeIsExact(s, c.tx, c.kind === 'record' ? 1 : -1)) return undefined
    s = c.kind === 'record' ? recordTransaction(s, c.tx, config) : c.kind === 'void' ? voidTransaction(s, c.tx, config) : recordReturn(s, c.tx, config)
  }
  return s
}
