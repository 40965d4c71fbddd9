import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Database } from '../../db/database.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import { customerParams } from './customer.schemas.ts'
import { getRecentSales } from './customer-sales.service.ts'

const saleView = z
  .object({
    id: z.string(),
    day: z.string().describe('Calendar day in the store\'s time zone'),
    occurredAt: z.string(),
    store: z.object({ id: z.string(), name: z.string().nullable() }).nullable(),
    laneId: z.string().nullable(),
    source: z.enum(['lane', 'offline', 'import']),
    status: z.enum(['recorded', 'voided']),
    totalBeforeCents: z.number().int().describe('Basket before discounts (sum of the lines for imported history)'),
    totalDiscountCents: z.number().int(),
    lines: z.array(
      z.object({
        lineNo: z.number().int(),
        gtin: z.string().nullable(),
        name: z.string().nullable(),
        category: z.string().nullable(),
        quantity: z.number().int(),
        unitPriceCents: z.number().int().nullable(),
        discountCents: z.number().int(),
        returnedQuantity: z.number().int(),
      }),
    ),
  })
  .meta({ id: 'CustomerSale' })

export const customerSalesRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('backoffice'))

  app.get(
    '/v1/customers/:id/sales',
    {
      schema: {
        tags: ['backoffice'],
        security: [{ bearer: [] }],
        summary: "The customer's latest sales with their lines, newest first (service desk)",
        params: customerParams,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(10) }),
        response: { 200: z.object({ items: z.array(saleView) }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => getRecentSales(db, Number(request.params.id), request.query.limit),
  )
}
