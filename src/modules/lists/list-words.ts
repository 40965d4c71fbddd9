// Plain words for the printed list: money, dates and rewards as a shopper reads them, and the
// one escaping function every piece of text on the page goes through.

import type { PriceReward } from '../offers/offer.types.ts'

export interface Locale {
  /** BCP 47 language tag for dates and money. */
  locale: string
  /** ISO 4217 currency of the cents. */
  currency: string
}

export const DEFAULT_LOCALE: Locale = { locale: 'en-US', currency: 'USD' }

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** For text and attribute values alike: names and product names come from imports and people. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!)
}

// Building an Intl formatter costs far more than using one (0.8 ms of every single regeneration
// went to money() building one per call), so each locale's formatters are made once.
const formatters = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>()
function formatter<T extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => T): T {
  let f = formatters.get(key)
  if (!f) formatters.set(key, (f = make()))
  return f as T
}

export function money(cents: number, loc: Locale = DEFAULT_LOCALE): string {
  const f = formatter(`money:${loc.locale}:${loc.currency}`, () => new Intl.NumberFormat(loc.locale, { style: 'currency', currency: loc.currency }))
  return f.format(cents / 100)
}

const dateFormat = (name: string, loc: Locale, options: Intl.DateTimeFormatOptions) =>
  formatter(`${name}:${loc.locale}`, () => new Intl.DateTimeFormat(loc.locale, { ...options, timeZone: 'UTC' }))

const asDate = (day: string) => new Date(`${day}T00:00:00Z`)
const DAY_MS = 86_400_000

/** "Wed, Nov 25" */
export function shortDay(day: string, loc: Locale = DEFAULT_LOCALE): string {
  return dateFormat('short', loc, { weekday: 'short', month: 'short', day: 'numeric' }).format(asDate(day))
}

/** "July 1" */
export function monthDay(day: string, loc: Locale = DEFAULT_LOCALE): string {
  return dateFormat('monthDay', loc, { month: 'long', day: 'numeric' }).format(asDate(day))
}

/** "Monday, November 23, 2026" */
export function longDay(day: string, loc: Locale = DEFAULT_LOCALE): string {
  return dateFormat('long', loc, { weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }).format(asDate(day))
}

/** When the customer will likely need the item, counted from the first day of the list. */
export function whenInWords(expected: string | null, validFrom: string, loc: Locale = DEFAULT_LOCALE): string {
  if (!expected) return ''
  const days = Math.round((asDate(expected).getTime() - asDate(validFrom).getTime()) / DAY_MS)
  if (days <= 0) return 'Running low now'
  if (days < 7) return `This week, around ${shortDay(expected, loc)}`
  if (days < 14) return `Next week, around ${shortDay(expected, loc)}`
  return `Around ${shortDay(expected, loc)}`
}

export function rewardInWords(reward: PriceReward | null, loc: Locale = DEFAULT_LOCALE): string {
  if (!reward) return ''
  switch (reward.type) {
    case 'amount_off':
      return `${money(reward.amountCents, loc)} off`
    case 'percent_off':
      return `${reward.percent}% off`
    case 'fixed_price':
      return `Only ${money(reward.priceCents, loc)}`
    case 'buy_x_get_y':
      return reward.percentOff >= 100 ? `Buy ${reward.buy}, get ${reward.get} free` : `Buy ${reward.buy}, get ${reward.get} at ${reward.percentOff}% off`
    case 'spend_threshold':
      return `${money(reward.amountCents, loc)} off when you spend ${money(reward.minSpendCents, loc)}`
    default:
      return ''
  }
}

/** "Dairy" of "Dairy/Milk"; items without a category go under "Other". */
export function departmentOf(category: string | null | undefined): string {
  const first = (category ?? '').split('/')[0]?.trim()
  return first ? first : 'Other'
}

/**
 * A category in words for a sentence ("We do not expect you to buy … "): "pain relief" of
 * "Health/Pain relief"; a whole department reads "pet products", as "pet" alone does not.
 */
export function categoryWords(category: string): string {
  const leaf = leafOf(category).toLowerCase()
  return category.includes('/') ? leaf : `${leaf} products`
}

/** "Pain relief" of "Health/Pain relief": how a category-only item reads on the list. */
export function leafOf(category: string): string {
  return category.split('/').pop()?.trim() || category
}
