import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Database } from '../../db/database.ts'
import { actorOf } from '../../plugins/auth.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import * as lifecycle from './customer-lifecycle.service.ts'
import { customerCursorSchema } from './customer.cursor.ts'
import {
  cardLookup,
  cardNumberSchema,
  customer,
  customerPage,
  customerParams,
  enrolBody,
  erased,
  optOutBody,
  patchBody,
  replacedCard,
} from './customer.schemas.ts'
import * as service from './customer.service.ts'

const common = { tags: ['backoffice'], security: [{ bearer: [] }] }

export const customerRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('backoffice'))

  app.post(
    '/v1/customers',
    {
      schema: {
        ...common,
        summary: 'Enrol a customer and issue an active card',
        body: enrolBody,
        response: { 201: customer, ...errorResponses(400, 401, 403, 409, 422) },
      },
    },
    async (request, reply) => reply.code(201).send(await service.enrolCustomer(db, request.body, actorOf(request))),
  )

  app.get(
    '/v1/customers',
    {
      schema: {
        ...common,
        summary: 'Page through customers, oldest first',
        querystring: z.strictObject({
          limit: z.coerce.number().int().min(1).max(500).default(50),
          cursor: customerCursorSchema.optional(),
        }),
        response: { 200: customerPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => service.listCustomers(db, request.query),
  )

  app.get(
    '/v1/customers/lookup',
    {
      schema: {
        ...common,
        summary: 'Service desk: the customer behind a card number, and whether that card is current or replaced',
        querystring: z.strictObject({ card: cardNumberSchema }),
        response: { 200: cardLookup, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => service.lookupCard(db, request.query.card),
  )

  app.get(
    '/v1/customers/:id',
    {
      schema: {
        ...common,
        summary: 'One customer',
        params: customerParams,
        response: { 200: customer, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => service.stripMasked(await service.getCustomerSummary(db, Number(request.params.id))),
  )

  app.patch(
    '/v1/customers/:id',
    {
      schema: {
        ...common,
        summary: 'Change first name, household facts or home store (409 once erased)',
        params: customerParams,
        body: patchBody,
        response: { 200: customer, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request) => service.updateCustomer(db, Number(request.params.id), request.body, actorOf(request)),
  )

  app.post(
    '/v1/customers/:id/cards/replace',
    {
      schema: {
        ...common,
        summary: 'Issue a new card; the old one stops working at the lane, history stays with the customer',
        params: customerParams,
        response: { 201: replacedCard, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await lifecycle.replaceCard(db, Number(request.params.id), actorOf(request))),
  )

  app.post(
    '/v1/customers/:id/opt-out',
    {
      schema: {
        ...common,
        summary: 'Opt out of (or back into) personalisation: no targeted offers and no profiling while out',
        params: customerParams,
        body: optOutBody,
        response: { 200: customer, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => lifecycle.setOptOut(db, Number(request.params.id), request.body.optOut, actorOf(request)),
  )

  app.post(
    '/v1/customers/:id/erase',
    {
      schema: {
        ...common,
        summary: 'Erase personal data on request; sales stay, anonymous. Idempotent',
        description:
          'Clears first name, household and external id, deletes the customer\'s cards (their numbers then identify nobody) ' +
          'and opts them out of profiling. Sales stay attached to the now-anonymous customer id so reports stay true. ' +
          'Any later change to the customer is 409.',
        params: customerParams,
        response: { 200: erased, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => lifecycle.eraseCustomer(db, Number(request.params.id), actorOf(request)),
  )
}
