// Public shapes of the pricing engine. All money is integer cents. The rules these
// types carry are explained for store IT and auditors in docs/pricing.md.

export type BrandType = 'national' | 'store'

export interface BasketLine {
  /** 14-digit GTIN; the same GTIN may appear on several lines. */
  gtin: string
  /** Integer >= 1; every unit is priced individually. */
  quantity: number
  /** Regular (shelf) price of one unit, integer >= 0. */
  unitPriceCents: number
  /** Category path such as "Health/Pain relief". */
  category: string
  brandType: BrandType
}

/** A category scope covers the path itself and every sub-path below it. */
export type OfferScope =
  | { gtins: readonly string[] }
  | { category: string; brandType?: BrandType }

export type Reward =
  | { type: 'amount_off'; amountCents: number }
  | { type: 'percent_off'; percent: number }
  | { type: 'fixed_price'; priceCents: number }
  | { type: 'buy_x_get_y'; buy: number; get: number; percentOff?: number }
  | { type: 'spend_threshold'; minSpendCents: number; amountCents: number }

export type RewardType = Reward['type']

export interface CandidateOffer {
  offerId: string
  description: string
  scope: OfferScope
  reward: Reward
  stackable: boolean
  /** Most units this offer may discount in one redemption. */
  maxUnits?: number
  /** Redemptions this customer has left; null = unlimited, 0 = not applicable. */
  remainingUses: number | null
  /** Redemptions left in the offer's budget; null = unlimited, 0 = not applicable. */
  budgetRemainingRedemptions: number | null
  /** Cents left in the offer's budget; this redemption is capped at it. */
  budgetRemainingCents: number | null
}

export interface Discount {
  offerId: string
  gtin: string
  description: string
  /** Units of this GTIN that this offer discounted (amount > 0). */
  quantity: number
  amountCents: number
}

/**
 * One offer's part in one unit. `amountCents` is 0 for a unit the offer used without
 * discounting it: the paid units of a buy-X-get-Y group and the units that made up a
 * spend threshold. Those records are what a later return needs to re-check the condition.
 */
export interface UnitShare {
  offerId: string
  amountCents: number
  /** buy_x_get_y only: the group (X paid + Y discounted units) this unit belongs to. */
  group?: number
}

export interface UnitAllocation {
  /** Index into the basket lines as given. */
  lineIndex: number
  /** 0-based unit within that line. */
  unitIndex: number
  gtin: string
  unitPriceCents: number
  /** In the order the offers were applied; empty for an undiscounted unit. */
  shares: UnitShare[]
}

/** How a return takes back an offer's discount; see docs/pricing.md, "Returns". */
export type ClawbackRule =
  | { kind: 'per_unit' }
  | { kind: 'group' }
  | { kind: 'threshold'; minSpendCents: number }

/** One redemption of one offer: what the caller debits from uses and budgets. */
export interface AppliedOffer {
  offerId: string
  rewardType: RewardType
  stackable: boolean
  amountCents: number
  unitsDiscounted: number
  clawback: ClawbackRule
}

export interface PricingResult {
  discounts: Discount[]
  totalBeforeCents: number
  totalDiscountCents: number
  totalAfterCents: number
  /** Every unit of the basket, in basket order, discounted or not. */
  allocations: UnitAllocation[]
  /** Sorted by offerId. */
  appliedOffers: AppliedOffer[]
}

/** What must be stored with a sale so that returns can be priced later. */
export type SaleRecord = Pick<PricingResult, 'allocations' | 'appliedOffers'>

export interface ReturnItem {
  gtin: string
  quantity: number
}

export interface ClawbackShare {
  offerId: string
  /** The GTIN whose discount is taken back (for a broken buy-X-get-Y group this can
   *  be the free unit's GTIN, not the returned one). */
  gtin: string
  amountCents: number
}

export interface Clawback {
  amountCents: number
  /** Per offer and GTIN, ordered by offerId then GTIN. */
  shares: ClawbackShare[]
}
