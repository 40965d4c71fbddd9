import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

export type TaskName = 'regenerate_list' | 'list_generation_run' | 'rebuild_customer_stats'

/**
 * Enqueues a graphile-worker job in the caller's transaction: it exists if and only if the
 * change that asked for it committed (a crash after commit cannot lose it). A job key
 * coalesces repeats: ten redemptions in a second regenerate the customer's list once.
 */
export async function enqueueJob(
  db: Kysely<DB> | Transaction<DB>,
  task: TaskName,
  payload: Record<string, unknown>,
  opts: { jobKey?: string; runAt?: Date; maxAttempts?: number; queueName?: string } = {},
): Promise<void> {
  await sql`select graphile_worker.add_job(
      identifier => ${task},
      payload => ${JSON.stringify(payload)}::json,
      queue_name => ${opts.queueName ?? null},
      run_at => ${opts.runAt ?? null}::timestamptz,
      max_attempts => ${opts.maxAttempts ?? 25},
      job_key => ${opts.jobKey ?? null},
      job_key_mode => 'replace'
    )`.execute(db)
}

/** Jobs waiting or running, for the ops view and tests. */
export async function countPendingJobs(db: Kysely<DB> | Transaction<DB>, task?: TaskName): Promise<number> {
  const result = await sql<{ n: number }>`
    select count(*)::int as n from graphile_worker.jobs
    where ${task ? sql`task_identifier = ${task}` : sql`true`}`.execute(db)
  return result.rows[0]?.n ?? 0
}
