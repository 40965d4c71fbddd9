// Shared plumbing of the rollup: the advisory lock that keeps two instances from running the
// same pass, and the job that schedules it (graphile-worker, same queue as the list jobs).
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

/** Transaction-scoped: true when this transaction now owns the pass; false when another does. */
export async function tryLockPass(trx: Transaction<DB>, pass: string): Promise<boolean> {
  const { rows } = await sql<{ ok: boolean }>`select pg_try_advisory_xact_lock(hashtext(${`lanelist.reports.${pass}`})) as ok`.execute(trx)
  return rows[0]?.ok ?? false
}

export const ROLLUP_TASK = 'reports_rollup'

/**
 * Schedules the rollup job. One job key, so there is never more than one waiting: 'replace'
 * moves it to runAt (a request to roll up now), 'preserve_run_at' keeps a waiting one as it is
 * (service start).
 */
export async function scheduleRollupJob(db: Kysely<DB> | Transaction<DB>, runAt: Date, mode: 'replace' | 'preserve_run_at'): Promise<void> {
  await sql`select graphile_worker.add_job(
      identifier => ${ROLLUP_TASK}, payload => '{}'::json, run_at => ${runAt}::timestamptz,
      max_attempts => 3, job_key => ${ROLLUP_TASK}, job_key_mode => ${mode})`.execute(db)
}
