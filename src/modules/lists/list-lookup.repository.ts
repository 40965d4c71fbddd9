import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'

export function findListByBarcode(db: Kysely<DB>, barcode: string) {
  return db.selectFrom('list').select(['id', 'customer_id', 'status', 'valid_from', 'valid_until']).where('barcode', '=', barcode).executeTakeFirst()
}

/** Newest runs first (ids only grow), for the console's run list. */
export function findRecentRuns(db: Kysely<DB>, beforeId: number | undefined, limit: number) {
  let q = db.selectFrom('list_generation').selectAll().orderBy('id', 'desc').limit(limit)
  if (beforeId !== undefined) q = q.where('id', '<', beforeId)
  return q.execute()
}
