// What an operator needs on one screen: is the service ready, is work piling up in the job
// queue, and what went wrong lately (failed jobs, failed list runs, this instance's 5xx).
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { maskSecrets } from '../../plugins/logging.ts'
import type { RecentError } from './recent-errors.ts'
import * as repo from './ops.repository.ts'

export interface OpsStatus {
  at: string
  queue: {
    total: { ready: number; scheduled: number; running: number; retrying: number; failed: number }
    oldestReadySeconds: number | null
    tasks: { task: string; ready: number; scheduled: number; running: number; retrying: number; failed: number }[]
  }
  listRuns: { active: number }
  jobErrors: { id: string; task: string; attempts: number; maxAttempts: number; error: string; at: string }[]
  runErrors: { generationId: string; asOf: string; status: string; error: string; at: string }[]
  requestErrors: RecentError[]
}

const RUN_ERRORS_DAYS = 7

export async function getOpsStatus(db: Kysely<DB>, recent: RecentError[], now = new Date()): Promise<OpsStatus> {
  const [rows, jobs, runs, active] = await Promise.all([
    repo.queueDepth(db),
    repo.jobErrors(db, 20),
    repo.failedRuns(db, new Date(now.getTime() - RUN_ERRORS_DAYS * 86_400_000), 20),
    repo.activeRuns(db),
  ])
  const total = { ready: 0, scheduled: 0, running: 0, retrying: 0, failed: 0 }
  let oldest: Date | null = null
  for (const r of rows) {
    total.ready += r.ready
    total.scheduled += r.scheduled
    total.running += r.running
    total.retrying += r.retrying
    total.failed += r.failed
    if (r.oldest_ready_at && (!oldest || r.oldest_ready_at < oldest)) oldest = r.oldest_ready_at
  }
  return {
    at: now.toISOString(),
    queue: {
      total,
      oldestReadySeconds: oldest ? Math.max(0, Math.round((now.getTime() - oldest.getTime()) / 1000)) : null,
      tasks: rows.map(({ oldest_ready_at: _o, ...r }) => r),
    },
    listRuns: { active },
    jobErrors: jobs.map((j) => ({
      id: j.id,
      task: j.task,
      attempts: j.attempts,
      maxAttempts: j.max_attempts,
      error: maskSecrets(j.last_error).slice(0, 500),
      at: j.updated_at.toISOString(),
    })),
    runErrors: runs.map((r) => ({
      generationId: String(r.id),
      asOf: r.as_of,
      status: r.status,
      error: maskSecrets(r.error ?? '').slice(0, 500),
      at: (r.finished_at ?? r.created_at).toISOString(),
    })),
    requestErrors: recent,
  }
}
