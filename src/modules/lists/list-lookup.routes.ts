import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Database } from '../../db/database.ts'
import { classifyScannedCode } from '../../lib/codes.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import { listGeneration } from './list-generation.schemas.ts'
import { listRecentRuns, lookupListBarcode } from './list-lookup.service.ts'

const common = { tags: ['backoffice'], security: [{ bearer: [] }] }

const barcode = z
  .string()
  .trim()
  .transform((raw, ctx) => {
    const code = classifyScannedCode(raw)
    if (code.kind === 'list') return code.barcode
    ctx.addIssue({
      code: 'custom',
      message: code.kind === 'mistyped' ? 'the check digit does not match (mistyped list barcode?)' : 'a list barcode is LL and 13 digits',
    })
    return z.NEVER
  })
  .describe('The payload printed under the list barcode: LL and 13 digits')

export const listLookupRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('backoffice'))

  app.get(
    '/v1/lists/lookup',
    {
      schema: {
        ...common,
        summary: 'Service desk: the list (and customer) behind a printed list barcode',
        querystring: z.strictObject({ barcode }),
        response: {
          200: z.object({
            listId: z.string(),
            customerId: z.string(),
            status: z.enum(['current', 'superseded']),
            validFrom: z.string(),
            validUntil: z.string(),
          }),
          ...errorResponses(400, 401, 403, 404),
        },
      },
    },
    async (request) => lookupListBarcode(db, request.query.barcode),
  )

  app.get(
    '/v1/list-generations',
    {
      schema: {
        ...common,
        summary: 'List generation runs, newest first',
        querystring: z.strictObject({
          limit: z.coerce.number().int().min(1).max(100).default(20),
          cursor: z.string().regex(/^[0-9]{1,15}$/, 'must be a nextCursor from a previous page').optional(),
        }),
        response: {
          200: z.object({ items: z.array(listGeneration), nextCursor: z.string().nullable().describe('Pass as cursor for older runs; null on the last page') }),
          ...errorResponses(400, 401, 403),
        },
      },
    },
    async (request) => listRecentRuns(db, request.query),
  )
}
