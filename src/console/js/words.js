// The program's codes in words a service desk can read to a customer.

export const TIER_WORDS = {
  A: 'Tier A: among our most valuable customers',
  B: 'Tier B: a valuable regular customer',
  C: 'Tier C: shops with us now and then',
  D: 'Tier D: shops with us rarely',
}

export const LIFECYCLE_WORDS = {
  new: 'New: joined recently',
  growing: 'Growing: shopping with us more and more',
  stable: 'Stable: shops with us steadily',
  declining: 'Declining: shopping with us less than before',
  lapsed: 'Lapsed: has not shopped with us for a while',
}

export const BRAND_WORDS = {
  national: 'buys national brands',
  store: 'buys our store brand',
  switcher: 'switches between national and store brands',
}

export const USAGE_WORDS = { low: 'a light buyer', medium: 'a regular buyer', high: 'a heavy buyer' }

export const LIFE_STAGE_WORDS = { pet: 'has a pet', baby: 'has a baby or toddler', produce_heavy: 'buys a lot of fresh produce' }

export const WALLET_WORDS = {
  high: 'does most of their grocery shopping with us',
  medium: 'does part of their grocery shopping with us',
  low: 'does a small part of their grocery shopping with us',
}

export const TREND_WORDS = { rising: 'spending is going up', flat: 'spending is steady', falling: 'spending is going down' }

const PERCENT = (p) => `${Number(p).toLocaleString('en-US', { maximumFractionDigits: 2 })}%`
const DOLLARS = (c) => `$${(c / 100).toFixed(2)}`

/** An offer's reward in a few words. */
export function rewardWords(r) {
  if (!r) return ''
  switch (r.type) {
    case 'amount_off':
      return `${DOLLARS(r.amountCents)} off`
    case 'percent_off':
      return `${PERCENT(r.percent)} off`
    case 'fixed_price':
      return `for ${DOLLARS(r.priceCents)}`
    case 'buy_x_get_y':
      return r.percentOff === 100 || r.percentOff === undefined ? `buy ${r.buy}, get ${r.get} free` : `buy ${r.buy}, get ${r.get} at ${PERCENT(r.percentOff)} off`
    case 'spend_threshold':
      return `${DOLLARS(r.amountCents)} off when spending ${DOLLARS(r.minSpendCents)}`
    case 'perk':
      return `perk: ${r.perkType.replaceAll('_', ' ')}`
    default:
      return r.type
  }
}

export function scopeWords(scope) {
  if (!scope) return 'no product'
  if (scope.gtins) return scope.gtins.length === 1 ? `product ${scope.gtins[0]}` : `${scope.gtins.length} products`
  return `${scope.category}${scope.brandType ? ` (${scope.brandType === 'store' ? 'store brand' : 'national brands'})` : ''}`
}

export function targetingWords(t) {
  if (!t || t.everyone) return 'everyone'
  const parts = []
  if (t.valueTiers) parts.push(`tiers ${t.valueTiers.join(', ')}`)
  if (t.lifecycle) parts.push(t.lifecycle.join(', '))
  if (t.lifeStage) parts.push(t.lifeStage.map((l) => LIFE_STAGE_WORDS[l] ?? l).join(', '))
  if (t.segments) parts.push(t.segments.map((s) => `${s.category}: ${s.usage} ${s.brandGroup}`).join('; '))
  return parts.join(' and ')
}
