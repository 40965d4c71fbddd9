import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Database } from '../../db/database.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import { customerListParams, htmlResponse, listParams, pngResponse, shoppingList, svgResponse } from './list.schemas.ts'
import * as service from './list.service.ts'

const common = { tags: ['backoffice'], security: [{ bearer: [] }] }

// A list's barcode never changes, so its image may be cached for good; private, because the
// routes need a key. The list itself and its print page change status when superseded: revalidate.
const IMMUTABLE = 'private, max-age=31536000, immutable'
const REVALIDATE = 'private, no-cache'

export const listRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('backoffice'))

  app.get(
    '/v1/customers/:customerId/lists/current',
    {
      schema: {
        ...common,
        summary: "The customer's current shopping list",
        params: customerListParams,
        response: { 200: shoppingList, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', REVALIDATE)
      return service.getCurrentList(db, Number(request.params.customerId))
    },
  )

  app.get(
    '/v1/lists/:listId',
    {
      schema: {
        ...common,
        summary: 'One shopping list: items, offers, perks, vouchers and its barcode payload',
        params: listParams,
        response: { 200: shoppingList, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', REVALIDATE)
      return service.getList(db, Number(request.params.listId))
    },
  )

  app.get(
    '/v1/lists/:listId/barcode.svg',
    {
      schema: {
        ...common,
        summary: "The list's barcode as an SVG image",
        params: listParams,
        response: { 200: svgResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { barcode, svg } = await service.getListBarcodeSvg(db, Number(request.params.listId))
      return reply.type('image/svg+xml; charset=utf-8').header('cache-control', IMMUTABLE).header('etag', `"${barcode}"`).send(svg)
    },
  )

  app.get(
    '/v1/lists/:listId/barcode.png',
    {
      schema: {
        ...common,
        summary: "The list's barcode as a PNG image",
        params: listParams,
        response: { 200: pngResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const { barcode, png } = await service.getListBarcodePng(db, Number(request.params.listId))
      return reply.type('image/png').header('cache-control', IMMUTABLE).header('etag', `"${barcode}"`).send(png)
    },
  )

  app.get(
    '/v1/lists/:listId/print',
    {
      schema: {
        ...common,
        summary: 'A printable HTML page of the list, barcode included',
        params: listParams,
        response: { 200: htmlResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const html = await service.getListPrintPage(db, Number(request.params.listId))
      return reply.type('text/html; charset=utf-8').header('cache-control', REVALIDATE).send(html)
    },
  )
}
