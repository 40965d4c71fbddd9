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
import { listTasks } from './modules/lists/list-tasks.ts'
import { ensureRollupScheduled, reportTasks } from './modules/reports/report-tasks.ts'
import { loggerOptions } from './plugins/logging.ts'

export interface Service {
  app: FastifyInstance
  database: DatabaseHandle
  url: string
  demo: DemoSummary | null
  /** Stops accepting, finishes in-flight requests, closes the pool, stops the embedded database. */
  stop(): Promise<void>
}

export function createLogger(config: Config): Logger {
  return pino(loggerOptions(config.LANELIST_LOG_LEVEL) as pino.LoggerOptions)
}

/** Everything server.ts does except signal handling, so tests can start and stop a real service. */
export async function startService(config: Config, log: Logger = createLogger(config)): Promise<Service> {
  let embedded: EmbeddedDatabase | undefined
  let database: DatabaseHandle | undefined
  try {
    let url = config.DATABASE_URL
    if (!url) {
      embedded = await startEmbeddedPostgres({ dataDir: config.LANELIST_DATA_DIR, port: config.LANELIST_EMBEDDED_PG_PORT, log })
      url = embedded.url
    }
    database = connectDatabase(url, { max: config.LANELIST_DB_POOL_MAX })
    const applied = await prepareDatabase(database.pool, (m) => log.info(m))
    if (applied.length) log.info({ count: applied.length }, 'database migrated')
    const versions = (await readMigrations()).map((m) => m.version)

    const demo = embedded && config.LANELIST_DEMO ? await loadDemoIfEmpty(database.db, { customers: config.LANELIST_DEMO_CUSTOMERS, log, dataDir: config.LANELIST_DATA_DIR }) : null

    const app = await buildApp({ config, database, migrationVersions: versions })
    const address = await app.listen({ port: config.PORT, host: config.HOST })
    const db = database
    // Runs list generation and post-redemption regeneration; a run interrupted by a restart is
    // retried from its job (a job a crashed worker held is unlocked when its lock expires).
    // The reports rollup (reports/report-tasks.ts) reschedules itself; start keeps one waiting.
    if (config.LANELIST_WORKER) await ensureRollupScheduled(db.db)
    const worker = config.LANELIST_WORKER ? await startWorker({ pool: db.pool, db: db.db, log, tasks: { ...listTasks(db.db), ...reportTasks(db.db) } }) : undefined
    // Webhook deliveries from the outbox; every instance may run one (docs/webhooks.md).
    const dispatcher = config.LANELIST_WORKER
      ? startDispatcher({
          db: db.db,
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
      stop() {
        stopping ??= (async () => {
          // The worker first: a running job finishes its chunk while the pool is still open.
          await worker?.stop()
          await dispatcher?.stop()
          await app.close()
          await db.close()
          await embedded?.stop()
        })()
        return stopping
      },
    }
  } catch (err) {
    await database?.close().catch(() => {})
    await embedded?.stop().catch(() => {})
    throw err
  }
}
