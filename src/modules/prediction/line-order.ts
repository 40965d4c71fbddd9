// The bulk statistics rebuild's grouping: millions of sale lines, as parallel int32 columns in
// the order PostgreSQL sent them, put in (customer, product, day) order with stable counting
// sorts over dense ranks of each key: linear passes over typed arrays, where a comparison sort
// of ten million lines (or PostgreSQL's ORDER BY, spilling to disk) would cost more than the read.

export interface LineOrder {
  /** Line indexes in (customer, product, day) order; equal keys keep their input order. */
  order: Int32Array
  /** Customer r's lines are order[starts[r]] .. order[starts[r + 1] - 1]. */
  starts: Int32Array
  /** Number of customer slots (some may be empty when ids are dense). */
  customers: number
  customerOf(slot: number): number
}

/**
 * `maxPairs`: the most (product, day) pairs sorted in one counting pass (the pass's counts take
 * 4 bytes each); past it day and product are sorted in two passes. Default: the line count or
 * 4 M, whichever is larger.
 */
export function orderLines(customer: Int32Array, product: Int32Array, day: Int32Array, n: number, maxPairs = Math.max(n, 1 << 22)): LineOrder {
  const customerRank = denseRanks(customer, n)
  let order = sortByProductAndDay(denseRanks(product, n), denseRanks(day, n), n, maxPairs)
  order = countingSort(customerRank, n, order)
  const starts = new Int32Array(customerRank.range + 1)
  for (let i = 0; i < n; i++) starts[customerRank.rank[i]! + 1]!++
  for (let r = 0; r < customerRank.range; r++) starts[r + 1]! += starts[r]!
  return { order, starts, customers: customerRank.range, customerOf: customerRank.valueOf }
}

export interface Ranks {
  /** Per line, the rank of its value: 0 for the smallest value, ascending. */
  rank: Int32Array
  range: number
  valueOf(rank: number): number
}

// Ranks that keep the values' order: the offset from the smallest value when the values are
// dense enough (ids, days), else the position among the distinct values.
export function denseRanks(values: Int32Array, n: number): Ranks {
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < n; i++) {
    const v = values[i]!
    if (v < min) min = v
    if (v > max) max = v
  }
  const rank = new Int32Array(n)
  if (n === 0) return { rank, range: 0, valueOf: () => NaN }
  if (max - min < Math.max(4 * n, 1 << 16)) {
    for (let i = 0; i < n; i++) rank[i] = values[i]! - min
    return { rank, range: max - min + 1, valueOf: (r) => r + min }
  }
  const distinct = values.slice(0, n).sort()
  let u = 0
  for (let i = 0; i < n; i++) if (i === 0 || distinct[i] !== distinct[u - 1]) distinct[u++] = distinct[i]!
  const of = new Map<number, number>()
  for (let r = 0; r < u; r++) of.set(distinct[r]!, r)
  for (let i = 0; i < n; i++) rank[i] = of.get(values[i]!)!
  return { rank, range: u, valueOf: (r) => distinct[r]! }
}

// Lines in (product, day) order. One counting sort over the pairs when there are few enough of
// them for the counts to fit in memory comfortably (a few thousand products over a year's days
// is about a million), which saves a whole pass over the lines; else day, then product.
function sortByProductAndDay(products: Ranks, days: Ranks, n: number, maxPairs: number): Int32Array {
  const pairs = products.range * days.range
  if (pairs > maxPairs) return countingSort(products, n, countingSort(days, n, undefined))
  const rank = products.rank
  const dayRank = days.rank
  for (let i = 0; i < n; i++) rank[i] = rank[i]! * days.range + dayRank[i]!
  return countingSort({ rank, range: pairs, valueOf: () => NaN }, n, undefined)
}

// The line order sorted stably by rank: `order` (all lines in index order when undefined) rearranged.
function countingSort(ranks: Ranks, n: number, order: Int32Array | undefined): Int32Array {
  const at = new Int32Array(ranks.range + 1)
  const rank = ranks.rank
  for (let i = 0; i < n; i++) at[rank[i]! + 1]!++
  for (let r = 0; r < ranks.range; r++) at[r + 1]! += at[r]!
  const out = new Int32Array(n)
  if (order === undefined) for (let i = 0; i < n; i++) out[at[rank[i]!]!++] = i
  else
    for (let k = 0; k < n; k++) {
      const i = order[k]!
      out[at[rank[i]!]!++] = i
    }
  return out
}

/** column[order[0]], column[order[1]], ... */
export function gather(column: Int32Array, order: Int32Array): Int32Array {
  const out = new Int32Array(order.length)
  for (let i = 0; i < order.length; i++) out[i] = column[order[i]!]!
  return out
}

