import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { ProductKey, ProductMap } from './transaction-batch.ts'

type Db = Kysely<DB> | Transaction<DB>

export async function listStoreIds(db: Db): Promise<string[]> {
  return (await db.selectFrom('store').select('id').execute()).map((r) => r.id)
}

/**
 * Of these chain ids, the ones of erased customers: their chain id is gone from customer and
 * erased_customer keeps its hash, so their history is not attached to anyone again.
 */
export async function erasedAmong(db: Db, externalIds: string[]): Promise<Set<string>> {
  const { rows } = await sql<{ e: string }>`
    select e from unnest(${externalIds}::text[]) e
    where exists (select 1 from erased_customer x where x.external_id_sha256 = sha256(convert_to(e, 'UTF8')))`.execute(db)
  return new Set(rows.map((r) => r.e))
}

/**
 * Creates the customers that do not exist yet (none of them erased: erasedAmong() first);
 * returns the ids of all of them by external id, and which ones are new (they need a card).
 * Sorted, so imports racing over the same new customers wait for each other instead of
 * deadlocking.
 */
export async function resolveCustomers(db: Db, externalIds: string[]): Promise<{ ids: Map<string, number>; created: number[] }> {
  const sorted = [...externalIds].sort()
  const inserted = await sql<{ id: number }>`
    insert into customer (external_id)
    select e from unnest(${sorted}::text[]) e
    on conflict (external_id) do nothing
    returning id`.execute(db)
  const { rows } = await sql<{ id: number; external_id: string }>`
    select id, external_id from customer where external_id = any(${sorted}::text[])`.execute(db)
  return { ids: new Map(rows.map((r) => [r.external_id, r.id])), created: inserted.rows.map((r) => r.id) }
}

/** Customer ids whose card went in; a number already taken is skipped, for the caller to redraw. */
export async function insertCards(db: Db, cards: { number: string; customerId: number }[]): Promise<Set<number>> {
  const { rows } = await sql<{ customer_id: number }>`
    insert into card (number, customer_id)
    select * from unnest(${cards.map((c) => c.number)}::text[], ${cards.map((c) => c.customerId)}::bigint[])
    on conflict (number) do nothing
    returning customer_id`.execute(db)
  return new Set(rows.map((r) => r.customer_id))
}

export interface NewSale {
  customerId: number
  transaction: string
  store: string | null
  day: string | null
  occurredAt: string | null
  total: number | string
}

/**
 * Inserts the sales not imported before and returns them; the unique index sale_import_idem
 * decides, so concurrent or repeated imports cannot double a sale (a racing import waits for
 * the other's batch to commit, then skips). Inserted in the order given, which must be one
 * global order (prepareBatch sorts by customer and transaction id) so that two imports racing
 * over the same sales wait instead of deadlocking. A bare day becomes noon UTC; a bare time
 * falls on the store's calendar day (UTC without a store).
 */
export async function insertSales(db: Db, sales: NewSale[]): Promise<{ id: number; customer_id: number; external_id: string }[]> {
  if (sales.length === 0) return []
  const { rows } = await sql<{ id: number; customer_id: number; external_id: string }>`
    insert into sale (customer_id, store_id, source, external_id, occurred_at, day, total_before_cents)
    select k.customer_id, k.store_id, 'import', k.external_id,
      coalesce(k.occurred_at, (k.day + time '12:00') at time zone 'UTC'),
      coalesce(k.day, (k.occurred_at at time zone coalesce(st.timezone, 'UTC'))::date),
      k.total
    from unnest(
      ${sales.map((s) => s.customerId)}::bigint[], ${sales.map((s) => s.store)}::text[],
      ${sales.map((s) => s.transaction)}::text[], ${sales.map((s) => s.occurredAt)}::timestamptz[],
      ${sales.map((s) => s.day)}::date[], ${sales.map((s) => s.total)}::bigint[]
    ) with ordinality as k(customer_id, store_id, external_id, occurred_at, day, total, n)
    left join store st on st.id = k.store_id
    order by k.n
    on conflict (customer_id, external_id) where source = 'import' do nothing
    returning id, customer_id, external_id`.execute(db)
  return rows
}

/**
 * Summarises the block ranges of sale_line that have none yet in the customer_id BRIN (0016),
 * which serves the whole-population reads in customer chunks: until a range is summarised every
 * such read takes it whole. Autosummarize is off (0024: its 256-request queue overflowed on every
 * large import), so an import does it after each batch and vacuum does it for the lanes' ranges.
 *
 * Best effort: summarising takes a lock that one process holds at a time. A concurrent import
 * holds it briefly, and an autovacuum is cancelled for us after deadlock_timeout; one that is
 * not (anti-wraparound) summarises every range itself, so after SUMMARY_LOCK_WAIT the import
 * goes on without. Returns whether it summarised.
 */
export async function summarizeNewLines(db: Kysely<DB>): Promise<boolean> {
  try {
    await db.transaction().execute(async (trx) => {
      await sql`select set_config('lock_timeout', ${SUMMARY_LOCK_WAIT}, true)`.execute(trx)
      // A summary is derived and cheap to redo: never wait for the disk for it (the import's
      // final durable commit covers it anyway).
      await sql`set local synchronous_commit = off`.execute(trx)
      await sql`select brin_summarize_new_values('sale_line_customer_brin'::regclass)`.execute(trx)
    })
    return true
  } catch (err) {
    if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE) return false
    throw err
  }
}

const SUMMARY_LOCK_WAIT = '2s'
const LOCK_NOT_AVAILABLE = '55P03'

/** A sale's idempotency key as a map key. */
export function saleKey(customerId: number | string, externalId: string): string {
  return `${customerId}\t${externalId}`
}

/** Of these sales, the ones imported before (by customer and transaction id), as saleKey()s. */
export async function existingImportSales(db: Db, sales: { customerId: number; transaction: string }[]): Promise<Set<string>> {
  if (sales.length === 0) return new Set()
  const { rows } = await sql<{ customer_id: number; external_id: string }>`
    select k.customer_id, k.external_id
    from unnest(${sales.map((s) => s.customerId)}::bigint[], ${sales.map((s) => s.transaction)}::text[]) as k(customer_id, external_id)
    where exists (
      select 1 from sale s where s.customer_id = k.customer_id and s.external_id = k.external_id and s.source = 'import'
    )`.execute(db)
  return new Set(rows.map((r) => saleKey(r.customer_id, r.external_id)))
}

/** `count` new sale ids, ascending, so a batch's sales and lines go in in id order. */
export async function drawSaleIds(db: Db, count: number): Promise<number[]> {
  // One row of text, not a row per id: the driver's per-row cost was most of the time. The
  // sequence is looked up once (a subquery, run once as an init plan): written inside nextval(),
  // its name was looked up and cast to regclass for every id, 85% of the draw's time.
  const { rows } = await sql<{ ids: string }>`
    select string_agg(id::text, ',' order by id) as ids
    from (
      select nextval((select pg_get_serial_sequence('sale', 'id')::regclass)) as id
      from generate_series(1, ${count}::int)
    ) s`.execute(db)
  return rows[0]!.ids.split(',').map(Number)
}

/** Columns in the order saleCopyText() writes them (transaction-import.service.ts). */
export const SALE_COPY = 'copy sale (id, customer_id, store_id, source, external_id, occurred_at, day, total_before_cents) from stdin'

/** Columns in the order lineCopyText() writes them. */
export const SALE_LINE_COPY = 'copy sale_line (sale_id, line_no, customer_id, product_id, gtin, quantity, unit_price_cents) from stdin'

/**
 * Creates the products the keys name that do not exist yet, and finds every key's product. A
 * chain id is looked up first, then the row's GTIN; a new product takes the GTIN of the first
 * row naming it (in the batch that creates it) when no product has that GTIN. Returns the
 * products found by key (a key without one is missing) and the number created.
 */
export async function resolveProducts(db: Db, keys: ProductKey[]): Promise<{ products: ProductMap; created: number }> {
  if (keys.length === 0) return { products: new Map(), created: 0 }
  // GTINs as char(14), the column's type: compared as text, the unique index could not be used.
  const k = sql`unnest(
    ${keys.map((p) => p.externalId)}::text[], ${keys.map((p) => p.gtin)}::char(14)[], ${keys.map((p) => p.firstLine)}::int[]
  ) as k(product_ext, gtin, first_line)`
  const byChainId = await sql`
    insert into product (external_id, gtin, name, category, brand_type)
    select d.product_ext, d.gtin, 'Product ' || d.product_ext, 'Unknown', 'national'
    from (
      select distinct on (product_ext) product_ext, gtin
      from ${k} where product_ext is not null
      order by product_ext, first_line
    ) d
    where not exists (select 1 from product p where p.external_id = d.product_ext)
      and (d.gtin is null or not exists (select 1 from product p where p.gtin = d.gtin))
    order by d.product_ext
    on conflict do nothing`.execute(db)
  const byGtin = await sql`
    insert into product (gtin, name, category, brand_type)
    select distinct k.gtin, 'Product ' || k.gtin, 'Unknown', 'national'
    from ${k}
    where k.product_ext is null and not exists (select 1 from product p where p.gtin = k.gtin)
    order by k.gtin
    on conflict do nothing`.execute(db)
  const externalIds = keys.flatMap((p) => (p.externalId === null ? [] : [p.externalId]))
  const gtins = keys.flatMap((p) => (p.gtin === null ? [] : [p.gtin]))
  const { rows } = await sql<{ id: number; external_id: string | null; gtin: string | null }>`
    select id, external_id, gtin from product
    where external_id = any(${externalIds}::text[]) or gtin = any(${gtins}::char(14)[])`.execute(db)
  const byExternalId = new Map<string, { id: number; gtin: string | null }>()
  const byGtinFound = new Map<string, { id: number; gtin: string | null }>()
  for (const r of rows) {
    if (r.external_id !== null) byExternalId.set(r.external_id, { id: r.id, gtin: r.gtin })
    if (r.gtin !== null) byGtinFound.set(r.gtin, { id: r.id, gtin: r.gtin })
  }
  const products: ProductMap = new Map()
  for (const p of keys) {
    const found = (p.externalId !== null ? byExternalId.get(p.externalId) : undefined) ?? (p.gtin !== null ? byGtinFound.get(p.gtin) : undefined)
    if (found) products.set(p.key, found)
  }
  return { products, created: Number(byChainId.numAffectedRows ?? 0) + Number(byGtin.numAffectedRows ?? 0) }
}
