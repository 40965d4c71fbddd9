// Does an offer's targeting fit a customer's profile, and why, in words a service desk can read
// to the customer (DOMAIN.md: "Treating customers differently must be explainable"). Criteria
// combine with AND, values within one criterion with OR (offer.types.ts, Targeting).

import type { Targeting } from '../offers/offer.types.ts'
import type { BrandGroup, CustomerProfile, LifecycleStage, LifeStage, UsageTier } from './segment.types.ts'

export interface TargetingDecision {
  matches: boolean
  /** One sentence per criterion checked, the failing one first when it does not match. */
  reasons: string[]
}

const USAGE_WORDS: Record<UsageTier, string> = { high: 'often', medium: 'regularly', low: 'now and then' }
const BRAND_WORDS: Record<BrandGroup, string> = {
  national: 'mostly national brands',
  store: 'mostly our own brand',
  switcher: 'both national brands and our own',
}
const LIFE_STAGE_WORDS: Record<LifeStage, string> = {
  pet: 'buy for a pet',
  baby: 'buy for a baby or toddler',
  produce_heavy: 'buy a lot of fresh produce',
}
const LIFECYCLE_WORDS: Record<LifecycleStage, string> = {
  new: 'started shopping with us recently',
  growing: 'have been shopping with us more lately',
  stable: 'shop with us steadily',
  declining: 'have been shopping with us less often than usual',
  lapsed: 'have not shopped with us for a while',
}

const leaf = (category: string) => (category.split('/').pop() ?? category).toLowerCase()
const or = (words: string[]) => (words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`)

export function matchTargeting(targeting: Targeting, profile: CustomerProfile): TargetingDecision {
  if ('everyone' in targeting && targeting.everyone) return { matches: true, reasons: ['This offer is for every customer.'] }
  if (profile.optOut) {
    return { matches: false, reasons: ['You asked us not to personalise your offers, so only offers for everyone apply.'] }
  }
  const t = targeting as Exclude<Targeting, { everyone: true }>
  const passed: string[] = []
  const fail = (reason: string): TargetingDecision => ({ matches: false, reasons: [reason, ...passed] })

  if (t.segments?.length) {
    const hit = t.segments.find((s) => profile.segments.some((c) => c.category === s.category && c.brandGroup === s.brandGroup && c.usage === s.usage))
    if (!hit) {
      const wanted = t.segments.map((s) => `buy ${leaf(s.category)} ${USAGE_WORDS[s.usage]} and choose ${BRAND_WORDS[s.brandGroup]}`)
      return fail(`This offer is for customers who ${or(wanted)}.`)
    }
    passed.push(`You buy ${leaf(hit.category)} ${USAGE_WORDS[hit.usage]} and choose ${BRAND_WORDS[hit.brandGroup]}.`)
  }
  if (t.lifeStage?.length) {
    const hit = t.lifeStage.find((l) => profile.lifeStage.includes(l))
    if (!hit) return fail(`This offer is for customers who ${or(t.lifeStage.map((l) => LIFE_STAGE_WORDS[l]))}.`)
    passed.push(`Your shopping shows you ${LIFE_STAGE_WORDS[hit]}.`)
  }
  if (t.valueTiers?.length) {
    const tier = profile.valueTier
    if (!tier || !t.valueTiers.includes(tier)) {
      return fail(
        `This offer is for customers in value tier ${or(t.valueTiers)} (from what they spent with us over the last year); ` +
          (tier ? `you are in tier ${tier}.` : 'yours is not worked out yet.'),
      )
    }
    passed.push(`You are in value tier ${tier}, from what you spent with us over the last year.`)
  }
  if (t.lifecycle?.length) {
    const stage = profile.lifecycle
    if (!stage || !t.lifecycle.includes(stage)) return fail(`This offer is for customers who ${or(t.lifecycle.map((l) => LIFECYCLE_WORDS[l]))}.`)
    passed.push(`You ${LIFECYCLE_WORDS[stage]}.`)
  }
  return { matches: true, reasons: passed.length ? passed : ['This offer has no conditions.'] }
}
