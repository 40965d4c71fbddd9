// Integer-only money arithmetic. Percentages are held as integers scaled by 10^4 so
// that 12.5 % or 33.3333 % never passes through a binary fraction.

const PERCENT_SCALE = 10_000
const PERCENT_DENOMINATOR = 100 * PERCENT_SCALE

/** Percent (0..100, up to 4 decimals) as an integer: 12.5 -> 125000. */
export function toScaledPercent(percent: number): number {
  return Math.round(percent * PERCENT_SCALE)
}

/**
 * cents * percent / 100, rounded half up. Splitting `cents` keeps every intermediate
 * product below 2^53 for any safe-integer amount.
 */
export function percentOfCents(cents: number, scaledPercent: number): number {
  const high = Math.floor(cents / PERCENT_DENOMINATOR)
  const low = cents - high * PERCENT_DENOMINATOR
  return (
    high * scaledPercent +
    Math.floor((low * scaledPercent + PERCENT_DENOMINATOR / 2) / PERCENT_DENOMINATOR)
  )
}

/** percentOfCents rounded up: ranks units and bounds the search, never an amount granted. */
export function percentOfCentsCeil(cents: number, scaledPercent: number): number {
  const high = Math.floor(cents / PERCENT_DENOMINATOR)
  const low = cents - high * PERCENT_DENOMINATOR
  return (
    high * scaledPercent +
    Math.floor((low * scaledPercent + PERCENT_DENOMINATOR - 1) / PERCENT_DENOMINATOR)
  )
}

/** floor(a * b / d) and its remainder, exact even when a * b exceeds 2^53. */
function mulDivMod(a: number, b: number, d: number): [number, number] {
  const product = a * b
  if (product <= Number.MAX_SAFE_INTEGER) {
    let quotient = Math.floor(product / d)
    let remainder = product - quotient * d
    if (remainder < 0) {
      quotient -= 1
      remainder += d
    }
    return [quotient, remainder]
  }
  const big = BigInt(a) * BigInt(b)
  const divisor = BigInt(d)
  return [Number(big / divisor), Number(big % divisor)]
}

export interface ProRataShare<T> {
  item: T
  share: number
}

/**
 * Largest-remainder apportionment: each item gets the whole part of its quota, and the
 * cents still missing to reach `totalCents` go one each to the largest remainders, ties
 * to the earlier item. Callers guarantee totalCents lies between the sum of whole parts
 * and that sum plus the number of non-zero remainders, so no item gets more than the
 * ceiling of its quota.
 */
function apportion<T>(
  totalCents: number,
  items: readonly T[],
  quotaOf: (item: T) => [whole: number, remainder: number],
): ProRataShare<T>[] {
  const [only] = items
  if (items.length === 1 && only !== undefined) return [{ item: only, share: totalCents }]
  const rows = items.map((item, position) => {
    const [share, remainder] = quotaOf(item)
    return { item, share, remainder, position }
  })
  let leftover = totalCents
  for (const row of rows) leftover -= row.share
  if (leftover > 0) {
    const byRemainder = [...rows].sort(
      (a, b) => b.remainder - a.remainder || a.position - b.position,
    )
    for (const row of byRemainder.slice(0, leftover)) row.share += 1
  }
  return rows.map(({ item, share }) => ({ item, share }))
}

/**
 * Splits `totalCents` over `items` in proportion to their weights; the shares sum to
 * exactly `totalCents`, and none exceeds its weight while totalCents <= sum of weights.
 */
export function splitProRata<T>(
  totalCents: number,
  items: readonly T[],
  weightOf: (item: T) => number,
): ProRataShare<T>[] {
  let weightSum = 0
  for (const item of items) weightSum += weightOf(item)
  if (totalCents === 0 || weightSum === 0) return items.map((item) => ({ item, share: 0 }))
  return apportion(totalCents, items, (item) => mulDivMod(totalCents, weightOf(item), weightSum))
}

/**
 * percent of the items' summed prices, rounded half up once for the whole group, then
 * split so each item gets its exact share rounded down plus at most one leftover cent.
 */
export function splitPercent<T>(
  items: readonly T[],
  priceOf: (item: T) => number,
  scaledPercent: number,
): ProRataShare<T>[] {
  let priceSum = 0
  for (const item of items) priceSum += priceOf(item)
  const totalCents = percentOfCents(priceSum, scaledPercent)
  return apportion(totalCents, items, (item) => mulDivMod(priceOf(item), scaledPercent, PERCENT_DENOMINATOR))
}
