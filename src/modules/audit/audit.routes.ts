import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Database } from '../../db/database.ts'
import { idCursor } from '../../lib/cursor.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import { listAuditEntries } from './audit.service.ts'

const auditCursor = idCursor('audit')
const time = z.iso.datetime({ offset: true }).transform((v) => new Date(v))

const entryOut = z
  .object({
    id: z.string(),
    at: z.string(),
    actor: z.object({
      id: z.string().describe('As recorded: key:<id>, key:bootstrap, or the system part that acted'),
      keyId: z.string().nullable(),
      name: z.string().nullable().describe("The key's name when the actor is an API key"),
      role: z.string().nullable(),
    }),
    action: z.string().describe('e.g. offer.create, api_key.revoke, customer.erase, webhook.update'),
    entity: z.string(),
    entityId: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).describe('What changed, without personal data'),
  })
  .meta({ id: 'AuditEntry' })

export const auditRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('admin'))

  app.get(
    '/v1/audit-log',
    {
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        summary: 'Back-office changes, newest first: who (API key) did what to which entity, when',
        querystring: z
          .object({
            entity: z.string().max(64).optional().describe('e.g. offer, api_key, customer, store, product, webhook_endpoint, list_generation'),
            entityId: z.string().max(128).optional(),
            action: z.string().max(64).optional(),
            actor: z.string().max(64).optional().describe('key:<id> or key:bootstrap'),
            from: time.optional().describe('Inclusive, RFC 3339 with offset'),
            to: time.optional().describe('Exclusive, RFC 3339 with offset'),
            limit: z.coerce.number().int().min(1).max(500).default(50),
            cursor: auditCursor.schema.optional(),
          })
          .refine((q) => !q.from || !q.to || q.from < q.to, { path: ['to'], message: 'must be after from' }),
        response: { 200: z.object({ items: z.array(entryOut), nextCursor: z.string().nullable() }), ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => listAuditEntries(db, request.query, auditCursor.encode),
  )
}
