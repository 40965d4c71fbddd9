import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { ClawbackShare } from './pricing.ts'
import type { StoredPricing } from './redemption-pricing.ts'

type Db = Kysely<DB> | Transaction<DB>

/** Who the redemption belongs to, read before the customer lock is taken. */
export function findRedemptionOwner(db: Db, id: number) {
  return db.selectFrom('redemption').select(['customer_id', 'store_id']).where('id', '=', id).executeTakeFirst()
}

/** Serialises voids and returns with the customer's redemptions (same lock, same order). */
export async function lockCustomer(trx: Transaction<DB>, customerId: number): Promise<void> {
  await trx.selectFrom('customer').select('id').where('id', '=', customerId).forUpdate().execute()
}

export interface ReversalRow {
  id: number
  sale_id: number
  offline: boolean
  status: 'recorded' | 'voided'
  voided_at: Date | null
  pricing: StoredPricing | null
  total_before_cents: number
  total_discount_cents: number
  /** Every return's shares, oldest first. */
  returned: ClawbackShare[][]
}

/** The redemption with what its returns took back; read under the customer lock. */
export async function getRedemptionForReversal(trx: Transaction<DB>, id: number): Promise<ReversalRow> {
  const r = await sql<ReversalRow>`
    select r.id, r.sale_id, r.offline, r.status, r.voided_at, r.pricing, s.total_before_cents, s.total_discount_cents,
           coalesce((select json_agg(x.shares order by x.created_at) from redemption_return x where x.redemption_id = r.id), '[]') as returned
      from redemption r join sale s on s.id = r.sale_id
     where r.id = ${id}`.execute(trx)
  const row = r.rows[0]
  if (!row) throw new Error(`redemption ${id} vanished under its customer's lock`)
  return row
}

export function listSaleLines(trx: Transaction<DB>, saleId: number) {
  return trx
    .selectFrom('sale_line')
    .select(['line_no', 'gtin', 'quantity', 'unit_price_cents', 'returned_quantity'])
    .where('sale_id', '=', saleId)
    .orderBy('line_no')
    .execute()
}

export async function addReturnedQuantities(trx: Transaction<DB>, saleId: number, rows: { lineNo: number; quantity: number }[]): Promise<void> {
  if (rows.length === 0) return
  await sql`
    update sale_line l set returned_quantity = l.returned_quantity + u.quantity
      from unnest(${rows.map((r) => r.lineNo)}::int[], ${rows.map((r) => r.quantity)}::int[]) as u(line_no, quantity)
     where l.sale_id = ${saleId} and l.line_no = u.line_no`.execute(trx)
}

/** Gives uses and cents back; never below zero. */
export async function releaseUsage(trx: Transaction<DB>, customerId: number, offerId: number, redemptions: number, cents: number): Promise<void> {
  await sql`
    update offer_usage
       set redemptions = greatest(0, redemptions - ${redemptions}::int),
           discount_cents = greatest(0, discount_cents - ${cents}::bigint)
     where customer_id = ${customerId} and offer_id = ${offerId}`.execute(trx)
}

/** A rain check whose discount was wholly taken back can be used again. */
export async function reopenRainChecks(trx: Transaction<DB>, redemptionId: number, rainCheckIds: number[]): Promise<void> {
  if (rainCheckIds.length === 0) return
  await trx
    .updateTable('rain_check')
    .set({ redeemed_by: null })
    .where('redeemed_by', '=', redemptionId)
    .where('id', 'in', rainCheckIds)
    .execute()
}

/** The rain checks an offline sale earned, locked, for a return to shrink (offer id order). */
export async function lockEarnedRainChecks(trx: Transaction<DB>, redemptionId: number) {
  const r = await sql<{ id: number; offer_id: number; value_cents: number; redeemed_by: number | null; cancelled_at: Date | null }>`
    select id, offer_id, value_cents, redeemed_by, cancelled_at from rain_check
     where redemption_id = ${redemptionId} order by offer_id, id for update`.execute(trx)
  return r.rows
}

/** A rain check worth less after a return; cancelled when nothing is left. */
export async function shrinkRainCheck(trx: Transaction<DB>, id: number, valueCents: number): Promise<void> {
  await sql`update rain_check set value_cents = ${valueCents}, cancelled_at = case when ${valueCents}::bigint = 0 then now() end
             where id = ${id}`.execute(trx)
}

/** Voiding an offline sale takes back the rain checks it earned, unless already redeemed. */
export function cancelOpenRainChecks(trx: Transaction<DB>, redemptionId: number) {
  return trx
    .updateTable('rain_check')
    .set({ cancelled_at: sql<Date>`now()` })
    .where('redemption_id', '=', redemptionId)
    .where('redeemed_by', 'is', null)
    .where('cancelled_at', 'is', null)
    .returning(['offer_id', 'value_cents'])
    .execute()
}

/** Marks the redemption and its sale voided (the sale leaves purchase history). */
export async function markVoided(trx: Transaction<DB>, redemptionId: number, saleId: number): Promise<Date> {
  await trx.updateTable('sale').set({ status: 'voided' }).where('id', '=', saleId).execute()
  const row = await trx
    .updateTable('redemption')
    .set({ status: 'voided', voided_at: sql<Date>`now()` })
    .where('id', '=', redemptionId)
    .returning('voided_at')
    .executeTakeFirstOrThrow()
  return row.voided_at ?? new Date()
}

export function findReturn(trx: Transaction<DB>, redemptionId: number, posReturnId: string) {
  return trx
    .selectFrom('redemption_return')
    .select(['request_hash', 'response'])
    .where('redemption_id', '=', redemptionId)
    .where('pos_return_id', '=', posReturnId)
    .executeTakeFirst()
}

export async function insertReturn(
  trx: Transaction<DB>,
  r: { redemptionId: number; posReturnId: string; requestHash: string; response: object; clawbackCents: number; shares: ClawbackShare[] },
): Promise<void> {
  await trx
    .insertInto('redemption_return')
    .values({
      redemption_id: r.redemptionId,
      pos_return_id: r.posReturnId,
      request_hash: r.requestHash,
      response: JSON.stringify(r.response),
      clawback_cents: r.clawbackCents,
      shares: JSON.stringify(r.shares),
    })
    .execute()
}
