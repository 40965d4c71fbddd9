import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Database } from '../../db/database.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import { getOpsStatus } from './ops.service.ts'

const counts = {
  ready: z.number().int().describe('Due now, waiting for a worker'),
  scheduled: z.number().int().describe('Due later: delayed, or backing off after a failure'),
  running: z.number().int().describe('Claimed by a worker'),
  retrying: z.number().int().describe('Failed at least once and will run again'),
  failed: z.number().int().describe('Out of attempts: needs a person'),
}

const opsStatus = z
  .object({
    at: z.string(),
    queue: z.object({
      total: z.object(counts),
      oldestReadySeconds: z.number().int().nullable().describe('How long the oldest due job has waited; null when none waits'),
      tasks: z.array(z.object({ task: z.string(), ...counts })),
    }),
    listRuns: z.object({ active: z.number().int().describe('Runs queued or running') }),
    jobErrors: z
      .array(z.object({ id: z.string(), task: z.string(), attempts: z.number().int(), maxAttempts: z.number().int(), error: z.string(), at: z.string() }))
      .describe('Unfinished jobs whose last attempt failed, newest first'),
    runErrors: z
      .array(z.object({ generationId: z.string(), asOf: z.string(), status: z.string(), error: z.string(), at: z.string() }))
      .describe('List runs of the last 7 days that recorded an error'),
    requestErrors: z
      .array(z.object({ at: z.string(), method: z.string(), route: z.string(), status: z.number().int(), requestId: z.string(), message: z.string() }))
      .describe("This instance's last 50 server errors (5xx), newest first; find the full error in the log by requestId"),
  })
  .meta({ id: 'OpsStatus' })

export const opsRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('backoffice'))

  app.get(
    '/v1/ops/status',
    {
      schema: {
        tags: ['backoffice'],
        security: [{ bearer: [] }],
        summary: 'Job queue depth and recent errors (readiness itself is GET /health/ready)',
        response: { 200: opsStatus, ...errorResponses(401, 403) },
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'no-store')
      return getOpsStatus(db, app.recentErrors())
    },
  )
}
