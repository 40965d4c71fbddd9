// Pure rules for the nine cells of a category and the life-stage flags (DOMAIN.md, "Targeting
// inside a category"). The SQL in segment.repository.ts only aggregates; every decision is here.

import type { SegmentConfig } from './segment.config.ts'
import type { BrandGroup, CategoryFacts, CustomerSegment, LifeStage, UsageCut, UsageTier } from './segment.types.ts'

/** National-brand share of units: >= nationalLoyalMinShare national, <= storeLoyalMaxShare store, else switcher. */
export function brandGroup(units: number, nationalUnits: number, cfg: SegmentConfig['brandGroup']): BrandGroup | null {
  if (units <= 0) return null
  const share = nationalUnits / units
  if (share >= cfg.nationalLoyalMinShare) return 'national'
  if (share <= cfg.storeLoyalMaxShare) return 'store'
  return 'switcher'
}

/** Ties go to the lower tier: a category where most buyers buy one unit puts them all in "low". */
export function usageTier(measure: number, cut: UsageCut): UsageTier {
  if (measure <= cut.lowMax) return 'low'
  if (measure <= cut.mediumMax) return 'medium'
  return 'high'
}

/** The category's own quantile cut when it has enough buyers, else the configured fixed one. */
export function usageCutFor(stored: (UsageCut & { buyers: number }) | undefined, cfg: SegmentConfig['usage']): UsageCut {
  if (stored && stored.buyers >= cfg.minBuyersForQuantiles) return { lowMax: stored.lowMax, mediumMax: stored.mediumMax }
  return cfg.fixed
}

/** Linear-interpolated quantile (PostgreSQL's percentile_cont) of ascending values. */
export function quantile(sortedAsc: number[], q: number): number {
  if (sortedAsc.length === 0) throw new RangeError('quantile of nothing')
  const pos = (sortedAsc.length - 1) * q
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sortedAsc[lo]! + (sortedAsc[hi]! - sortedAsc[lo]!) * (pos - lo)
}

/** Same cut as the SQL in usageCutsFromStage (segment-facts.repository.ts), for one category's per-buyer measures. */
export function usageCutFromMeasures(measures: number[], cfg: SegmentConfig['usage']): UsageCut & { buyers: number } {
  const sorted = [...measures].sort((a, b) => a - b)
  return { lowMax: quantile(sorted, cfg.lowQuantile), mediumMax: quantile(sorted, cfg.highQuantile), buyers: sorted.length }
}

/** "Pet/" covers "Pet/Cat food" and "Pet" itself, never "Petrol". */
export function underPrefix(category: string, prefix: string): boolean {
  // The same test as `category === base || category.startsWith(base + '/')` (base: the prefix less
  // one trailing slash) without slicing or joining strings: every profile refresh asks it for each
  // of the customer's categories against every life-stage prefix (docs/lists.md, session 12).
  if (prefix.endsWith('/')) {
    const n = prefix.length - 1
    return category.length === n ? prefix.startsWith(category) : category.startsWith(prefix)
  }
  const n = prefix.length
  return category === prefix || (category.length > n && category.charCodeAt(n) === 47 && category.startsWith(prefix))
}

function underAny(category: string, prefixes: string[]): boolean {
  for (const p of prefixes) if (underPrefix(category, p)) return true
  return false
}

export function segmentsFor(
  categories: CategoryFacts[],
  cuts: ReadonlyMap<string, UsageCut & { buyers: number }>,
  cfg: SegmentConfig,
): CustomerSegment[] {
  const out: CustomerSegment[] = []
  for (const c of categories) {
    if (c.category === '') continue
    const group = brandGroup(c.units, c.nationalUnits, cfg.brandGroup)
    if (!group) continue
    const measure = cfg.usage.measure === 'units' ? c.units : c.spendCents
    out.push({
      category: c.category,
      brandGroup: group,
      usage: usageTier(measure, usageCutFor(cuts.get(c.category), cfg.usage)),
      units: c.units,
      nationalUnits: c.nationalUnits,
      spendCents: c.spendCents,
    })
  }
  return out.sort((a, b) => (a.category < b.category ? -1 : a.category > b.category ? 1 : 0))
}

/** Which life-stage flags a category's purchases count toward (also the population refresh's SQL, staged-profiles.repository.ts). */
export function lifeStageCategory(category: string, cfg: SegmentConfig['lifeStage']): { pet: boolean; baby: boolean; produce: boolean } {
  return {
    pet: underAny(category, cfg.pet.prefixes),
    baby: underAny(category, cfg.baby.prefixes),
    produce: underAny(category, cfg.produceHeavy.prefixes),
  }
}

export function lifeStageFlags(
  categories: CategoryFacts[],
  household: { pets?: boolean; baby?: boolean },
  cfg: SegmentConfig['lifeStage'],
): LifeStage[] {
  let petUnits = 0
  let babyUnits = 0
  let produceSpend = 0
  let totalSpend = 0
  for (const c of categories) {
    const counts = lifeStageCategory(c.category, cfg)
    if (counts.pet) petUnits += c.recentUnits
    if (counts.baby) babyUnits += c.recentUnits
    if (counts.produce) produceSpend += c.spendCents
    totalSpend += c.spendCents
  }
  const flags: LifeStage[] = []
  if (petUnits >= cfg.pet.minUnits || (cfg.useDeclaredHousehold && household.pets === true)) flags.push('pet')
  if (babyUnits >= cfg.baby.minUnits || (cfg.useDeclaredHousehold && household.baby === true)) flags.push('baby')
  const p = cfg.produceHeavy
  if (totalSpend >= p.minTotalSpendCents && totalSpend > 0 && produceSpend / totalSpend >= p.minShare) flags.push('produce_heavy')
  return flags
}

/** Longest configured prefix that covers the category, else the default margin. */
export function categoryMargin(category: string, cfg: SegmentConfig['value']): number {
  let best: { len: number; margin: number } | null = null
  for (const [prefix, margin] of Object.entries(cfg.categoryMargins)) {
    if (underPrefix(category, prefix) && (!best || prefix.length > best.len)) best = { len: prefix.length, margin }
  }
  return best ? best.margin : cfg.defaultMargin
}
