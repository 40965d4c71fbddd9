import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Database } from '../../db/database.ts'
import { actorOf } from '../../plugins/auth.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import { offerOut, offerPage } from './offer-response.schemas.ts'
import { createOfferBody, day, patchOfferBody } from './offer.schemas.ts'
import * as changes from './offer-changes.service.ts'
import * as service from './offer.service.ts'

const idParams = z.object({ id: z.string().regex(/^[0-9]{1,18}$/, 'must be an offer id') })
const common = { tags: ['backoffice'], security: [{ bearer: [] }] }

export const offerRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('backoffice'))

  app.post(
    '/v1/offers',
    {
      schema: {
        ...common,
        summary: 'Create an offer, a manufacturer deal or a perk',
        description:
          'kind "offer" (the default) is a price reward on a product or category scope. kind "perk" is a ' +
          'non-price reward printed on the list (recipe, meal plan, tip, fast-lane pass, home delivery): its reward ' +
          'is { type: "perk", perkType, content, url? }, scope is optional, and it has no limits, budget or stacking. ' +
          'fundedBy { manufacturer } marks a manufacturer deal, billed from the redemptions.',
        body: createOfferBody,
        response: { 201: offerOut, ...errorResponses(400, 401, 403) },
      },
    },
    async (request, reply) => reply.code(201).send(await service.createOffer(db, request.body, actorOf(request))),
  )

  app.get(
    '/v1/offers',
    {
      schema: {
        ...common,
        summary: 'List offers and perks, newest first',
        querystring: z.strictObject({
          status: z.enum(['active', 'paused', 'ended']).optional(),
          kind: z.enum(['offer', 'perk']).optional(),
          activeOn: day.optional().describe('Only offers that can be given that day: status active and the day within validity'),
          limit: z.coerce.number().int().min(1).max(200).default(50),
          cursor: z.string().regex(/^[0-9]{1,18}$/, 'must be a nextCursor from a previous page').optional(),
        }),
        response: { 200: offerPage, ...errorResponses(400, 401, 403) },
      },
    },
    async (request) => service.listOffers(db, request.query),
  )

  app.get(
    '/v1/offers/:id',
    {
      schema: {
        ...common,
        summary: 'One offer with its budget used and remaining and the discount given so far',
        params: idParams,
        response: { 200: offerOut, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => service.getOffer(db, request.params.id),
  )

  app.patch(
    '/v1/offers/:id',
    {
      schema: {
        ...common,
        summary: 'Change an active or paused offer; what was already redeemed stays as it was',
        description: 'A budget maximum below what is already used is a 409 naming the field. An ended offer cannot change (409).',
        params: idParams,
        body: patchOfferBody,
        response: { 200: offerOut, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => changes.updateOffer(db, request.params.id, request.body, actorOf(request)),
  )

  const transitions: { name: changes.Transition; summary: string }[] = [
    { name: 'pause', summary: 'Pause an active offer: lists and lanes stop giving it (idempotent)' },
    { name: 'resume', summary: 'Resume a paused offer (idempotent)' },
    { name: 'end', summary: 'End an offer for good (idempotent); an ended offer cannot resume or change' },
  ]
  for (const { name, summary } of transitions) {
    app.post(
      `/v1/offers/:id/${name}`,
      {
        schema: { ...common, summary, params: idParams, response: { 200: offerOut, ...errorResponses(400, 401, 403, 404, 409) } },
      },
      async (request) => changes.transitionOffer(db, request.params.id, name, actorOf(request)),
    )
  }
}
