import { Logger as WorkerLogger, run, runMigrations, type Runner, type TaskList } from 'graphile-worker'
import type pg from 'pg'
import type { Logger } from 'pino'

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

export async function startWorker(opts: { pool: pg.Pool; log: Logger; tasks: TaskList; concurrency?: number }): Promise<Runner> {
  return run({
    pgPool: opts.pool,
    taskList: opts.tasks,
    concurrency: opts.concurrency ?? 2,
    // server.ts owns the signals and stops the runner during graceful shutdown.
    noHandleSignals: true,
    pollInterval: 1000,
    logger: pinoWorkerLogger(opts.log),
  })
}
