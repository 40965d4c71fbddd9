import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

type Db = Kysely<DB> | Transaction<DB>

const storeColumns = ['id', 'name', 'timezone', 'active', 'created_at', 'updated_at'] as const
const laneColumns = ['id', 'name', 'active', 'created_at'] as const

// xmax = 0 only on a freshly inserted row version: tells create from update in the same
// statement, so two concurrent PUTs of a new store cannot both answer 201.
const wasInserted = sql<boolean>`(xmax = 0)`.as('inserted')

export function upsertStore(db: Db, row: { id: string; name: string; timezone: string; active: boolean | undefined }) {
  return db
    .insertInto('store')
    .values({ id: row.id, name: row.name, timezone: row.timezone, active: row.active ?? true })
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({
        name: eb.ref('excluded.name'),
        timezone: eb.ref('excluded.timezone'),
        active: row.active === undefined ? eb.ref('store.active') : eb.ref('excluded.active'),
        updated_at: sql<Date>`now()`,
      })),
    )
    .returning([...storeColumns, wasInserted])
    .executeTakeFirstOrThrow()
}

export function listStores(db: Db) {
  return db.selectFrom('store').select(storeColumns).orderBy('id').execute()
}

export function findStore(db: Db, id: string) {
  return db.selectFrom('store').select(storeColumns).where('id', '=', id).executeTakeFirst()
}

/** Locks the store row so a lane cannot be added while the store is being changed. */
export function lockStore(db: Db, id: string) {
  return db.selectFrom('store').select(storeColumns).where('id', '=', id).forUpdate().executeTakeFirst()
}

export function deactivateStore(db: Db, id: string) {
  return db
    .updateTable('store')
    .set({ active: false, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where('active', '=', true)
    .returning('id')
    .executeTakeFirst()
}

export function listLanes(db: Db, storeId: string) {
  return db.selectFrom('lane').select(laneColumns).where('store_id', '=', storeId).orderBy('id').execute()
}

export function upsertLane(
  db: Db,
  row: { storeId: string; id: string; name: string | null | undefined; active: boolean | undefined },
) {
  return db
    .insertInto('lane')
    .values({ store_id: row.storeId, id: row.id, name: row.name ?? null, active: row.active ?? true })
    .onConflict((oc) =>
      oc.columns(['store_id', 'id']).doUpdateSet((eb) => ({
        name: row.name === undefined ? eb.ref('lane.name') : eb.ref('excluded.name'),
        active: row.active === undefined ? eb.ref('lane.active') : eb.ref('excluded.active'),
      })),
    )
    .returning([...laneColumns, wasInserted])
    .executeTakeFirstOrThrow()
}

export function findLane(db: Db, storeId: string, id: string) {
  return db.selectFrom('lane').select(laneColumns).where('store_id', '=', storeId).where('id', '=', id).executeTakeFirst()
}

export function deactivateLane(db: Db, storeId: string, id: string) {
  return db
    .updateTable('lane')
    .set({ active: false })
    .where('store_id', '=', storeId)
    .where('id', '=', id)
    .where('active', '=', true)
    .returning('id')
    .executeTakeFirst()
}
