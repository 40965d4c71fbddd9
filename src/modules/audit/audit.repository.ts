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
