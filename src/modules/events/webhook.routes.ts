import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Database } from '../../db/database.ts'
import { idCursor } from '../../lib/cursor.ts'
import { actorOf } from '../../plugins/auth.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import * as service from './webhook.service.ts'
import {
  createEndpointBody,
  deliveryOut,
  deliveryStatus,
  endpointOut,
  endpointWithSecret,
  idParam,
  testSendOut,
  updateEndpointBody,
} from './webhook.schemas.ts'

const common = { tags: ['admin'], security: [{ bearer: [] }] }
const endpointParams = z.object({ id: idParam })
const deliveryCursor = idCursor('wd')

export const webhookRoutes: FastifyPluginAsyncZod<{ db: Database; timeoutMs: number }> = async (app, { db, timeoutMs }) => {
  app.addHook('onRequest', app.requireRole('admin'))

  app.post(
    '/v1/webhooks',
    {
      schema: {
        ...common,
        summary: 'Register a webhook endpoint; its signing secret is shown only in this response',
        body: createEndpointBody,
        response: { 201: endpointWithSecret, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => reply.code(201).send(await service.createEndpoint(db, request.body, actorOf(request))),
  )

  app.get(
    '/v1/webhooks',
    {
      schema: { ...common, summary: 'List webhook endpoints with their delivery health', response: { 200: z.object({ items: z.array(endpointOut) }), ...errorResponses(401, 403) } },
    },
    async () => ({ items: await service.listEndpoints(db) }),
  )

  app.get(
    '/v1/webhooks/:id',
    { schema: { ...common, summary: 'One webhook endpoint', params: endpointParams, response: { 200: endpointOut, ...errorResponses(400, 401, 403, 404) } } },
    async (request) => service.getEndpoint(db, Number(request.params.id)),
  )

  app.patch(
    '/v1/webhooks/:id',
    {
      schema: {
        ...common,
        summary: 'Change an endpoint: URL, description, event types, secret, enabled',
        params: endpointParams,
        body: updateEndpointBody,
        response: { 200: endpointOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => service.updateEndpoint(db, Number(request.params.id), request.body, actorOf(request)),
  )

  app.delete(
    '/v1/webhooks/:id',
    {
      schema: {
        ...common,
        summary: 'Delete an endpoint and its deliveries (PATCH enabled=false pauses it instead)',
        params: endpointParams,
        response: { 204: z.null().describe('Deleted'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await service.deleteEndpoint(db, Number(request.params.id), actorOf(request))
      return reply.code(204).send(null)
    },
  )

  app.post(
    '/v1/webhooks/:id/secret',
    {
      schema: {
        ...common,
        summary: 'Generate a new signing secret (shown only in this response); the old one stops signing at once',
        params: endpointParams,
        response: { 200: z.object({ id: z.string(), secret: z.string() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => service.rotateSecret(db, Number(request.params.id), actorOf(request)),
  )

  app.post(
    '/v1/webhooks/:id/test',
    {
      schema: {
        ...common,
        summary: "Send a signed 'webhook.test' event now and report the receiver's answer (not stored, not retried)",
        params: endpointParams,
        response: { 200: testSendOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => service.testSend(db, Number(request.params.id), timeoutMs),
  )

  app.get(
    '/v1/webhooks/:id/deliveries',
    {
      schema: {
        ...common,
        summary: "An endpoint's deliveries, newest first (status=dead lists those that gave up)",
        params: endpointParams,
        querystring: z.object({
          status: deliveryStatus.optional(),
          eventId: z.uuid().optional(),
          limit: z.coerce.number().int().min(1).max(500).default(50),
          cursor: deliveryCursor.schema.optional(),
        }),
        response: { 200: z.object({ items: z.array(deliveryOut), nextCursor: z.string().nullable() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => service.listDeliveries(db, Number(request.params.id), request.query, deliveryCursor.encode),
  )

  app.post(
    '/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
    {
      schema: {
        ...common,
        summary: 'Send a delivery again with a fresh set of attempts (a dead one, or a delivered one the receiver lost)',
        params: z.object({ id: idParam, deliveryId: idParam }),
        response: { 200: deliveryOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => service.redeliver(db, Number(request.params.id), Number(request.params.deliveryId), actorOf(request)),
  )

  app.post(
    '/v1/webhooks/:id/redeliver-dead',
    {
      schema: {
        ...common,
        summary: 'Redeliver every dead delivery of the endpoint (after a receiver outage)',
        params: endpointParams,
        response: { 200: z.object({ redelivered: z.number().int() }), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => service.redeliverDead(db, Number(request.params.id), actorOf(request)),
  )
}
