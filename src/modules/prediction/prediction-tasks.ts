// graphile-worker tasks of the prediction module. boot.ts starts the worker with these.
import type { TaskList } from 'graphile-worker'
import { sql, type Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { rebuildCustomersStats, refitModelIfStale } from './prediction.service.ts'

export const REFIT_TASK = 'refit_prediction_model'
const HOUR_MS = 3_600_000

const MAX_CUSTOMERS_PER_JOB = 100_000

export function predictionTasks(db: Kysely<DB>, opts: { refitEveryHours: number; reschedule?: boolean }): TaskList {
  return {
    // The model's population picks and neighbours are refitted once they are a refit period
    // old. The job reschedules itself (one job key, so never more than one waits), so it runs
    // on whichever instance has a worker, without a cron outside the database.
    [REFIT_TASK]: async (_payload, helpers) => {
      if (opts.refitEveryHours <= 0) return
      try {
        const result = await refitModelIfStale(db, opts.refitEveryHours * HOUR_MS - 5 * 60_000)
        helpers.logger.info(`prediction model: ${result}`)
      } finally {
        if (opts.reschedule !== false) await scheduleRefit(db, new Date(Date.now() + opts.refitEveryHours * HOUR_MS), 'replace')
      }
    },
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

/** Queues the refit job at `runAt`; 'preserve_run_at' keeps one already waiting (service start). */
export async function scheduleRefit(db: Kysely<DB>, runAt: Date, mode: 'replace' | 'preserve_run_at'): Promise<void> {
  await sql`select graphile_worker.add_job(
      identifier => ${REFIT_TASK}, payload => '{}'::json, run_at => ${runAt}::timestamptz,
      max_attempts => 3, job_key => ${REFIT_TASK}, job_key_mode => ${mode})`.execute(db)
}
