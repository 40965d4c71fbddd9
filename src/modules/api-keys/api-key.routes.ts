import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Database } from '../../db/database.ts'
import { actorOf } from '../../plugins/auth.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import * as service from './api-key.service.ts'

const role = z.enum(['pos', 'backoffice', 'admin'])
const keyInfo = z
  .object({
    id: z.string(),
    name: z.string(),
    role,
    storeId: z.string().nullable(),
    prefix: z.string().describe('First characters of the key, to recognise it in lists'),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' })

export const apiKeyRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('admin'))

  app.post(
    '/v1/api-keys',
    {
      schema: {
        tags: ['admin'],
        summary: 'Create an API key; the key is shown only in this response',
        security: [{ bearer: [] }],
        body: z.object({
          role,
          storeId: z.string().min(1).max(32).optional().describe('Required for pos keys: the store the lane belongs to'),
          name: z.string().trim().min(1).max(200),
        }),
        response: { 201: keyInfo.extend({ key: z.string() }), ...errorResponses(400, 401, 403, 422) },
      },
    },
    async (request, reply) => {
      const created = await service.createApiKey(db, request.body, actorOf(request))
      return reply.code(201).send(created)
    },
  )

  app.get(
    '/v1/api-keys',
    {
      schema: {
        tags: ['admin'],
        summary: 'List API keys (never the keys themselves)',
        security: [{ bearer: [] }],
        response: { 200: z.object({ items: z.array(keyInfo) }), ...errorResponses(401, 403) },
      },
    },
    async () => ({ items: await service.listApiKeys(db) }),
  )

  app.delete(
    '/v1/api-keys/:id',
    {
      schema: {
        tags: ['admin'],
        summary: 'Revoke an API key (idempotent)',
        security: [{ bearer: [] }],
        params: z.object({ id: z.string().regex(/^[0-9]{1,18}$/, 'must be a key id') }),
        response: { 204: z.null().describe('Revoked'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const hash = await service.revokeApiKey(db, Number(request.params.id), actorOf(request))
      app.forgetApiKey(hash)
      return reply.code(204).send(null)
    },
  )
}
