import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Database } from '../../db/database.ts'
import { BRAND_GROUPS, LIFECYCLE_STAGES, LIFE_STAGES, USAGE_LEVELS, VALUE_TIERS } from '../offers/offer.types.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import { getCustomerProfile } from './profile.service.ts'

const params = z.object({ customerId: z.string().regex(/^[0-9]{1,15}$/, 'a customer id is a string of up to 15 digits').describe('Customer id') })

const profileView = z
  .object({
    customerId: z.string(),
    asOf: z.string().describe('Day the profile was computed for'),
    optOut: z.boolean().describe('Opted out of personalised offers: only offers for everyone'),
    eligible: z.boolean().describe('Spends enough to get the fortnightly list'),
    weeklySpendCents: z.number().int(),
    valueTier: z.enum(VALUE_TIERS).nullable(),
    valueCents: z.number().int().nullable(),
    lifecycle: z.enum(LIFECYCLE_STAGES).nullable(),
    trend: z.enum(['rising', 'flat', 'falling']).nullable(),
    lifeStage: z.array(z.enum(LIFE_STAGES)),
    walletShare: z.enum(['high', 'medium', 'low']).nullable(),
    segments: z.array(
      z.object({
        category: z.string(),
        brandGroup: z.enum(BRAND_GROUPS),
        usage: z.enum(USAGE_LEVELS),
        units: z.number(),
        nationalUnits: z.number(),
        spendCents: z.number().int(),
      }),
    ),
    cycles: z
      .array(
        z.object({
          productId: z.string(),
          name: z.string(),
          category: z.string(),
          cycleDays: z.number().int(),
          lastPurchase: z.string().nullable(),
          expectedNext: z.string().nullable(),
        }),
      )
      .describe('Products bought on a regular cycle, most likely next first'),
    holdout: z.boolean().describe('The current list was held out of targeted offers to measure their effect'),
    voucherBalanceCents: z.number().int().describe('Accrued and not yet issued as a voucher (whole cents)'),
    currentList: z
      .object({
        id: z.string(),
        validUntil: z.string(),
        offers: z.array(
          z.object({
            offerId: z.string(),
            name: z.string(),
            kind: z.enum(['offer', 'perk']),
            given: z.boolean(),
            reason: z.string().describe('Why, in words to read to the customer'),
          }),
        ),
      })
      .nullable(),
  })
  .meta({ id: 'CustomerProfile' })

export const profileRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('backoffice'))

  app.get(
    '/v1/customers/:customerId/profile',
    {
      schema: {
        tags: ['backoffice'],
        security: [{ bearer: [] }],
        summary: "The customer's segments, cycles, value tier, lifecycle and why each offer was given or withheld",
        params,
        response: { 200: profileView, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => getCustomerProfile(db, Number(request.params.customerId)),
  )
}
