// A shopping list as the back office, the mailing system and the print page receive it
// (../shared/API.md, "Lists"). Ids are strings of digits; money is integer cents.

import type { PerkType, PriceReward } from '../offers/offer.types.ts'

export interface ListProduct {
  id: string
  gtin: string | null
  name: string
  brand: string | null
  category: string
  size: string | null
}

export interface ListItemOffer {
  id: string
  name: string
  description: string
  reward: PriceReward | null
  /** What the offer is expected to save this customer on this item. */
  valueCents: number
  validUntil: string
}

export interface ListItem {
  rank: number
  /** A predicted product, or null when the item is a whole category ("Coffee"). */
  product: ListProduct | null
  category: string | null
  /** First level of the category path ("Dairy" of "Dairy/Milk"), for grouping the print. */
  department: string
  expectedDate: string | null
  probability: number | null
  reason: string
  offer: ListItemOffer | null
}

/**
 * A perk as the generator stores it in list.perks: the text the customer reads. Entries that do
 * not have this shape are left off the list rather than failing the read.
 */
export interface ListPerk {
  offerId: string
  perkType: PerkType
  name: string
  content: string
  url?: string
}

export interface ListVoucher {
  id: string
  valueCents: number
  periodStart: string
  periodEnd: string
  expiresOn: string | null
}

/** A rain check the customer held when the list was made: an offer an offline sale would have earned. */
export interface ListRainCheck {
  id: string
  offerId: string
  name: string
  description: string
  valueCents: number
  expiresOn: string | null
}

export interface ShoppingList {
  id: string
  customerId: string
  barcode: string
  cycleStart: string
  validFrom: string
  validUntil: string
  status: 'current' | 'superseded'
  trigger: 'run' | 'redemption' | 'manual'
  generationId: string | null
  holdout: boolean
  createdAt: string
  items: ListItem[]
  totalCouponCents: number
  perks: ListPerk[]
  vouchers: ListVoucher[]
  rainChecks: ListRainCheck[]
}

/** What the print page adds: who and where, and nothing else personal. */
export interface PrintableList extends ShoppingList {
  storeName: string
  firstName: string | null
}
