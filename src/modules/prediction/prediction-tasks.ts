// graphile-worker tasks of the prediction module. boot.ts starts the worker with these.
import type { TaskList } from 'graphile-worker'
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { rebuildCustomersStats } from './prediction.service.ts'

const MAX_CUSTOMERS_PER_JOB = 100_000

export function predictionTasks(db: Kysely<DB>): TaskList {
  return {
    // Queued by the history import in each batch's transaction: the customers whose history the
    // batch added get statistics that include it, so the next list run predicts from it.
    rebuild_customer_stats: async (payload) => {
      const raw = (payload as { customerIds?: unknown } | null)?.customerIds
      if (!Array.isArray(raw) || raw.length > MAX_CUSTOMERS_PER_JOB || !raw.every((id) => Number.isSafeInteger(id) && id > 0)) {
        throw new Error('job payload needs customerIds: positive integers')
      }
      await rebuildCustomersStats(db, raw as number[])
    },
  }
}
