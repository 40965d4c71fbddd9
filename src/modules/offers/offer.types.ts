// Domain shapes of offers and perks, as other modules (redemption engine, list generator,
// reports) receive them from offer.service.ts. Money is integer cents.

export type BrandType = 'national' | 'store'

/** A category scope covers the path itself and every sub-path below it. */
export type OfferScope = { gtins: string[] } | { category: string; brandType?: BrandType }

export type PriceReward =
  | { type: 'amount_off'; amountCents: number }
  | { type: 'percent_off'; percent: number }
  | { type: 'fixed_price'; priceCents: number }
  /** percentOff is always stored (100 when the request left it out: the Y units are free). */
  | { type: 'buy_x_get_y'; buy: number; get: number; percentOff: number }
  | { type: 'spend_threshold'; minSpendCents: number; amountCents: number }

export const PERK_TYPES = ['recipe', 'meal_plan', 'tip', 'fast_lane', 'home_delivery'] as const
export type PerkType = (typeof PERK_TYPES)[number]

/** A non-price reward printed on the list: the content is the text the customer reads. */
export interface PerkReward {
  type: 'perk'
  perkType: PerkType
  content: string
  url?: string
}

export const BRAND_GROUPS = ['national', 'store', 'switcher'] as const
export const USAGE_LEVELS = ['low', 'medium', 'high'] as const
export const LIFE_STAGES = ['pet', 'baby', 'produce_heavy'] as const
export const VALUE_TIERS = ['A', 'B', 'C', 'D'] as const
export const LIFECYCLE_STAGES = ['new', 'growing', 'stable', 'declining', 'lapsed'] as const

export interface SegmentTarget {
  category: string
  brandGroup: (typeof BRAND_GROUPS)[number]
  usage: (typeof USAGE_LEVELS)[number]
}

/**
 * Who an offer is for. Criteria combine with AND; the values inside one criterion with OR
 * (valueTiers ['A','B'] + lifecycle ['declining'] = tier A or B customers who are declining).
 * A customer matches `segments` when they sit in any one of the listed cells.
 */
export type Targeting =
  | { everyone: true }
  | {
      segments?: SegmentTarget[]
      lifeStage?: (typeof LIFE_STAGES)[number][]
      valueTiers?: (typeof VALUE_TIERS)[number][]
      lifecycle?: (typeof LIFECYCLE_STAGES)[number][]
    }

export type FundedBy = 'store' | { manufacturer: string }
export type OfferStatus = 'active' | 'paused' | 'ended'

export interface OfferLimits {
  unitsPerRedemption: number | null
  redemptionsPerCustomer: number | null
}

/** Limits are null when unlimited; used counters always count, budget or not. */
export interface OfferBudget {
  maxRedemptions: number | null
  maxDiscountCents: number | null
  usedRedemptions: number
  usedDiscountCents: number
  remainingRedemptions: number | null
  remainingDiscountCents: number | null
}

interface OfferCommon {
  id: string
  name: string
  description: string
  status: OfferStatus
  targeting: Targeting
  validFrom: string
  validUntil: string
  limits: OfferLimits
  budget: OfferBudget
  fundedBy: FundedBy
  stackable: boolean
  /** From the used counters: redemptions granted so far, net of voids and returns. */
  redemptions: number
  discountGivenCents: number
  createdAt: string
  updatedAt: string
}

/** A price offer: discounts products in its scope at the lane. */
export interface PriceOffer extends OfferCommon {
  kind: 'offer'
  scope: OfferScope
  reward: PriceReward
}

/** A perk: printed on the list, never priced at the lane. Scope, if any, ties it to products. */
export interface Perk extends OfferCommon {
  kind: 'perk'
  scope: OfferScope | null
  reward: PerkReward
}

export type Offer = PriceOffer | Perk

export interface ProductFacts {
  gtin: string | null
  category: string
  brandType: BrandType
}
