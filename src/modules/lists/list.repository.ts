import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

type Db = Kysely<DB> | Transaction<DB>

const listColumns = [
  'l.id',
  'l.customer_id',
  'l.barcode',
  'l.generation_id',
  'l.cycle_start',
  'l.valid_from',
  'l.valid_until',
  'l.status',
  'l.trigger',
  'l.holdout',
  'l.total_coupon_cents',
  'l.perks',
  'l.created_at',
] as const

export function findList(db: Db, listId: number) {
  return db.selectFrom('list as l').select(listColumns).where('l.id', '=', listId).executeTakeFirst()
}

export function findCurrentList(db: Db, customerId: number) {
  return db.selectFrom('list as l').select(listColumns).where('l.customer_id', '=', customerId).where('l.status', '=', 'current').executeTakeFirst()
}

export function findBarcode(db: Db, listId: number) {
  return db.selectFrom('list').select(['barcode']).where('id', '=', listId).executeTakeFirst()
}

/** A page of a generation run's lists in id order (keyset), for streaming exports. */
export function findGenerationLists(db: Db, generationId: number, afterId: number, limit: number) {
  return db
    .selectFrom('list as l')
    .select(listColumns)
    .where('l.generation_id', '=', generationId)
    .where('l.id', '>', afterId)
    .orderBy('l.id')
    .limit(limit)
    .execute()
}

export type ListRow = Awaited<ReturnType<typeof findGenerationLists>>[number]

export function findItems(db: Db, listIds: number[]) {
  return db
    .selectFrom('list_item as i')
    .leftJoin('product as p', 'p.id', 'i.product_id')
    .leftJoin('offer as o', 'o.id', 'i.offer_id')
    .select([
      'i.list_id',
      'i.rank',
      'i.category',
      'i.expected_date',
      'i.probability',
      'i.reason',
      'i.offer_value_cents',
      'p.id as product_id',
      'p.gtin',
      'p.name as product_name',
      'p.brand',
      'p.category as product_category',
      'p.size',
      'o.id as offer_id',
      'o.name as offer_name',
      'o.description as offer_description',
      'o.kind as offer_kind',
      'o.reward as offer_reward',
      'o.valid_until as offer_valid_until',
    ])
    .where('i.list_id', 'in', listIds)
    .orderBy('i.list_id')
    .orderBy('i.rank')
    .execute()
}

export type ItemRow = Awaited<ReturnType<typeof findItems>>[number]

export function findVouchersOfLists(db: Db, listIds: number[]) {
  return db
    .selectFrom('list_voucher as lv')
    .innerJoin('voucher as v', 'v.id', 'lv.voucher_id')
    .select(['lv.list_id', 'v.id', 'v.value_cents', 'v.period_start', 'v.period_end', 'v.expires_on'])
    .where('lv.list_id', 'in', listIds)
    .orderBy('v.period_end')
    .execute()
}

/**
 * The rain checks each list carries: its customer's, issued before the list was made, still open
 * then (neither redeemed nor cancelled) and good on its first day. Read with the list rather than
 * stored with it, so an old list reads as it was printed.
 */
export async function findRainChecksOfLists(db: Db, listIds: number[]) {
  const { rows } = await sql<{ list_id: number; id: number; offer_id: number; name: string; description: string; value_cents: number; expires_on: string | null }>`
    select l.id as list_id, r.id, r.offer_id, o.name, r.description, r.value_cents, r.expires_on
    from list l
    join rain_check r on r.customer_id = l.customer_id and r.created_at <= l.created_at
    join offer o on o.id = r.offer_id
    left join redemption rd on rd.id = r.redeemed_by
    where l.id = any(${listIds}::bigint[])
      and (r.cancelled_at is null or r.cancelled_at > l.created_at)
      and (rd.id is null or rd.created_at > l.created_at)
      and (r.expires_on is null or r.expires_on >= l.valid_from)
      and r.value_cents > 0
    order by l.id, r.expires_on nulls last, r.id
  `.execute(db)
  return rows
}

export function customerExists(db: Db, customerId: number) {
  return db.selectFrom('customer').select('id').where('id', '=', customerId).executeTakeFirst()
}

/**
 * First name and the store to print on each customer's list: their home store, else the store
 * of their latest sale, else none (the page then says "Your store").
 */
export async function findPrintFacts(db: Db, customerIds: number[]) {
  const { rows } = await sql<{ customer_id: number; first_name: string | null; store_name: string | null }>`
    select c.id as customer_id, c.first_name,
      coalesce(hs.name, (select st.name from sale s join store st on st.id = s.store_id
                         where s.customer_id = c.id and s.store_id is not null
                         order by s.day desc, s.id desc limit 1)) as store_name
    from customer c
    left join store hs on hs.id = c.home_store_id
    where c.id = any(${customerIds}::bigint[])
  `.execute(db)
  return new Map(rows.map((r) => [r.customer_id, r]))
}
