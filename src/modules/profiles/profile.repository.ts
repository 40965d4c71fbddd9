import type { Kysely, Transaction } from 'kysely'
import { sql } from 'kysely'
import type { DB } from '../../db/schema.ts'

type Db = Kysely<DB> | Transaction<DB>

export function findLiveCustomer(db: Db, customerId: number) {
  return db.selectFrom('customer').select(['id', 'first_name']).where('id', '=', customerId).where('erased_at', 'is', null).executeTakeFirst()
}

export function findCurrentListFacts(db: Db, customerId: number) {
  return db
    .selectFrom('list')
    .select(['id', 'holdout', 'cycle_start', 'valid_until'])
    .where('customer_id', '=', customerId)
    .where('status', '=', 'current')
    .executeTakeFirst()
}

export function findDecisions(db: Db, listId: number) {
  return db
    .selectFrom('list_offer_decision as d')
    .innerJoin('offer as o', 'o.id', 'd.offer_id')
    .select(['d.offer_id', 'o.name', 'o.kind', 'd.given', 'd.reason'])
    .where('d.list_id', '=', listId)
    .orderBy('d.given', 'desc')
    .orderBy('d.offer_id')
    .execute()
}

/** Last day each product was bought by the customer (recorded sales). */
export async function lastPurchaseDays(db: Db, customerId: number, productIds: number[]): Promise<Map<number, string>> {
  if (!productIds.length) return new Map()
  const rows = await db
    .selectFrom('sale_line as l')
    .innerJoin('sale as s', 's.id', 'l.sale_id')
    .innerJoin('product as p', 'p.id', 'l.product_id')
    .select(['l.product_id', sql<string>`max(s.day)::text`.as('day')])
    .where('s.customer_id', '=', customerId)
    .where('s.status', '=', 'recorded')
    .where('l.product_id', 'in', productIds)
    .groupBy('l.product_id')
    .execute()
  return new Map(rows.flatMap((r) => (r.product_id === null ? [] : [[r.product_id, r.day] as const])))
}

export async function productNames(db: Db, ids: number[]): Promise<Map<number, { name: string; category: string }>> {
  if (!ids.length) return new Map()
  const rows = await db.selectFrom('product').select(['id', 'name', 'category']).where('id', 'in', ids).execute()
  return new Map(rows.map((r) => [r.id, { name: r.name, category: r.category }]))
}
