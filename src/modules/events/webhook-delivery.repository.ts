// SQL of deliveries: claiming due ones (any instance, SKIP LOCKED), recording each attempt's
// outcome, and what the admin routes show and redeliver.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

type Db = Kysely<DB> | Transaction<DB>

export interface ClaimedDelivery {
  id: number
  attempts: number
  endpoint_id: number
  url: string
  secret: string
  event_id: string
  type: string
  payload: Record<string, unknown>
  event_created_at: Date
}

/**
 * Takes due deliveries and leases them: attempts is counted now and next_attempt_at moves to
 * the lease's end, so the row is not due for anyone else while this instance tries it, and
 * becomes due again by itself if this instance dies mid-attempt. Per endpoint at most
 * `perEndpoint` rows, and none for endpoints this instance already has busy, so one slow
 * receiver's backlog cannot take every slot.
 */
export async function claimDueDeliveries(
  db: Db,
  opts: { limit: number; perEndpoint: number; leaseMs: number; busyEndpoints: number[] },
): Promise<ClaimedDelivery[]> {
  if (opts.limit <= 0) return []
  const { rows } = await sql<ClaimedDelivery>`
    with picked as (
      select x.id
      from webhook_endpoint e
      cross join lateral (
        select w.id from webhook_delivery w
        where w.endpoint_id = e.id and w.status = 'pending' and w.next_attempt_at <= now()
        order by w.next_attempt_at
        limit ${opts.perEndpoint}
        for update of w skip locked
      ) x
      where e.enabled and not (e.id = any(${opts.busyEndpoints}::bigint[]))
      limit ${opts.limit}
    )
    update webhook_delivery d
       set attempts = d.attempts + 1, last_attempt_at = now(),
           next_attempt_at = now() + ${opts.leaseMs}::int * interval '1 millisecond'
      from picked p, webhook_endpoint e, event_outbox o
     where d.id = p.id and e.id = d.endpoint_id and o.id = d.event_id
    returning d.id, d.attempts, d.endpoint_id, e.url, e.secret, o.id as event_id, o.type, o.payload, o.created_at as event_created_at`.execute(db)
  return rows
}

interface Outcome {
  statusCode: number | null
  error: string | null
  durationMs: number
}

/**
 * The attempt's outcome, applied only if the lease is still ours (same attempt number, still
 * pending): after a redelivery request or a lease taken over, the newer attempt decides.
 */
export async function markSucceeded(db: Db, id: number, attempt: number, o: Outcome): Promise<void> {
  await db
    .updateTable('webhook_delivery')
    .set({ status: 'succeeded', delivered_at: new Date(), last_status_code: o.statusCode, last_error: null, last_duration_ms: o.durationMs })
    .where('id', '=', id)
    .where('attempts', '=', attempt)
    .where('status', '=', 'pending')
    .execute()
}

/** retryInMs null: no attempt left, the delivery is dead until someone redelivers it. */
export async function markFailed(db: Db, id: number, attempt: number, o: Outcome, retryInMs: number | null): Promise<void> {
  await db
    .updateTable('webhook_delivery')
    .set({
      status: retryInMs === null ? 'dead' : 'pending',
      next_attempt_at: retryInMs === null ? sql<Date>`now()` : sql<Date>`now() + ${retryInMs}::int * interval '1 millisecond'`,
      last_status_code: o.statusCode,
      last_error: o.error?.slice(0, 500) ?? null,
      last_duration_ms: o.durationMs,
    })
    .where('id', '=', id)
    .where('attempts', '=', attempt)
    .where('status', '=', 'pending')
    .execute()
}

const deliveryColumns = [
  'd.id',
  'd.event_id',
  'o.type as event_type',
  'o.created_at as event_created_at',
  'd.endpoint_id',
  'd.status',
  'd.attempts',
  'd.next_attempt_at',
  'd.last_attempt_at',
  'd.last_status_code',
  'd.last_error',
  'd.last_duration_ms',
  'd.delivered_at',
  'd.created_at',
] as const

export function listDeliveries(db: Db, endpointId: number, q: { status?: 'pending' | 'succeeded' | 'dead' | undefined; eventId?: string | undefined; beforeId?: number | undefined; limit: number }) {
  let query = db
    .selectFrom('webhook_delivery as d')
    .innerJoin('event_outbox as o', 'o.id', 'd.event_id')
    .select(deliveryColumns)
    .where('d.endpoint_id', '=', endpointId)
  if (q.status) query = query.where('d.status', '=', q.status)
  if (q.eventId) query = query.where('d.event_id', '=', q.eventId)
  if (q.beforeId !== undefined) query = query.where('d.id', '<', q.beforeId)
  return query.orderBy('d.id', 'desc').limit(q.limit).execute()
}

export type DeliveryRow = Awaited<ReturnType<typeof listDeliveries>>[number]

export function findDelivery(db: Db, endpointId: number, id: number) {
  return db
    .selectFrom('webhook_delivery as d')
    .innerJoin('event_outbox as o', 'o.id', 'd.event_id')
    .select(deliveryColumns)
    .where('d.endpoint_id', '=', endpointId)
    .where('d.id', '=', id)
    .executeTakeFirst()
}

/** Back to pending with a fresh set of attempts, due now. Returns the ids it reset. */
export async function resetDeliveries(db: Db, endpointId: number, which: { id: number } | { status: 'dead' }): Promise<number[]> {
  let q = db
    .updateTable('webhook_delivery')
    .set({ status: 'pending', attempts: 0, next_attempt_at: sql<Date>`now()`, delivered_at: null })
    .where('endpoint_id', '=', endpointId)
  q = 'id' in which ? q.where('id', '=', which.id) : q.where('status', '=', which.status)
  return (await q.returning('id').execute()).map((r) => r.id)
}

export interface DeliveryStats {
  pending: number
  dead: number
  lastDeliveredAt: Date | null
  lastFailure: { at: Date; statusCode: number | null; error: string | null } | null
}

/** Counts only unfinished deliveries (a partial index) and the newest success, so an endpoint's long history costs nothing. */
export async function deliveryStats(db: Db, endpointIds: number[]): Promise<Map<number, DeliveryStats>> {
  if (endpointIds.length === 0) return new Map()
  const { rows } = await sql<{
    endpoint_id: number
    pending: number
    dead: number
    last_delivered_at: Date | null
    failure_at: Date | null
    failure_status: number | null
    failure_error: string | null
  }>`
    select e.id as endpoint_id,
      (select count(*)::int from webhook_delivery d where d.endpoint_id = e.id and d.status = 'pending') as pending,
      (select count(*)::int from webhook_delivery d where d.endpoint_id = e.id and d.status = 'dead') as dead,
      (select d.delivered_at from webhook_delivery d where d.endpoint_id = e.id and d.status = 'succeeded'
        order by d.id desc limit 1) as last_delivered_at,
      f.last_attempt_at as failure_at, f.last_status_code as failure_status, f.last_error as failure_error
    from webhook_endpoint e
    left join lateral (
      select last_attempt_at, last_status_code, last_error from webhook_delivery d
      where d.endpoint_id = e.id and d.status <> 'succeeded' and d.last_error is not null
      order by d.last_attempt_at desc nulls last limit 1) f on true
    where e.id = any(${endpointIds}::bigint[])`.execute(db)
  return new Map(
    rows.map((r) => [
      r.endpoint_id,
      {
        pending: r.pending,
        dead: r.dead,
        lastDeliveredAt: r.last_delivered_at,
        lastFailure: r.failure_at ? { at: r.failure_at, statusCode: r.failure_status, error: r.failure_error } : null,
      },
    ]),
  )
}
