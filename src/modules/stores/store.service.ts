import type { Database } from '../../db/database.ts'
import { invalid, notFound } from '../../lib/errors.ts'
import { insertAudit } from '../audit/audit.repository.ts'
import * as repo from './store.repository.ts'
import { canonicalTimeZone, type Lane, type LaneBody, type Store, type StoreBody, type StoreWithLanes } from './store.schemas.ts'

export async function putStore(db: Database, id: string, input: StoreBody, actor: string): Promise<{ created: boolean; store: Store }> {
  const timezone = canonicalTimeZone(input.timezone)
  if (!timezone) throw invalid([{ path: 'timezone', message: 'not an IANA time zone' }])
  return db.transaction().execute(async (trx) => {
    const row = await repo.upsertStore(trx, { id, name: input.name, timezone, active: input.active })
    await insertAudit(trx, {
      actor,
      action: row.inserted ? 'store.create' : 'store.update',
      entity: 'store',
      entityId: id,
      detail: { name: row.name, timezone: row.timezone, active: row.active },
    })
    return { created: row.inserted, store: toStore(row) }
  })
}

export async function listStores(db: Database): Promise<Store[]> {
  return (await repo.listStores(db)).map(toStore)
}

export async function getStore(db: Database, id: string): Promise<StoreWithLanes> {
  const row = await repo.findStore(db, id)
  if (!row) throw notFound('store', id)
  const lanes = await repo.listLanes(db, id)
  return { ...toStore(row), lanes: lanes.map(toLane) }
}

/** Soft: sales, redemptions and keys keep referring to the store. Idempotent. */
export async function deactivateStore(db: Database, id: string, actor: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await repo.lockStore(trx, id))) throw notFound('store', id)
    if (await repo.deactivateStore(trx, id)) {
      await insertAudit(trx, { actor, action: 'store.deactivate', entity: 'store', entityId: id })
    }
  })
}

export async function putLane(
  db: Database,
  storeId: string,
  laneId: string,
  input: LaneBody,
  actor: string,
): Promise<{ created: boolean; lane: Lane }> {
  return db.transaction().execute(async (trx) => {
    if (!(await repo.lockStore(trx, storeId))) throw notFound('store', storeId)
    const row = await repo.upsertLane(trx, { storeId, id: laneId, name: input.name, active: input.active })
    await insertAudit(trx, {
      actor,
      action: row.inserted ? 'lane.create' : 'lane.update',
      entity: 'lane',
      entityId: `${storeId}/${laneId}`,
      detail: { name: row.name, active: row.active },
    })
    return { created: row.inserted, lane: toLane(row) }
  })
}

/** Soft, like a store: past sales name the lane they happened at. Idempotent. */
export async function deactivateLane(db: Database, storeId: string, laneId: string, actor: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await repo.findLane(trx, storeId, laneId))) throw notFound('lane', `${storeId}/${laneId}`)
    if (await repo.deactivateLane(trx, storeId, laneId)) {
      await insertAudit(trx, { actor, action: 'lane.deactivate', entity: 'lane', entityId: `${storeId}/${laneId}` })
    }
  })
}

function toStore(row: { id: string; name: string; timezone: string; active: boolean; created_at: Date; updated_at: Date }): Store {
  return {
    id: row.id,
    name: row.name,
    timezone: row.timezone,
    active: row.active,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}

function toLane(row: { id: string; name: string | null; active: boolean; created_at: Date }): Lane {
  return { id: row.id, name: row.name, active: row.active, createdAt: row.created_at.toISOString() }
}
