// SQL for writing generated lists: product facts for predictions, offer reference prices,
// the run's own offer allocations, and the list, item and decision rows.
import { sql, type Kysely, type Transaction } from 'kysely'
import { CUSTOMER_WRITE_LOCK } from '../../db/customer-lock.ts'
import { executePrepared } from '../../db/prepared-statements.ts'
import type { DB } from '../../db/schema.ts'
import type { OfferScope } from '../offers/offer.types.ts'
import { findStatsOfCustomers } from '../prediction/prediction-stats.repository.ts'
import type { CurrentListFacts } from '../segments/segment-facts.repository.ts'

type Db = Kysely<DB> | Transaction<DB>

export async function findProductFacts(db: Db, ids: number[]) {
  if (!ids.length) return new Map<number, { gtin: string | null; category: string; brandType: 'national' | 'store'; name: string; regularPriceCents: number; active: boolean }>()
  const rows = await db
    .selectFrom('product')
    .select(['id', 'gtin', 'category', 'brand_type', 'name', 'regular_price_cents', 'active'])
    .where('id', '=', sql<number>`any(${ids}::bigint[])`)
    .execute()
  return new Map(
    rows.map((r) => [r.id, { gtin: r.gtin, category: r.category, brandType: r.brand_type, name: r.name, regularPriceCents: r.regular_price_cents ?? 0, active: r.active }]),
  )
}

/** Prediction statistics of a batch of customers, one read (customer_stats rows, as the predictor stores them). */
export async function findStats(db: Db, customerIds: number[]) {
  return findStatsOfCustomers(db, customerIds)
}

/**
 * What an offer's scope covers, for allocation: a reference price for an item without a
 * predicted product (the median regular price of the active products it covers; the product
 * itself when the scope is one GTIN), the categories of those products (to time the offer by the
 * customer's cycle there) and the words that name them for a customer ("Whisker Feast cat food").
 */
export async function findScopeReference(db: Db, scope: OfferScope): Promise<ScopeReference | null> {
  let q = db.selectFrom('product').where('active', '=', true).where('regular_price_cents', 'is not', null)
  if ('gtins' in scope) q = q.where('gtin', 'in', scope.gtins.length ? scope.gtins : ['-'])
  else {
    const prefix = scope.category.replace(/[\\%_]/g, (c) => `\\${c}`)
    q = q.where((eb) => eb.or([eb('category', '=', scope.category), eb('category', 'like', `${prefix}/%`)]))
    if (scope.brandType) q = q.where('brand_type', '=', scope.brandType)
  }
  const rows = await q.select(['id', 'name', 'brand', 'category', 'regular_price_cents']).orderBy('regular_price_cents').orderBy('id').execute()
  if (!rows.length) return null
  const median = rows[Math.floor((rows.length - 1) / 2)]!
  const categories = [...new Set(rows.map((r) => r.category))]
  const brands = [...new Set(rows.map((r) => r.brand))]
  const leaf = (c: string) => (c.split('/').pop() ?? c).toLowerCase()
  let label: string
  if (rows.length === 1) label = rows[0]!.name
  else if ('category' in scope) label = scope.brandType === 'store' ? `our own-brand ${leaf(scope.category)}` : leaf(scope.category)
  else if (categories.length === 1) label = brands.length === 1 && brands[0] ? `${brands[0]} ${leaf(categories[0]!)}` : leaf(categories[0]!)
  else label = brands.length === 1 && brands[0] ? `${brands[0]} products` : 'these products'
  return { productId: 'gtins' in scope && rows.length === 1 ? rows[0]!.id : null, priceCents: median.regular_price_cents ?? 0, categories, label }
}

export interface ScopeReference {
  productId: number | null
  priceCents: number
  categories: string[]
  label: string
}

/** The active offers' ids, edit times and budget counters: the cheap check behind the offer cache. */
export function findActiveOfferHeads(db: Db, day: string) {
  return db
    .selectFrom('offer')
    .select(['id', 'updated_at', 'budget_used_redemptions', 'budget_used_discount_cents'])
    .where('status', '=', 'active')
    .where('valid_from', '<=', day)
    .where('valid_until', '>=', day)
    .orderBy('id')
    .execute()
}

/** What this run's lists already allocated per offer: the run's reservation against each budget. */
export async function findRunAllocations(db: Db, generationId: number) {
  const rows = await db
    .selectFrom('list_item')
    .innerJoin('list', 'list.id', 'list_item.list_id')
    .where('list.generation_id', '=', generationId)
    .where('list_item.offer_id', 'is not', null)
    .select(['list_item.offer_id', sql<number>`count(*)::int`.as('n'), sql<number>`coalesce(sum(list_item.offer_value_cents), 0)::bigint`.as('cents')])
    .groupBy('list_item.offer_id')
    .execute()
  return new Map(rows.map((r) => [String(r.offer_id), { redemptions: r.n, discountCents: Number(r.cents) }]))
}

/** customer id -> eligible, for the customers that have a profile. */
export async function findEligible(db: Db, customerIds: number[]): Promise<Map<number, boolean>> {
  if (!customerIds.length) return new Map()
  const rows = await db.selectFrom('customer_profile').select(['customer_id', 'eligible']).where('customer_id', '=', sql<number>`any(${customerIds}::bigint[])`).execute()
  return new Map(rows.map((r) => [r.customer_id, r.eligible]))
}

/** The same shape the regeneration gets with the customer's facts (segment-facts.repository.ts). */
export function findCurrentLists(db: Db, customerIds: number[]): Promise<CurrentListFacts[]> {
  if (!customerIds.length) return Promise.resolve([])
  return db
    .selectFrom('list')
    .select(['id', 'customer_id', 'cycle_start', 'valid_until', 'holdout', 'generation_id'])
    .where('customer_id', 'in', customerIds)
    .where('status', '=', 'current')
    .execute()
}

/** Customers who already have a list from this run (a resumed or retried chunk skips them). */
export async function findCustomersWithRunList(db: Db, generationId: number, customerIds: number[]): Promise<Set<number>> {
  if (!customerIds.length) return new Set()
  const rows = await db.selectFrom('list').select('customer_id').where('generation_id', '=', generationId).where('customer_id', 'in', customerIds).execute()
  return new Set(rows.map((r) => r.customer_id))
}

export interface NewList {
  customerId: number
  barcode: string
  generationId: number | null
  cycleStart: string
  validFrom: string
  validUntil: string
  trigger: 'run' | 'redemption' | 'manual'
  holdout: boolean
  totalCouponCents: number
  perks: unknown[]
  items: { productId: number | null; category: string | null; expectedDate: string | null; probability: number | null; reason: string; offerId: string | null; offerValueCents: number | null }[]
  decisions: { offerId: string; given: boolean; reason: string }[]
}

/**
 * The regeneration's first statement in its transaction: the customer's list lock, and two
 * settings for this transaction only, in the same round trip. Its statements are prepared
 * (executePrepared) and always planned generically: they are written for one customer, whose
 * generic plan is the custom one without the planning (2.5 ms of the facts statement). With
 * `lazyCommit`, its commit does not wait for the WAL flush (db/lazy-commit.ts: the redemption
 * job's durable completion follows it, and a crash before that runs the job again).
 */
export async function beginRegeneration(trx: Transaction<DB>, customerId: number, opts: { lazyCommit: boolean }): Promise<void> {
  await executePrepared(
    trx,
    sql`select set_config('plan_cache_mode', 'force_generic_plan', true),
              set_config('synchronous_commit', case when ${opts.lazyCommit}::bool then 'off' else 'on' end, true),
              pg_advisory_xact_lock(${CUSTOMER_WRITE_LOCK}, (${customerId}::bigint % 2147483647)::int)`,
  )
}

/**
 * Supersedes the customers' current lists and inserts the chunk's lists with their items, offer
 * decisions and list.created events, in one statement (at most one list per customer: rows find their list by
 * customer id). Returns customer id -> list id.
 */
export async function insertLists(trx: Transaction<DB>, lists: NewList[], opts: { prepared?: boolean } = {}): Promise<Map<number, number>> {
  if (!lists.length) return new Map()
  const l = <T>(f: (x: NewList) => T) => lists.map(f)
  const items = lists.flatMap((x) => x.items.map((it, i) => ({ ...it, customerId: x.customerId, rank: i + 1 })))
  const it = <T>(f: (x: (typeof items)[number]) => T) => items.map(f)
  const decisions = lists.flatMap((x) => x.decisions.map((d) => ({ ...d, customerId: x.customerId })))
  const d = <T>(f: (x: (typeof decisions)[number]) => T) => decisions.map(f)
  const query = sql<{ id: number; customer_id: number }>`
    with sup as (
      update list set status = 'superseded' where customer_id = any(${l((x) => x.customerId)}::bigint[]) and status = 'current'
      returning id
    ),
    ins as (
      insert into list (customer_id, barcode, generation_id, cycle_start, valid_from, valid_until, trigger, holdout, total_coupon_cents, perks)
      select * from unnest(${l((x) => x.customerId)}::bigint[], ${l((x) => x.barcode)}::text[], ${l((x) => x.generationId)}::bigint[],
        ${l((x) => x.cycleStart)}::date[], ${l((x) => x.validFrom)}::date[], ${l((x) => x.validUntil)}::date[], ${l((x) => x.trigger)}::text[],
        ${l((x) => x.holdout)}::bool[], ${l((x) => x.totalCouponCents)}::bigint[], ${l((x) => JSON.stringify(x.perks))}::jsonb[])
      -- Reading sup runs the update to the end before the first new row: the old current list's
      -- index entry is then deleted by this transaction, which the one-current-list index accepts.
      where (select count(*) from sup) >= 0
      returning *
    ),
    items as (
      insert into list_item (list_id, rank, customer_id, product_id, category, expected_date, probability, reason, offer_id, offer_value_cents)
      select ins.id, u.rank, u.customer_id, u.product_id, u.category, u.expected_date, u.probability, u.reason, u.offer_id, u.offer_value_cents
      from unnest(${it((x) => x.customerId)}::bigint[], ${it((x) => x.rank)}::int[], ${it((x) => x.productId)}::bigint[], ${it((x) => x.category)}::text[],
        ${it((x) => x.expectedDate)}::date[], ${it((x) => x.probability)}::real[], ${it((x) => x.reason)}::text[],
        ${it((x) => (x.offerId === null ? null : Number(x.offerId)))}::bigint[], ${it((x) => x.offerValueCents)}::bigint[])
        as u(customer_id, rank, product_id, category, expected_date, probability, reason, offer_id, offer_value_cents)
      join ins on ins.customer_id = u.customer_id
    ),
    decisions as (
      insert into list_offer_decision (list_id, offer_id, customer_id, given, reason)
      select ins.id, u.offer_id, u.customer_id, u.given, u.reason
      from unnest(${d((x) => x.customerId)}::bigint[], ${d((x) => Number(x.offerId))}::bigint[], ${d((x) => x.given)}::bool[], ${d((x) => x.reason)}::text[])
        as u(customer_id, offer_id, given, reason)
      join ins on ins.customer_id = u.customer_id
    ),
    counts as (
      select u.customer_id, count(*) as items, count(u.offer_id) as offers
      from unnest(${it((x) => x.customerId)}::bigint[], ${it((x) => (x.offerId === null ? null : Number(x.offerId)))}::bigint[]) as u(customer_id, offer_id)
      group by u.customer_id
    ),
    -- The list.created events (event_outbox.service.ts) in the same statement: an event exists iff
    -- its list committed, and a regeneration after a lane sale saves a round trip. Counted from the
    -- rows given, since this statement cannot read the items it inserts.
    events as (
      insert into event_outbox (type, payload)
      select 'list.created', jsonb_build_object(
        'listId', ins.id::text, 'customerId', ins.customer_id::text,
        'generationId', ins.generation_id::text, 'trigger', ins.trigger,
        'cycleStart', ins.cycle_start, 'validFrom', ins.valid_from, 'validUntil', ins.valid_until,
        'holdout', ins.holdout, 'totalCouponCents', ins.total_coupon_cents,
        'items', coalesce(n.items, 0), 'offers', coalesce(n.offers, 0))
      from ins left join counts n on n.customer_id = ins.customer_id
      order by ins.id
    )
    select id, customer_id from ins
  `
  const { rows } = opts.prepared ? await executePrepared(trx, query) : await query.execute(trx)
  return new Map(rows.map((r) => [r.customer_id, r.id]))
}
