// A customer's latest sales with their lines, for the service desk. Uses sale (customer_id, day)
// and sale_line's sale_id BRIN (migration 0016); never more than one page of one customer.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'

export function findRecentSales(db: Kysely<DB>, customerId: number, limit: number) {
  return db
    .selectFrom('sale')
    .leftJoin('store', 'store.id', 'sale.store_id')
    .select([
      'sale.id',
      'sale.day',
      'sale.occurred_at',
      'sale.store_id',
      'store.name as store_name',
      'sale.lane_id',
      'sale.source',
      'sale.status',
      'sale.total_before_cents',
      'sale.total_discount_cents',
    ])
    .where('sale.customer_id', '=', customerId)
    .orderBy('sale.day', 'desc')
    .orderBy('sale.occurred_at', 'desc')
    .orderBy('sale.id', 'desc')
    .limit(limit)
    .execute()
}

export function findSaleLines(db: Kysely<DB>, saleIds: number[]) {
  if (saleIds.length === 0) return Promise.resolve([])
  return db
    .selectFrom('sale_line')
    .leftJoin('product', 'product.id', 'sale_line.product_id')
    .select([
      'sale_line.sale_id',
      'sale_line.line_no',
      'sale_line.gtin',
      'product.name',
      'product.category',
      'sale_line.quantity',
      'sale_line.unit_price_cents',
      'sale_line.discount_cents',
      'sale_line.returned_quantity',
    ])
    .where('sale_line.sale_id', 'in', saleIds)
    .orderBy('sale_line.sale_id')
    .orderBy('sale_line.line_no')
    .execute()
}

export async function customerExists(db: Kysely<DB>, customerId: number): Promise<boolean> {
  const row = await db.selectFrom('customer').select(sql<number>`1`.as('one')).where('id', '=', customerId).executeTakeFirst()
  return row !== undefined
}
