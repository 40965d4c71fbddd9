import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { ProductInput, ProductPatch } from './product.schemas.ts'

type Db = Kysely<DB> | Transaction<DB>

export const productColumns = [
  'id',
  'gtin',
  'external_id',
  'name',
  'category',
  'brand',
  'brand_type',
  'manufacturer',
  'size',
  'regular_price_cents',
  'active',
  'created_at',
  'updated_at',
] as const

/**
 * One statement for the whole batch: unnest turns column arrays into rows, so 5,000 products
 * cost nine bind parameters and one round trip. Rows whose values are all unchanged are not
 * rewritten (no dead tuples, updated_at stays true) and are absent from the result.
 */
export async function upsertProducts(db: Db, items: ProductInput[]): Promise<{ inserted: boolean }[]> {
  const col = <T>(f: (p: ProductInput) => T) => items.map(f)
  return db
    .insertInto('product')
    .columns(['gtin', 'name', 'category', 'brand', 'brand_type', 'manufacturer', 'size', 'regular_price_cents', 'active'])
    .expression(
      sql`select * from unnest(
        ${col((p) => p.gtin)}::bpchar[], ${col((p) => p.name)}::text[], ${col((p) => p.category)}::text[],
        ${col((p) => p.brand)}::text[], ${col((p) => p.brandType)}::text[], ${col((p) => p.manufacturer)}::text[],
        ${col((p) => p.size)}::text[], ${col((p) => p.regularPriceCents)}::int[], ${col((p) => p.active)}::bool[])`,
    )
    .onConflict((oc) =>
      oc
        .column('gtin')
        .doUpdateSet((eb) => ({
          name: eb.ref('excluded.name'),
          category: eb.ref('excluded.category'),
          brand: eb.ref('excluded.brand'),
          brand_type: eb.ref('excluded.brand_type'),
          manufacturer: eb.ref('excluded.manufacturer'),
          size: eb.ref('excluded.size'),
          regular_price_cents: eb.ref('excluded.regular_price_cents'),
          active: eb.ref('excluded.active'),
          updated_at: sql<Date>`now()`,
        }))
        .where(
          sql<boolean>`(product.name, product.category, product.brand, product.brand_type, product.manufacturer,
            product.size, product.regular_price_cents, product.active)
            is distinct from (excluded.name, excluded.category, excluded.brand, excluded.brand_type, excluded.manufacturer,
            excluded.size, excluded.regular_price_cents, excluded.active)`,
        ),
    )
    .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
    .execute()
}

export function findProductByGtin(db: Db, gtin: string) {
  return db.selectFrom('product').select(productColumns).where('gtin', '=', gtin).executeTakeFirst()
}

export function findProductsByGtins(db: Db, gtins: string[]) {
  return db
    .selectFrom('product')
    .select(['id', 'gtin', 'name', 'category', 'brand', 'brand_type', 'manufacturer', 'regular_price_cents', 'active'])
    .where(sql<boolean>`gtin = any(${gtins}::bpchar[])`)
    .execute()
}

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`)

export function listProducts(
  db: Db,
  q: { category?: string | undefined; text?: string | undefined; active?: boolean | undefined; afterId?: number | undefined; limit: number },
) {
  let query = db.selectFrom('product').select(productColumns).orderBy('id').limit(q.limit)
  if (q.afterId !== undefined) query = query.where('id', '>', q.afterId)
  if (q.active !== undefined) query = query.where('active', '=', q.active)
  if (q.category !== undefined) {
    // A department matches itself and everything below it; the like prefix uses product_category_idx.
    const c = q.category
    query = query.where((eb) => eb.or([eb('category', '=', c), eb('category', 'like', `${likeEscape(c)}/%`)]))
  }
  if (q.text !== undefined) {
    const pattern = `%${likeEscape(q.text)}%`
    query = query.where((eb) => eb.or([eb('name', 'ilike', pattern), eb('brand', 'ilike', pattern)]))
  }
  return query.execute()
}

export function updateProduct(db: Db, gtin: string, patch: ProductPatch) {
  return db
    .updateTable('product')
    .set({
      name: patch.name,
      category: patch.category,
      brand: patch.brand,
      brand_type: patch.brandType,
      manufacturer: patch.manufacturer,
      size: patch.size,
      regular_price_cents: patch.regularPriceCents,
      active: patch.active,
      updated_at: sql<Date>`now()`,
    })
    .where('gtin', '=', gtin)
    .returning(productColumns)
    .executeTakeFirst()
}
