import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { intArray, textArray } from '../../db/array-literal.ts'
import { executePrepared } from '../../db/prepared-statements.ts'

type Db = Kysely<DB> | Transaction<DB>

export interface CheckoutCustomerRow {
  id: number
  erased: boolean
  /** Card scans only. */
  card_status: 'active' | 'replaced' | null
  active_card: string | null
  /** See customerTier. */
  tier: string | null
}

/** What pricing takes from an offer's row besides its budget counters: cached per catalog version. */
export interface OfferDefinition {
  kind: 'offer' | 'perk'
  status: 'active' | 'paused' | 'ended'
  name: string
  description: string
  scope: Record<string, unknown>
  reward: Record<string, unknown>
  valid_from: string
  valid_until: string
  units_per_redemption: number | null
  redemptions_per_customer: number | null
  budget_max_redemptions: number | null
  budget_max_discount_cents: number | null
  stackable: boolean
}

/** An offer on the list, with this customer's uses of it; the service checks validity. */
export interface CheckoutOfferRow extends OfferDefinition {
  id: number
  budget_used_redemptions: number
  budget_used_discount_cents: number
  used: number
}

/** [gtin, product id, category, brand type] */
export type CheckoutProduct = [string, number, string, 'national' | 'store']

export interface CheckoutRainCheckRow {
  id: number
  offer_id: number
  value_cents: number
  description: string
  scope: Record<string, unknown>
}

export interface CheckoutRow {
  /** lane_ok: the lane is an active lane of the store, or the store keeps no lane register. */
  store: { timezone: string; active: boolean; day: string; lane_ok: boolean } | null
  customer: CheckoutCustomerRow | null
  list_id: number | null
  offers: CheckoutOfferRow[]
  rain_checks: CheckoutRainCheckRow[]
  /** [gtin, product id, category, brand type] */
  products: CheckoutProduct[]
  existing: { id: number; request_hash: string; response: Record<string, unknown> } | null
}

/**
 * The read as sent: each list offer as [id, budget used redemptions, budget used cents, this
 * customer's uses, definition], the definition null when the caller holds it; the products
 * asked for; and the pricing catalog version the read saw (migration 0033).
 */
export interface CheckoutReadRow extends Omit<CheckoutRow, 'offers'> {
  offers: [number, number, number, number, OfferDefinition | null][]
  catalog_version: number
}

/**
 * What the caller already holds of the pricing catalog (pricing-catalog-cache.ts), all read
 * under `version`: the read leaves out those offers' definitions and asks only for
 * `missingGtins`, unless the version it sees is another one; then it returns everything.
 */
export interface CatalogKnown {
  version: number
  offerIds: readonly number[]
  missingGtins: readonly string[]
}

export interface CheckoutQuery {
  storeId: string
  laneId: string
  /** null: the code is neither; the store is still checked. */
  scanned: { kind: 'card'; number: string } | { kind: 'list'; barcode: string } | null
  occurredAt: string
  offline: boolean
  gtins: string[]
  /** Redeem: the idempotency key to look up. Quote: null. */
  posTransactionId: string | null
}

/**
 * The offers of list `listId` with customer `customerId`'s uses of each, as the lane's read
 * returns them: id, budget counters and uses always; the definition only where the caller's
 * catalog copy does not hold it (`holds`: the copy's version is the snapshot's).
 */
function listOffersJson(customerId: RawBuilder<unknown>, listId: RawBuilder<unknown>, holds: RawBuilder<unknown>, known: CatalogKnown | null) {
  return sql`coalesce((
        select json_agg(json_build_array(o.id, o.budget_used_redemptions, o.budget_used_discount_cents,
                                         coalesce(u.redemptions, 0),
                                         case when ${holds} and o.id = any(${intArray(known?.offerIds ?? [])}::bigint[]) then null
                                         else json_build_object('kind', o.kind, 'status', o.status, 'name', o.name,
                                           'description', o.description, 'scope', o.scope, 'reward', o.reward,
                                           'valid_from', o.valid_from, 'valid_until', o.valid_until,
                                           'units_per_redemption', o.units_per_redemption,
                                           'redemptions_per_customer', o.redemptions_per_customer,
                                           'budget_max_redemptions', o.budget_max_redemptions,
                                           'budget_max_discount_cents', o.budget_max_discount_cents,
                                           'stackable', o.stackable) end)
                        order by o.id)
          from offer o
          left join offer_usage u on u.offer_id = o.id and u.customer_id = ${customerId}
         where o.id in (select li.offer_id from list_item li where li.list_id = ${listId})
      ), '[]')`
}

/**
 * Everything pricing needs in one round trip and one snapshot: the store and the day of the
 * sale in its time zone, the customer behind the scanned code, the list whose offers apply
 * with the customer's uses of each, open rain checks, the basket's products, and a previous
 * redemption under the same idempotency key. Takes no lock: the write re-checks what it
 * relies on (docs/redemptions.md, "Concurrency").
 */
export async function loadCheckout(db: Db, q: CheckoutQuery, known: CatalogKnown | null): Promise<CheckoutReadRow> {
  const customer =
    q.scanned === null
      ? sql`select null::bigint as id, false as erased, null::text as card_status where false`
      : q.scanned.kind === 'card'
      ? sql`select c.id, c.erased_at is not null as erased, k.status as card_status
              from card k join customer c on c.id = k.customer_id
             where k.number = ${q.scanned.number}`
      : sql`select c.id, c.erased_at is not null as erased, null::text as card_status
              from list l join customer c on c.id = l.customer_id
             where l.barcode = ${q.scanned.barcode}`
  // An offline sale gets the offers of the list the customer held when it happened.
  const listChoice = q.offline
    ? sql`order by (l.created_at <= ${q.occurredAt}::timestamptz) desc, l.created_at desc`
    : sql`and l.status = 'current'`
  // Whether the caller's copy is of the version this snapshot sees; -1 matches no version.
  const holds = sql`(select version from ver) = ${known?.version ?? -1}::bigint`
  const result = await executePrepared(db, sql<CheckoutReadRow>`
    with ver as (select version from pricing_catalog_version),
    st as (
      select s.timezone, s.active, (${q.occurredAt}::timestamptz at time zone s.timezone)::date::text as day,
             exists (select from lane n where n.store_id = s.id and n.id = ${q.laneId} and n.active)
               or not exists (select from lane n where n.store_id = s.id) as lane_ok
        from store s where s.id = ${q.storeId}
    ),
    cust as (${customer}),
    lst as (
      select l.id from list l join cust on l.customer_id = cust.id where true ${listChoice} limit 1
    )
    select
      (select row_to_json(st) from st) as store,
      (select json_build_object('id', cust.id, 'erased', cust.erased, 'card_status', cust.card_status,
              'active_card', (select k.number from card k where k.customer_id = cust.id and k.status = 'active'),
              'tier', ${tierOf(sql`cust.id`)})
         from cust) as customer,
      (select id from lst) as list_id,
      ${listOffersJson(sql`(select id from cust)`, sql`(select id from lst)`, holds, known)} as offers,
      coalesce((
        select json_agg(r) from (
          select r.id, r.offer_id, r.value_cents, r.description, o.scope
            from rain_check r join offer o on o.id = r.offer_id
           where ${!q.offline} and r.customer_id = (select id from cust)
             and r.redeemed_by is null and r.cancelled_at is null
             and (r.expires_on is null or r.expires_on >= (select day::date from st))
           order by r.id
        ) r), '[]') as rain_checks,
      coalesce((
        select json_agg(json_build_array(p.gtin, p.id, p.category, p.brand_type))
          from product p
         where p.gtin = any(case when ${holds} then ${textArray(known?.missingGtins ?? [])}::char(14)[]
                                 else ${textArray(q.gtins)}::char(14)[] end)
      ), '[]') as products,
      (select version from ver) as catalog_version,
      (select json_build_object('id', r.id, 'request_hash', r.request_hash, 'response', r.response)
         from redemption r
        where ${q.posTransactionId !== null} and r.store_id = ${q.storeId}
          and r.pos_transaction_id = ${q.posTransactionId ?? ''}) as existing
  `)
  const row = result.rows[0]
  if (!row) throw new Error('loadCheckout returned no row')
  return row
}

/** What loadCheckoutBatch returns: each sale's read in the order asked, without products, and the products once. */
export interface CheckoutBatchRead {
  rows: Omit<CheckoutReadRow, 'products' | 'catalog_version'>[]
  /** Every product of `known.missingGtins` (the catalog version held) or else of every sale's GTINs. */
  products: CheckoutProduct[]
  catalog_version: number
}

/**
 * loadCheckout for several lanes' sales in one statement and one snapshot (redemption-read-coalescer.ts):
 * each sale's parameters are an element of the arrays, and each row of `unnest ... with ordinality`
 * is read as loadCheckout reads its one sale. `known` is shared (one catalog copy per database);
 * its missingGtins are every sale's, and the products come back once for the caller to split.
 */
export async function loadCheckoutBatch(db: Db, qs: readonly CheckoutQuery[], known: CatalogKnown | null): Promise<CheckoutBatchRead> {
  const holds = sql`(select version from ver) = ${known?.version ?? -1}::bigint`
  const gtins = new Set<string>()
  for (const q of qs) for (const g of q.gtins) gtins.add(g)
  const sales = qs.map((q) => ({
    store_id: q.storeId,
    lane_id: q.laneId,
    kind: q.scanned?.kind ?? null,
    code: q.scanned === null ? null : q.scanned.kind === 'card' ? q.scanned.number : q.scanned.barcode,
    occurred_at: q.occurredAt,
    offline: q.offline,
    pos_tx: q.posTransactionId,
  }))
  const result = await executePrepared(db, sql<{ ord: number; products: CheckoutProduct[] | null; catalog_version: number } & CheckoutBatchRead['rows'][number]>`
    with ver as (select version from pricing_catalog_version),
    -- jsonb_to_recordset, not unnest of arrays: the planner counts an array's elements when it
    -- plans with the values, so every batch size had a custom plan of its own, planned anew for
    -- each statement (2 ms a batch here). A record set is estimated the same whatever it holds, so
    -- the statement settles on its generic plan like the single read.
    q as (
      select * from rows from (jsonb_to_recordset(${JSON.stringify(sales)}::jsonb)
                               as (store_id text, lane_id text, kind text, code text, occurred_at timestamptz, offline boolean, pos_tx text))
        with ordinality as q(store_id, lane_id, kind, code, occurred_at, offline, pos_tx, ord)
    )
    select q.ord::int as ord,
      case when st.timezone is null then null
           else json_build_object('timezone', st.timezone, 'active', st.active, 'day', st.day, 'lane_ok', st.lane_ok) end as store,
      case when cust.id is null then null
           else json_build_object('id', cust.id, 'erased', cust.erased, 'card_status', cust.card_status,
              'active_card', (select k.number from card k where k.customer_id = cust.id and k.status = 'active'),
              'tier', ${tierOf(sql`cust.id`)}) end as customer,
      lst.id as list_id,
      ${listOffersJson(sql`cust.id`, sql`lst.id`, holds, known)} as offers,
      coalesce((
        select json_agg(r) from (
          select r.id, r.offer_id, r.value_cents, r.description, o.scope
            from rain_check r join offer o on o.id = r.offer_id
           where not q.offline and r.customer_id = cust.id
             and r.redeemed_by is null and r.cancelled_at is null
             and (r.expires_on is null or r.expires_on >= st.day::date)
           order by r.id
        ) r), '[]') as rain_checks,
      (select json_build_object('id', r.id, 'request_hash', r.request_hash, 'response', r.response)
         from redemption r
        where q.pos_tx is not null and r.store_id = q.store_id and r.pos_transaction_id = q.pos_tx) as existing,
      -- Once, on the first row: the catalog part is the same for every sale.
      case when q.ord = 1 then coalesce((
        select json_agg(json_build_array(p.gtin, p.id, p.category, p.brand_type))
          from product p
         where p.gtin = any(case when ${holds} then ${textArray(known?.missingGtins ?? [])}::char(14)[]
                                 else ${textArray([...gtins])}::char(14)[] end)
      ), '[]') end as products,
      case when q.ord = 1 then (select version from ver) end as catalog_version
      from q
      left join lateral (
        select s.timezone, s.active, (q.occurred_at at time zone s.timezone)::date::text as day,
               exists (select from lane n where n.store_id = s.id and n.id = q.lane_id and n.active)
                 or not exists (select from lane n where n.store_id = s.id) as lane_ok
          from store s where s.id = q.store_id
      ) st on true
      left join lateral (
        select c.id, c.erased_at is not null as erased, k.status as card_status
          from card k join customer c on c.id = k.customer_id
         where q.kind = 'card' and k.number = q.code
        union all
        select c.id, c.erased_at is not null, null::text
          from list l join customer c on c.id = l.customer_id
         where q.kind = 'list' and l.barcode = q.code
      ) cust on true
      -- An offline sale gets the offers of the list the customer held when it happened.
      left join lateral (
        select case when q.offline
                    then (select l.id from list l where l.customer_id = cust.id
                           order by (l.created_at <= q.occurred_at) desc, l.created_at desc limit 1)
                    else (select l.id from list l where l.customer_id = cust.id and l.status = 'current' limit 1) end as id
      ) lst on true
     order by q.ord
  `)
  const first = result.rows[0]
  if (result.rows.length !== qs.length || !first) throw new Error(`loadCheckoutBatch returned ${result.rows.length} rows for ${qs.length} sales`)
  return {
    rows: result.rows.map(({ store, customer, list_id, offers, rain_checks, existing }) => ({ store, customer, list_id, offers, rain_checks, existing })),
    products: first.products ?? [],
    catalog_version: first.catalog_version,
  }
}

/** The customer behind a scanned card or list, row-locked; the reads that follow see the winner of any race. */
export async function lockScannedCustomer(
  trx: Transaction<DB>,
  scanned: { kind: 'card'; number: string } | { kind: 'list'; barcode: string },
): Promise<void> {
  if (scanned.kind === 'card') {
    await sql`select c.id from card k join customer c on c.id = k.customer_id where k.number = ${scanned.number} for update of c`.execute(trx)
  } else {
    await sql`select c.id from list l join customer c on c.id = l.customer_id where l.barcode = ${scanned.barcode} for update of c`.execute(trx)
  }
}

export async function storeExists(db: Db, storeId: string): Promise<boolean> {
  return (await db.selectFrom('store').select('id').where('id', '=', storeId).executeTakeFirst()) !== undefined
}

/** The value tier the last profile refresh gave the customer (segments/), null before one. */
const tierOf = (customerId: ReturnType<typeof sql>) =>
  sql<string | null>`(select p.value_tier from customer_profile p where p.customer_id = ${customerId})`

export function asTier(value: string | null | undefined): 'A' | 'B' | 'C' | 'D' | null {
  return value === 'A' || value === 'B' || value === 'C' || value === 'D' ? value : null
}

/** The customer's value tier, 'A'..'D', or null until their profile is first refreshed. */
export async function customerTier(db: Db, customerId: number): Promise<'A' | 'B' | 'C' | 'D' | null> {
  const r = await sql<{ tier: string | null }>`select ${tierOf(sql`${customerId}`)} as tier`.execute(db)
  return asTier(r.rows[0]?.tier)
}
