import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { DatabaseHandle } from '../../db/database.ts'
import { checkReadiness } from './health.service.ts'

const readySchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    database: z.enum(['ok', 'unreachable']),
    migrations: z.enum(['ok', 'pending', 'unknown']),
    shuttingDown: z.boolean(),
  }),
})

export const healthRoutes: FastifyPluginAsyncZod<{ db: DatabaseHandle; migrationVersions: number[]; isShuttingDown: () => boolean }> = async (
  app,
  opts,
) => {
  app.get(
    '/health/live',
    {
      schema: {
        tags: ['ops'],
        summary: 'The process is up',
        response: { 200: z.object({ status: z.literal('live') }) },
      },
    },
    async () => ({ status: 'live' as const }),
  )

  app.get(
    '/health/ready',
    {
      schema: {
        tags: ['ops'],
        summary: 'The database is reachable and migrated; 503 otherwise',
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (_request, reply) => {
      const result = await checkReadiness(opts.db.pool, opts.migrationVersions, opts.isShuttingDown())
      if (result.status !== 'ready') reply.code(503).header('retry-after', '1')
      return result
    },
  )
}
