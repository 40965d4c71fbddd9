// Settings of list generation (issue 7). Defaults follow the issue; every run and the single
// regeneration accept overrides so a chain can tune them without a deploy.
import type { ValueTier } from '../segments/segment.types.ts'

export interface ListGenerationConfig {
  /** Days a list is valid, the as-of day included. */
  validDays: number
  /**
   * Predicted items a list shows: the print page fits about 15 on one sheet (docs/lists.md). The
   * coupons placed in a category without a predicted product come after them, as many as the
   * customer's tier cap and the budgets give.
   */
  maxItems: number
  /** Predictions asked for per customer: more than maxItems, so segment offers can be timed by them. */
  predictions: number
  /** Customers per chunk: one transaction and one set of queries each. */
  chunkSize: number
  /** Share of eligible customers held out of targeted offers to measure lift (0.05 = 5%). */
  holdoutShare: number
  /** Expected face value of a list's offers per value tier, in cents; `none` for customers without a tier. */
  tierCapCents: Record<ValueTier | 'none', number>
  /** A predicted item with a lower probability gets no offer (it is not expected in the window). */
  minOfferProbability: number
}

export const DEFAULT_LIST_GENERATION_CONFIG: ListGenerationConfig = Object.freeze({
  validDays: 14,
  maxItems: 15,
  predictions: 40,
  chunkSize: 200,
  holdoutShare: 0.05,
  tierCapCents: Object.freeze({ A: 3500, B: 2000, C: 1000, D: 500, none: 500 }),
  minOfferProbability: 0.2,
}) as ListGenerationConfig

export type ListGenerationOverrides = Partial<Omit<ListGenerationConfig, 'tierCapCents'>> & {
  tierCapCents?: Partial<ListGenerationConfig['tierCapCents']>
}

// The deployment's settings (src/program-settings.ts) over the built-in defaults, per process.
let installed: ListGenerationOverrides = {}

/** Makes `o` the process's defaults (validated first); {} restores the built-in ones. */
export function installListGenerationDefaults(o: ListGenerationOverrides): void {
  check(merged(DEFAULT_LIST_GENERATION_CONFIG, o))
  installed = o
}

const merged = (base: ListGenerationConfig, o: ListGenerationOverrides): ListGenerationConfig => ({
  ...base,
  ...Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)),
  tierCapCents: { ...base.tierCapCents, ...o.tierCapCents },
})

/** The process's defaults with a run's own overrides on top. */
export function listGenerationConfig(o: ListGenerationOverrides = {}): ListGenerationConfig {
  return check(merged(merged(DEFAULT_LIST_GENERATION_CONFIG, installed), o))
}

function check(cfg: ListGenerationConfig): ListGenerationConfig {
  if (!(cfg.holdoutShare >= 0 && cfg.holdoutShare < 1)) throw new RangeError('holdoutShare must be in [0, 1)')
  if (cfg.maxItems < 1 || cfg.chunkSize < 1 || cfg.validDays < 1) throw new RangeError('maxItems, chunkSize and validDays must be positive')
  return cfg
}
