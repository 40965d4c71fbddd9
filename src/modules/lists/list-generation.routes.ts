import { Readable } from 'node:stream'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Database } from '../../db/database.ts'
import { actorOf } from '../../plugins/auth.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import {
  customerParams,
  generateNowBody,
  generationAccepted,
  generationParams,
  htmlDocumentResponse,
  listGeneration,
  ndjsonResponse,
  startGenerationBody,
} from './list-generation.schemas.ts'
import { getGeneration, regenerateCustomerList, startGeneration } from './list-run.service.ts'
import { shoppingList } from './list.schemas.ts'
import { printGeneration, streamGenerationLists } from './list.service.ts'

const common = { tags: ['backoffice'], security: [{ bearer: [] }] }

async function* ndjson(lists: ReturnType<typeof streamGenerationLists>) {
  for await (const { storeName: _s, firstName: _f, ...list } of lists) yield `${JSON.stringify(list)}\n`
}

export const listGenerationRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('backoffice'))

  app.post(
    '/v1/list-generations',
    {
      schema: {
        ...common,
        summary: 'Start a list generation run (runs in the background)',
        body: startGenerationBody,
        response: { 202: generationAccepted, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => {
      const { asOf, customerIds, force } = request.body
      const run = await startGeneration(db, { asOf, customerIds: customerIds?.map(Number), force }, actorOf(request))
      return reply.code(202).send({ id: run.id, status: run.status })
    },
  )

  app.get(
    '/v1/list-generations/:generationId',
    {
      schema: {
        ...common,
        summary: "A run's status and progress",
        params: generationParams,
        response: { 200: listGeneration, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => getGeneration(db, Number(request.params.generationId)),
  )

  app.get(
    '/v1/list-generations/:generationId/lists',
    {
      schema: {
        ...common,
        summary: "Every list of the run as NDJSON, for the mailing or e-mail system",
        params: generationParams,
        response: { 200: ndjsonResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const id = Number(request.params.generationId)
      await getGeneration(db, id)
      return reply.type('application/x-ndjson; charset=utf-8').send(Readable.from(ndjson(streamGenerationLists(db, id))) as never)
    },
  )

  app.get(
    '/v1/list-generations/:generationId/print',
    {
      schema: {
        ...common,
        summary: 'Every list of the run as one printable HTML document',
        params: generationParams,
        response: { 200: htmlDocumentResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const id = Number(request.params.generationId)
      await getGeneration(db, id)
      return reply.type('text/html; charset=utf-8').header('cache-control', 'private, no-cache').send(Readable.from(printGeneration(db, id)) as never)
    },
  )

  app.post(
    '/v1/customers/:customerId/lists',
    {
      schema: {
        ...common,
        summary: "Generate the customer's list now (even below the eligibility threshold); supersedes the current one",
        params: customerParams,
        body: generateNowBody,
        response: { 201: shoppingList, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => {
      const list = await regenerateCustomerList(db, Number(request.params.customerId), {
        asOf: request.body?.asOf,
        trigger: 'manual',
        actor: actorOf(request),
      })
      return reply.code(201).send(list!)
    },
  )
}
