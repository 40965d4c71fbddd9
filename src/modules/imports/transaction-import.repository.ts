import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { STAGE_COLUMNS } from './transaction-rows.ts'

type Db = Kysely<DB> | Transaction<DB>

/**
 * Session temp tables, so the import needs one pinned connection (db.connection()). The
 * whole file is staged before anything is written: a transaction's rows may be anywhere in
 * the file, and staging lets each batch take every row of its customers at once.
 * Per-batch tables empty themselves at each commit (and vanish with a rollback).
 */
export async function createStaging(db: Db): Promise<void> {
  await dropStaging(db)
  await sql`
    create temp table import_tx_stage (
      line integer not null,
      bucket smallint not null,
      customer_ext text not null,
      transaction_ext text not null,
      day date,
      occurred_at timestamptz,
      store_id text,
      product_ext text,
      gtin char(14),
      product_key text,
      quantity integer,
      unit_price_cents integer,
      -- A rejected row's marker: only its transaction key is kept.
      bad boolean not null
    )`.execute(db)
  await sql`
    create temp table import_tx_held (customer_ext text, transaction_ext text, bad_line integer not null, primary key (customer_ext, transaction_ext))
  `.execute(db)
  await sql`
    create temp table import_tx_product (
      product_key text primary key,
      product_ext text,
      gtin char(14),
      first_line integer not null,
      product_id bigint,
      product_gtin char(14)
    )`.execute(db)
  await sql`create temp table import_tx_customer (external_id text primary key, id bigint not null) on commit delete rows`.execute(db)
  await sql`
    create temp table import_tx_new_sale (id bigint primary key, customer_id bigint not null, external_id text not null)
    on commit delete rows`.execute(db)
}

export async function dropStaging(db: Db): Promise<void> {
  await sql`drop table if exists import_tx_stage, import_tx_held, import_tx_product, import_tx_customer, import_tx_new_sale`.execute(db)
}

export const STAGE_COPY = `copy import_tx_stage (${STAGE_COLUMNS.join(', ')}) from stdin`

/** Temp tables are invisible to autovacuum: without statistics every batch query is planned blind. */
export async function indexStaging(db: Db): Promise<void> {
  await sql`create index on import_tx_stage (bucket)`.execute(db)
  await sql`
    insert into import_tx_held (customer_ext, transaction_ext, bad_line)
    select customer_ext, transaction_ext, min(line) from import_tx_stage where bad group by 1, 2`.execute(db)
  await sql`analyze import_tx_stage, import_tx_held`.execute(db)
}

/**
 * Good rows of the batch held back because their transaction has a rejected row: how many,
 * and the first `limit` of them with the line that held them.
 */
export async function heldRows(db: Db, from: number, to: number, limit: number): Promise<{ total: number; rows: { line: number; bad_line: number }[] }> {
  const { rows } = await sql<{ line: number; bad_line: number; total: number }>`
    select s.line, h.bad_line, count(*) over ()::int as total
    from import_tx_stage s
    join import_tx_held h on h.customer_ext = s.customer_ext and h.transaction_ext = s.transaction_ext
    where s.bucket between ${from} and ${to} and not s.bad
    order by s.line
    limit ${limit}`.execute(db)
  return { total: rows[0]?.total ?? 0, rows }
}

export async function listStoreIds(db: Db): Promise<string[]> {
  return (await db.selectFrom('store').select('id').execute()).map((r) => r.id)
}

/**
 * Creates the products the file names that do not exist yet, then maps every product key
 * of the file to a product id. A chain id is looked up first, then the row's GTIN; a new
 * product takes the row's GTIN when no product has it. Returns the number created.
 */
export async function resolveProducts(db: Db): Promise<number> {
  // One pass over the staged rows; everything after works on the (small) set of keys.
  await sql`
    insert into import_tx_product (product_key, product_ext, gtin, first_line)
    select product_key, min(product_ext), min(gtin), min(line)
    from import_tx_stage where not bad group by product_key`.execute(db)
  await sql`analyze import_tx_product`.execute(db)
  const byChainId = await sql`
    insert into product (external_id, gtin, name, category, brand_type)
    select k.product_ext, k.gtin, 'Product ' || k.product_ext, 'Unknown', 'national'
    from (
      select distinct on (product_ext) product_ext, gtin
      from import_tx_product where product_ext is not null
      order by product_ext, first_line
    ) k
    where not exists (select 1 from product p where p.external_id = k.product_ext)
      and (k.gtin is null or not exists (select 1 from product p where p.gtin = k.gtin))
    order by k.product_ext
    on conflict do nothing`.execute(db)
  const byGtin = await sql`
    insert into product (gtin, name, category, brand_type)
    select k.gtin, 'Product ' || k.gtin, 'Unknown', 'national'
    from import_tx_product k
    where k.product_ext is null and not exists (select 1 from product p where p.gtin = k.gtin)
    order by k.gtin
    on conflict do nothing`.execute(db)
  await sql`
    update import_tx_product k set product_id = p.id, product_gtin = p.gtin
    from product p
    where p.id = coalesce(
      (select e.id from product e where e.external_id = k.product_ext),
      (select g.id from product g where g.gtin = k.gtin))`.execute(db)
  return Number(byChainId.numAffectedRows ?? 0) + Number(byGtin.numAffectedRows ?? 0)
}

/** Ids of the batch's customers that did not exist yet (they need a card). */
export async function insertBatchCustomers(db: Db, from: number, to: number): Promise<number[]> {
  const { rows } = await sql<{ id: number }>`
    insert into customer (external_id)
    select distinct customer_ext from import_tx_stage where bucket between ${from} and ${to} and not bad
    order by 1
    on conflict (external_id) do nothing
    returning id`.execute(db)
  return rows.map((r) => r.id)
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

export async function mapBatchCustomers(db: Db, from: number, to: number): Promise<void> {
  await sql`
    insert into import_tx_customer (external_id, id)
    select c.external_id, c.id from customer c
    where c.external_id in (select customer_ext from import_tx_stage where bucket between ${from} and ${to} and not bad)`.execute(db)
  await sql`analyze import_tx_customer`.execute(db)
}

/**
 * One sale per (customer, transaction id) not imported before and not held back; the unique index
 * sale_import_idem decides, so concurrent or repeated imports cannot double a sale. A sale
 * takes its day, time and store from its first row in the file; a bare day becomes noon UTC,
 * a bare time falls on the store's calendar day (UTC without a store).
 */
export async function insertBatchSales(db: Db, from: number, to: number): Promise<number> {
  const result = await sql`
    with k as (
      select distinct on (s.customer_ext, s.transaction_ext)
        s.customer_ext, s.transaction_ext, s.line, s.day, s.occurred_at, s.store_id,
        sum(s.quantity::bigint * s.unit_price_cents) over (partition by s.customer_ext, s.transaction_ext) as total
      from import_tx_stage s
      where s.bucket between ${from} and ${to} and not s.bad
        and not exists (select 1 from import_tx_held h where h.customer_ext = s.customer_ext and h.transaction_ext = s.transaction_ext)
      order by s.customer_ext, s.transaction_ext, s.line
    ), created as (
      insert into sale (customer_id, store_id, source, external_id, occurred_at, day, total_before_cents)
      select c.id, k.store_id, 'import', k.transaction_ext,
        coalesce(k.occurred_at, (k.day + time '12:00') at time zone 'UTC'),
        coalesce(k.day, (k.occurred_at at time zone coalesce(st.timezone, 'UTC'))::date),
        coalesce(k.total, 0)
      from k
      join import_tx_customer c on c.external_id = k.customer_ext
      left join store st on st.id = k.store_id
      -- One global order, so two imports racing over the same sales wait for each other
      -- on the unique index instead of deadlocking.
      order by c.id, k.transaction_ext
      on conflict (customer_id, external_id) where source = 'import' do nothing
      returning id, customer_id, external_id
    )
    insert into import_tx_new_sale (id, customer_id, external_id)
    select id, customer_id, external_id from created`.execute(db)
  await sql`analyze import_tx_new_sale`.execute(db)
  return Number(result.numAffectedRows ?? 0)
}

/** Lines for this batch's new sales only, numbered in file order; returns how many. */
export async function insertBatchLines(db: Db, from: number, to: number): Promise<number> {
  const result = await sql`
    insert into sale_line (sale_id, line_no, customer_id, product_id, gtin, quantity, unit_price_cents)
    select ns.id, row_number() over (partition by ns.id order by s.line), ns.customer_id,
      p.product_id, coalesce(s.gtin, p.product_gtin), s.quantity, s.unit_price_cents
    from import_tx_stage s
    join import_tx_customer c on c.external_id = s.customer_ext
    join import_tx_new_sale ns on ns.customer_id = c.id and ns.external_id = s.transaction_ext
    left join import_tx_product p on p.product_key = s.product_key
    where s.bucket between ${from} and ${to} and not s.bad
    order by ns.id, s.line`.execute(db)
  return Number(result.numAffectedRows ?? 0)
}

export async function listNewSales(db: Db): Promise<{ id: number; customer_id: number }[]> {
  const { rows } = await sql<{ id: number; customer_id: number }>`
    select id, customer_id from import_tx_new_sale order by id`.execute(db)
  return rows
}
