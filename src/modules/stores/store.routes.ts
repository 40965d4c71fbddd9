import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Database } from '../../db/database.ts'
import { actorOf } from '../../plugins/auth.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import { lane, laneBody, laneIdSchema, store, storeBody, storeIdSchema, storeWithLanes } from './store.schemas.ts'
import * as service from './store.service.ts'

const common = { tags: ['backoffice'], security: [{ bearer: [] }] }
const storeParams = z.object({ storeId: storeIdSchema })
const laneParams = z.object({ storeId: storeIdSchema, laneId: laneIdSchema })

export const storeRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('backoffice'))

  app.put(
    '/v1/stores/:storeId',
    {
      schema: {
        ...common,
        summary: 'Create or update a store (201 when created, 200 when updated)',
        params: storeParams,
        body: storeBody,
        response: { 200: store, 201: store, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { created, store } = await service.putStore(db, request.params.storeId, request.body, actorOf(request))
      return reply.code(created ? 201 : 200).send(store)
    },
  )

  app.get(
    '/v1/stores',
    {
      schema: {
        ...common,
        summary: 'List every store, active or not',
        response: { 200: z.object({ items: z.array(store) }), ...errorResponses(401, 403) },
      },
    },
    async () => ({ items: await service.listStores(db) }),
  )

  app.get(
    '/v1/stores/:storeId',
    {
      schema: {
        ...common,
        summary: 'One store with its lanes',
        params: storeParams,
        response: { 200: storeWithLanes, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => service.getStore(db, request.params.storeId),
  )

  app.delete(
    '/v1/stores/:storeId',
    {
      schema: {
        ...common,
        summary: 'Deactivate a store (soft: its history stays; PUT with active=true reactivates). Idempotent',
        params: storeParams,
        response: { 204: z.null().describe('Deactivated'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await service.deactivateStore(db, request.params.storeId, actorOf(request))
      return reply.code(204).send(null)
    },
  )

  app.put(
    '/v1/stores/:storeId/lanes/:laneId',
    {
      schema: {
        ...common,
        summary: 'Create or update a lane of a store (201 when created, 200 when updated)',
        params: laneParams,
        body: laneBody,
        response: { 200: lane, 201: lane, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { storeId, laneId } = request.params
      const { created, lane } = await service.putLane(db, storeId, laneId, request.body, actorOf(request))
      return reply.code(created ? 201 : 200).send(lane)
    },
  )

  app.delete(
    '/v1/stores/:storeId/lanes/:laneId',
    {
      schema: {
        ...common,
        summary: 'Deactivate a lane (soft: past sales still name it; PUT with active=true reactivates). Idempotent',
        params: laneParams,
        response: { 204: z.null().describe('Deactivated'), ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      await service.deactivateLane(db, request.params.storeId, request.params.laneId, actorOf(request))
      return reply.code(204).send(null)
    },
  )
}
