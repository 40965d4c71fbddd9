// SQL of the outbox: the writes other modules make inside their own transactions, and the
// dispatcher's fan-out and retention.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

type Db = Kysely<DB> | Transaction<DB>

export async function insertEvents(db: Db, events: { type: string; payload: Record<string, unknown> }[]): Promise<void> {
  if (events.length === 0) return
  await db
    .insertInto('event_outbox')
    .values(events.map((e) => ({ type: e.type, payload: JSON.stringify(e.payload) })))
    .execute()
}

/** Reads the redemption's store and customer so the caller only names the redemption. */
export async function insertRedemptionEvent(db: Db, type: string, redemptionId: number, facts: Record<string, unknown>): Promise<void> {
  await sql`
    insert into event_outbox (type, payload)
    select ${type}, jsonb_build_object(
      'redemptionId', r.id::text, 'storeId', r.store_id, 'customerId', r.customer_id::text,
      'posTransactionId', r.pos_transaction_id) || ${JSON.stringify(facts)}::jsonb
    from redemption r where r.id = ${redemptionId}`.execute(db)
}

/**
 * Fans a batch of undispatched events out to the endpoints subscribed to their type, in one
 * statement: SKIP LOCKED lets several instances fan out side by side without taking the same
 * events, and the unique (event, endpoint) pair makes a repeat harmless. Returns how many
 * events it dispatched.
 */
export async function fanOutPending(db: Db, limit: number): Promise<number> {
  const { rows } = await sql<{ n: number }>`
    with batch as (
      select id, type from event_outbox
      where dispatched_at is null
      order by created_at
      limit ${limit}
      for update skip locked
    ), deliveries as (
      insert into webhook_delivery (event_id, endpoint_id)
      select b.id, e.id from batch b join webhook_endpoint e on e.enabled and b.type = any(e.event_types)
      on conflict (event_id, endpoint_id) do nothing
    ), marked as (
      update event_outbox o set dispatched_at = now() from batch b where o.id = b.id
    )
    select count(*)::int as n from batch`.execute(db)
  return rows[0]?.n ?? 0
}

/**
 * Retention: events dispatched before `before` whose deliveries all succeeded (or that had
 * none) go; an event with a pending or dead delivery stays until it is delivered or its
 * endpoint is deleted. Bounded batches keep each delete short.
 */
export async function deleteDeliveredEvents(db: Db, before: Date, limit: number): Promise<number> {
  const res = await sql`
    delete from event_outbox o
    where o.id in (
      select e.id from event_outbox e
      where e.dispatched_at < ${before}
        and not exists (select 1 from webhook_delivery d where d.event_id = e.id and d.status <> 'succeeded')
      limit ${limit})`.execute(db)
  return Number(res.numAffectedRows ?? 0)
}
