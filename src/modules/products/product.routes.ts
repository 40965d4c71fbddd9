import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Database } from '../../db/database.ts'
import { actorOf } from '../../plugins/auth.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import { productCursorSchema } from './product.cursor.ts'
import { categorySchema, gtinSchema, product, productBatch, productPage, productPatch, upsertResult } from './product.schemas.ts'
import * as service from './product.service.ts'

const common = { tags: ['backoffice'], security: [{ bearer: [] }] }
const gtinParams = z.object({ gtin: gtinSchema })

export const productRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('backoffice'))

  app.post(
    '/v1/products',
    {
      // 5,000 full product records run to a few MB; the app-wide limit is sized for lane calls.
      bodyLimit: 16 * 1024 * 1024,
      schema: {
        ...common,
        summary: 'Upsert up to 5,000 products by GTIN, all or nothing',
        description:
          'Each item is the whole record of its product: optional fields left out take their defaults. ' +
          'A batch with any invalid item is rejected whole (nothing is written) and the 400 lists every bad field by path.',
        body: productBatch,
        response: { 200: upsertResult, ...errorResponses(400, 401, 403, 413) },
      },
    },
    async (request) => service.upsertProducts(db, request.body.products, actorOf(request)),
  )

  app.get(
    '/v1/products',
    {
      schema: {
        ...common,
        summary: 'Page through the catalog, oldest first',
        querystring: z.strictObject({
          category: categorySchema.optional().describe('A category path; matches it and everything below it'),
          q: z.string().trim().min(1).max(100).optional().describe('Text in the name or brand, case-insensitive'),
          active: z.enum(['true', 'false']).optional().describe('Only listed (true) or delisted (false) products'),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          cursor: productCursorSchema.optional(),
        }),
        response: { 200: productPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => {
      const { active, ...rest } = request.query
      return service.listProducts(db, { ...rest, active: active === undefined ? undefined : active === 'true' })
    },
  )

  app.get(
    '/v1/products/:gtin',
    {
      schema: {
        ...common,
        summary: 'One product by any GTIN-8/12/13/14 form of its code',
        params: gtinParams,
        response: { 200: product, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => service.getProduct(db, request.params.gtin),
  )

  app.patch(
    '/v1/products/:gtin',
    {
      schema: {
        ...common,
        summary: 'Change some fields of one product; active=false delists it (soft)',
        params: gtinParams,
        body: productPatch,
        response: { 200: product, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => service.updateProduct(db, request.params.gtin, request.body, actorOf(request)),
  )
}
