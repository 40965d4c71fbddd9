import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

type Db = Kysely<DB> | Transaction<DB>

export function findActiveKeyByHash(db: Db, hash: Buffer) {
  return db
    .selectFrom('api_key')
    .select(['id', 'name', 'role', 'store_id'])
    .where('key_hash', '=', hash)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
}

export function insertApiKey(
  db: Db,
  row: { name: string; role: 'pos' | 'backoffice' | 'admin'; storeId: string | null; hash: Buffer; prefix: string },
) {
  return db
    .insertInto('api_key')
    .values({ name: row.name, role: row.role, store_id: row.storeId, key_hash: row.hash, key_prefix: row.prefix })
    .returning(['id', 'name', 'role', 'store_id', 'key_prefix', 'created_at'])
    .executeTakeFirstOrThrow()
}

export function listApiKeys(db: Db) {
  return db
    .selectFrom('api_key')
    .select(['id', 'name', 'role', 'store_id', 'key_prefix', 'created_at', 'revoked_at'])
    .orderBy('id')
    .execute()
}

export function revokeApiKey(db: Db, id: number) {
  return db
    .updateTable('api_key')
    .set({ revoked_at: new Date() })
    .where('id', '=', id)
    .returning(['id', 'key_hash', 'revoked_at'])
    .executeTakeFirst()
}

export function findApiKey(db: Db, id: number) {
  return db.selectFrom('api_key').select(['id', 'key_hash', 'revoked_at']).where('id', '=', id).executeTakeFirst()
}

export function storeExists(db: Db, storeId: string) {
  return db.selectFrom('store').select('id').where('id', '=', storeId).executeTakeFirst()
}
