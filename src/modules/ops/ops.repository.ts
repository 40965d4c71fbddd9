// Job queue and run facts for the ops page: graphile-worker's public jobs view and our runs.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'

export interface QueueRow {
  task: string
  ready: number
  scheduled: number
  running: number
  retrying: number
  failed: number
  oldest_ready_at: Date | null
}

/**
 * Per task: ready (due, unclaimed), scheduled (future run_at: backoff or delayed), running
 * (claimed by a worker), retrying (failed at least once, will run again), failed (out of
 * attempts: needs a person). The jobs table only holds unfinished jobs, so this stays small.
 */
export async function queueDepth(db: Kysely<DB>): Promise<QueueRow[]> {
  const result = await sql<QueueRow>`
    select task_identifier as task,
      count(*) filter (where locked_at is null and attempts < max_attempts and run_at <= now())::int as ready,
      count(*) filter (where locked_at is null and attempts < max_attempts and run_at > now())::int as scheduled,
      count(*) filter (where locked_at is not null)::int as running,
      count(*) filter (where locked_at is null and attempts > 0 and attempts < max_attempts)::int as retrying,
      count(*) filter (where attempts >= max_attempts)::int as failed,
      min(run_at) filter (where locked_at is null and attempts < max_attempts and run_at <= now()) as oldest_ready_at
    from graphile_worker.jobs
    group by task_identifier
    order by task_identifier`.execute(db)
  return result.rows
}

export interface JobErrorRow {
  id: string
  task: string
  attempts: number
  max_attempts: number
  last_error: string
  updated_at: Date
}

export async function jobErrors(db: Kysely<DB>, limit: number): Promise<JobErrorRow[]> {
  const result = await sql<JobErrorRow>`
    select id::text, task_identifier as task, attempts, max_attempts, last_error, updated_at
    from graphile_worker.jobs
    where last_error is not null
    order by updated_at desc
    limit ${limit}`.execute(db)
  return result.rows
}

export function failedRuns(db: Kysely<DB>, since: Date, limit: number) {
  return db
    .selectFrom('list_generation')
    .select(['id', 'as_of', 'status', 'error', 'created_at', 'finished_at'])
    .where('error', 'is not', null)
    .where('created_at', '>=', since)
    .orderBy('id', 'desc')
    .limit(limit)
    .execute()
}

export async function activeRuns(db: Kysely<DB>): Promise<number> {
  const row = await db
    .selectFrom('list_generation')
    .select(sql<number>`count(*)::int`.as('n'))
    .where('status', 'in', ['queued', 'running'])
    .executeTakeFirstOrThrow()
  return row.n
}
