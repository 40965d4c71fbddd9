// Plain-words reasons for a list entry. Differential treatment must be explainable to the
// customer (DOMAIN.md), so every entry says which of their own purchases, or which population
// signal, put it on the list.
import { dayAndMonthOfDay } from './calendar.ts'
import type { Day, PredictionReason } from './prediction.types.ts'

export interface DescribeOptions {
  /** The list's as-of day; lets sequence-mode reasons say "2 visits ago". */
  asOf?: Day
  /** Display name of a product, for "customers who buy X". */
  productName?: (productId: string) => string | undefined
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']

/** "10 Nov" for a calendar day number (days since 1970-01-01, UTC). */
export function formatDay(day: Day): string {
  const [date, month] = dayAndMonthOfDay(day)
  return `${date} ${MONTHS[month] ?? ''}`
}

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`
}

/** "12 days", "3 weeks", "2 months": the unit a shopper would use for that cycle. */
export function formatCycle(days: number): string {
  if (days < 1.5) return 'day'
  if (days < 21) return plural(Math.round(days), 'day', 'days')
  if (days < 60) return plural(Math.round(days / 7), 'week', 'weeks')
  return plural(Math.round(days / 30.4), 'month', 'months')
}

function lastVisit(lastDay: Day, asOf: Day | undefined): string {
  if (asOf === undefined) return `on visit ${lastDay}`
  const ago = asOf - lastDay
  return ago <= 0 ? 'on your latest visit' : `${plural(ago, 'visit', 'visits')} ago`
}

function packs(quantity: number | undefined): string {
  return quantity !== undefined && quantity >= 2 ? ` (${quantity} packs)` : ''
}

export function describeReason(reason: PredictionReason, options: DescribeOptions = {}): string {
  const calendar = reason.timeMode === 'calendar'
  const last =
    reason.lastDay === undefined ? '' : calendar ? `on ${formatDay(reason.lastDay)}` : lastVisit(reason.lastDay, options.asOf)
  switch (reason.kind) {
    case 'cycle': {
      const cycle = reason.cycleDays ?? 0
      const every = calendar
        ? `about every ${formatCycle(cycle)}`
        : cycle < 1.25
          ? 'on almost every visit'
          : `about every ${plural(Math.round(cycle), 'visit', 'visits')}`
      const every1 = every === 'about every day' ? 'almost every day' : every
      return `You buy this ${every1}; last ${last}${packs(reason.lastQuantity)}.`
    }
    case 'frequent': {
      const times = reason.timesBought ?? 1
      return times <= 1
        ? `You bought this ${last}${packs(reason.lastQuantity)}.`
        : `You have bought this ${plural(times, 'time', 'times')}; last ${last}${packs(reason.lastQuantity)}.`
    }
    case 'neighbours': {
      const names = (reason.becauseOf ?? [])
        .map((p) => options.productName?.(p))
        .filter((n): n is string => n !== undefined && n !== '')
      return names.length > 0
        ? `Customers who buy ${names.join(' or ')} often buy this too.`
        : 'Customers who buy what you buy often buy this.'
    }
    case 'popular':
      return 'Popular with shoppers right now.'
  }
}
