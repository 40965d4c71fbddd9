import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { intArray, textArray } from '../../db/array-literal.ts'
import { executePrepared } from '../../db/prepared-statements.ts'

export interface SaleLineWrite {
  productId: number | null
  gtin: string
  quantity: number
  unitPriceCents: number
  discountCents: number
}

export interface DiscountWrite {
  offerId: number
  gtin: string
  quantity: number
  amountCents: number
  unitCents: number[]
}

export interface RedemptionWrite {
  customerId: number
  storeId: string
  laneId: string
  posTransactionId: string
  requestHash: string
  offline: boolean
  occurredAt: string
  day: string
  listId: number | null
  totalBeforeCents: number
  totalDiscountCents: number
  /** The response without its redemptionId, which the statement fills in. */
  response: Record<string, unknown>
  pricing: unknown
  lines: SaleLineWrite[]
  discounts: DiscountWrite[]
  /**
   * One use per offer (list offers granted here, or earned as rain checks offline).
   * budgeted: the offer had a budget when read; only those offers' counters are updated (and
   * their rows locked), the others are checked to be still without one.
   */
  usage: { offerId: number; cents: number; budgeted: boolean }[]
  newRainChecks: { offerId: number; valueCents: number; description: string }[]
  rainCheckExpiresOn: string | null
  redeemedRainChecks: number[]
  /** The base reward: spend x rate accrued to the customer's voucher balance (vouchers/). */
  voucher: { spendCents: number; rateBp: number; units: number }
}

export interface RedemptionWritten {
  /** null: another request holds the idempotency key (nothing was written). */
  redemptionId: number | null
  response: Record<string, unknown> | null
}

/** The redemption.recorded payload without its redemptionId: ids and amounts, nothing personal. */
export function recordedEvent(w: RedemptionWrite): Record<string, unknown> {
  return {
    redemptionId: '',
    storeId: w.storeId,
    laneId: w.laneId,
    posTransactionId: w.posTransactionId,
    customerId: String(w.customerId),
    listId: w.listId === null ? null : String(w.listId),
    occurredAt: w.occurredAt,
    offline: w.offline,
    totalBeforeCents: w.totalBeforeCents,
    totalDiscountCents: w.totalDiscountCents,
    totalAfterCents: w.totalBeforeCents - w.totalDiscountCents,
    discounts: w.discounts.map((d) => ({ offerId: String(d.offerId), gtin: d.gtin, quantity: d.quantity, amountCents: d.amountCents })),
  }
}

/**
 * The response as the write stored it: the statement sets only redemptionId (a string, like
 * every id in the API). The write answers with the id alone and the service builds this from
 * the response it already holds, instead of reading the stored document back.
 */
export function withRedemptionId(response: Record<string, unknown>, redemptionId: number): Record<string, unknown> {
  return { ...response, redemptionId: String(redemptionId) }
}

/** SQLSTATE of lanelist_assert (migration 0005): a condition of the write no longer held. */
export const STALE_WRITE = 'LL001'

/**
 * The whole record of a redemption in one statement, so it costs one round trip and, run
 * outside an explicit transaction, holds the hot offer rows only from its budget update to
 * its own commit: sale, every line, redemption with its stored response, discounts with
 * per-unit shares, offer usage, budgets, rain checks, the voucher accrual, and the durable request to regenerate
 * the customer's list (a list_regen_request row, moved into the job queue in batches by
 * jobs/regen-requests.ts) and the redemption.recorded event; all commit with the sale or
 * not at all.
 *
 * Every part hangs off the redemption row, inserted only while the idempotency key is free,
 * so a lost race writes nothing. Three parts are conditional, and lanelist_assert aborts the
 * whole statement (SQLSTATE LL001) if one did not take: the usage upsert (never past the
 * offer's per-customer limit), the budget update (offers/offer.repository.ts
 * reserveOfferBudget's conditional update, for all applied budgeted offers at once), the
 * offers without a budget still having none, and the rain checks (only while unredeemed). The message says which, and for budgets which offers.
 */
export async function insertRedemption(db: Kysely<DB> | Transaction<DB>, w: RedemptionWrite): Promise<RedemptionWritten> {
  const source = w.offline ? 'offline' : 'lane'
  const lines = w.lines
  const d = w.discounts
  const usageIds = w.usage.map((u) => u.offerId)
  const usageCents = w.usage.map((u) => u.cents)
  const budgeted = w.usage.filter((u) => u.budgeted)
  const budgetIds = budgeted.map((u) => u.offerId)
  const budgetCents = budgeted.map((u) => u.cents)
  const freeIds = w.usage.filter((u) => !u.budgeted).map((u) => u.offerId)
  const result = await executePrepared(db, sql<{ redemption_id: number | null }>`
    with ids as (
      select nextval(pg_get_serial_sequence('sale', 'id')) as sale_id,
             nextval(pg_get_serial_sequence('redemption', 'id')) as redemption_id
    ),
    red as (
      insert into redemption (id, store_id, pos_transaction_id, request_hash, customer_id, sale_id, list_id,
                              offline, response, pricing)
      overriding system value
      select ids.redemption_id, ${w.storeId}, ${w.posTransactionId}, ${w.requestHash}, ${w.customerId},
             ids.sale_id, ${w.listId}, ${w.offline},
             jsonb_set(${JSON.stringify(w.response)}::jsonb, '{redemptionId}', to_jsonb(ids.redemption_id::text)),
             ${w.pricing === null ? null : JSON.stringify(w.pricing)}::jsonb
        from ids
      on conflict (store_id, pos_transaction_id) do nothing
      returning id, sale_id
    ),
    sale_row as (
      insert into sale (id, customer_id, store_id, lane_id, source, external_id, occurred_at, day,
                        total_before_cents, total_discount_cents)
      overriding system value
      select red.sale_id, ${w.customerId}, ${w.storeId}, ${w.laneId}, ${source}, ${w.posTransactionId},
             ${w.occurredAt}::timestamptz, ${w.day}::date, ${w.totalBeforeCents}, ${w.totalDiscountCents}
        from red
      returning id
    ),
    line_rows as (
      insert into sale_line (sale_id, line_no, customer_id, product_id, gtin, quantity, unit_price_cents, discount_cents)
      select red.sale_id, u.ord::int, ${w.customerId}, u.product_id, u.gtin, u.quantity, u.price, u.discount
        from red cross join unnest(
          ${intArray(lines.map((l) => l.productId))}::bigint[], ${textArray(lines.map((l) => l.gtin))}::char(14)[],
          ${intArray(lines.map((l) => l.quantity))}::int[], ${intArray(lines.map((l) => l.unitPriceCents))}::int[],
          ${intArray(lines.map((l) => l.discountCents))}::bigint[]
        ) with ordinality as u(product_id, gtin, quantity, price, discount, ord)
      returning 1
    ),
    discount_rows as (
      insert into redemption_discount (redemption_id, offer_id, gtin, quantity, amount_cents, unit_cents)
      select red.id, u.offer_id, u.gtin, u.quantity, u.amount, u.units::int[]
        from red cross join unnest(
          ${intArray(d.map((x) => x.offerId))}::bigint[], ${textArray(d.map((x) => x.gtin))}::char(14)[], ${intArray(d.map((x) => x.quantity))}::int[],
          ${intArray(d.map((x) => x.amountCents))}::bigint[], ${textArray(d.map((x) => intArray(x.unitCents)))}::text[]
        ) as u(offer_id, gtin, quantity, amount, units)
      returning 1
    ),
    usage_rows as (
      insert into offer_usage (customer_id, offer_id, redemptions, discount_cents)
      select ${w.customerId}, u.offer_id, 1, u.cents
        from red cross join unnest(${intArray(usageIds)}::bigint[], ${intArray(usageCents)}::bigint[]) as u(offer_id, cents)
      on conflict (customer_id, offer_id) do update
        set redemptions = offer_usage.redemptions + 1,
            discount_cents = offer_usage.discount_cents + excluded.discount_cents
        where offer_usage.redemptions
              < coalesce((select o.redemptions_per_customer from offer o where o.id = excluded.offer_id), 1)
      returning 1
    ),
    -- Offers with a budget: their rows are locked in id order before the update, so lanes
    -- touching the same offers always queue in the same order and never deadlock (the
    -- update's own join order is the planner's choice). Empty when nothing budgeted applies.
    locked_offers as (
      select o.id from offer o
       where o.id = any(${intArray(budgetIds)}::bigint[]) and exists (select from red)
       order by o.id
       for no key update
    ),
    budget_rows as (
      update offer o
         set budget_used_redemptions = o.budget_used_redemptions + 1,
             budget_used_discount_cents = o.budget_used_discount_cents + u.cents
        from unnest(${intArray(budgetIds)}::bigint[], ${intArray(budgetCents)}::bigint[]) as u(offer_id, cents)
       where o.id = u.offer_id
         and o.id in (select id from locked_offers)
         and (o.budget_max_redemptions is null or o.budget_used_redemptions + 1 <= o.budget_max_redemptions)
         and (o.budget_max_discount_cents is null
              or o.budget_used_discount_cents + u.cents <= o.budget_max_discount_cents)
      returning o.id
    ),
    -- Offers without a budget are not counted on their row (offer_usage has the figures), so
    -- lanes never queue on a popular offer. The shared lock (taken by every lane at once
    -- without waiting) makes a back office adding a budget wait for in-flight sales, which
    -- it then counts; a sale that read the offer before the budget came re-reads it (LL001).
    free_offers as (
      select o.id from offer o
       where o.id = any(${intArray(freeIds)}::bigint[]) and exists (select from red)
         and o.budget_max_redemptions is null and o.budget_max_discount_cents is null
       for key share
    ),
    -- redemption.recorded for the webhooks (events/, docs/webhooks.md): an outbox row that
    -- commits with the sale; dispatch happens later, off the lane's path.
    event_row as (
      insert into event_outbox (type, payload)
      select 'redemption.recorded', jsonb_set(${JSON.stringify(recordedEvent(w))}::jsonb, '{redemptionId}', to_jsonb(red.id::text))
        from red
      returning 1
    ),
    -- The voucher accrual (vouchers/voucher-rules.ts: exact units, no rounding here); a void
    -- or return takes back its share in its own transaction.
    voucher_accrual as (
      insert into voucher_entry (customer_id, sale_id, kind, reference, day, spend_cents, rate_bp, units)
      select ${w.customerId}, red.sale_id, 'accrual', 'sale', ${w.day}::date, ${w.voucher.spendCents}, ${w.voucher.rateBp}, ${w.voucher.units}
        from red where ${w.voucher.units}::bigint > 0
      returning 1
    ),
    regen_request as (
      insert into list_regen_request (customer_id)
      select ${w.customerId}::bigint from red
      on conflict (customer_id) do nothing
      returning 1
    ),
    new_rain_checks as (
      insert into rain_check (customer_id, offer_id, redemption_id, value_cents, description, expires_on)
      select ${w.customerId}, u.offer_id, red.id, u.value, u.description, ${w.rainCheckExpiresOn}::date
        from red cross join unnest(
          ${intArray(w.newRainChecks.map((r) => r.offerId))}::bigint[], ${intArray(w.newRainChecks.map((r) => r.valueCents))}::bigint[],
          ${textArray(w.newRainChecks.map((r) => r.description))}::text[]
        ) as u(offer_id, value, description)
      returning 1
    ),
    used_rain_checks as (
      update rain_check r set redeemed_by = red.id
        from red
       where r.id = any(${intArray(w.redeemedRainChecks)}::bigint[]) and r.customer_id = ${w.customerId}
         and r.redeemed_by is null and r.cancelled_at is null
      returning 1
    )
    select
      (select id from red) as redemption_id,
      -- Everything but the budgets first: the offer rows all lanes share are locked last, so
      -- each lane holds them only for its budget update, the foreign-key checks and the commit.
      (select count(*) from sale_row) + (select count(*) from line_rows) + (select count(*) from discount_rows)
        + (select count(*) from new_rain_checks) + (select count(*) from voucher_accrual) as written,
      lanelist_assert(not exists (select from red) or (select count(*) from usage_rows) = ${w.usage.length},
                      'usage') as usage_ok,
      lanelist_assert(not exists (select from red) or (select count(*) from used_rain_checks) = ${w.redeemedRainChecks.length},
                      'rain_check') as rain_checks_ok,
      (select count(*) from regen_request) + (select count(*) from event_row) as queued,
      lanelist_assert(not exists (select from red) or (select count(*) from free_offers) = ${freeIds.length},
                      'offer_budget_added') as free_offers_ok,
      lanelist_assert(not exists (select from red) or (select count(*) from budget_rows) = ${budgetIds.length},
                      'budget:' || coalesce((select string_agg(x::text, ',') from unnest(${intArray(budgetIds)}::bigint[]) x
                                              where x not in (select id from budget_rows)), '')) as budget_ok
  `)
  const id = result.rows[0]?.redemption_id ?? null
  return { redemptionId: id, response: id === null ? null : withRedemptionId(w.response, id) }
}
