import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

type Db = Kysely<DB> | Transaction<DB>

const columns = ['id', 'url', 'description', 'event_types', 'enabled', 'created_by', 'created_at', 'updated_at'] as const

export function insertEndpoint(db: Db, row: { url: string; description: string | null; eventTypes: string[]; secret: string; enabled: boolean; createdBy: string }) {
  return db
    .insertInto('webhook_endpoint')
    .values({ url: row.url, description: row.description, event_types: row.eventTypes, secret: row.secret, enabled: row.enabled, created_by: row.createdBy })
    .returning(columns)
    .executeTakeFirstOrThrow()
}

export function listEndpoints(db: Db) {
  return db.selectFrom('webhook_endpoint').select(columns).orderBy('id').execute()
}

export function findEndpoint(db: Db, id: number) {
  return db.selectFrom('webhook_endpoint').select([...columns, 'secret']).where('id', '=', id).executeTakeFirst()
}

export function lockEndpoint(trx: Transaction<DB>, id: number) {
  return trx.selectFrom('webhook_endpoint').select([...columns, 'secret']).where('id', '=', id).forUpdate().executeTakeFirst()
}

export function updateEndpoint(
  trx: Transaction<DB>,
  id: number,
  set: { url?: string; description?: string | null; event_types?: string[]; enabled?: boolean; secret?: string },
) {
  return trx
    .updateTable('webhook_endpoint')
    .set({ ...set, updated_at: new Date() })
    .where('id', '=', id)
    .returning(columns)
    .executeTakeFirstOrThrow()
}

export async function deleteEndpoint(trx: Transaction<DB>, id: number): Promise<void> {
  await trx.deleteFrom('webhook_endpoint').where('id', '=', id).execute()
}

export type EndpointRow = Awaited<ReturnType<typeof listEndpoints>>[number]
