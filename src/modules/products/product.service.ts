import type { Database } from '../../db/database.ts'
import { normaliseGtin } from '../../lib/codes.ts'
import { notFound } from '../../lib/errors.ts'
import { insertAudit } from '../audit/audit.repository.ts'
import { encodeProductCursor } from './product.cursor.ts'
import * as repo from './product.repository.ts'
import type { Product, ProductInput, ProductPatch, UpsertResult } from './product.schemas.ts'

/**
 * Upserts a validated batch (see productBatch: GTINs already 14 digits, no GTIN twice) in
 * one transaction: either every product is written or none is.
 */
export async function upsertProducts(db: Database, items: ProductInput[], actor: string): Promise<UpsertResult> {
  // The same order in every batch, so two overlapping batches lock rows in the same order and cannot deadlock.
  const sorted = [...items].sort((a, b) => (a.gtin < b.gtin ? -1 : a.gtin > b.gtin ? 1 : 0))
  return db.transaction().execute(async (trx) => {
    const written = await repo.upsertProducts(trx, sorted)
    const created = written.filter((r) => r.inserted).length
    const result = { created, updated: written.length - created, unchanged: items.length - written.length }
    await insertAudit(trx, { actor, action: 'product.upsert_batch', entity: 'product', detail: { count: items.length, ...result } })
    return result
  })
}

/** 14-digit GTIN: the route has already checked and normalised it. */
export async function getProduct(db: Database, gtin: string): Promise<Product> {
  const row = await repo.findProductByGtin(db, gtin)
  if (!row) throw notFound('product', gtin)
  return toProduct(row)
}

export async function listProducts(
  db: Database,
  q: { category?: string | undefined; q?: string | undefined; active?: boolean | undefined; cursor?: number | undefined; limit: number },
): Promise<{ items: Product[]; nextCursor: string | null }> {
  // One row more than asked tells whether another page exists without a count query.
  const rows = await repo.listProducts(db, { category: q.category, text: q.q, active: q.active, afterId: q.cursor, limit: q.limit + 1 })
  const page = rows.slice(0, q.limit)
  const last = page.at(-1)
  return { items: page.map(toProduct), nextCursor: rows.length > q.limit && last ? encodeProductCursor(last.id) : null }
}

export async function updateProduct(db: Database, gtin: string, patch: ProductPatch, actor: string): Promise<Product> {
  return db.transaction().execute(async (trx) => {
    const row = await repo.updateProduct(trx, gtin, patch)
    if (!row) throw notFound('product', gtin)
    const fields = Object.keys(patch).filter((k) => patch[k as keyof ProductPatch] !== undefined)
    await insertAudit(trx, { actor, action: 'product.update', entity: 'product', entityId: row.id, detail: { gtin, fields, active: row.active } })
    return toProduct(row)
  })
}

export interface CatalogProduct {
  id: number
  gtin: string
  name: string
  category: string
  brand: string | null
  brandType: 'national' | 'store'
  manufacturer: string | null
  regularPriceCents: number | null
  active: boolean
}

/**
 * For other modules (pricing at the lane, list generation): the products for these GTINs in
 * one query. Any GTIN form is accepted; the map is keyed by the 14-digit form, and codes that
 * are not valid GTINs or not in the catalog are simply absent. Inactive products are included
 * (with active=false) so history can still name them; callers decide whether to price them.
 */
export async function findProductsByGtins(
  db: Parameters<typeof repo.findProductsByGtins>[0],
  gtins: string[],
): Promise<Map<string, CatalogProduct>> {
  const wanted = new Set<string>()
  for (const raw of gtins) {
    const r = normaliseGtin(raw)
    if ('gtin' in r) wanted.add(r.gtin)
  }
  const found = new Map<string, CatalogProduct>()
  if (wanted.size === 0) return found
  for (const row of await repo.findProductsByGtins(db, [...wanted])) {
    if (row.gtin === null) continue
    found.set(row.gtin, {
      id: row.id,
      gtin: row.gtin,
      name: row.name,
      category: row.category,
      brand: row.brand,
      brandType: row.brand_type,
      manufacturer: row.manufacturer,
      regularPriceCents: row.regular_price_cents,
      active: row.active,
    })
  }
  return found
}

type ProductRow = NonNullable<Awaited<ReturnType<typeof repo.findProductByGtin>>>

function toProduct(row: ProductRow): Product {
  return {
    id: String(row.id),
    gtin: row.gtin,
    externalId: row.external_id,
    name: row.name,
    category: row.category,
    brand: row.brand,
    brandType: row.brand_type,
    manufacturer: row.manufacturer,
    size: row.size,
    regularPriceCents: row.regular_price_cents,
    active: row.active,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}
