import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Database } from '../../db/database.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import * as reversal from './redemption-reversal.service.ts'
import {
  quoteOut,
  redemptionBody,
  redemptionIdParams,
  redemptionOut,
  returnBody,
  returnOut,
  voidOut,
} from './redemption.schemas.ts'
import * as service from './redemption.service.ts'

const common = { tags: ['checkout'], security: [{ bearer: [] }] }

export const redemptionRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('pos'))

  app.post(
    '/v1/redemptions',
    {
      schema: {
        ...common,
        summary: 'A card or list was scanned: apply the list offers to the basket and record the sale',
        description:
          'Idempotent on (storeId, posTransactionId): a retry with the same body answers 200 with the stored ' +
          'response and records nothing; the same key with another body is 409. "offline": true posts a sale made ' +
          'while the lane could not reach lanelist: no discounts, the offers it would have earned become rain checks. ' +
          'A pos key acts for its own store only (403). See docs/redemptions.md.',
        body: redemptionBody,
        response: { 200: redemptionOut, 201: redemptionOut, ...errorResponses(400, 401, 403, 409, 422, 503) },
      },
    },
    async (request, reply) => {
      const { replayed, response } = await service.redeem(db, request.body, request.principal?.storeId ?? null)
      // Past the lane deadline the POS already has its 503 (plugins/deadline.ts) and will retry;
      // the sale is recorded and the retry gets it. A second send would only log a warning per
      // late sale, which is many when the machine is overloaded.
      if (reply.sent) return
      return reply.code(replayed ? 200 : 201).send(response)
    },
  )

  app.post(
    '/v1/redemptions/quote',
    {
      schema: {
        ...common,
        summary: 'The discounts a redemption of this basket would give, without recording anything',
        body: redemptionBody,
        response: { 200: quoteOut, ...errorResponses(400, 401, 403, 422, 503) },
      },
    },
    async (request) => service.quote(db, request.body, request.principal?.storeId ?? null),
  )

  app.post(
    '/v1/redemptions/:redemptionId/void',
    {
      schema: {
        ...common,
        summary: 'The sale was voided: reverse its discounts, offer usage, budgets and history (idempotent)',
        params: redemptionIdParams,
        response: { 200: voidOut, ...errorResponses(400, 401, 403, 404, 503) },
      },
    },
    async (request) => reversal.voidRedemption(db, Number(request.params.redemptionId), request.principal?.storeId ?? null),
  )

  app.post(
    '/v1/redemptions/:redemptionId/returns',
    {
      schema: {
        ...common,
        summary: 'Units came back: the discount share to claw back for them',
        description:
          'Idempotent on posReturnId: a retry with the same body answers 200 with the stored response, another body ' +
          'is 409. More units than were sold and not yet returned is 422 naming items.N.quantity; a voided sale is 409.',
        params: redemptionIdParams,
        body: returnBody,
        response: { 200: returnOut, 201: returnOut, ...errorResponses(400, 401, 403, 404, 409, 422, 503) },
      },
    },
    async (request, reply) => {
      const { replayed, response } = await reversal.returnItems(
        db,
        Number(request.params.redemptionId),
        request.body,
        request.principal?.storeId ?? null,
      )
      if (reply.sent) return
      return reply.code(replayed ? 200 : 201).send(response)
    },
  )
}
