// Statistics of one customer from their sale lines in one pass, for the bulk rebuild. It gives
// exactly what rebuildCustomerStats gives for the same purchases (a property test holds them
// together, decay bit for bit) without rebuilding per-transaction objects: a full rebuild folds
// millions of lines, so this works on plain arrays.
import type { CustomerStats, Day, ItemStats, PredictionConfig } from './prediction.types.ts'
import { ByteWriter, STATS_VERSION, writeStats } from './stats-codec.ts'

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

// ---- the bulk rebuild's fold, straight into the stored encoding -------------------------------
// foldCustomerLines builds objects (a Map per product, arrays per day) that the rebuild would
// only encode and drop: at ten million lines that allocation was most of the fold. This gives
// the same statistics (a property test decodes both and compares them) from lines already
// sorted by product, then day, writing stats-codec.ts's version 1 directly.

const ENTRY_BITS = 2 ** 20

/** Trip summary of the row written by EncodingFolder.fold (the table's plain columns). */
export interface FoldedRow {
  trips: number
  firstDay: Day
  lastDay: Day
}

export class EncodingFolder {
  private readonly products = new ByteWriter(1 << 12)
  private days = new Int32Array(256)
  private qty = new Float64Array(256)
  private tripDays = new Int32Array(256)
  private catKeys = new Float64Array(256)
  private catQty = new Float64Array(256)
  private readonly categoryIndex = new Map<number, number>()
  private readonly categoryKeys: Uint8Array[] = []
  private readonly categoryByName = new Map<string, number>()

  constructor(
    private readonly categoryOf: (productId: number) => string | undefined,
    private readonly config: PredictionConfig,
  ) {}

  private category(p: number): number {
    let c = this.categoryIndex.get(p)
    if (c !== undefined) return c
    const name = this.categoryOf(p)
    if (name === undefined) c = -1
    else {
      c = this.categoryByName.get(name)
      if (c === undefined) {
        const w = new ByteWriter(64)
        w.key(name)
        this.categoryByName.set(name, (c = this.categoryKeys.length))
        this.categoryKeys.push(w.buf.slice(0, w.at))
      }
    }
    this.categoryIndex.set(p, c)
    return c
  }

  /**
   * Appends the statistics of lines [from, to) to `out`: the lines sorted by product, then day,
   * every quantity positive (several lines of one product and day allowed). Returns the row's
   * trip summary; undefined (and nothing written) for no lines.
   */
  fold(out: ByteWriter, lines: LineColumns, from: number, to: number): FoldedRow | undefined {
    if (to <= from) return undefined
    const start = out.at
    try {
      return this.foldEncoded(out, lines, from, to)
    } catch (e) {
      if (!(e instanceof RangeError)) throw e
      // A value the compact encoding cannot hold, or more categories x days than the sort keys
      // fit: the general fold and encoder (which falls back to JSON) give the same statistics.
      out.at = start
      const stats = foldCustomerLines('', lines, from, to, (p) => this.categoryOf(p), this.config)!
      writeStats(out, stats)
      return { trips: stats.trips, firstDay: stats.firstDay, lastDay: stats.lastDay }
    }
  }

  private grow(n: number): void {
    if (n <= this.days.length) return
    let size = this.days.length
    while (size < n) size *= 2
    this.days = new Int32Array(size)
    this.qty = new Float64Array(size)
    this.tripDays = new Int32Array(size)
    this.catKeys = new Float64Array(size)
    this.catQty = new Float64Array(size)
  }

  private foldEncoded(out: ByteWriter, lines: LineColumns, from: number, to: number): FoldedRow {
    this.grow(to - from)
    const { product, day, quantity } = lines
    const config = this.config
    let firstDay = day[from]!
    let lastDay = firstDay
    for (let i = from + 1; i < to; i++) {
      const d = day[i]!
      if (d < firstDay) firstDay = d
      if (d > lastDay) lastDay = d
    }
    const span = lastDay - firstDay + 1
    const pw = this.products
    pw.at = 0
    const days = this.days
    const qty = this.qty
    let productCount = 0
    let tripEntries = 0
    let catEntries = 0
    let i = from
    while (i < to) {
      const p = product[i]!
      // This product's purchase days, same-day lines summed.
      let n = 0
      while (i < to && product[i] === p) {
        const d = day[i]!
        if (n > 0 && days[n - 1] === d) qty[n - 1]! += quantity[i]!
        else {
          days[n] = d
          qty[n] = quantity[i]!
          n++
        }
        i++
      }
      productCount++
      pw.uint(p * 2)
      this.writeItem(pw, days, qty, n, firstDay)
      const c = this.category(p)
      for (let j = 0; j < n; j++) {
        this.tripDays[tripEntries++] = days[j]!
        if (c >= 0) {
          const key = c * span + (days[j]! - firstDay)
          if (key * ENTRY_BITS >= Number.MAX_SAFE_INTEGER || catEntries >= ENTRY_BITS) throw new RangeError('sort keys do not fit')
          this.catKeys[catEntries] = key * ENTRY_BITS + catEntries
          this.catQty[catEntries] = qty[j]!
          catEntries++
        }
      }
    }

    // Trips: distinct days, each with how many products were bought that day.
    const trips = this.tripDays.subarray(0, tripEntries).sort()
    let tripCount = 0
    for (let j = 0; j < tripEntries; j++) if (j === 0 || trips[j] !== trips[j - 1]) tripCount++
    out.byte(STATS_VERSION)
    out.uint(tripCount)
    out.int(firstDay)
    out.int(lastDay - firstDay)
    const keep = Math.min(tripCount, config.recentTripLimit)
    out.uint(keep)
    let seen = 0
    let prev = firstDay
    for (let j = 0; j < tripEntries; ) {
      let k = j
      while (k < tripEntries && trips[k] === trips[j]) k++
      if (seen++ >= tripCount - keep) {
        out.int(trips[j]! - prev)
        out.int(k - j)
        prev = trips[j]!
      }
      j = k
    }
    out.uint(productCount)
    out.bytes(pw.buf.subarray(0, pw.at))

    // Categories: entries sorted by (category, day), same-day quantities summed.
    const keys = this.catKeys.subarray(0, catEntries).sort()
    let categoryCount = 0
    let lastCat = -1
    for (let j = 0; j < catEntries; j++) {
      const c = Math.floor(Math.floor(keys[j]! / ENTRY_BITS) / span)
      if (c !== lastCat) {
        categoryCount++
        lastCat = c
      }
    }
    out.uint(categoryCount)
    for (let j = 0; j < catEntries; ) {
      const key = Math.floor(keys[j]! / ENTRY_BITS)
      const c = Math.floor(key / span)
      let n = 0
      while (j < catEntries) {
        const k = Math.floor(keys[j]! / ENTRY_BITS)
        if (Math.floor(k / span) !== c) break
        const d = firstDay + (k - c * span)
        const q = this.catQty[keys[j]! % ENTRY_BITS]!
        if (n > 0 && days[n - 1] === d) qty[n - 1]! += q
        else {
          days[n] = d
          qty[n] = q
          n++
        }
        j++
      }
      out.bytes(this.categoryKeys[c]!)
      this.writeItem(out, days, qty, n, firstDay)
    }
    return { trips: tripCount, firstDay, lastDay }
  }

  // One item from its n purchase days (ascending) as stats-codec.ts writes it; the same
  // arithmetic as itemFrom, so the decay is bit for bit the same.
  private writeItem(w: ByteWriter, days: Int32Array, qty: Float64Array, n: number, baseDay: Day): void {
    let quantity = 0
    let decay = 0
    let last = days[0]!
    for (let j = 0; j < n; j++) {
      const d = days[j]!
      quantity += qty[j]!
      decay = j === 0 ? 1 : decay * Math.pow(2, -(d - last) / this.config.halfLife) + 1
      last = d
    }
    const first = days[0]!
    w.uint(n * 2 + (decay === 1 ? 1 : 0))
    w.int(quantity)
    w.int(first - baseDay)
    w.int(days[n - 1]! - first)
    const from = Math.max(0, n - this.config.recentLimit)
    w.uint(n - from)
    let prev = first
    for (let j = from; j < n; j++) {
      w.int(days[j]! - prev)
      w.int(qty[j]!)
      prev = days[j]!
    }
    if (decay !== 1) w.float(decay)
  }
}
