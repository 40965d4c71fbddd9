// graphile-worker tasks of the list module. boot.ts starts the worker with these; tests run
// queued jobs synchronously with runListJobsOnce.
import { Logger, runOnce, type TaskList } from 'graphile-worker'
import type { Kysely } from 'kysely'
import type pg from 'pg'
import type { DB } from '../../db/schema.ts'
import { moveRegenRequests } from '../jobs/regen-requests.ts'
import { refreshCustomerStats } from '../prediction/prediction.service.ts'
import { regenerateList, runGeneration, type RunHooks } from './list-run.service.ts'
import { observeRegeneration } from './regeneration-timings.ts'

const idOf = (payload: unknown, key: string): number => {
  const raw = (payload as Record<string, unknown> | null)?.[key]
  const id = Number(raw)
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`job payload needs a numeric ${key}, got ${JSON.stringify(raw)}`)
  return id
}

export function listTasks(db: Kysely<DB>, hooks: RunHooks = {}): TaskList {
  return {
    list_generation_run: async (payload, helpers) => {
      // attempts already counts this one: the last attempt records the run as failed.
      const finalAttempt = helpers.job.attempts >= helpers.job.max_attempts
      await runGeneration(db, idOf(payload, 'generationId'), { finalAttempt, hooks })
    },
    regenerate_list: async (payload) => {
      const customerId = idOf(payload, 'customerId')
      // The lane's write path stays one statement, so it does not touch the statistics; this
      // job applies to the customer's statistics the sales, voids and returns made since they
      // were last written (exact; a rebuild of this customer where an update cannot be).
      const started = performance.now()
      await refreshCustomerStats(db, customerId)
      const statsDone = performance.now()
      observeRegeneration('stats', statsDone - started)
      await regenerateList(db, customerId, { trigger: 'redemption' })
      observeRegeneration('list', performance.now() - statsDone)
    },
  }
}

const silent = new Logger(() => () => {})

/** Moves the lanes' regeneration requests into the queue, runs every job due now, then returns: for tests and scripts. */
export async function runListJobsOnce(pool: pg.Pool, db: Kysely<DB>, hooks: RunHooks = {}): Promise<void> {
  while ((await moveRegenRequests(db)) > 0);
  await runOnce({ pgPool: pool, taskList: listTasks(db, hooks), concurrency: 1, noHandleSignals: true, logger: silent })
}
