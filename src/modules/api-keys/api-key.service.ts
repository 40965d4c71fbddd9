import type { Database } from '../../db/database.ts'
import { AppError, invalid, notFound } from '../../lib/errors.ts'
import { insertAudit } from '../audit/audit.repository.ts'
import { generateApiKey, hashApiKey, keyPrefix } from './api-key.crypto.ts'
import * as repo from './api-key.repository.ts'

export type Role = 'pos' | 'backoffice' | 'admin'

export interface ApiKeyInfo {
  id: string
  name: string
  role: Role
  storeId: string | null
  prefix: string
  createdAt: string
  revokedAt: string | null
}

export async function createApiKey(
  db: Database,
  input: { name: string; role: Role; storeId?: string | undefined },
  actor: string,
): Promise<ApiKeyInfo & { key: string }> {
  if (input.role === 'pos' && !input.storeId) {
    throw invalid([{ path: 'storeId', message: 'a pos key must be bound to a store' }])
  }
  if (input.role !== 'pos' && input.storeId) {
    throw invalid([{ path: 'storeId', message: 'only pos keys are bound to a store' }])
  }
  const key = generateApiKey()
  return db.transaction().execute(async (trx) => {
    if (input.storeId && !(await repo.storeExists(trx, input.storeId))) {
      throw new AppError('unprocessable', `store ${input.storeId} does not exist`, [
        { path: 'storeId', message: 'no such store' },
      ])
    }
    const row = await repo.insertApiKey(trx, {
      name: input.name,
      role: input.role,
      storeId: input.storeId ?? null,
      hash: hashApiKey(key),
      prefix: keyPrefix(key),
    })
    await insertAudit(trx, { actor, action: 'api_key.create', entity: 'api_key', entityId: row.id, detail: { role: row.role, storeId: row.store_id } })
    return { ...toInfo({ ...row, revoked_at: null }), key }
  })
}

export async function listApiKeys(db: Database): Promise<ApiKeyInfo[]> {
  return (await repo.listApiKeys(db)).map(toInfo)
}

/** Idempotent: revoking a revoked key is fine. Returns the key hash so callers can drop it from caches. */
export async function revokeApiKey(db: Database, id: number, actor: string): Promise<Buffer> {
  return db.transaction().execute(async (trx) => {
    const existing = await repo.findApiKey(trx, id)
    if (!existing) throw notFound('API key', id)
    if (!existing.revoked_at) {
      await repo.revokeApiKey(trx, id)
      await insertAudit(trx, { actor, action: 'api_key.revoke', entity: 'api_key', entityId: id })
    }
    return existing.key_hash
  })
}

function toInfo(row: {
  id: number
  name: string
  role: Role
  store_id: string | null
  key_prefix: string
  created_at: Date
  revoked_at: Date | null
}): ApiKeyInfo {
  return {
    id: String(row.id),
    name: row.name,
    role: row.role,
    storeId: row.store_id,
    prefix: row.key_prefix,
    createdAt: row.created_at.toISOString(),
    revokedAt: row.revoked_at ? row.revoked_at.toISOString() : null,
  }
}
