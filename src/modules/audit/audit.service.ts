import type { Database } from '../../db/database.ts'
import { findKeyNames, listAudit, type AuditFilter } from './audit.repository.ts'

export interface AuditEntryOut {
  id: string
  at: string
  actor: { id: string; keyId: string | null; name: string | null; role: string | null }
  action: string
  entity: string
  entityId: string | null
  detail: Record<string, unknown>
}

const BOOTSTRAP = { keyId: 'bootstrap', name: 'bootstrap admin', role: 'admin' }

/**
 * Actors are stored as `key:<id>` (plugins/auth.ts actorOf); the key's name is looked up when
 * read. Keys are revoked, never deleted, so a name stays resolvable for the log's lifetime.
 */
export async function listAuditEntries(
  db: Database,
  q: Omit<AuditFilter, 'beforeId' | 'limit'> & { cursor?: number | undefined; limit: number },
  encodeCursor: (lastId: number) => string,
): Promise<{ items: AuditEntryOut[]; nextCursor: string | null }> {
  const rows = await listAudit(db, { ...q, beforeId: q.cursor, limit: q.limit + 1 })
  const page = rows.slice(0, q.limit)
  const keyIds = [...new Set(page.map((r) => /^key:([0-9]{1,15})$/.exec(r.actor)?.[1]).filter((id): id is string => id !== undefined))].map(Number)
  const keys = new Map((await findKeyNames(db, keyIds)).map((k) => [`key:${k.id}`, { keyId: String(k.id), name: k.name, role: k.role }]))
  const last = page.at(-1)
  return {
    items: page.map((r) => {
      const key = r.actor === 'key:bootstrap' ? BOOTSTRAP : keys.get(r.actor)
      return {
        id: String(r.id),
        at: r.at.toISOString(),
        actor: { id: r.actor, keyId: key?.keyId ?? null, name: key?.name ?? null, role: key?.role ?? null },
        action: r.action,
        entity: r.entity,
        entityId: r.entity_id,
        detail: r.detail,
      }
    }),
    nextCursor: rows.length > q.limit && last ? encodeCursor(last.id) : null,
  }
}
