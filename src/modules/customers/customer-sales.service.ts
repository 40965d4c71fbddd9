import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { notFound } from '../../lib/errors.ts'
import * as repo from './customer-sales.repository.ts'

export interface SaleLineView {
  lineNo: number
  gtin: string | null
  name: string | null
  category: string | null
  quantity: number
  unitPriceCents: number | null
  discountCents: number
  returnedQuantity: number
}

export interface SaleView {
  id: string
  day: string
  occurredAt: string
  store: { id: string; name: string | null } | null
  laneId: string | null
  source: 'lane' | 'offline' | 'import'
  status: 'recorded' | 'voided'
  totalBeforeCents: number
  totalDiscountCents: number
  lines: SaleLineView[]
}

/** The customer's latest sales, newest first, each with every line (imports carry no totals). */
export async function getRecentSales(db: Kysely<DB>, customerId: number, limit: number): Promise<{ items: SaleView[] }> {
  const sales = await repo.findRecentSales(db, customerId, limit)
  if (sales.length === 0 && !(await repo.customerExists(db, customerId))) throw notFound('customer', customerId)
  const lines = await repo.findSaleLines(db, sales.map((s) => s.id))
  const bySale = new Map<number, SaleLineView[]>()
  for (const l of lines) {
    const list = bySale.get(l.sale_id) ?? []
    list.push({
      lineNo: l.line_no,
      gtin: l.gtin,
      name: l.name,
      category: l.category,
      quantity: l.quantity,
      unitPriceCents: l.unit_price_cents,
      discountCents: Number(l.discount_cents),
      returnedQuantity: l.returned_quantity,
    })
    bySale.set(l.sale_id, list)
  }
  return {
    items: sales.map((s) => {
      const saleLines = bySale.get(s.id) ?? []
      // Imported history has no stored totals; the desk still wants to see what the basket cost.
      const linesTotal = saleLines.reduce((sum, l) => sum + (l.unitPriceCents ?? 0) * l.quantity, 0)
      const before = Number(s.total_before_cents)
      return {
        id: String(s.id),
        day: s.day,
        occurredAt: s.occurred_at.toISOString(),
        store: s.store_id ? { id: s.store_id, name: s.store_name } : null,
        laneId: s.lane_id,
        source: s.source,
        status: s.status,
        totalBeforeCents: before > 0 ? before : linesTotal,
        totalDiscountCents: Number(s.total_discount_cents),
        lines: saleLines,
      }
    }),
  }
}
