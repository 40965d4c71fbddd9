// Types shared by the purchase-cycle predictor. Everything here is plain, JSON-serialisable
// data so the statistics can live in PostgreSQL rows and the model in a jsonb/blob.

/**
 * An integer point in time. In 'calendar' mode: days since 1970-01-01 (UTC). In 'sequence' mode
 * (data without dates, e.g. Ta-Feng): the customer's basket index 1..n, so one "day" is one visit.
 */
export type Day = number

export type TimeMode = 'calendar' | 'sequence'

export interface PredictionConfig {
  timeMode: TimeMode
  /** Half-life of the time-decayed purchase frequency, in days (calendar) or visits (sequence). */
  halfLife: number
  /** Prediction window after the as-of day: 14 days, or the next 1 visit in sequence mode. */
  windowDays: number
  /** Purchase days kept per (customer, item) so voids and returns of recent purchases are exact. */
  recentLimit: number
  /** Trip days kept per customer. */
  recentTripLimit: number
  /** Pseudo-intervals of prior weight when shrinking a customer's own cycle toward the fallback. */
  priorIntervals: number
  /** Similar products kept per product (item-item neighbour lists). */
  neighboursPerProduct: number
  /** Products of one customer used when counting co-occurrences (bounds the batch cost). */
  maxProductsPerCustomer: number
  /** Never-bought candidates scored per customer: best neighbour-based plus trending products. */
  exploreCandidates: number
}

/** The calendar-mode prediction window: the list's validity (LANELIST_LIST_VALID_DAYS). */
let calendarWindowDays = 14

/**
 * Installed once per process from the program's settings (src/program-settings.ts): a list is
 * a prediction of what the customer buys while it is valid, so the model is fitted and its
 * probabilities are calibrated for that window. Sequence mode (dates unknown) keeps one visit.
 */
export function installPredictionWindow(days: number): void {
  if (!Number.isInteger(days) || days < 1) throw new RangeError('the prediction window is a positive number of days')
  calendarWindowDays = days
}

export function defaultConfig(timeMode: TimeMode): PredictionConfig {
  const common = {
    recentLimit: 10,
    recentTripLimit: 12,
    priorIntervals: 2,
    neighboursPerProduct: 100,
    maxProductsPerCustomer: 150,
    exploreCandidates: 100,
  }
  return timeMode === 'sequence'
    ? { timeMode, halfLife: 2, windowDays: 1, ...common }
    : { timeMode, halfLife: 28, windowDays: calendarWindowDays, ...common }
}

/** One line of a transaction as the statistics see it. Quantity <= 0 lines are ignored. */
export interface PurchaseLine {
  productId: string
  quantity: number
  category?: string | undefined
}

export interface PurchaseTransaction {
  day: Day
  lines: readonly PurchaseLine[]
}

/**
 * Statistics of one customer for one product (or one category). Compact on purpose: the lead
 * stores one row per (customer_id, product_id) with these columns.
 */
export interface ItemStats {
  /** Distinct days with a net positive quantity. */
  days: number
  /** Net quantity bought over all days. */
  quantity: number
  firstDay: Day
  lastDay: Day
  /** The last `recentLimit` purchase days, ascending, with the net quantity of each day. */
  recent: Array<[Day, number]>
  /** Sum over purchase days of 2^(-(lastDay - day) / halfLife), expressed as of lastDay. */
  decay: number
}

export interface CustomerStats {
  customerId: string
  /** Distinct days with any purchase (visits in sequence mode). */
  trips: number
  firstDay: Day
  lastDay: Day
  /** The last `recentTripLimit` trip days, ascending, with the number of products bought that day. */
  recentTrips: Array<[Day, number]>
  products: Record<string, ItemStats>
  categories: Record<string, ItemStats>
}

export interface CycleEstimate {
  /** Typical days (visits) between purchases of one usual quantity. */
  cycleDays: number
  /** Log-scale spread of the intervals, used for the window probability. */
  sigma: number
  /** Own intervals behind the estimate (after folding missed trips). */
  intervals: number
  source: 'own' | 'category' | 'product' | 'population'
}

export type ReasonKind = 'cycle' | 'frequent' | 'neighbours' | 'popular'

export interface PredictionReason {
  kind: ReasonKind
  timeMode: TimeMode
  /** Own purchase cycle in days (visits in sequence mode), for kind 'cycle'. */
  cycleDays?: number
  lastDay?: Day
  timesBought?: number
  lastQuantity?: number
  /** For 'neighbours': the customer's own products that point to this one most strongly. */
  becauseOf?: string[]
}

export interface PredictedItem {
  productId: string
  /** Ranking score: the log-odds of `probability`. */
  score: number
  /** Estimated probability of buying within the window after the as-of day. */
  probability: number
  /** Expected next purchase day for products the customer has bought, else null. */
  expectedDay: Day | null
  reason: PredictionReason
}

export interface PredictOptions {
  /** Default: the customer's last trip day (the next visit, in sequence mode). */
  asOf?: Day
  /** Default: 20. */
  limit?: number
}
