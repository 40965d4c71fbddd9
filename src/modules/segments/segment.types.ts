// Domain shapes of customer profiles and segments, as the list generator, the profile route
// and reports receive them. Money is integer cents; days are 'YYYY-MM-DD'.

import type { BRAND_GROUPS, LIFECYCLE_STAGES, LIFE_STAGES, USAGE_LEVELS, VALUE_TIERS } from '../offers/offer.types.ts'

export type BrandGroup = (typeof BRAND_GROUPS)[number]
export type UsageTier = (typeof USAGE_LEVELS)[number]
export type LifeStage = (typeof LIFE_STAGES)[number]
export type ValueTier = (typeof VALUE_TIERS)[number]
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number]
export type Trend = 'rising' | 'flat' | 'falling'
export type WalletShare = 'high' | 'medium' | 'low'

/** What one customer bought in one category, as the aggregation SQL hands it over. */
export interface CategoryFacts {
  /** '' for sale lines without a known product: counted in spend, never a segment. */
  category: string
  /** Segment window: units net of returns, of which national brand, and spend. */
  units: number
  nationalUnits: number
  spendCents: number
  /** Value window spend. */
  valueSpendCents: number
  /** Units in the life-stage window (pet, baby). */
  recentUnits: number
}

/** Everything the rules need about one customer on the as-of day. */
export interface CustomerFacts {
  customerId: number
  enrolledOn: string
  optOut: boolean
  household: { pets?: boolean; baby?: boolean }
  /** All history up to the as-of day. */
  firstPurchaseDay: string | null
  lastPurchaseDay: string | null
  /** Distinct trip days in the gap window and the gaps between them. */
  trips: number
  medianGapDays: number | null
  meanGapDays: number | null
  stddevGapDays: number | null
  recentSpendCents: number
  previousSpendCents: number
  eligibilitySpendCents: number
  /** Value window: lane discounts net of clawbacks, and voucher accrual net of reversals. */
  discountCents: number
  voucherCents: number
  categories: CategoryFacts[]
}

export interface CustomerSegment {
  category: string
  brandGroup: BrandGroup
  usage: UsageTier
  units: number
  nationalUnits: number
  spendCents: number
}

export interface CustomerProfile {
  customerId: number
  asOf: string
  computedAt: string
  /** Opted out of personalisation: only eligibility is computed; every profiling field is null or empty. */
  optOut: boolean
  weeklySpendCents: number
  eligible: boolean
  spendCents: number | null
  marginCents: number | null
  rewardsCents: number | null
  valueCents: number | null
  valueTier: ValueTier | null
  negativeValue: boolean | null
  trend: Trend | null
  recentSpendCents: number | null
  previousSpendCents: number | null
  lifecycle: LifecycleStage | null
  lifeStage: LifeStage[]
  firstPurchaseDay: string | null
  lastPurchaseDay: string | null
  daysSinceLastTrip: number | null
  medianGapDays: number | null
  trips: number | null
  regularCycle: boolean | null
  walletShare: WalletShare | null
  segments: CustomerSegment[]
}

/** Usage cut-offs of one category in the measure's unit: low <= lowMax < medium <= mediumMax < high. */
export interface UsageCut {
  lowMax: number
  mediumMax: number
}

/** Lowest value still in each tier; a value at or above aMin is A, and so on. */
export interface TierCuts {
  aMin: number
  bMin: number
  cMin: number
}
