import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import Fastify, { LogController, type FastifyInstance } from 'fastify'
import {
  createJsonSchemaTransform,
  createJsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod'
import type { Config } from './config.ts'
import type { DatabaseHandle } from './db/database.ts'
import { apiKeyRoutes } from './modules/api-keys/api-key.routes.ts'
import { auditRoutes } from './modules/audit/audit.routes.ts'
import { consoleRoutes } from './modules/console/console.routes.ts'
import { customerSalesRoutes } from './modules/customers/customer-sales.routes.ts'
import { customerRoutes } from './modules/customers/customer.routes.ts'
import { webhookRoutes } from './modules/events/webhook.routes.ts'
import { healthRoutes } from './modules/health/health.routes.ts'
import { importRoutes } from './modules/imports/import.routes.ts'
import { listGenerationRoutes } from './modules/lists/list-generation.routes.ts'
import { listLookupRoutes } from './modules/lists/list-lookup.routes.ts'
import { listRoutes } from './modules/lists/list.routes.ts'
import { offerRoutes } from './modules/offers/offer.routes.ts'
import { opsRoutes } from './modules/ops/ops.routes.ts'
import recentErrors from './modules/ops/recent-errors.ts'
import { profileRoutes } from './modules/profiles/profile.routes.ts'
import { productRoutes } from './modules/products/product.routes.ts'
import { redemptionRoutes } from './modules/redemptions/redemption.routes.ts'
import { reportRoutes } from './modules/reports/report.routes.ts'
import { storeRoutes } from './modules/stores/store.routes.ts'
import auth from './plugins/auth.ts'
import deadline from './plugins/deadline.ts'
import requestLog, { loggerOptions } from './plugins/logging.ts'
import metrics from './plugins/metrics.ts'
import overload from './plugins/overload.ts'
import problem, { frameworkErrors } from './plugins/problem.ts'
import rateLimit from './plugins/rate-limit.ts'
import unicode from './plugins/unicode.ts'
import { installProgramSettings } from './program-settings.ts'

export interface AppDeps {
  config: Config
  database: DatabaseHandle
  /** Versions every instance must see applied before it reports ready. */
  migrationVersions: number[]
  /** pino destination for tests that read the logs; defaults to stdout. */
  logStream?: NodeJS.WritableStream
}

export const API_VERSION = '1.0.0'

/** Builds the Fastify instance without listening: server.ts listens, tests inject. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config, database } = deps
  installProgramSettings(config)
  const logger = loggerOptions(config.LANELIST_LOG_LEVEL) as Record<string, unknown>
  const app = Fastify({
    logger: deps.logStream ? { ...logger, stream: deps.logStream } : logger,
    // Our own one-line-per-request log replaces Fastify's two lines (plugins/logging.ts).
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Several ids (store, lane, transaction) are user-chosen strings; keep routing exact.
    routerOptions: { ignoreTrailingSlash: true },
    genReqId: () => crypto.randomUUID(),
    // URL errors Fastify answers before routing: problem+json like every other error.
    frameworkErrors,
  })
  // Every body is JSON (or CSV on the import routes): a text/plain body is the wrong media
  // type (415), not a malformed request that Fastify's default text parser would make a 400.
  app.removeContentTypeParser('text/plain')
  let shuttingDown = false
  app.addHook('preClose', async () => {
    shuttingDown = true
  })

  await app.register(problem)
  await app.register(deadline, { laneMs: config.LANELIST_LANE_DEADLINE_MS })
  await app.register(requestLog)
  await app.register(unicode)
  // Before auth: a request refused for overload costs no key lookup.
  await app.register(overload, {
    pool: database.pool,
    maxInFlight: config.LANELIST_MAX_IN_FLIGHT,
    maxDbWaiting: config.LANELIST_MAX_DB_WAITING,
    maxEventLoopDelayMs: config.LANELIST_MAX_EVENT_LOOP_DELAY_MS,
    maxHeapMb: config.LANELIST_MAX_HEAP_MB,
  })
  await app.register(recentErrors)
  await app.register(metrics, { pool: database.pool })
  await app.register(auth, { db: database.db, adminKey: config.LANELIST_ADMIN_KEY, cacheSeconds: config.LANELIST_KEY_CACHE_SECONDS })
  await app.register(rateLimit, {
    windowSeconds: config.LANELIST_RATE_LIMIT_WINDOW_SECONDS,
    perRole: { pos: config.LANELIST_RATE_LIMIT_POS, backoffice: config.LANELIST_RATE_LIMIT_BACKOFFICE, admin: config.LANELIST_RATE_LIMIT_ADMIN },
  })

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'lanelist',
        version: API_VERSION,
        description:
          'Checkout-lane service for supermarket loyalty programs. Money is integer cents; errors are RFC 9457 problem+json.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An API key' } } },
      tags: [
        { name: 'checkout', description: 'POS lane calls (role pos)' },
        { name: 'backoffice', description: 'Catalog, customers, offers, lists, reports (role backoffice)' },
        { name: 'admin', description: 'API keys, webhooks, audit log (role admin)' },
        { name: 'ops', description: 'Health (no key)' },
      ],
    },
    transform: createJsonSchemaTransform({ skipList: ['/metrics', '/docs', '/docs/*'] }),
    transformObject: createJsonSchemaTransformObject({}),
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })

  // zod compilers only inside this scope: plugin routes with plain JSON schemas stay untouched (STACK-NOTES).
  await app.register(async (api) => {
    api.setValidatorCompiler(validatorCompiler)
    api.setSerializerCompiler(serializerCompiler)
    await api.register(healthRoutes, {
      db: database,
      migrationVersions: deps.migrationVersions,
      isShuttingDown: () => shuttingDown,
    })
    await api.register(apiKeyRoutes, { db: database.db })
    await api.register(storeRoutes, { db: database.db })
    await api.register(productRoutes, { db: database.db })
    await api.register(customerRoutes, { db: database.db })
    await api.register(offerRoutes, { db: database.db })
    await api.register(importRoutes, { db: database.db })
    await api.register(listRoutes, { db: database.db })
    await api.register(listGenerationRoutes, { db: database.db })
    await api.register(profileRoutes, { db: database.db })
    await api.register(redemptionRoutes, { db: database.db })
    await api.register(reportRoutes, { db: database.db })
    await api.register(webhookRoutes, { db: database.db, timeoutMs: config.LANELIST_WEBHOOK_TIMEOUT_MS })
    await api.register(auditRoutes, { db: database.db })
    await api.register(customerSalesRoutes, { db: database.db })
    await api.register(listLookupRoutes, { db: database.db })
    await api.register(opsRoutes, { db: database.db })
  })
  await app.register(consoleRoutes)

  return app
}
