// Offer allocation for one customer's list, as pure functions (issue 7, "Offer allocation").
// The run calls allocateList for customers in order of value, passing the same budget ledger,
// so offers go to the most valuable customers first and no budget is ever overdrawn. Every
// offer that was in play for the customer gets a decision with a reason a service desk can
// read out (list_offer_decision).
import { categoryCovers } from '../offers/offer-scope.ts'
import { offerAppliesToProduct } from '../offers/offer.service.ts'
import type { Offer, Perk, PriceOffer, PriceReward, ProductFacts, Targeting } from '../offers/offer.types.ts'
import { matchTargeting, type TargetingDecision } from '../segments/profile-targeting.ts'
import type { CustomerProfile } from '../segments/segment.types.ts'
import type { ListGenerationConfig } from './list-generation.config.ts'
import type { ListPerk } from './list.types.ts'
import { categoryWords, leafOf, money } from './list-words.ts'

export interface PredictedProduct {
  productId: number
  probability: number
  expectedDate: string | null
  /** The predictor's words for the customer, printed as the item's reason ('' past the ones a list can show: predictionsFor). */
  reason: string
  product: ProductFacts & { name: string; regularPriceCents: number }
}

/**
 * An offer active in the list's window. `reference` prices an item that has no predicted
 * product, lists the categories its scope covers (to time it by the customer's cycle there) and
 * names what it covers in words for the customer.
 */
export interface CandidateOffer {
  offer: Offer
  reference: { productId: number | null; priceCents: number; categories?: string[]; label?: string } | null
}

/** Budget still open to this run, per offer id; null = unlimited. Mutated as offers are given. */
export type BudgetLedger = Map<string, { redemptions: number | null; discountCents: number | null }>

export interface AllocationInput {
  profile: CustomerProfile
  holdout: boolean
  predictions: PredictedProduct[]
  offers: CandidateOffer[]
  budgets: BudgetLedger
  config: Pick<ListGenerationConfig, 'maxItems' | 'tierCapCents' | 'minOfferProbability'>
}

export interface AllocatedItem {
  productId: number | null
  category: string | null
  expectedDate: string | null
  probability: number | null
  reason: string
  offerId: string | null
  offerValueCents: number | null
}

export interface OfferDecision {
  offerId: string
  given: boolean
  reason: string
}

export interface Allocation {
  items: AllocatedItem[]
  perks: ListPerk[]
  decisions: OfferDecision[]
  totalCouponCents: number
}

export const REASONS = {
  holdout:
    'You were picked at random for a small group whose lists carry no personalised offers this time, so we can measure what the offers do.',
  budget: "This offer's budget for this round of lists has been used up.",
  taken: 'Another offer on the same item saves you more.',
  noProduct: 'No product of this offer is on sale at the moment.',
} as const

const isTargeted = (o: Offer) => !('everyone' in o.targeting && o.targeting.everyone)

/**
 * What an offer saves on its expected quantity at the regular price: one unit, or one full
 * "buy X get Y" set. A spend-threshold offer is worth its amount.
 */
export function offerValueCents(reward: PriceReward, priceCents: number): number {
  switch (reward.type) {
    case 'amount_off':
      return Math.min(reward.amountCents, priceCents)
    case 'percent_off':
      return Math.round((priceCents * reward.percent) / 100)
    case 'fixed_price':
      return Math.max(0, priceCents - reward.priceCents)
    case 'buy_x_get_y':
      return Math.round((reward.get * priceCents * reward.percentOff) / 100)
    case 'spend_threshold':
      return reward.amountCents
  }
}

/** Takes one redemption and `cents` from the ledger, or nothing when either would go below zero. */
export function takeBudget(ledger: BudgetLedger, offerId: string, cents: number): boolean {
  const b = ledger.get(offerId)
  if (!b) return true
  if (b.redemptions !== null && b.redemptions < 1) return false
  if (b.discountCents !== null && b.discountCents < cents) return false
  if (b.redemptions !== null) b.redemptions -= 1
  if (b.discountCents !== null) b.discountCents -= cents
  return true
}

function capWords(tier: string | null, capCents: number): string {
  return tier
    ? `Your list already carries the most offer value we give customers in value tier ${tier} (${moneyOf(capCents)} per list).`
    : `Your list already carries the most offer value we give per list (${moneyOf(capCents)}).`
}

// The same sentence for every capped offer of every list in a tier: one string per tier and cap
// (the list write sends each distinct reason once, and looks each one up by its text).
const capReasons = new Map<string | null, Map<number, string>>()
function capReason(profile: CustomerProfile, capCents: number): string {
  let byCap = capReasons.get(profile.valueTier)
  if (byCap === undefined) capReasons.set(profile.valueTier, (byCap = new Map()))
  let w = byCap.get(capCents)
  if (w === undefined) {
    if (byCap.size >= MEMO_MAX) byCap.clear()
    byCap.set(capCents, (w = capWords(profile.valueTier, capCents)))
  }
  return w
}

// A run formats the same few hundred amounts tens of thousands of times.
const moneyWords = new Map<number, string>()
function moneyOf(cents: number): string {
  let w = moneyWords.get(cents)
  if (w === undefined) {
    if (moneyWords.size >= 10_000) moneyWords.clear()
    moneyWords.set(cents, (w = money(cents)))
  }
  return w
}

/**
 * What allocation works out once per offers array rather than once per customer: a run passes
 * the same array to every list of every chunk. Which offers' scopes cover a product (by product
 * id, recomputed if the facts a scope reads differ), and each offer's targeting decision per
 * distinct combination of the profile facts matchTargeting reads.
 */
interface OfferTable {
  covering: Map<number, { facts: ProductFacts; at: number[] }>
  decisions: Map<string, TargetingDecision>[]
  /** Per offer, the cellKey of each segment its targeting names. */
  cells: (string[] | undefined)[]
  /** Per offer, its withheld reason for a customer not expected to buy what it covers (notPredicted). */
  notPredicted: (string | undefined)[]
}
const offerTables = new WeakMap<CandidateOffer[], OfferTable>()
const tableOwners = new WeakMap<CandidateOffer[], CandidateOffer[]>()

/**
 * `derived` holds the offers of `base`, in the same order, with other budget figures (which the
 * table does not read): they share one table. The single regeneration's offer cache derives a
 * new array per call with the lane's latest budget counters.
 */
export function sameOffersAs(derived: CandidateOffer[], base: CandidateOffer[]): void {
  tableOwners.set(derived, tableOwners.get(base) ?? base)
}

function offerTable(offersIn: CandidateOffer[]): OfferTable {
  const offers = tableOwners.get(offersIn) ?? offersIn
  let t = offerTables.get(offers)
  if (!t) {
    const cells = offers.map(({ offer }) => targetedCells(offer.targeting))
    offerTables.set(offers, (t = { covering: new Map(), decisions: offers.map(() => new Map()), cells, notPredicted: new Array(offers.length) }))
  }
  return t
}

const NONE: readonly number[] = []
const NO_CATEGORIES: readonly string[] = []

/**
 * Words a run repeats per customer and offer for the same few hundred inputs
 * (a manufacturer's deal for everyone is timed against every customer's 40 predictions): kept per
 * process, cleared when they grow past any catalogue's size.
 */
const MEMO_MAX = 10_000
function memoWords(memo: Map<string, string>, key: string, make: (key: string) => string): string {
  let w = memo.get(key)
  if (w === undefined) {
    if (memo.size >= MEMO_MAX) memo.clear()
    memo.set(key, (w = make(key)))
  }
  return w
}
const timedWords = new Map<string, string>()
const expectWords = new Map<string, string>()
const timedWhy = (productCategory: string) => memoWords(timedWords, productCategory, (c) => `Timed to when you usually buy ${leafOf(c).toLowerCase()}.`)
const expectWhy = (productName: string) => memoWords(expectWords, productName, (n) => `We expect you to buy ${n} in the next two weeks.`)

/**
 * Expected dates are ISO days (or '9999' for none), for which code-point order is localeCompare's
 * order (same digits and hyphens in the same places) without its collation cost per comparison.
 */
const byDate = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** Positions in `offers` of the offers and perks whose scope covers the product (offerAppliesToProduct). */
function coveringOffers(table: OfferTable, offers: CandidateOffer[], productId: number, facts: ProductFacts): readonly number[] {
  const e = table.covering.get(productId)
  if (e) {
    if (e.facts === facts) return e.at
    if (e.facts.gtin === facts.gtin && e.facts.category === facts.category && e.facts.brandType === facts.brandType) {
      // Each chunk reads the products anew: compare its copy's texts once, then by identity.
      e.facts = facts
      return e.at
    }
  }
  const at: number[] = []
  for (let i = 0; i < offers.length; i++) if (offerAppliesToProduct(offers[i]!.offer, facts)) at.push(i)
  table.covering.set(productId, { facts, at })
  return at
}

const cellKey = (category: string, brandGroup: string, usage: string) => `${category}\u0000${brandGroup}\u0000${usage}`
const targetedCells = (targeting: Targeting) => ('segments' in targeting ? targeting.segments?.map((s) => cellKey(s.category, s.brandGroup, s.usage)) : undefined)

/**
 * matchTargeting, remembered per offer by what it reads of the profile: opt-out, the first of
 * the offer's segment cells the customer is in, the first of its life stages the customer shows,
 * the value tier and the lifecycle (test/unit/list-allocation.test.ts compares it with
 * matchTargeting on random profiles). A run asks it some 40,000 times for a few hundred answers.
 */
export function matchTargetingOnce(
  memo: Map<string, TargetingDecision>,
  targeting: Targeting,
  profile: CustomerProfile,
  cells: () => Set<string>,
  wanted: string[] | undefined = targetedCells(targeting),
): TargetingDecision {
  let key: string
  if ('everyone' in targeting && targeting.everyone) key = 'everyone'
  else if (profile.optOut) key = 'optOut'
  else {
    const t = targeting as Exclude<Targeting, { everyone: true }>
    const seg = wanted?.length ? wanted.findIndex((k) => cells().has(k)) : -2
    const life = t.lifeStage?.length ? t.lifeStage.findIndex((l) => profile.lifeStage.includes(l)) : -2
    key = `${seg}|${life}|${profile.valueTier ?? ''}|${profile.lifecycle ?? ''}`
  }
  let m = memo.get(key)
  if (m === undefined) memo.set(key, (m = matchTargeting(targeting, profile)))
  return m
}

const notPredicted = (what: string) => `We do not expect you to buy ${what} in the next two weeks.`
const notPredictedOnce = (table: OfferTable, offers: CandidateOffer[], at: number) => (table.notPredicted[at] ??= notPredicted(scopeWords(offers[at]!)))

/** The products an offer covers, in words ("Whisker Feast cat food"), never the offer's own name. */
function scopeWords(c: CandidateOffer): string {
  if (c.reference?.label) return c.reference.label
  const o = c.offer
  if (o.scope && 'category' in o.scope) return categoryWords(o.scope.category)
  return 'these products'
}

interface Placement {
  index: number | null
  category: string | null
  productId: number | null
  expectedDate: string | null
  probability: number | null
  valueCents: number
  why: string
}

/**
 * Where an offer goes when no predicted product is in its scope (issue 7: offers go to segment
 * targets too, timed to the customer's cycle): beside the items, timed by the customer's
 * earliest expected purchase in the category it targets (the matched segment cells, else the
 * categories its scope covers). A manufacturer's deal for everyone on a brand the customer does
 * not buy goes there too, as the invitation to try it that the manufacturer pays for; for an
 * opted-out customer, who is not profiled, offers only ride on the predicted items.
 */
function targetedPlacement(
  offer: PriceOffer,
  c: CandidateOffer,
  input: AllocationInput,
  timed: () => PredictedProduct[],
): Placement | 'not_predicted' | 'no_product' | null {
  const t = offer.targeting
  if ('everyone' in t && input.profile.optOut) return null
  const wanted = 'everyone' in t ? undefined : t.segments
  // Loops rather than filter/some/find with closures: a list asks this of most of its offers, and
  // the closures made per offer and per predicted item were a regeneration's largest allocation
  // (docs/lists.md, "Single regeneration", session 12). Same order, same first match.
  let cells: string[] | undefined
  if (wanted?.length) {
    for (const s of input.profile.segments) {
      for (const w of wanted) {
        if (w.category === s.category && w.brandGroup === s.brandGroup && w.usage === s.usage) {
          ;(cells ??= []).push(s.category)
          break
        }
      }
    }
  }
  const categories: readonly string[] = cells ?? (offer.scope && 'category' in offer.scope ? [offer.scope.category] : (c.reference?.categories ?? NO_CATEGORIES))
  if (!categories.length) return 'not_predicted'
  let timing: PredictedProduct | undefined
  for (const p of timed()) {
    for (const cat of categories) {
      if (categoryCovers(cat, p.product.category)) {
        timing = p
        break
      }
    }
    if (timing) break
  }
  if (!timing) return 'not_predicted'
  if (!c.reference) return 'no_product'
  const category = offer.scope && 'category' in offer.scope ? offer.scope.category : (c.reference.categories?.length === 1 ? c.reference.categories[0]! : timing.product.category)
  return {
    index: null,
    category,
    productId: c.reference.productId,
    expectedDate: timing.expectedDate,
    probability: timing.probability,
    valueCents: offerValueCents(offer.reward, c.reference.priceCents),
    why: timedWhy(timing.product.category),
  }
}

export function allocateList(input: AllocationInput): Allocation {
  const { profile, holdout, config, offers } = input
  const table = offerTable(offers)
  const shown = input.predictions.slice(0, config.maxItems)
  const capCents = config.tierCapCents[profile.valueTier ?? 'none']
  const decisions: OfferDecision[] = []
  const itemOffer = new Map<number, { offerId: string; valueCents: number }>()
  const extraItems: AllocatedItem[] = []
  let total = 0
  let cellSet: Set<string> | undefined
  const cells = () => (cellSet ??= new Set(profile.segments.map((s) => cellKey(s.category, s.brandGroup, s.usage))))
  // The likely predictions by expected date, then probability (a stable sort): the first of them
  // in a category times a segment offer there.
  let timedList: PredictedProduct[] | undefined
  const timed = () =>
    (timedList ??= input.predictions
      .filter((p) => p.probability >= config.minOfferProbability)
      .sort((a, b) => byDate(a.expectedDate ?? '9999', b.expectedDate ?? '9999') || b.probability - a.probability))
  // The shown items each offer's scope covers, in list order.
  const coveredBy: (number[] | undefined)[] = new Array(offers.length)
  for (let index = 0; index < shown.length; index++) {
    const p = shown[index]!
    for (const at of coveringOffers(table, offers, p.productId, p.product)) (coveredBy[at] ??= []).push(index)
  }

  // Each price offer's possible placements, best expected saving first.
  const plans: { c: CandidateOffer; offer: PriceOffer; reasons: string[]; placements: Placement[] }[] = []
  for (let at = 0; at < offers.length; at++) {
    const c = offers[at]!
    if (c.offer.kind !== 'offer') continue
    const offer = c.offer
    const covered = coveredBy[at] ?? NONE
    const m = matchTargetingOnce(table.decisions[at]!, offer.targeting, profile, cells, table.cells[at])
    if (!m.matches) {
      // Recorded only where the customer could have expected it: they buy what it covers.
      if (covered.length) decisions.push({ offerId: offer.id, given: false, reason: m.reasons[0] ?? 'This offer is not for you.' })
      continue
    }
    if (holdout && isTargeted(offer)) {
      decisions.push({ offerId: offer.id, given: false, reason: REASONS.holdout })
      continue
    }
    const likely = covered.filter((index) => shown[index]!.probability >= config.minOfferProbability)
    let placements: Placement[] = likely
      .map((index) => {
        const p = shown[index]!
        return {
        index,
        category: null,
        productId: p.productId,
        expectedDate: p.expectedDate,
        probability: p.probability,
        valueCents: offerValueCents(offer.reward, p.product.regularPriceCents),
        why: expectWhy(p.product.name),
        }
      })
      .sort((a, b) => b.valueCents * (b.probability ?? 0) - a.valueCents * (a.probability ?? 0))
    if (!placements.length) {
      const seg = targetedPlacement(offer, c, input, timed)
      if (seg === 'no_product') {
        decisions.push({ offerId: offer.id, given: false, reason: REASONS.noProduct })
        continue
      }
      if (seg === null || seg === 'not_predicted') {
        decisions.push({ offerId: offer.id, given: false, reason: notPredictedOnce(table, offers, at) })
        continue
      }
      placements = [seg]
    }
    plans.push({ c, offer, reasons: m.reasons, placements })
  }
  const best = (p: (typeof plans)[number]) => p.placements[0]!.valueCents * (p.placements[0]!.probability ?? 0)
  plans.sort((a, b) => best(b) - best(a) || Number(a.offer.id) - Number(b.offer.id))

  for (const plan of plans) {
    const place = plan.placements.find((p) => p.index === null || !itemOffer.has(p.index))
    const id = plan.offer.id
    if (!place) {
      decisions.push({ offerId: id, given: false, reason: REASONS.taken })
      continue
    }
    if (total + place.valueCents > capCents) {
      decisions.push({ offerId: id, given: false, reason: capReason(profile, capCents) })
      continue
    }
    if (!takeBudget(input.budgets, id, place.valueCents)) {
      decisions.push({ offerId: id, given: false, reason: REASONS.budget })
      continue
    }
    total += place.valueCents
    const saving = `It saves you about ${moneyOf(place.valueCents)}.`
    decisions.push({ offerId: id, given: true, reason: [...plan.reasons, place.why, saving].join(' ') })
    if (place.index !== null) itemOffer.set(place.index, { offerId: id, valueCents: place.valueCents })
    else
      extraItems.push({
        productId: place.productId,
        category: place.category,
        expectedDate: place.expectedDate,
        probability: place.probability,
        // The offer itself (name, deal, saving) travels with the item: the reason says why here and now.
        reason: `An offer picked for you. ${place.why}`,
        offerId: id,
        offerValueCents: place.valueCents,
      })
  }

  // The customer's predicted items stay whole and first: the list is their shopping list, and the
  // offers placed in a category (no predicted product in their scope) follow it as coupons. They
  // once pushed out the predicted items without an offer, so the lists of the customers with the
  // most coupons (tier A: 16 of them, none on a predicted product) kept none of what they buy.
  const items: AllocatedItem[] = [
    ...shown.map((p, i) => ({
      productId: p.productId,
      category: p.product.category,
      expectedDate: p.expectedDate,
      probability: p.probability,
      reason: p.reason,
      offerId: itemOffer.get(i)?.offerId ?? null,
      offerValueCents: itemOffer.get(i)?.valueCents ?? null,
    })),
    ...extraItems,
  ]

  const perks = allocatePerks(input, decisions, table, cells)
  return { items, perks, decisions, totalCouponCents: items.reduce((s, it) => s + (it.offerValueCents ?? 0), 0) }
}

function allocatePerks(input: AllocationInput, decisions: OfferDecision[], table: OfferTable, cells: () => Set<string>): ListPerk[] {
  const perks: ListPerk[] = []
  const { offers, profile } = input
  let coveredAny: Uint8Array | undefined
  for (let at = 0; at < offers.length; at++) {
    const c = offers[at]!
    if (c.offer.kind !== 'perk') continue
    const perk: Perk = c.offer
    if (perk.scope && !coveredAny) {
      coveredAny = new Uint8Array(offers.length)
      for (const p of input.predictions) for (const i of coveringOffers(table, offers, p.productId, p.product)) coveredAny[i] = 1
    }
    const covers = perk.scope ? coveredAny![at] === 1 : true
    const m = matchTargetingOnce(table.decisions[at]!, perk.targeting, profile, cells, table.cells[at])
    if (!m.matches) {
      if (perk.scope && covers) decisions.push({ offerId: perk.id, given: false, reason: m.reasons[0] ?? 'This perk is not for you.' })
      continue
    }
    if (input.holdout && isTargeted(perk)) {
      decisions.push({ offerId: perk.id, given: false, reason: REASONS.holdout })
      continue
    }
    if (!covers) {
      decisions.push({ offerId: perk.id, given: false, reason: notPredictedOnce(table, offers, at) })
      continue
    }
    decisions.push({ offerId: perk.id, given: true, reason: m.reasons.join(' ') })
    perks.push({
      offerId: perk.id,
      perkType: perk.reward.perkType,
      name: perk.name,
      content: perk.reward.content,
      ...(perk.reward.url ? { url: perk.reward.url } : {}),
    })
  }
  return perks
}
