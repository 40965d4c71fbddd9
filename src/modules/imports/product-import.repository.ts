import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { PRODUCT_STAGE_COLUMNS } from './product-rows.ts'

type Db = Kysely<DB> | Transaction<DB>

/**
 * The batch's staging table, created inside the batch's transaction and gone at its end: no
 * session state outlives a transaction, so imports also work through a transaction pooler.
 */
export async function createProductStaging(db: Db): Promise<void> {
  await sql`
    create temp table import_product_stage (
      line integer not null,
      gtin char(14),
      external_id text,
      name text,
      category text not null,
      brand text,
      brand_type text,
      regular_price_cents integer,
      manufacturer text,
      size text,
      target bigint
    ) on commit drop`.execute(db)
}

/**
 * One product batch at a time across the whole database. Matching reads the catalog statement
 * by statement: a concurrent import committing the same new product between two of them left a
 * staged row with neither GTIN nor chain id (a 500). Catalog imports are rare and short, so
 * waiting is cheap; transaction-scoped, so it also holds through a transaction pooler.
 */
export async function lockProductBatches(db: Db): Promise<void> {
  await sql`select pg_advisory_xact_lock(hashtext('lanelist.import.products'))`.execute(db)
}

export const PRODUCT_STAGE_COPY = `copy import_product_stage (${PRODUCT_STAGE_COLUMNS.join(', ')}) from stdin`

/**
 * Decides which stored product each staged row updates (target) or whether it is new, and
 * settles rows of the batch that name the same product: the later row wins, as if the rows
 * had been applied one by one. Returns the number of rows superseded that way.
 *
 * Matching: by GTIN; else by the chain's id when the row or the product has no GTIN. A new
 * GTIN whose chain id belongs to a product with another GTIN becomes a product of its own,
 * and the id stays where it was.
 */
export async function matchStagedProducts(db: Db): Promise<number> {
  const sameGtin = await sql`
    delete from import_product_stage s using import_product_stage later
    where later.gtin = s.gtin and later.line > s.line`.execute(db)
  await sql`
    update import_product_stage s set external_id = null
    where s.external_id is not null and exists (
      select 1 from import_product_stage later where later.external_id = s.external_id and later.line > s.line)`.execute(db)
  const keyless = await sql`delete from import_product_stage where gtin is null and external_id is null`.execute(db)

  await sql`update import_product_stage s set target = p.id from product p where p.gtin = s.gtin`.execute(db)
  await sql`
    update import_product_stage s set target = p.id from product p
    where s.target is null and p.external_id = s.external_id and (s.gtin is null or p.gtin is null)`.execute(db)
  const sameTarget = await sql`
    delete from import_product_stage s using import_product_stage later
    where later.target = s.target and later.line > s.line`.execute(db)
  await sql`
    update import_product_stage s set external_id = null
    where s.target is null and s.external_id is not null
      and exists (select 1 from product p where p.external_id = s.external_id)`.execute(db)

  return [sameGtin, keyless, sameTarget].reduce((n, r) => n + Number(r.numAffectedRows ?? 0), 0)
}

/**
 * Applies the rows that change something; a row equal to the stored product is left alone
 * (no write, no updated_at bump) and counts as a duplicate. An empty cell keeps the stored
 * value; a missing GTIN or chain id is filled in when the row brings one nobody else holds.
 */
export async function updateMatchedProducts(db: Db): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`
    with incoming as (
      select s.target,
        coalesce(s.name, p.name) as name,
        s.category,
        coalesce(s.brand, p.brand) as brand,
        coalesce(s.brand_type, p.brand_type) as brand_type,
        coalesce(s.regular_price_cents, p.regular_price_cents) as regular_price_cents,
        coalesce(s.manufacturer, p.manufacturer) as manufacturer,
        coalesce(s.size, p.size) as size,
        coalesce(p.gtin, s.gtin) as gtin,
        coalesce(p.external_id, case
          when not exists (select 1 from product o where o.external_id = s.external_id) then s.external_id
        end) as external_id
      from import_product_stage s join product p on p.id = s.target
      where (coalesce(s.name, p.name), s.category, coalesce(s.brand, p.brand), coalesce(s.brand_type, p.brand_type),
             coalesce(s.regular_price_cents, p.regular_price_cents), coalesce(s.manufacturer, p.manufacturer),
             coalesce(s.size, p.size), coalesce(p.gtin, s.gtin))
         is distinct from
            (p.name, p.category, p.brand, p.brand_type, p.regular_price_cents, p.manufacturer, p.size, p.gtin)
         or (p.external_id is null and s.external_id is not null
             and not exists (select 1 from product o where o.external_id = s.external_id))
    )
    update product p set
      name = i.name, category = i.category, brand = i.brand, brand_type = i.brand_type,
      regular_price_cents = i.regular_price_cents, manufacturer = i.manufacturer, size = i.size,
      gtin = i.gtin, external_id = i.external_id, updated_at = now()
    from incoming i
    where p.id = i.target
    returning p.id`.execute(db)
  return rows.map((r) => r.id)
}

export async function insertNewProducts(db: Db): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`
    insert into product (gtin, external_id, name, category, brand, brand_type, regular_price_cents, manufacturer, size)
    select gtin, external_id, coalesce(name, 'Product ' || coalesce(external_id, gtin)), category, brand,
      coalesce(brand_type, 'national'), regular_price_cents, manufacturer, size
    from import_product_stage
    where target is null
    order by line
    on conflict do nothing
    returning id`.execute(db)
  return rows.map((r) => r.id)
}
