// SQL for writing generated lists: product facts for predictions, offer reference prices,
// the run's own offer allocations, and the list, item and decision rows.
import { sql, type Kysely, type Transaction } from 'kysely'
import { boolArray, floatArray, intArray, textArray } from '../../db/array-literal.ts'
import { CUSTOMER_WRITE_LOCK } from '../../db/customer-lock.ts'
import { executePrepared } from '../../db/prepared-statements.ts'
import type { DB } from '../../db/schema.ts'
import type { OfferScope } from '../offers/offer.types.ts'
import { findStatsOfCustomers, findStatsVersions } from '../prediction/prediction-stats.repository.ts'
import type { CurrentListFacts } from '../segments/segment-facts.repository.ts'
import { categoryWords } from './list-words.ts'

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

/** Prediction statistics of a batch of customers, one read (customer_stats rows, as the predictor stores them, with their row version). */
export async function findStats(db: Db, customerIds: number[]) {
  return findStatsOfCustomers(db, customerIds)
}

/** The version of each customer's statistics row (findStatsVersions). */
export function findStatsVersion(db: Db, customerIds: number[]) {
  return findStatsVersions(db, customerIds)
}

/**
 * The customers whose recorded sales over the eligibility window reach the spend threshold, by
 * the sales' own totals (before discounts, as every sale writer fills them), most spend first: a
 * guess, before the profiles are refreshed, at who a run will write lists for (the profile's
 * eligibility sums the same window's lines at their prices, less what was returned).
 */
export async function findLikelyEligible(db: Db, asOf: string, eligibility: { windowDays: number; minWeeklySpendCents: number }, max: number): Promise<number[]> {
  const rows = await sql<{ customer_id: number }>`
    select customer_id from sale
    where status = 'recorded' and day > ${asOf}::date - ${eligibility.windowDays}::int and day <= ${asOf}::date
    group by customer_id
    having sum(total_before_cents) * 7 >= ${eligibility.minWeeklySpendCents}::bigint * ${eligibility.windowDays}::int
    order by sum(total_before_cents) desc, customer_id
    limit ${max}`.execute(db)
  return rows.rows.map((r) => r.customer_id)
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
  else if ('category' in scope) label = scope.brandType === 'store' ? `our own-brand ${categoryWords(scope.category)}` : categoryWords(scope.category)
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
    // updated_at only identifies a version of the offer (cachedCandidateOffers): text, not a parsed Date.
    .select(['id', sql<string>`updated_at::text`.as('updated_at'), 'budget_used_redemptions', 'budget_used_discount_cents'])
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
 * Opens the regeneration's transaction on `conn` (one connection of the pool) and takes the
 * customer's list lock, with two settings for this transaction only, in one round trip: BEGIN and
 * the lock go out as one simple-protocol query (PostgreSQL runs its statements in order, the
 * second inside the transaction the first began), a round trip fewer than Kysely's `begin` before
 * it on every regeneration after a sale. The literal values are a constant and the customer id,
 * which inRegenerationTransaction has checked is an integer before anything is issued.
 * The transaction's statements are prepared (executePrepared) and always planned generically:
 * they are written for one customer, whose generic plan is the custom one without the planning
 * (2.5 ms of the facts statement). With `lazyCommit`, its commit does not wait for the WAL flush
 * (db/lazy-commit.ts: the redemption job's durable completion follows it, and a crash before that
 * runs the job again). The caller commits or rolls back (inRegenerationTransaction).
 */
async function beginRegeneration(conn: Kysely<DB>, customerId: number, opts: { lazyCommit: boolean }): Promise<void> {
  await sql
    .raw(
      `begin; select set_config('plan_cache_mode', 'force_generic_plan', true),
              set_config('synchronous_commit', '${opts.lazyCommit ? 'off' : 'on'}', true),
              pg_advisory_xact_lock(${CUSTOMER_WRITE_LOCK}, (${customerId}::bigint % 2147483647)::int)`,
    )
    .execute(conn)
}

/**
 * Runs `fn` in a regeneration's transaction (beginRegeneration) on one pooled connection:
 * commits when it returns, rolls back when it throws, as Kysely's transaction() does.
 */
export async function inRegenerationTransaction<T>(db: Kysely<DB>, customerId: number, opts: { lazyCommit: boolean }, fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
  // Checked here, before anything is issued (beginRegeneration writes it into its SQL text; a
  // refusal there would leave fn's statements, queued behind it, outside any transaction).
  if (!Number.isSafeInteger(customerId)) throw new RangeError(`customer id ${customerId} is not an integer`)
  return db.connection().execute(async (conn) => {
    try {
      // Not awaited: the connection runs its statements one at a time, in the order they are
      // issued (Kysely's single-connection provider), so fn's first statement is built while
      // BEGIN and the lock are on their way and goes out as soon as they are done.
      const begun = beginRegeneration(conn, customerId, opts)
      begun.catch(() => {})
      // The same connection inside a transaction block: what a Transaction is to the code it is given.
      const result = await fn(conn as unknown as Transaction<DB>).catch(async (err: unknown) => {
        // A failed BEGIN or lock is the error to report: what followed only found it failed.
        await begun
        throw err
      })
      await begun
      await sql`commit`.execute(conn)
      return result
    } catch (err) {
      // A connection that failed mid-transaction must not go back to the pool inside one.
      await sql`rollback`.execute(conn).catch(() => {})
      throw err
    }
  })
}

/**
 * Supersedes the customers' current lists and inserts the chunk's lists with their items, offer
 * decisions and list.created events, in one statement (at most one list per customer: rows find their list by
 * customer id). Returns customer id -> list id.
 *
 * Items and decisions are sent as columns in one pass, their reasons once each: a run's 30,000
 * decisions have some 200 distinct reasons and its 14,000 items some 1,600, and escaping every
 * copy into an array literal (then parsing it) was most of the statement's cost in Node.
 */
export async function insertLists(trx: Transaction<DB>, lists: NewList[], opts: { prepared?: boolean } = {}): Promise<Map<number, number>> {
  if (!lists.length) return new Map()
  const l = <T>(f: (x: NewList) => T) => lists.map(f)
  const texts: string[] = []
  const textAt = new Map<string, number>()
  const text = (t: string) => {
    let at = textAt.get(t)
    if (at === undefined) {
      textAt.set(t, (at = texts.length + 1))
      texts.push(t)
    }
    return at
  }
  const it = { customer: [] as number[], rank: [] as number[], product: [] as (number | null)[], category: [] as (string | null)[], expected: [] as (string | null)[], probability: [] as (number | null)[], reason: [] as number[], offer: [] as (number | null)[], value: [] as (number | null)[] }
  const de = { customer: [] as number[], offer: [] as number[], given: [] as boolean[], reason: [] as number[] }
  const counts = { items: [] as number[], offers: [] as number[] }
  for (const x of lists) {
    let offers = 0
    for (let i = 0; i < x.items.length; i++) {
      const item = x.items[i]!
      it.customer.push(x.customerId)
      it.rank.push(i + 1)
      it.product.push(item.productId)
      it.category.push(item.category)
      it.expected.push(item.expectedDate)
      it.probability.push(item.probability)
      it.reason.push(text(item.reason))
      it.offer.push(item.offerId === null ? null : Number(item.offerId))
      it.value.push(item.offerValueCents)
      if (item.offerId !== null) offers++
    }
    counts.items.push(x.items.length)
    counts.offers.push(offers)
    for (const d of x.decisions) {
      de.customer.push(x.customerId)
      de.offer.push(Number(d.offerId))
      de.given.push(d.given)
      de.reason.push(text(d.reason))
    }
  }
  // Every column as an array literal (db/array-literal.ts): pg's generic array encoding escaped each
  // of a run's 250,000 elements with two regular expressions (0.14 s of Node CPU at 10,000 customers).
  const ids = intArray(l((x) => x.customerId))
  const query = sql<{ id: number; customer_id: number }>`
    with sup as (
      update list set status = 'superseded' where customer_id = any(${ids}::bigint[]) and status = 'current'
      returning id
    ),
    ins as (
      insert into list (customer_id, barcode, generation_id, cycle_start, valid_from, valid_until, trigger, holdout, total_coupon_cents, perks)
      select * from unnest(${ids}::bigint[], ${textArray(l((x) => x.barcode))}::text[], ${intArray(l((x) => x.generationId))}::bigint[],
        ${textArray(l((x) => x.cycleStart))}::date[], ${textArray(l((x) => x.validFrom))}::date[], ${textArray(l((x) => x.validUntil))}::date[],
        ${textArray(l((x) => x.trigger))}::text[], ${boolArray(l((x) => x.holdout))}::bool[], ${intArray(l((x) => x.totalCouponCents))}::bigint[],
        ${textArray(l((x) => JSON.stringify(x.perks)))}::jsonb[])
      -- Reading sup runs the update to the end before the first new row: the old current list's
      -- index entry is then deleted by this transaction, which the one-current-list index accepts.
      where (select count(*) from sup) >= 0
      returning *
    ),
    texts as (
      select * from unnest(${textArray(texts)}::text[]) with ordinality as t(text, at)
    ),
    items as (
      insert into list_item (list_id, rank, customer_id, product_id, category, expected_date, probability, reason, offer_id, offer_value_cents)
      select ins.id, u.rank, u.customer_id, u.product_id, u.category, u.expected_date, u.probability, texts.text, u.offer_id, u.offer_value_cents
      from unnest(${intArray(it.customer)}::bigint[], ${intArray(it.rank)}::int[], ${intArray(it.product)}::bigint[], ${textArray(it.category)}::text[],
        ${textArray(it.expected)}::date[], ${floatArray(it.probability)}::real[], ${intArray(it.reason)}::int[],
        ${intArray(it.offer)}::bigint[], ${intArray(it.value)}::bigint[])
        as u(customer_id, rank, product_id, category, expected_date, probability, reason_at, offer_id, offer_value_cents)
      join ins on ins.customer_id = u.customer_id
      join texts on texts.at = u.reason_at
    ),
    decisions as (
      insert into list_offer_decision (list_id, offer_id, customer_id, given, reason)
      select ins.id, u.offer_id, u.customer_id, u.given, texts.text
      from unnest(${intArray(de.customer)}::bigint[], ${intArray(de.offer)}::bigint[], ${boolArray(de.given)}::bool[], ${intArray(de.reason)}::int[])
        as u(customer_id, offer_id, given, reason_at)
      join ins on ins.customer_id = u.customer_id
      join texts on texts.at = u.reason_at
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
        'items', n.items, 'offers', n.offers)
      from ins join unnest(${ids}::bigint[], ${intArray(counts.items)}::int[], ${intArray(counts.offers)}::int[]) as n(customer_id, items, offers)
        on n.customer_id = ins.customer_id
      order by ins.id
    )
    select id, customer_id from ins
  `
  const { rows } = opts.prepared ? await executePrepared(trx, query) : await query.execute(trx)
  return new Map(rows.map((r) => [r.customer_id, r.id]))
}
