// Ranked shopping list for one customer from their own statistics plus the shared model.
// Pure and synchronous: the caller loads the customer's rows and the cached model.
import { decayOf } from './customer-stats.ts'
import { dueNextDay, dueWindowProbability, estimateCycle, expectedNextDay, recentEvidence, shrunkCycleDays, shrunkSigma, viewQuantityFactor, windowProbability, type CycleEvidence, type RecentView } from './cycle.ts'
import { cyclePrior, NEIGHBOUR_FLOOR, PROBABILITY_FLOOR, type Candidate } from './features.ts'
import { sigmoid } from './logistic.ts'
import type { PredictionModel } from './model-fit.ts'
import { addNeighbours, type NeighbourIndex } from './neighbours.ts'
import type { PopulationModel } from './population.ts'
import { rankingIndexOf, type RankingIndex } from './ranking-index.ts'
import { columnsOfItems, encodedColumns, type ItemColumns } from './stats-codec.ts'
import { topEntries } from './top-k.ts'
import type {
  CustomerStats,
  CycleEstimate,
  Day,
  ItemStats,
  PredictedItem,
  PredictionConfig,
  PredictionReason,
  PredictOptions,
} from './prediction.types.ts'

const DEFAULT_LIMIT = 20

/**
 * Default as-of day: the customer's latest trip, i.e. the list printed at checkout (in sequence
 * data: before the next visit). Lists mailed on a schedule pass their own `asOf`.
 */
export function defaultAsOf(stats: CustomerStats): Day {
  return stats.lastDay
}

/** Builds the request-time index now (about 0.5 s per 10,000 products) instead of on the first request. */
export function warmModel(model: PredictionModel): void {
  rankingIndexOf(model.population)
}

/**
 * The customer's most likely purchases in the window, best first. The same result as scoring
 * every candidatesFor candidate with its logistic model and sorting them all (the fit's view,
 * kept in features.ts), bit for bit, without building the candidates: features go straight
 * into each score, and only the `limit` best become items (test/unit/predict-ranking.test.ts).
 */
export function predictForCustomer(
  stats: CustomerStats,
  model: PredictionModel,
  options: PredictOptions = {},
): PredictedItem[] {
  const asOf = options.asOf ?? defaultAsOf(stats)
  const limit = options.limit ?? DEFAULT_LIMIT
  const ri = rankingIndexOf(model.population)
  // Statistics read from the database come as bytes: their columns without decoding objects.
  const columns = encodedColumns(stats) ?? { products: columnsOfItems(stats.products), categories: columnsOfItems(stats.categories) }
  const products = columns.products
  const nOwned = products.keys.length
  const scratch = scratchFor(nOwned)
  const idx = scratch.idx.fill(-1, 0, nOwned)
  const touched: number[] = []
  try {
    const decays = accumulateNeighbours(ri.nx, products, idx, scratch.decays, asOf, model.config, touched)
    const pool = explorePool(ri, touched, model.config.exploreCandidates)
    return rankCandidates(stats, columns.categories, model, ri, products, scratch, pool, asOf, limit)
  } finally {
    // The index's buffers are shared by all requests: leave them zeroed.
    const { scores, viaContribution, owned } = ri.nx
    for (const j of touched) {
      scores[j] = 0
      viaContribution[j] = 0
    }
    for (let n = 0; n < nOwned; n++) if ((idx[n] as number) >= 0) owned[idx[n] as number] = 0
  }
}

/**
 * Per-request arrays, reused: typed arrays of a customer's size live off the JavaScript heap,
 * and each new one costs an allocation and garbage collector bookkeeping. The ranking is
 * synchronous, so one request at a time uses them. They grow to the largest customer seen.
 */
interface Scratch {
  idx: Int32Array
  decays: Float64Array
  cycleDays: Float64Array
  sigmas: Float64Array
  intervals: Int32Array
  dues: Float64Array
  /** Owned products plus explore candidates. */
  score: Float64Array
}
let scratch: Scratch | undefined
function scratchFor(owned: number): Scratch {
  if (scratch === undefined || scratch.idx.length < owned) {
    const n = Math.max(256, owned)
    scratch = {
      idx: new Int32Array(n),
      decays: new Float64Array(n),
      cycleDays: new Float64Array(n),
      sigmas: new Float64Array(n),
      intervals: new Int32Array(n),
      dues: new Float64Array(n),
      score: new Float64Array(n + 512),
    }
  }
  return scratch
}

/**
 * Adds each own product's neighbours, weighted by its decayed frequency, into the index's score
 * buffer, exactly as neighbourScores does (same order, so the same sums and the same "via" on
 * ties), and marks the own products (their index in `idx`, -1 for one the model does not know).
 * Returns the decayed frequencies.
 */
function accumulateNeighbours(
  nx: NeighbourIndex,
  products: ItemColumns,
  idx: Int32Array,
  decays: Float64Array,
  asOf: Day,
  config: PredictionConfig,
  touched: number[],
): Float64Array {
  const { keys, decay, lastDay } = products
  for (let n = 0; n < keys.length; n++) {
    const weight = decayOf(decay[n] as number, lastDay[n] as number, asOf, config)
    decays[n] = weight
    const i = nx.index.get(keys[n] as string)
    if (i === undefined) continue
    idx[n] = i
    addNeighbours(nx, i, weight, touched)
  }
  return decays
}

let boostedScratch = new Float64Array(1024)

/** Explore candidates in candidatesFor's order: the best neighbour-based products, then trending ones not owned. */
function explorePool(ri: RankingIndex, touched: readonly number[], limit: number): number[] {
  const { scores: acc, boost, owned: isOwned } = ri.nx
  const fresh: number[] = []
  for (const j of touched) if (isOwned[j] === 0) fresh.push(j)
  if (fresh.length > boostedScratch.length) boostedScratch = new Float64Array(fresh.length * 2)
  const boosted = boostedScratch.subarray(0, fresh.length)
  for (let n = 0; n < fresh.length; n++) {
    const j = fresh[n] as number
    boosted[n] = (acc[j] as number) * (boost[j] as number)
  }
  const pool: number[] = []
  const inPool = ri.mark
  for (const [j] of topEntries(fresh, boosted, limit)) {
    if (inPool[j] === 0) {
      inPool[j] = 1
      pool.push(j)
    }
  }
  for (const j of ri.trending) {
    if (isOwned[j] === 0 && inPool[j] === 0) {
      inPool[j] = 1
      pool.push(j)
    }
  }
  for (const j of pool) inPool[j] = 0
  return pool
}

const weightsOf = (w: readonly number[], n: number): number[] => Array.from({ length: n }, (_, k) => w[k] ?? 0)

/** Item n of the columns as a recent view (one object reused per request). */
function recentOf(view: RecentView, c: ItemColumns, n: number): RecentView {
  view.days = c.recentDays
  view.quantities = c.recentQuantities
  view.start = c.recentStart[n] as number
  view.end = c.recentStart[n + 1] as number
  return view
}

/**
 * Scores every candidate with its logistic model (the features of REPEAT_FEATURES and
 * EXPLORE_FEATURES, summed in logit's order) and turns the `limit` best into items.
 */
function rankCandidates(
  stats: CustomerStats,
  categories: ItemColumns,
  model: PredictionModel,
  ri: RankingIndex,
  products: ItemColumns,
  scratch: Scratch,
  pool: readonly number[],
  asOf: Day,
  limit: number,
): PredictedItem[] {
  const { population, config } = model
  const { scores: acc, via } = ri.nx
  const keys = products.keys
  const nOwned = keys.length
  const total = nOwned + pool.length
  if (scratch.score.length < total) scratch.score = new Float64Array(total * 2)
  const score = scratch.score.subarray(0, total)
  const ids: string[] = new Array(total)
  const { idx, decays, cycleDays, sigmas, intervals, dues } = scratch
  const logTrips = Math.log(Math.max(1, stats.trips))
  const neighbourFloor = NEIGHBOUR_FLOOR
  const probabilityFloor = PROBABILITY_FLOOR
  const view: RecentView = { days: products.recentDays, quantities: products.recentQuantities, start: 0, end: 0 }
  // The customer's own category cycles, each worked out once.
  let categoryAt: Map<string, number> | undefined
  const categoryEvidence = new Map<string, CycleEvidence>()

  // logit's weights as locals: w[k] ?? 0 per feature, the intercept last.
  const wr = model.repeat.weights
  const [r0, r1, r2, r3, r4, r5, r6, r7, r8] = weightsOf(wr, 9) as [number, number, number, number, number, number, number, number, number]
  const rb = wr[wr.length - 1] ?? 0
  for (let n = 0; n < nOwned; n++) {
    const j = idx[n] as number
    const product = j >= 0 ? ri.product[j] : population.products[keys[n] as string]
    // The cycle's fallback, as cyclePrior gives it: the customer's own category, else the product's population.
    let prior = product === undefined ? population.globalCycleDays : product.cycleDays
    const category = product?.category
    if (category !== undefined) {
      categoryAt ??= new Map(categories.keys.map((k, i) => [k, i]))
      const c = categoryAt.get(category)
      if (c !== undefined && (categories.days[c] as number) >= 3) {
        let e = categoryEvidence.get(category)
        if (e === undefined) categoryEvidence.set(category, (e = recentEvidence(recentOf({ ...view }, categories, c))))
        prior = shrunkCycleDays(e, prior, config)
      }
    }
    const recent = recentOf(view, products, n)
    const evidence = recentEvidence(recent)
    const days = shrunkCycleDays(evidence, prior, config)
    const sigma = shrunkSigma(evidence, config)
    const due = days * viewQuantityFactor(recent, evidence.usual)
    const itemDays = products.days[n] as number
    const lastDay = products.lastDay[n] as number
    cycleDays[n] = days
    sigmas[n] = sigma
    intervals[n] = evidence.intervals
    dues[n] = due
    ids[n] = keys[n] as string
    const neighbour = j >= 0 && (acc[j] as number) > 0 ? (acc[j] as number) : 0
    let z = rb
    z += r0 * Math.log(itemDays)
    z += r1 * logTrips
    z += r2 * Math.log1p(Math.max(0, asOf - lastDay))
    z += r3 * Math.log(decays[n] as number)
    z += r4 * -Math.log(days)
    z += r5 * Math.log(probabilityFloor + dueWindowProbability(sigma, due, lastDay, itemDays, asOf, config))
    z += r6 * (j >= 0 ? (ri.logTrending[j] as number) : 0)
    z += r7 * (j >= 0 ? (ri.logBuyers[j] as number) : 0)
    z += r8 * Math.log(neighbourFloor + neighbour)
    score[n] = z
  }

  const we = model.explore.weights
  const [e0, e1, e2, e3] = weightsOf(we, 4) as [number, number, number, number]
  const eb = we[we.length - 1] ?? 0
  for (let m = 0; m < pool.length; m++) {
    const j = pool[m] as number
    const neighbour = (acc[j] as number) > 0 ? (acc[j] as number) : 0
    let z = eb
    z += e0 * Math.log(neighbourFloor + neighbour)
    z += e1 * (ri.logTrending[j] as number)
    z += e2 * (ri.logBuyers[j] as number)
    z += e3 * logTrips
    score[nOwned + m] = z
    ids[nOwned + m] = ri.nx.ids[j] as string
  }

  const timeMode = config.timeMode
  return bestCandidates(score, ids, limit).map((c): PredictedItem => {
    const z = score[c] as number
    const productId = ids[c] as string
    if (c < nOwned) {
      // reasonFor's repeat reasons, from the columns.
      const lastDay = products.lastDay[c] as number
      const end = products.recentStart[c + 1] as number
      const lastQuantity = end > (products.recentStart[c] as number) ? (products.recentQuantities[end - 1] as number) : 1
      const base = { timeMode, lastDay, timesBought: products.days[c] as number, lastQuantity }
      const own = (intervals[c] as number) > 0
      const reason: PredictionReason = own ? { kind: 'cycle', ...base, cycleDays: Math.round((cycleDays[c] as number) * 10) / 10 } : { kind: 'frequent', ...base }
      return { productId, score: z, probability: sigmoid(z), expectedDay: dueNextDay(sigmas[c] as number, dues[c] as number, lastDay, asOf), reason }
    }
    const j = pool[c - nOwned] as number
    const s = (acc[j] as number) > 0 ? (acc[j] as number) : 0
    const candidate: Candidate = {
      productId,
      repeat: false,
      ...(s > 0 ? { neighbour: { score: s, via: ri.nx.ids[via[j] as number] as string } } : {}),
      x: [Math.log(NEIGHBOUR_FLOOR + s), ri.logTrending[j] as number, ri.logBuyers[j] as number, logTrips],
    }
    return { productId, score: z, probability: sigmoid(z), expectedDay: null, reason: reasonFor(candidate, model) }
  })
}

/**
 * Positions of the `limit` best candidates: higher score first, then the smaller product id (as
 * a string), the order of sorting them all. A bounded heap; with a NaN score that order is not
 * a total one, so then it sorts them all exactly as before.
 */
export function bestCandidates(score: Float64Array, ids: readonly string[], limit: number): number[] {
  const n = score.length
  const better = (a: number, b: number): boolean => {
    const sa = score[a] as number
    const sb = score[b] as number
    return sa > sb || (sa === sb && (ids[a] as string) < (ids[b] as string))
  }
  let nan = false
  for (let c = 0; c < n; c++) if (Number.isNaN(score[c])) nan = true
  if (nan || limit >= n || limit < 0 || !Number.isInteger(limit)) {
    const all = Array.from({ length: n }, (_, c) => c)
    all.sort((a, b) => (score[b] as number) - (score[a] as number) || ((ids[a] as string) < (ids[b] as string) ? -1 : 1))
    return all.slice(0, limit)
  }
  if (limit === 0) return []
  // Min-heap of the best `limit` so far, the worst at the root.
  const heap: number[] = []
  for (let c = 0; c < n; c++) {
    if (heap.length < limit) {
      let at = heap.length
      heap.push(c)
      while (at > 0) {
        const parent = (at - 1) >> 1
        if (!better(heap[parent] as number, c)) break
        heap[at] = heap[parent] as number
        at = parent
      }
      heap[at] = c
    } else if (better(c, heap[0] as number)) {
      let at = 0
      for (;;) {
        const l = 2 * at + 1
        const r = l + 1
        let m = c
        let mAt = -1
        if (l < limit && better(m, heap[l] as number)) (m = heap[l] as number), (mAt = l)
        if (r < limit && better(m, heap[r] as number)) (m = heap[r] as number), (mAt = r)
        if (mAt < 0) break
        heap[at] = m
        at = mAt
      }
      heap[at] = c
    }
  }
  return heap.sort((a, b) => (better(a, b) ? -1 : 1))
}

function reasonFor(c: Candidate, model: PredictionModel): PredictionReason {
  const timeMode = model.config.timeMode
  if (c.item !== undefined) {
    const lastQuantity = c.item.recent[c.item.recent.length - 1]?.[1] ?? 1
    const base = { timeMode, lastDay: c.item.lastDay, timesBought: c.item.days, lastQuantity }
    if (c.cycle !== undefined && c.cycle.source === 'own') {
      return { kind: 'cycle', ...base, cycleDays: Math.round(c.cycle.cycleDays * 10) / 10 }
    }
    return { kind: 'frequent', ...base }
  }
  // Explore: say "neighbours" when co-purchases lift the score more than current popularity does
  // (EXPLORE_FEATURES: 0 = neighbour score, 1 = trending).
  const w = model.explore.weights
  const neighbourLift = (w[0] ?? 0) * ((c.x[0] ?? 0) - Math.log(NEIGHBOUR_FLOOR))
  const trendingLift = (w[1] ?? 0) * (c.x[1] ?? 0)
  if (c.neighbour !== undefined && neighbourLift >= trendingLift) {
    return { kind: 'neighbours', timeMode, becauseOf: [c.neighbour.via] }
  }
  return { kind: 'popular', timeMode }
}

export interface ProductForecast {
  cycle: CycleEstimate
  expectedDay: Day
  /** Cycle-only probability of buying within the window (before calibration). */
  windowProbability: number
}

/** The purchase-cycle view of one product the customer has bought, or undefined if never bought. */
export function forecastProduct(
  stats: CustomerStats,
  productId: string,
  population: PopulationModel,
  config: PredictionConfig,
  asOf: Day = defaultAsOf(stats),
): ProductForecast | undefined {
  const item = stats.products[productId]
  if (item === undefined) return undefined
  const cycle = estimateCycle(item, cyclePrior(stats, productId, population, config), config)
  return {
    cycle,
    expectedDay: expectedNextDay(cycle, item, asOf),
    windowProbability: windowProbability(cycle, item, asOf, config),
  }
}
