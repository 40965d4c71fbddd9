// SQL for the fitted model (prediction_model) and for the raw histories the fit learns from.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { CustomerHistory, PredictionModel } from './model-fit.ts'
import type { PurchaseLine, TimeMode } from './prediction.types.ts'
import { categoryOrUndefined, NO_CATEGORY } from './prediction-stats.repository.ts'

type Db = Kysely<DB> | Transaction<DB>

export async function insertModel(
  db: Db,
  row: { asOf: string | null; timeMode: TimeMode; customers: number; model: PredictionModel },
): Promise<number> {
  const r = await db
    .insertInto('prediction_model')
    .values({ as_of: row.asOf, time_mode: row.timeMode, customers: row.customers, model: JSON.stringify(row.model) })
    .returning('id')
    .executeTakeFirstOrThrow()
  return r.id
}

/** When the newest model of that time mode was fitted; undefined if none was. */
export async function latestModelFittedAt(db: Db, timeMode: TimeMode): Promise<Date | undefined> {
  const r = await db.selectFrom('prediction_model').select('fitted_at').where('time_mode', '=', timeMode).orderBy('id', 'desc').limit(1).executeTakeFirst()
  return r ? new Date(r.fitted_at as unknown as string | Date) : undefined
}

/** Deletes all but the newest `keep` models of that time mode (every fit stores one). */
export async function pruneModels(db: Db, timeMode: TimeMode, keep: number): Promise<number> {
  const r = await sql<{ n: number }>`
    with gone as (
      delete from prediction_model where time_mode = ${timeMode}
        and id < (select min(id) from (select id from prediction_model where time_mode = ${timeMode} order by id desc limit ${keep}) k)
      returning 1)
    select count(*)::int as n from gone`.execute(db)
  return r.rows[0]?.n ?? 0
}

export async function latestModelId(db: Db, timeMode: TimeMode): Promise<number | undefined> {
  const r = await db
    .selectFrom('prediction_model')
    .select('id')
    .where('time_mode', '=', timeMode)
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return r?.id
}

export async function loadModel(db: Db, id: number): Promise<PredictionModel> {
  const r = await db.selectFrom('prediction_model').select('model').where('id', '=', id).executeTakeFirstOrThrow()
  return r.model as unknown as PredictionModel
}

/** Categories of every product that has one worth using (the population's category fallback). */
export async function productCategories(db: Db): Promise<Map<string, string>> {
  const rows = await db.selectFrom('product').select(['id', 'category']).where('category', '<>', NO_CATEGORY).execute()
  const out = new Map<string, string>()
  for (const r of rows) {
    const c = categoryOrUndefined(r.category)
    if (c !== undefined) out.set(String(r.id), c)
  }
  return out
}

/** Recorded sales of the given customers, net of returns, one transaction per sale in day order. */
export async function historiesOf(db: Db, customerIds: readonly number[], through?: string): Promise<CustomerHistory[]> {
  if (customerIds.length === 0) return []
  const upTo = through === undefined ? sql`` : sql`and s.day <= ${through}::date`
  const { rows } = await sql<{ c: number; s: number; d: number; p: number; q: number; category: string }>`
    select s.customer_id as c, s.id as s, (s.day - date '1970-01-01') as d, l.product_id as p,
           (l.quantity - l.returned_quantity) as q, pr.category
    from sale s
    join sale_line l on l.sale_id = s.id
    join product pr on pr.id = l.product_id
    where s.customer_id = any(${[...customerIds]}::bigint[]) and s.status = 'recorded'
      and l.quantity > l.returned_quantity ${upTo}
    order by s.customer_id, s.day, s.id`.execute(db)
  const out: CustomerHistory[] = []
  let current: { customerId: string; transactions: Array<{ day: number; lines: PurchaseLine[] }> } | undefined
  let lastSale = -1
  for (const r of rows) {
    if (current === undefined || current.customerId !== String(r.c)) {
      current = { customerId: String(r.c), transactions: [] }
      out.push(current)
      lastSale = -1
    }
    if (r.s !== lastSale) {
      current.transactions.push({ day: r.d, lines: [] })
      lastSale = r.s
    }
    const tx = current.transactions[current.transactions.length - 1]!
    tx.lines.push({ productId: String(r.p), quantity: r.q, category: categoryOrUndefined(r.category) })
  }
  return out
}

export async function productNames(db: Db, ids: readonly number[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map()
  const rows = await db.selectFrom('product').select(['id', 'name']).where('id', 'in', [...ids]).execute()
  return new Map(rows.map((r) => [String(r.id), r.name]))
}
