// The graphile-worker task that keeps the reports current. It reschedules itself (one job key,
// so never more than one waits), which keeps the rollup running on whichever instance has a
// worker, without a cron outside the database.
import { Logger, runOnce, type TaskList } from 'graphile-worker'
import type { Kysely } from 'kysely'
import type pg from 'pg'
import type { DB } from '../../db/schema.ts'
import { recordRollupError } from './offer-rollup.repository.ts'
import { reportConfig, type ReportConfig } from './report.config.ts'
import { ROLLUP_TASK, scheduleRollupJob } from './rollup.repository.ts'
import { runRollup, type RollupOptions } from './rollup.service.ts'

export function reportTasks(db: Kysely<DB>, opts: { config?: Partial<ReportConfig>; reschedule?: boolean } = {}): TaskList {
  const cfg = reportConfig(opts.config)
  return {
    [ROLLUP_TASK]: async (_payload, helpers) => {
      try {
        const r = await runRollup(db, { config: cfg })
        helpers.logger.debug(`reports rolled up in ${r.ms} ms`, { result: r })
      } catch (err) {
        await recordRollupError(db, err instanceof Error ? err.message : String(err)).catch(() => {})
        throw err
      } finally {
        if (opts.reschedule !== false) await scheduleRollupJob(db, new Date(Date.now() + cfg.rollupEverySeconds * 1000), 'replace')
      }
    },
  }
}

/** At service start: make sure a rollup job is waiting (keeps one that already is). */
export async function ensureRollupScheduled(db: Kysely<DB>): Promise<void> {
  await scheduleRollupJob(db, new Date(), 'preserve_run_at')
}

const silent = new Logger(() => () => {})

/** Runs the rollup job if one is due (tests: after POST /v1/reports/rollup). */
export async function runReportJobsOnce(pool: pg.Pool, db: Kysely<DB>, options: RollupOptions = {}): Promise<void> {
  await runOnce({ pgPool: pool, taskList: reportTasks(db, { config: options.config, reschedule: false }), concurrency: 1, noHandleSignals: true, logger: silent })
}
