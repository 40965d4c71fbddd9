// Webhook endpoints and their deliveries, for admin keys. Every change is audited in its own
// transaction; the secret leaves the service only when it is created or rotated.
import { randomUUID } from 'node:crypto'
import type { Database } from '../../db/database.ts'
import { notFound } from '../../lib/errors.ts'
import { insertAudit } from '../audit/audit.repository.ts'
import { TEST_EVENT_TYPE } from './event.types.ts'
import * as deliveries from './webhook-delivery.repository.ts'
import * as repo from './webhook-endpoint.repository.ts'
import { wakeDispatchers } from './dispatcher-wake.ts'
import type { CreateEndpointInput, DeliveryOut, EndpointOut, UpdateEndpointInput } from './webhook.schemas.ts'
import { sendWebhook, type AttemptResult } from './webhook-sender.ts'
import { generateWebhookSecret } from './webhook-signing.ts'

/** Scheme, host and path only: a query string may carry the receiver's own token. */
function auditUrl(url: string): string {
  const u = new URL(url)
  return `${u.protocol}//${u.host}${u.pathname}`
}

const noStats: deliveries.DeliveryStats = { pending: 0, dead: 0, lastDeliveredAt: null, lastFailure: null }

function toEndpoint(row: repo.EndpointRow, stats: deliveries.DeliveryStats = noStats): EndpointOut {
  return {
    id: String(row.id),
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    enabled: row.enabled,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    deliveries: {
      pending: stats.pending,
      dead: stats.dead,
      lastDeliveredAt: stats.lastDeliveredAt?.toISOString() ?? null,
      lastFailure: stats.lastFailure ? { ...stats.lastFailure, at: stats.lastFailure.at.toISOString() } : null,
    },
  }
}

export async function createEndpoint(db: Database, input: CreateEndpointInput, actor: string): Promise<EndpointOut & { secret: string }> {
  const secret = input.secret ?? generateWebhookSecret()
  return db.transaction().execute(async (trx) => {
    const row = await repo.insertEndpoint(trx, {
      url: input.url,
      description: input.description || null,
      eventTypes: input.eventTypes,
      secret,
      enabled: input.enabled ?? true,
      createdBy: actor,
    })
    await insertAudit(trx, {
      actor,
      action: 'webhook.create',
      entity: 'webhook_endpoint',
      entityId: row.id,
      detail: { url: auditUrl(row.url), eventTypes: row.event_types, enabled: row.enabled, secretGenerated: input.secret === undefined },
    })
    return { ...toEndpoint(row), secret }
  })
}

export async function listEndpoints(db: Database): Promise<EndpointOut[]> {
  const rows = await repo.listEndpoints(db)
  const stats = await deliveries.deliveryStats(db, rows.map((r) => r.id))
  return rows.map((r) => toEndpoint(r, stats.get(r.id)))
}

export async function getEndpoint(db: Database, id: number): Promise<EndpointOut> {
  const row = await repo.findEndpoint(db, id)
  if (!row) throw notFound('webhook endpoint', id)
  return toEndpoint(row, (await deliveries.deliveryStats(db, [id])).get(id))
}

export async function updateEndpoint(db: Database, id: number, input: UpdateEndpointInput, actor: string): Promise<EndpointOut> {
  const row = await db.transaction().execute(async (trx) => {
    const current = await repo.lockEndpoint(trx, id)
    if (!current) throw notFound('webhook endpoint', id)
    const set: Parameters<typeof repo.updateEndpoint>[2] = {}
    const changed: Record<string, unknown> = {}
    if (input.url !== undefined && input.url !== current.url) {
      set.url = input.url
      changed.url = { from: auditUrl(current.url), to: auditUrl(input.url) }
    }
    if (input.description !== undefined && (input.description || null) !== current.description) {
      set.description = input.description || null
      changed.description = true
    }
    if (input.eventTypes !== undefined && [...input.eventTypes].sort().join() !== [...current.event_types].sort().join()) {
      set.event_types = input.eventTypes
      changed.eventTypes = { from: current.event_types, to: input.eventTypes }
    }
    if (input.enabled !== undefined && input.enabled !== current.enabled) {
      set.enabled = input.enabled
      changed.enabled = { from: current.enabled, to: input.enabled }
    }
    // Never the secret itself in the log: only that it changed.
    if (input.secret !== undefined && input.secret !== current.secret) {
      set.secret = input.secret
      changed.secret = 'replaced'
    }
    if (Object.keys(changed).length === 0) return current
    const updated = await repo.updateEndpoint(trx, id, set)
    await insertAudit(trx, { actor, action: 'webhook.update', entity: 'webhook_endpoint', entityId: id, detail: { changes: changed } })
    return updated
  })
  // Re-enabled: its held retries are due now.
  if (input.enabled) wakeDispatchers()
  return getEndpoint(db, row.id)
}

export async function rotateSecret(db: Database, id: number, actor: string): Promise<{ id: string; secret: string }> {
  const secret = generateWebhookSecret()
  await db.transaction().execute(async (trx) => {
    if (!(await repo.lockEndpoint(trx, id))) throw notFound('webhook endpoint', id)
    await repo.updateEndpoint(trx, id, { secret })
    await insertAudit(trx, { actor, action: 'webhook.rotate_secret', entity: 'webhook_endpoint', entityId: id })
  })
  return { id: String(id), secret }
}

/** Deletes the endpoint with its deliveries: pending ones are dropped, not sent. A repeat answers 404. */
export async function deleteEndpoint(db: Database, id: number, actor: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const current = await repo.lockEndpoint(trx, id)
    if (!current) throw notFound('webhook endpoint', id)
    await repo.deleteEndpoint(trx, id)
    await insertAudit(trx, { actor, action: 'webhook.delete', entity: 'webhook_endpoint', entityId: id, detail: { url: auditUrl(current.url) } })
  })
}

/**
 * Sends a signed 'webhook.test' event to the endpoint now and reports what the receiver did.
 * Not stored and not retried: it checks the URL, the network path and the receiver's
 * signature check, whatever the endpoint's subscriptions or enabled flag.
 */
export async function testSend(db: Database, id: number, timeoutMs: number): Promise<AttemptResult & { delivered: boolean; eventId: string }> {
  const row = await repo.findEndpoint(db, id)
  if (!row) throw notFound('webhook endpoint', id)
  const eventId = randomUUID()
  const result = await sendWebhook(
    { url: row.url, secret: row.secret },
    { id: eventId, type: TEST_EVENT_TYPE, createdAt: new Date().toISOString(), data: { endpointId: String(id), message: 'Test delivery from lanelist' } },
    { attempt: 1, timeoutMs },
  )
  return { ...result, delivered: result.ok, eventId }
}

function toDelivery(r: deliveries.DeliveryRow): DeliveryOut {
  return {
    id: String(r.id),
    eventId: r.event_id,
    eventType: r.event_type,
    eventCreatedAt: r.event_created_at.toISOString(),
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
    lastAttemptAt: r.last_attempt_at?.toISOString() ?? null,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    lastDurationMs: r.last_duration_ms,
    deliveredAt: r.delivered_at?.toISOString() ?? null,
    createdAt: r.created_at.toISOString(),
  }
}

export async function listDeliveries(
  db: Database,
  endpointId: number,
  q: { status?: 'pending' | 'succeeded' | 'dead' | undefined; eventId?: string | undefined; cursor?: number | undefined; limit: number },
  encodeCursor: (lastId: number) => string,
): Promise<{ items: DeliveryOut[]; nextCursor: string | null }> {
  if (!(await repo.findEndpoint(db, endpointId))) throw notFound('webhook endpoint', endpointId)
  const rows = await deliveries.listDeliveries(db, endpointId, { status: q.status, eventId: q.eventId, beforeId: q.cursor, limit: q.limit + 1 })
  const page = rows.slice(0, q.limit)
  const last = page.at(-1)
  return { items: page.map(toDelivery), nextCursor: rows.length > q.limit && last ? encodeCursor(last.id) : null }
}

/** Back to pending with a fresh set of attempts: for a dead delivery, or to send a delivered event again. */
export async function redeliver(db: Database, endpointId: number, deliveryId: number, actor: string): Promise<DeliveryOut> {
  await db.transaction().execute(async (trx) => {
    const [id] = await deliveries.resetDeliveries(trx, endpointId, { id: deliveryId })
    if (id === undefined) throw notFound('webhook delivery', deliveryId)
    await insertAudit(trx, { actor, action: 'webhook.redeliver', entity: 'webhook_endpoint', entityId: endpointId, detail: { deliveries: 1, deliveryId: String(deliveryId) } })
  })
  wakeDispatchers()
  const row = await deliveries.findDelivery(db, endpointId, deliveryId)
  if (!row) throw notFound('webhook delivery', deliveryId)
  return toDelivery(row)
}

/** Every dead delivery of the endpoint, e.g. after the receiver's outage is over. */
export async function redeliverDead(db: Database, endpointId: number, actor: string): Promise<{ redelivered: number }> {
  const n = await db.transaction().execute(async (trx) => {
    if (!(await repo.lockEndpoint(trx, endpointId))) throw notFound('webhook endpoint', endpointId)
    const ids = await deliveries.resetDeliveries(trx, endpointId, { status: 'dead' })
    if (ids.length) await insertAudit(trx, { actor, action: 'webhook.redeliver', entity: 'webhook_endpoint', entityId: endpointId, detail: { deliveries: ids.length } })
    return ids.length
  })
  if (n) wakeDispatchers()
  return { redelivered: n }
}
