// Every threshold the profiling uses, in one place, with the defaults docs/lists.md explains.
// Windows are trailing day counts ending on (and including) the as-of day.

export interface SegmentConfig {
  /** Brand group and usage tier look at this many days of purchases. */
  segmentWindowDays: number
  brandGroup: {
    /** National-brand share of the category's units at or above this: national loyal. */
    nationalLoyalMinShare: number
    /** At or below this: store loyal. Between the two: switcher. */
    storeLoyalMaxShare: number
  }
  usage: {
    /** What "heavy" means within a category: units bought, or cents spent. */
    measure: 'units' | 'spend'
    /** Quantiles of the category's buyers that split low | medium | high (terciles by default). */
    lowQuantile: number
    highQuantile: number
    /** Below this many buyers a category's quantiles say little; the fixed cut-offs apply instead. */
    minBuyersForQuantiles: number
    /** Fixed cut-offs in the measure's unit: low <= lowMax < medium <= mediumMax < high. */
    fixed: { lowMax: number; mediumMax: number }
  }
  lifeStage: {
    /** Pet and baby look at purchases in this many recent days. */
    recentDays: number
    pet: { prefixes: string[]; minUnits: number }
    baby: { prefixes: string[]; minUnits: number }
    /** Share of spend over the segment window; a small basket cannot be "produce heavy". */
    produceHeavy: { prefixes: string[]; minShare: number; minTotalSpendCents: number }
    /** Household facts the customer chose to give (pets, baby) also set the flag. */
    useDeclaredHousehold: boolean
  }
  value: {
    windowDays: number
    /** Assumed gross margin on spend where no category margin matches. */
    defaultMargin: number
    /** Category path prefix -> margin; the longest matching prefix wins. */
    categoryMargins: Record<string, number>
    /** Share of customers in each tier, by rank of value; D is the rest. */
    tierShares: { A: number; B: number; C: number }
  }
  trend: {
    /** The last N days against the N days before them. */
    recentDays: number
    risingRatio: number
    fallingRatio: number
  }
  lifecycle: {
    /** First purchase fewer than this many days ago: new. */
    newDays: number
    /** Inter-trip gaps are measured over this many days. */
    gapWindowDays: number
    decliningGapMultiple: number
    decliningMinDays: number
    lapsedDays: number
    lapsedGapMultiple: number
    /** A daily shopper's week away is not lapsing: the gap rule needs at least this many days too. */
    lapsedMinDays: number
  }
  wallet: {
    /** A regular cycle: at least this many trips in the gap window, gaps this steady (stddev / mean). */
    regularMinTrips: number
    regularMaxCv: number
    highWeeklySpendCents: number
    lowWeeklySpendCents: number
  }
  eligibility: { windowDays: number; minWeeklySpendCents: number }
  /** Customers per transaction in refreshAllProfiles: bounds memory and lock time. */
  chunkSize: number
}

export const DEFAULT_SEGMENT_CONFIG: SegmentConfig = Object.freeze({
  segmentWindowDays: 182,
  brandGroup: { nationalLoyalMinShare: 0.8, storeLoyalMaxShare: 0.2 },
  usage: { measure: 'units', lowQuantile: 1 / 3, highQuantile: 2 / 3, minBuyersForQuantiles: 20, fixed: { lowMax: 2, mediumMax: 6 } },
  lifeStage: {
    recentDays: 90,
    pet: { prefixes: ['Pet/'], minUnits: 1 },
    baby: { prefixes: ['Baby/'], minUnits: 1 },
    produceHeavy: { prefixes: ['Produce/'], minShare: 0.15, minTotalSpendCents: 5000 },
    useDeclaredHousehold: true,
  },
  value: { windowDays: 364, defaultMargin: 0.25, categoryMargins: {}, tierShares: { A: 0.1, B: 0.2, C: 0.3 } },
  trend: { recentDays: 56, risingRatio: 1.2, fallingRatio: 0.8 },
  lifecycle: {
    newDays: 56,
    gapWindowDays: 364,
    decliningGapMultiple: 2,
    decliningMinDays: 14,
    lapsedDays: 56,
    lapsedGapMultiple: 4,
    lapsedMinDays: 28,
  },
  wallet: { regularMinTrips: 6, regularMaxCv: 0.75, highWeeklySpendCents: 6000, lowWeeklySpendCents: 1500 },
  eligibility: { windowDays: 56, minWeeklySpendCents: 2500 },
  chunkSize: 1000,
}) as SegmentConfig

type DeepPartial<T> = { [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] }
export type SegmentConfigOverrides = DeepPartial<SegmentConfig>

function merge<T>(base: T, over: DeepPartial<T> | undefined): T {
  if (!over) return base
  const out = { ...base } as Record<string, unknown>
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue
    const b = (base as Record<string, unknown>)[k]
    const plain = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x)
    // categoryMargins is a map, replaced whole rather than merged key by key with the defaults.
    out[k] = plain(v) && plain(b) && k !== 'categoryMargins' ? merge(b, v as DeepPartial<typeof b>) : v
  }
  return out as T
}

// The deployment's settings (environment, src/program-settings.ts) over the built-in defaults:
// one program per process, so every caller (lane accrual, runs, reports) sees the same rules
// without each module passing them along.
let installed: SegmentConfigOverrides | undefined

/** Makes `overrides` the process's defaults (validated first); undefined restores the built-in ones. */
export function installSegmentDefaults(overrides: SegmentConfigOverrides | undefined): void {
  check(merge(DEFAULT_SEGMENT_CONFIG, overrides))
  installed = overrides
}

/** The process's defaults with the given overrides; refuses settings that would make the rules meaningless. */
export function segmentConfig(overrides?: SegmentConfigOverrides): SegmentConfig {
  return check(merge(merge(DEFAULT_SEGMENT_CONFIG, installed), overrides))
}

function check(c: SegmentConfig): SegmentConfig {
  const problems: string[] = []
  if (!(c.brandGroup.storeLoyalMaxShare < c.brandGroup.nationalLoyalMinShare)) problems.push('brandGroup: storeLoyalMaxShare must be below nationalLoyalMinShare')
  if (!(c.usage.lowQuantile > 0 && c.usage.lowQuantile < c.usage.highQuantile && c.usage.highQuantile < 1)) problems.push('usage: need 0 < lowQuantile < highQuantile < 1')
  if (!(c.usage.fixed.lowMax < c.usage.fixed.mediumMax)) problems.push('usage.fixed: lowMax must be below mediumMax')
  const { A, B, C } = c.value.tierShares
  if (!(A > 0 && B >= 0 && C >= 0 && A + B + C <= 1)) problems.push('value.tierShares: A > 0 and A + B + C <= 1')
  if (!(c.trend.fallingRatio < 1 && c.trend.risingRatio > 1)) problems.push('trend: fallingRatio < 1 < risingRatio')
  for (const [k, v] of Object.entries({
    segmentWindowDays: c.segmentWindowDays,
    'value.windowDays': c.value.windowDays,
    'trend.recentDays': c.trend.recentDays,
    'lifecycle.gapWindowDays': c.lifecycle.gapWindowDays,
    'eligibility.windowDays': c.eligibility.windowDays,
    'lifeStage.recentDays': c.lifeStage.recentDays,
    chunkSize: c.chunkSize,
  })) {
    if (!Number.isInteger(v) || v < 1) problems.push(`${k} must be a positive whole number`)
  }
  if (problems.length) throw new Error(`invalid segment configuration: ${problems.join('; ')}`)
  return c
}
