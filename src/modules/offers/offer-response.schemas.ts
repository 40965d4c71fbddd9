import { z } from 'zod'
import { BRAND_GROUPS, LIFE_STAGES, LIFECYCLE_STAGES, PERK_TYPES, USAGE_LEVELS, VALUE_TIERS } from './offer.types.ts'

// Output shapes: plain objects (no transforms) so they serialise and document as they are.

const brandType = z.enum(['national', 'store'])

const scopeOut = z.union([
  z.object({ gtins: z.array(z.string()).describe('GTIN-14') }),
  z.object({ category: z.string(), brandType: brandType.optional() }),
])

const rewardOut = z.discriminatedUnion('type', [
  z.object({ type: z.literal('amount_off'), amountCents: z.number().int() }),
  z.object({ type: z.literal('percent_off'), percent: z.number() }),
  z.object({ type: z.literal('fixed_price'), priceCents: z.number().int() }),
  z.object({ type: z.literal('buy_x_get_y'), buy: z.number().int(), get: z.number().int(), percentOff: z.number() }),
  z.object({ type: z.literal('spend_threshold'), minSpendCents: z.number().int(), amountCents: z.number().int() }),
  z.object({ type: z.literal('perk'), perkType: z.enum(PERK_TYPES), content: z.string(), url: z.string().optional() }),
])

const targetingOut = z.object({
  everyone: z.literal(true).optional(),
  segments: z
    .array(z.object({ category: z.string(), brandGroup: z.enum(BRAND_GROUPS), usage: z.enum(USAGE_LEVELS) }))
    .optional(),
  lifeStage: z.array(z.enum(LIFE_STAGES)).optional(),
  valueTiers: z.array(z.enum(VALUE_TIERS)).optional(),
  lifecycle: z.array(z.enum(LIFECYCLE_STAGES)).optional(),
})

const count = z.number().int()

export const offerOut = z
  .object({
    id: z.string(),
    kind: z.enum(['offer', 'perk']),
    name: z.string(),
    description: z.string(),
    status: z.enum(['active', 'paused', 'ended']),
    scope: scopeOut.nullable().describe('null for a perk tied to no product'),
    reward: rewardOut,
    targeting: targetingOut,
    validFrom: z.string(),
    validUntil: z.string(),
    limits: z.object({ unitsPerRedemption: count.nullable(), redemptionsPerCustomer: count.nullable() }),
    budget: z
      .object({
        maxRedemptions: count.nullable(),
        maxDiscountCents: count.nullable(),
        usedRedemptions: count,
        usedDiscountCents: count,
        remainingRedemptions: count.nullable(),
        remainingDiscountCents: count.nullable(),
      })
      .describe('null maximum or remaining = unlimited'),
    fundedBy: z.union([z.literal('store'), z.object({ manufacturer: z.string() })]),
    stackable: z.boolean(),
    redemptions: count.describe('Redemptions so far, net of voids'),
    discountGivenCents: count.describe('Discount given so far, net of voids and returns'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Offer' })

export const offerPage = z.object({
  items: z.array(offerOut),
  nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page'),
})
