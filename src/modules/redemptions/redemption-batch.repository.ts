import { sql, type Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { boolArray, intArray, textArray } from '../../db/array-literal.ts'
import { executePrepared } from '../../db/prepared-statements.ts'
import { recordedEvent, withRedemptionId, type RedemptionWrite } from './redemption-write.repository.ts'

/** A batch member's answer: the redemption id the statement gave it and its stored response. */
export interface BatchWritten {
  redemptionId: number
  response: Record<string, unknown>
}


/**
 * Several first-attempt sales in ONE statement and one commit: insertRedemption's parts with
 * every array carrying the sale's index in the batch (redemption-coalescer.ts gathers them).
 * The statement is all or nothing: every member's redemption row must go in (a key another
 * request holds fails it), every usage and rain-check condition must hold, and each budgeted
 * offer's counters take the batch's summed redemptions and cents in one conditional update
 * (locked in id order, like a single sale's). If anything does not hold, lanelist_assert
 * aborts the whole statement and the coalescer runs every member alone through
 * insertRedemption, whose answers and errors are then exactly a single sale's.
 *
 * The caller guarantees no two members share a customer or an idempotency key: an upsert
 * cannot touch a row twice in one statement, and per-customer limits must see each other.
 */
export async function insertRedemptionBatch(db: Kysely<DB>, ws: RedemptionWrite[]): Promise<BatchWritten[]> {
  const idx = ws.map((_, i) => i)
  const lines = ws.flatMap((w, i) => w.lines.map((l, n) => ({ i, n: n + 1, l })))
  const discounts = ws.flatMap((w, i) => w.discounts.map((d) => ({ i, d })))
  // Sorted so two batches that share a customer (two of their sales in flight at once) lock
  // the usage rows in one order.
  const usage = ws
    .flatMap((w) => w.usage.map((u) => ({ customerId: w.customerId, ...u })))
    .sort((a, b) => a.customerId - b.customerId || a.offerId - b.offerId)
  const budgets = new Map<number, { count: number; cents: number }>()
  const free = new Set<number>()
  for (const u of usage) {
    if (!u.budgeted) {
      free.add(u.offerId)
      continue
    }
    const b = budgets.get(u.offerId) ?? { count: 0, cents: 0 }
    b.count += 1
    b.cents += u.cents
    budgets.set(u.offerId, b)
  }
  const budgetIds = [...budgets.keys()].sort((a, b) => a - b)
  const freeIds = [...free].sort((a, b) => a - b)
  const vouchers = ws.flatMap((w, i) => (w.voucher.units > 0 ? [{ i, v: w.voucher }] : []))
  const newRainChecks = ws.flatMap((w, i) => w.newRainChecks.map((r) => ({ i, r })))
  const usedRainChecks = ws.flatMap((w, i) => w.redeemedRainChecks.map((id) => ({ i, id })))

  const result = await executePrepared(db, sql<{ written: [string, string, number][] | null }>`
    with ids as materialized (
      select m.*, nextval(pg_get_serial_sequence('sale', 'id')) as sale_id,
             nextval(pg_get_serial_sequence('redemption', 'id')) as redemption_id
        from unnest(
          ${intArray(idx)}::int[], ${textArray(ws.map((w) => w.storeId))}::text[], ${textArray(ws.map((w) => w.laneId))}::text[],
          ${textArray(ws.map((w) => w.posTransactionId))}::text[], ${textArray(ws.map((w) => w.requestHash))}::text[],
          ${intArray(ws.map((w) => w.customerId))}::bigint[], ${intArray(ws.map((w) => w.listId))}::bigint[], ${boolArray(ws.map((w) => w.offline))}::bool[],
          ${textArray(ws.map((w) => w.occurredAt))}::timestamptz[], ${textArray(ws.map((w) => w.day))}::date[],
          ${intArray(ws.map((w) => w.totalBeforeCents))}::bigint[], ${intArray(ws.map((w) => w.totalDiscountCents))}::bigint[],
          ${textArray(ws.map((w) => w.rainCheckExpiresOn))}::date[]
        ) as m(i, store_id, lane_id, pos_transaction_id, request_hash, customer_id, list_id, offline,
               occurred_at, day, total_before, total_discount, rain_check_expires)
    ),
    -- The JSON documents travel as one JSON array each (element i is member i's): an array of
    -- text would make pg escape every quote of every document on the way.
    docs as materialized (
      select ${JSON.stringify(ws.map((w) => w.response))}::jsonb as responses,
             ${JSON.stringify(ws.map((w) => w.pricing))}::jsonb as pricings,
             ${JSON.stringify(ws.map((w) => recordedEvent(w)))}::jsonb as events
    ),
    red as (
      insert into redemption (id, store_id, pos_transaction_id, request_hash, customer_id, sale_id, list_id,
                              offline, response, pricing)
      overriding system value
      select ids.redemption_id, ids.store_id, ids.pos_transaction_id, ids.request_hash, ids.customer_id,
             ids.sale_id, ids.list_id, ids.offline,
             jsonb_set(docs.responses -> ids.i, '{redemptionId}', to_jsonb(ids.redemption_id::text)),
             nullif(docs.pricings -> ids.i, 'null'::jsonb)
        from ids cross join docs
      on conflict (store_id, pos_transaction_id) do nothing
      returning id, store_id, pos_transaction_id
    ),
    sale_row as (
      insert into sale (id, customer_id, store_id, lane_id, source, external_id, occurred_at, day,
                        total_before_cents, total_discount_cents)
      overriding system value
      select ids.sale_id, ids.customer_id, ids.store_id, ids.lane_id, case when ids.offline then 'offline' else 'lane' end,
             ids.pos_transaction_id, ids.occurred_at, ids.day, ids.total_before, ids.total_discount
        from ids
      returning id
    ),
    line_rows as (
      insert into sale_line (sale_id, line_no, customer_id, product_id, gtin, quantity, unit_price_cents, discount_cents)
      select ids.sale_id, u.line_no, ids.customer_id, u.product_id, u.gtin, u.quantity, u.price, u.discount
        from unnest(
          ${intArray(lines.map((x) => x.i))}::int[], ${intArray(lines.map((x) => x.n))}::int[], ${intArray(lines.map((x) => x.l.productId))}::bigint[],
          ${textArray(lines.map((x) => x.l.gtin))}::char(14)[], ${intArray(lines.map((x) => x.l.quantity))}::int[],
          ${intArray(lines.map((x) => x.l.unitPriceCents))}::int[], ${intArray(lines.map((x) => x.l.discountCents))}::bigint[]
        ) as u(i, line_no, product_id, gtin, quantity, price, discount)
        join ids on ids.i = u.i
      returning 1
    ),
    discount_rows as (
      insert into redemption_discount (redemption_id, offer_id, gtin, quantity, amount_cents, unit_cents)
      select ids.redemption_id, u.offer_id, u.gtin, u.quantity, u.amount, u.units::int[]
        from unnest(
          ${intArray(discounts.map((x) => x.i))}::int[], ${intArray(discounts.map((x) => x.d.offerId))}::bigint[],
          ${textArray(discounts.map((x) => x.d.gtin))}::char(14)[], ${intArray(discounts.map((x) => x.d.quantity))}::int[],
          ${intArray(discounts.map((x) => x.d.amountCents))}::bigint[], ${textArray(discounts.map((x) => intArray(x.d.unitCents)))}::text[]
        ) as u(i, offer_id, gtin, quantity, amount, units)
        join ids on ids.i = u.i
      returning 1
    ),
    usage_rows as (
      insert into offer_usage (customer_id, offer_id, redemptions, discount_cents)
      select u.customer_id, u.offer_id, 1, u.cents
        from unnest(${intArray(usage.map((u) => u.customerId))}::bigint[], ${intArray(usage.map((u) => u.offerId))}::bigint[],
                    ${intArray(usage.map((u) => u.cents))}::bigint[]) as u(customer_id, offer_id, cents)
      on conflict (customer_id, offer_id) do update
        set redemptions = offer_usage.redemptions + 1,
            discount_cents = offer_usage.discount_cents + excluded.discount_cents
        where offer_usage.redemptions
              < coalesce((select o.redemptions_per_customer from offer o where o.id = excluded.offer_id), 1)
      returning 1
    ),
    locked_offers as (
      select o.id from offer o
       where o.id = any(${intArray(budgetIds)}::bigint[])
       order by o.id
       for no key update
    ),
    budget_rows as (
      update offer o
         set budget_used_redemptions = o.budget_used_redemptions + u.n,
             budget_used_discount_cents = o.budget_used_discount_cents + u.cents
        from unnest(${intArray(budgetIds)}::bigint[], ${intArray(budgetIds.map((id) => budgets.get(id)!.count))}::int[],
                    ${intArray(budgetIds.map((id) => budgets.get(id)!.cents))}::bigint[]) as u(offer_id, n, cents)
       where o.id = u.offer_id
         and o.id in (select id from locked_offers)
         and (o.budget_max_redemptions is null or o.budget_used_redemptions + u.n <= o.budget_max_redemptions)
         and (o.budget_max_discount_cents is null
              or o.budget_used_discount_cents + u.cents <= o.budget_max_discount_cents)
      returning o.id
    ),
    free_offers as (
      select o.id from offer o
       where o.id = any(${intArray(freeIds)}::bigint[])
         and o.budget_max_redemptions is null and o.budget_max_discount_cents is null
       for key share
    ),
    event_row as (
      insert into event_outbox (type, payload)
      select 'redemption.recorded', jsonb_set(docs.events -> ids.i, '{redemptionId}', to_jsonb(ids.redemption_id::text))
        from ids cross join docs
      returning 1
    ),
    voucher_accrual as (
      insert into voucher_entry (customer_id, sale_id, kind, reference, day, spend_cents, rate_bp, units)
      select ids.customer_id, ids.sale_id, 'accrual', 'sale', ids.day, u.spend, u.rate, u.units
        from unnest(${intArray(vouchers.map((x) => x.i))}::int[], ${intArray(vouchers.map((x) => x.v.spendCents))}::bigint[],
                    ${intArray(vouchers.map((x) => x.v.rateBp))}::int[], ${intArray(vouchers.map((x) => x.v.units))}::bigint[]) as u(i, spend, rate, units)
        join ids on ids.i = u.i
      returning 1
    ),
    regen_request as (
      insert into list_regen_request (customer_id)
      select ids.customer_id from ids order by ids.customer_id
      on conflict (customer_id) do nothing
      returning 1
    ),
    new_rain_checks as (
      insert into rain_check (customer_id, offer_id, redemption_id, value_cents, description, expires_on)
      select ids.customer_id, u.offer_id, ids.redemption_id, u.value, u.description, ids.rain_check_expires
        from unnest(${intArray(newRainChecks.map((x) => x.i))}::int[], ${intArray(newRainChecks.map((x) => x.r.offerId))}::bigint[],
                    ${intArray(newRainChecks.map((x) => x.r.valueCents))}::bigint[], ${textArray(newRainChecks.map((x) => x.r.description))}::text[]
        ) as u(i, offer_id, value, description)
        join ids on ids.i = u.i
      returning 1
    ),
    used_rain_checks as (
      update rain_check r set redeemed_by = ids.redemption_id
        from unnest(${intArray(usedRainChecks.map((x) => x.i))}::int[], ${intArray(usedRainChecks.map((x) => x.id))}::bigint[]) as u(i, id)
        join ids on ids.i = u.i
       where r.id = u.id and r.customer_id = ids.customer_id
         and r.redeemed_by is null and r.cancelled_at is null
      returning 1
    )
    select
      -- The ids only: the service holds each response already (withRedemptionId), and sending
      -- them back would cost the writer their jsonb output and the service their parsing.
      (select json_agg(json_build_array(red.store_id, red.pos_transaction_id, red.id)) from red) as written,
      lanelist_assert((select count(*) from red) = ${ws.length}, 'batch_key') as keys_ok,
      (select count(*) from sale_row) + (select count(*) from line_rows) + (select count(*) from discount_rows)
        + (select count(*) from new_rain_checks) + (select count(*) from voucher_accrual) as written_rows,
      lanelist_assert((select count(*) from usage_rows) = ${usage.length}, 'usage') as usage_ok,
      lanelist_assert((select count(*) from used_rain_checks) = ${usedRainChecks.length}, 'rain_check') as rain_checks_ok,
      (select count(*) from regen_request) + (select count(*) from event_row) as queued,
      lanelist_assert((select count(*) from free_offers) = ${freeIds.length}, 'offer_budget_added') as free_offers_ok,
      lanelist_assert((select count(*) from budget_rows) = ${budgetIds.length}, 'budget') as budget_ok
  `)
  const byKey = new Map<string, number>()
  for (const [storeId, pos, id] of result.rows[0]?.written ?? []) byKey.set(`${storeId}\u0000${pos}`, id)
  return ws.map((w) => {
    const id = byKey.get(`${w.storeId}\u0000${w.posTransactionId}`)
    if (id === undefined) throw new Error(`batch write returned no redemption for ${w.storeId}/${w.posTransactionId}`)
    return { redemptionId: id, response: withRedemptionId(w.response, id) }
  })
}
