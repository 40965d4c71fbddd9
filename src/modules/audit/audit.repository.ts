import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

export interface AuditEntry {
  actor: string
  action: string
  entity: string
  entityId?: string | number | null
  detail?: Record<string, unknown>
}

/** Written in the same transaction as the change it records, so the log can never disagree with the data. */
export async function insertAudit(db: Kysely<DB> | Transaction<DB>, e: AuditEntry): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      actor: e.actor,
      action: e.action,
      entity: e.entity,
      entity_id: e.entityId == null ? null : String(e.entityId),
      detail: JSON.stringify(e.detail ?? {}),
    })
    .execute()
}

export interface AuditFilter {
  entity?: string | undefined
  entityId?: string | undefined
  action?: string | undefined
  actor?: string | undefined
  from?: Date | undefined
  to?: Date | undefined
  beforeId?: number | undefined
  limit: number
}

/** Newest first, keyset on id (ids grow with time, so a page boundary never skips or repeats a row). */
export function listAudit(db: Kysely<DB> | Transaction<DB>, f: AuditFilter) {
  let q = db.selectFrom('audit_log').select(['id', 'at', 'actor', 'action', 'entity', 'entity_id', 'detail'])
  if (f.entity) q = q.where('entity', '=', f.entity)
  if (f.entityId) q = q.where('entity_id', '=', f.entityId)
  if (f.action) q = q.where('action', '=', f.action)
  if (f.actor) q = q.where('actor', '=', f.actor)
  if (f.from) q = q.where('at', '>=', f.from)
  if (f.to) q = q.where('at', '<', f.to)
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId)
  return q.orderBy('id', 'desc').limit(f.limit).execute()
}

export function findKeyNames(db: Kysely<DB> | Transaction<DB>, ids: number[]) {
  if (ids.length === 0) return Promise.resolve([])
  return db.selectFrom('api_key').select(['id', 'name', 'role']).where('id', 'in', ids).execute()
}
