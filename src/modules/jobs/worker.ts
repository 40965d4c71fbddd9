import { EventEmitter } from 'node:events'
import { Logger as WorkerLogger, run, runMigrations, type Runner, type RunnerOptions, type TaskList } from 'graphile-worker'
import type pg from 'pg'
import type { Logger } from 'pino'
import { holdLivenessLock, releaseDeadWorkers, type LivenessLock } from './worker-liveness.ts'
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { startRegenRequestMover } from './regen-requests.ts'

/**
 * Background jobs run on graphile-worker: jobs are rows in PostgreSQL, claimed with
 * SKIP LOCKED, so any number of instances share the work and each job runs once; failed
 * jobs retry with exponential backoff; LISTEN/NOTIFY wakes a worker within milliseconds.
 */
export async function installJobQueue(pool: pg.Pool): Promise<void> {
  await runMigrations({ pgPool: pool, logger: silentLogger })
}

const silentLogger = new WorkerLogger(() => () => {})

function pinoWorkerLogger(log: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    const fields = { ...scope, ...meta, component: 'worker' }
    if (level === 'error') log.error(fields, message)
    else if (level === 'warning') log.warn(fields, message)
    else log.debug(fields, message)
  })
}

export interface Worker {
  stop(): Promise<void>
}

/** How often a live instance looks for jobs a dead one left locked. */
const SWEEP_MS = 5_000
/** Pause before a runner that failed (database gone) is started again. */
const RESTART_MS = 2_000

interface Started {
  runner: Runner
  liveness: LivenessLock
}

/** One graphile-worker runner and the liveness lock on its pool id. */
async function startRunner(opts: { pool: pg.Pool; log: Logger; tasks: TaskList; concurrency?: number }): Promise<Started> {
  // The pool id is random and only told through this event, emitted before any job is taken.
  const events = new EventEmitter() as NonNullable<RunnerOptions['events']>
  let poolId: string | undefined
  events.on('pool:create', ({ workerPool }) => {
    poolId = workerPool.id
  })
  const runner: Runner = await run({
    pgPool: opts.pool,
    taskList: opts.tasks,
    concurrency: opts.concurrency ?? 2,
    // server.ts owns the signals and stops the runner during graceful shutdown.
    noHandleSignals: true,
    pollInterval: 1000,
    logger: pinoWorkerLogger(opts.log),
    events,
    // Without batching, a job's completion or failure that cannot be written (database gone) is
    // an unhandled rejection inside graphile-worker, which ends the process. Batched, it is
    // retried with backoff (for minutes) and written once the database is back.
    preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
  })
  try {
    if (!poolId) throw new Error('graphile-worker did not announce its worker pool')
    return { runner, liveness: await holdLivenessLock(opts.pool, poolId, opts.log) }
  } catch (err) {
    await runner.stop().catch(() => {})
    throw err
  }
}

/**
 * Runs the job worker and keeps it running: when the database goes away, graphile-worker's
 * runner fails (it cannot record a job's failure) and its promise rejects; left alone that
 * rejection would end the process, cutting the lanes off. Instead the runner is started again
 * once the database answers; the jobs it held are unlocked by the sweep.
 */
export async function startWorker(opts: { pool: pg.Pool; db: Kysely<DB>; log: Logger; tasks: TaskList; concurrency?: number; sweepMs?: number }): Promise<Worker> {
  let current: Started | undefined = await startRunner(opts)
  let stopped = false
  let restarting: Promise<void> | undefined

  const supervise = (started: Started) => {
    started.runner.promise.catch((err: unknown) => {
      if (stopped || current !== started) return
      opts.log.error({ err }, 'job worker failed; starting it again when the database answers')
      current = undefined
      restarting = (async () => {
        await started.liveness.release().catch(() => {})
        while (!stopped) {
          await new Promise((r) => setTimeout(r, RESTART_MS))
          if (stopped) return
          try {
            const next = await startRunner(opts)
            if (stopped) {
              await next.runner.stop().catch(() => {})
              await next.liveness.release()
              return
            }
            current = next
            supervise(next)
            opts.log.info('job worker running again')
            return
          } catch (e) {
            opts.log.warn({ err: e }, 'job worker could not start yet; retrying')
          }
        }
      })()
    })
  }
  supervise(current)

  const sweep = async () => {
    if (!current) return
    await current.liveness.ensure()
    await releaseDeadWorkers(opts.pool, opts.log)
  }
  await sweep().catch((err: unknown) => opts.log.warn({ err }, 'worker sweep failed; retrying at the next one'))
  const timer = setInterval(() => {
    sweep().catch((err: unknown) => opts.log.warn({ err }, 'worker sweep failed; retrying at the next one'))
  }, opts.sweepMs ?? SWEEP_MS)
  timer.unref()
  // The lanes' regeneration requests become this queue's jobs (jobs/regen-requests.ts).
  const mover = startRegenRequestMover(opts.db, opts.log)
  return {
    async stop() {
      stopped = true
      await mover.stop()
      clearInterval(timer)
      await restarting
      const last = current
      current = undefined
      if (last) {
        await last.runner.stop().catch((err: unknown) => opts.log.warn({ err }, 'job worker stopped with an error'))
        await last.liveness.release()
      }
    },
  }
}
