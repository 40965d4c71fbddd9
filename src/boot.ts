import type { FastifyInstance } from 'fastify'
import pino, { type Logger } from 'pino'
import { buildApp } from './app.ts'
import type { Config } from './config.ts'
import { connectDatabase, type DatabaseHandle } from './db/database.ts'
import { startEmbeddedPostgres, type EmbeddedDatabase } from './db/embedded.ts'
import { readMigrations } from './db/migrate.ts'
import { prepareDatabase } from './db/prepare.ts'
import { loadDemoIfEmpty, type DemoSummary } from './demo/load-demo.ts'
import { startDispatcher } from './modules/events/webhook-dispatcher.ts'
import { DEFAULT_RETRY } from './modules/events/webhook-retry.ts'
import { startWorker } from './modules/jobs/worker.ts'
import { usePreparedStatements } from './db/prepared-statements.ts'
import { configureWriteBatching } from './modules/redemptions/redemption-coalescer.ts'
import { configureReadBatching } from './modules/redemptions/redemption-read-coalescer.ts'
import { listTasks } from './modules/lists/list-tasks.ts'
import { predictionTasks, scheduleRefit } from './modules/prediction/prediction-tasks.ts'
import { modelFitsProgramWindow } from './modules/prediction/prediction.service.ts'
import { ensureRollupScheduled, reportTasks } from './modules/reports/report-tasks.ts'
import { loggerOptions } from './plugins/logging.ts'
import { installProgramSettings } from './program-settings.ts'

/**
 * The direct pool's connections: graphile-worker's LISTEN client, its two job slots, the
 * liveness lock, the regeneration-request mover, the webhook dispatcher and the jobs' own queries.
 */
const DIRECT_POOL_MAX = 10

export interface Service {
  app: FastifyInstance
  database: DatabaseHandle
  url: string
  demo: DemoSummary | null
  /**
   * Stops accepting, finishes in-flight requests and jobs, closes the pools, stops the embedded
   * database. After `graceMs` the embedded database is stopped whatever is still running, so a
   * slow shutdown never leaves an orphaned PostgreSQL holding the data folder.
   */
  stop(opts?: { graceMs?: number }): Promise<void>
}

export function createLogger(config: Config): Logger {
  return pino(loggerOptions(config.LANELIST_LOG_LEVEL) as pino.LoggerOptions)
}

/** Everything server.ts does except signal handling, so tests can start and stop a real service. */
export async function startService(config: Config, log: Logger = createLogger(config)): Promise<Service> {
  let embedded: EmbeddedDatabase | undefined
  let database: DatabaseHandle | undefined
  let direct: DatabaseHandle | undefined
  // Before the demo load, which writes lists and vouchers by the program's rules.
  installProgramSettings(config)
  try {
    let url = config.DATABASE_URL
    if (!url) {
      embedded = await startEmbeddedPostgres({ dataDir: config.LANELIST_DATA_DIR, port: config.LANELIST_EMBEDDED_PG_PORT, log })
      url = embedded.url
    }
    database = connectDatabase(url, { max: config.LANELIST_DB_POOL_MAX })
    usePreparedStatements(config.LANELIST_DB_PREPARED_STATEMENTS)
    configureWriteBatching({
      inFlight: config.LANELIST_REDEMPTION_BATCH_IN_FLIGHT,
      maxSales: config.LANELIST_REDEMPTION_BATCH_MAX,
      stallMs: config.LANELIST_REDEMPTION_BATCH_STALL_MS,
    })
    configureReadBatching({
      inFlight: config.LANELIST_REDEMPTION_READ_BATCH_IN_FLIGHT,
      maxSales: config.LANELIST_REDEMPTION_BATCH_MAX,
      stallMs: config.LANELIST_REDEMPTION_BATCH_STALL_MS,
    })
    // Behind a transaction pooler the HTTP routes use DATABASE_URL (the pooler) and everything
    // that needs a session of its own uses the direct URL: the migration lock, graphile-worker's
    // LISTEN, prepared statements and the liveness lock (docs/operations.md "pgbouncer").
    direct = config.LANELIST_DIRECT_DATABASE_URL
      ? connectDatabase(config.LANELIST_DIRECT_DATABASE_URL, { max: DIRECT_POOL_MAX, applicationName: 'lanelist-worker' })
      : database
    const applied = await prepareDatabase(direct.pool, (m) => log.info(m))
    if (applied.length) log.info({ count: applied.length }, 'database migrated')
    const versions = (await readMigrations()).map((m) => m.version)

    const demo = embedded && config.LANELIST_DEMO ? await loadDemoIfEmpty(database.db, { customers: config.LANELIST_DEMO_CUSTOMERS, log, dataDir: config.LANELIST_DATA_DIR }) : null

    const app = await buildApp({ config, database, migrationVersions: versions })
    const address = await app.listen({ port: config.PORT, host: config.HOST })
    const db = database
    const jobsDb = direct
    // Runs list generation and post-redemption regeneration; a run interrupted by a restart is
    // retried from its job (a job a crashed worker held is unlocked when its lock expires).
    // The reports rollup (reports/report-tasks.ts) reschedules itself; start keeps one waiting.
    if (config.LANELIST_WORKER) await ensureRollupScheduled(jobsDb.db)
    // The prediction model's refit (prediction/prediction-tasks.ts) reschedules itself too; at
    // start it runs soon and refits only a model older than the refit period.
    // A waiting refit keeps its time, unless the model was fitted for another list window.
    if (config.LANELIST_WORKER && config.LANELIST_MODEL_REFIT_HOURS > 0) {
      await scheduleRefit(jobsDb.db, new Date(Date.now() + 60_000), (await modelFitsProgramWindow(jobsDb.db)) ? 'preserve_run_at' : 'replace')
    }
    const worker = config.LANELIST_WORKER
      ? await startWorker({ pool: jobsDb.pool, db: jobsDb.db, log, tasks: { ...listTasks(jobsDb.db), ...reportTasks(jobsDb.db), ...predictionTasks(jobsDb.db, { refitEveryHours: config.LANELIST_MODEL_REFIT_HOURS }) } })
      : undefined
    // Webhook deliveries from the outbox; every instance may run one (docs/webhooks.md).
    const dispatcher = config.LANELIST_WORKER
      ? startDispatcher({
          db: jobsDb.db,
          log,
          pollMs: config.LANELIST_WEBHOOK_POLL_MS,
          timeoutMs: config.LANELIST_WEBHOOK_TIMEOUT_MS,
          retry: { ...DEFAULT_RETRY, maxAttempts: config.LANELIST_WEBHOOK_MAX_ATTEMPTS },
        })
      : undefined
    let stopping: Promise<void> | undefined
    return {
      app,
      database: db,
      url: address,
      demo,
      stop(opts = {}) {
        stopping ??= (async () => {
          const graceful = (async () => {
            // The worker first: a running job finishes its chunk while the pool is still open.
            await worker?.stop()
            await dispatcher?.stop()
            await app.close()
            await db.close()
            if (jobsDb !== db) await jobsDb.close()
          })()
          let timer: NodeJS.Timeout | undefined
          const late = new Promise<'late'>((resolve) => {
            if (opts.graceMs !== undefined) timer = setTimeout(() => resolve('late'), opts.graceMs).unref()
          })
          try {
            if ((await Promise.race([graceful, late])) === 'late') log.warn({ graceMs: opts.graceMs }, 'graceful shutdown took too long; stopping the database anyway')
          } finally {
            clearTimeout(timer)
            // A fast shutdown: PostgreSQL ends what is still connected and writes nothing half.
            await embedded?.stop()
          }
        })()
        return stopping
      },
    }
  } catch (err) {
    await database?.close().catch(() => {})
    if (direct !== database) await direct?.close().catch(() => {})
    await embedded?.stop().catch(() => {})
    throw err
  }
}
