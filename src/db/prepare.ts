import type pg from 'pg'
import { installJobQueue } from '../modules/jobs/worker.ts'
import { migrate, type Migration } from './migrate.ts'

/** Our migrations, then graphile-worker's schema (it migrates itself, also under a lock). */
export async function prepareDatabase(pool: pg.Pool, log?: (msg: string) => void): Promise<Migration[]> {
  const applied = await migrate(pool, { log })
  await installJobQueue(pool)
  return applied
}
