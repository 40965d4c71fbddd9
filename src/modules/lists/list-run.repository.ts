// SQL of list generation runs: the run row, its snapshot of customers in allocation order,
// and the counters each chunk advances in its own transaction.
import { sql, type Kysely, type Transaction } from 'kysely'
import { analyzeIfStale } from '../../db/planner-stats.ts'
import type { DB } from '../../db/schema.ts'

type Db = Kysely<DB> | Transaction<DB>

export function insertRun(trx: Db, r: { asOf: string; customerIds: number[] | null; force: boolean; requestedBy: string | null; settings: unknown }) {
  return trx
    .insertInto('list_generation')
    .values({ as_of: r.asOf, customer_ids: r.customerIds, force: r.force, requested_by: r.requestedBy, settings: JSON.stringify(r.settings ?? {}) })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export function findRun(db: Db, id: number) {
  return db.selectFrom('list_generation').selectAll().where('id', '=', id).executeTakeFirst()
}

export type RunRow = NonNullable<Awaited<ReturnType<typeof findRun>>>

export function lockRun(trx: Transaction<DB>, id: number) {
  return trx.selectFrom('list_generation').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

export async function markRunning(db: Db, id: number): Promise<void> {
  await db
    .updateTable('list_generation')
    .set({ status: 'running', started_at: sql`coalesce(started_at, now())`, error: null })
    .where('id', '=', id)
    .execute()
}

export async function markFinished(db: Db, id: number, status: 'succeeded' | 'failed', error: string | null = null): Promise<void> {
  await db.updateTable('list_generation').set({ status, error, finished_at: new Date() }).where('id', '=', id).execute()
}

/** The last attempt's error, kept while the queue retries. */
export async function recordError(db: Db, id: number, error: string): Promise<void> {
  await db.updateTable('list_generation').set({ error }).where('id', '=', id).execute()
}

/**
 * Snapshots a run for requested customers in allocation order: value tier, then value, highest
 * first; customers without a tier last. (A full run copies the refresh's order instead,
 * snapshotFromRefreshOrder: the same order.) Customers the refresh found eligible come before all others: a run writes lists only for them, so among the
 * customers who get a list the order is the value order all the same, and the customers below the
 * spend threshold (most card holders) form one tail that the chunks count in large steps instead
 * of being spread over the first few thousand seats (at 10,000 demo customers, 120 of the 851
 * lists were strewn over 20 chunks after the fifth: 0.35 s of a 3.8 s run). One statement, so no
 * customer list is held in memory whatever the population.
 */
export async function snapshotCustomers(trx: Transaction<DB>, id: number, customerIds: number[]): Promise<number> {
  await trx.deleteFrom('list_generation_customer').where('generation_id', '=', id).execute()
  const res = await sql`
    insert into list_generation_customer (generation_id, seq, customer_id)
    select ${id}, row_number() over (order by p.eligible is not true, p.value_tier asc nulls last, p.value_cents desc nulls last, c.id), c.id
    from customer c left join customer_profile p on p.customer_id = c.id
    where c.erased_at is null and c.id = any(${customerIds}::bigint[])`.execute(trx)
  const total = Number(res.numAffectedRows ?? 0n)
  await trx.updateTable('list_generation').set({ total, prepared_at: new Date(), next_seq: 1 }).where('id', '=', id).execute()
  return total
}

/**
 * A full run's snapshot: the population refresh's order (segments/staged-profiles.repository.ts
 * orderStagedProfiles: eligible customers first, then by value, as snapshotCustomers orders), read
 * on the refresh's session before its chunks. Leaves `prepared_at` unset: the run is prepared only
 * once the whole refresh is (markPrepared), and a restart before that redoes both.
 */
export async function snapshotFromRefreshOrder(trx: Transaction<DB>, id: number, order: { table: string }): Promise<void> {
  await trx.deleteFrom('list_generation_customer').where('generation_id', '=', id).execute()
  const res = await sql`
    insert into list_generation_customer (generation_id, seq, customer_id)
    select ${id}, seq, customer_id from pg_temp.${sql.table(order.table)}`.execute(trx)
  await trx.updateTable('list_generation').set({ total: Number(res.numAffectedRows ?? 0n), next_seq: 1 }).where('id', '=', id).execute()
}

export async function markPrepared(db: Db, id: number): Promise<void> {
  await db.updateTable('list_generation').set({ prepared_at: new Date() }).where('id', '=', id).execute()
}

export function findChunk(db: Db, id: number, fromSeq: number, size: number) {
  return db
    .selectFrom('list_generation_customer')
    .select(['seq', 'customer_id'])
    .where('generation_id', '=', id)
    .where('seq', '>=', fromSeq)
    .orderBy('seq')
    .limit(size)
    .execute()
}

export async function advanceRun(
  trx: Transaction<DB>,
  id: number,
  d: { nextSeq: number; done: number; listsCreated: number; notEligible: number; current: number },
): Promise<void> {
  await trx
    .updateTable('list_generation')
    .set((eb) => ({
      next_seq: d.nextSeq,
      done: eb('done', '+', d.done),
      lists_created: eb('lists_created', '+', d.listsCreated),
      skipped_not_eligible: eb('skipped_not_eligible', '+', d.notEligible),
      skipped_current: eb('skipped_current', '+', d.current),
    }))
    .where('id', '=', id)
    .execute()
}

/** Fresh planner statistics for the tables a run reads in full (see runGeneration), where stale. */
export function analyzeHistory(db: Kysely<DB>): Promise<string[]> {
  return analyzeIfStale(db, ['customer', 'product', 'sale', 'sale_line'])
}

/**
 * After a run's bulk writes (`profiles`: the refresh's, else the lists'): a first run grows them
 * from empty, and the run's chunks and the regenerations that follow at once (one after every
 * lane sale) would otherwise be planned on "empty table" statistics until autovacuum comes around.
 */
export function analyzeRunWrites(db: Kysely<DB>, what: 'profiles' | 'lists'): Promise<string[]> {
  // customer_profile's segment arrays (0029) are analysed by no one: statistics target 0 (0032).
  return analyzeIfStale(db, what === 'profiles' ? ['customer_profile'] : ['list', 'list_item', 'list_offer_decision'])
}
