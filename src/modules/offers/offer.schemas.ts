import { z } from 'zod'
import { gtinProblemText, normaliseGtin } from '../../lib/codes.ts'
import { categorySchema } from '../products/product.schemas.ts'
import {
  BRAND_GROUPS,
  LIFE_STAGES,
  LIFECYCLE_STAGES,
  PERK_TYPES,
  USAGE_LEVELS,
  VALUE_TIERS,
  type OfferScope,
  type Targeting,
} from './offer.types.ts'

// Scope and targeting are single strict objects checked by refinements rather than z.union:
// a union failure is reported as one "Invalid input" on the whole object, and every bad
// field must be named in the 400 (API.md).

// Matches the pricing engine's largest unit price: keeps basket arithmetic a safe integer.
const MAX_CENTS = 100_000_000
const MAX_COUNT = 1_000_000_000

const cents = (min: number) => z.number().int().min(min).max(MAX_CENTS)
const positiveCount = z.number().int().min(1).max(MAX_COUNT)
const percent = z.number().gt(0, 'must be above 0').lte(100, 'must be at most 100')
export const day = z.iso.date('must be a date YYYY-MM-DD')
const brandType = z.enum(['national', 'store'])

export const categoryPath = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[^/]+(\/[^/]+)*$/, 'must be a category path like "Health/Pain relief" (no empty parts)')

const gtin = z
  .string()
  .describe('GTIN-8, -12, -13 or -14 with a valid check digit')
  .transform((raw, ctx) => {
    const n = normaliseGtin(raw)
    if ('gtin' in n) return n.gtin
    ctx.addIssue({ code: 'custom', message: gtinProblemText[n.problem] })
    return z.NEVER
  })

export const scopeSchema = z
  .strictObject({
    gtins: z.array(gtin).min(1).max(1000).optional(),
    // The product rules, so " Health / Pain relief " is the "Health/Pain relief" products carry:
    // a scope spelled differently from the catalog would silently cover nothing.
    category: categorySchema.optional(),
    brandType: brandType.optional().describe('With category only: national or store brands of that category'),
  })
  .superRefine((s, ctx) => {
    if (s.gtins && s.category) ctx.addIssue({ code: 'custom', path: ['category'], message: 'give either gtins or category, not both' })
    if (!s.gtins && !s.category) ctx.addIssue({ code: 'custom', path: ['gtins'], message: 'give gtins (1..1000 GTINs) or a category' })
    if (s.gtins && s.brandType) ctx.addIssue({ code: 'custom', path: ['brandType'], message: 'brandType narrows a category scope only' })
  })
  .transform((s): OfferScope => {
    if (s.gtins) return { gtins: [...new Set(s.gtins)] }
    return s.brandType ? { category: s.category!, brandType: s.brandType } : { category: s.category! }
  })
  .meta({ description: '{ gtins: [GTIN-8/12/13/14, stored as GTIN-14] } or { category, brandType? }' })

export const priceRewardSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('amount_off'), amountCents: cents(1) }),
  z.strictObject({ type: z.literal('percent_off'), percent }),
  z.strictObject({ type: z.literal('fixed_price'), priceCents: cents(0) }),
  z.strictObject({
    type: z.literal('buy_x_get_y'),
    buy: z.number().int().min(1).max(1000),
    get: z.number().int().min(1).max(1000),
    percentOff: percent.default(100).describe('Discount on the Y units; 100 = free'),
  }),
  z
    .strictObject({ type: z.literal('spend_threshold'), minSpendCents: cents(1), amountCents: cents(1) })
    .refine((r) => r.amountCents <= r.minSpendCents, { path: ['amountCents'], message: 'must not exceed minSpendCents' }),
])

// A one-option union so a price reward sent with kind "perk" is named by its type alone.
export const perkRewardSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('perk'),
    perkType: z.enum(PERK_TYPES),
    content: z.string().trim().min(1).max(2000).describe('The text printed on the list'),
    url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2000).optional(),
  }),
])

const segment = z.strictObject({
  category: categoryPath,
  brandGroup: z.enum(BRAND_GROUPS),
  usage: z.enum(USAGE_LEVELS),
})

export const targetingSchema = z
  .strictObject({
    everyone: z.literal(true).optional(),
    segments: z.array(segment).min(1).max(100).optional(),
    lifeStage: z.array(z.enum(LIFE_STAGES)).min(1).optional(),
    valueTiers: z.array(z.enum(VALUE_TIERS)).min(1).optional(),
    lifecycle: z.array(z.enum(LIFECYCLE_STAGES)).min(1).optional(),
  })
  .superRefine((t, ctx) => {
    const criteria = [t.segments, t.lifeStage, t.valueTiers, t.lifecycle].filter(Boolean).length
    if (t.everyone && criteria > 0) ctx.addIssue({ code: 'custom', path: ['everyone'], message: 'everyone excludes other criteria' })
    if (!t.everyone && criteria === 0) {
      ctx.addIssue({ code: 'custom', path: [], message: 'give { everyone: true } or at least one of segments, lifeStage, valueTiers, lifecycle' })
    }
  })
  .transform((t): Targeting => {
    if (t.everyone) return { everyone: true }
    return {
      ...(t.segments ? { segments: t.segments } : {}),
      ...(t.lifeStage ? { lifeStage: [...new Set(t.lifeStage)] } : {}),
      ...(t.valueTiers ? { valueTiers: [...new Set(t.valueTiers)] } : {}),
      ...(t.lifecycle ? { lifecycle: [...new Set(t.lifecycle)] } : {}),
    }
  })
  .meta({
    description:
      '{ everyone: true } or any of segments, lifeStage, valueTiers, lifecycle. Criteria combine with AND, values within one with OR.',
  })

export const limitsSchema = z.strictObject({
  unitsPerRedemption: positiveCount.optional().describe('Most units one redemption discounts'),
  redemptionsPerCustomer: positiveCount.optional(),
})

export const budgetSchema = z.strictObject({
  maxRedemptions: positiveCount.optional(),
  maxDiscountCents: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
})

const fundedBy = z.union([z.literal('store'), z.strictObject({ manufacturer: z.string().trim().min(1).max(200) })])

const common = {
  name: z.string().trim().min(1).max(200),
  description: z.string().trim().max(2000).default('').describe('Shown on lists and receipts'),
  targeting: targetingSchema,
  validFrom: day,
  validUntil: day.describe('Inclusive; not before validFrom'),
}

const offerBody = z.strictObject({
  kind: z.literal('offer').optional(),
  ...common,
  scope: scopeSchema,
  reward: priceRewardSchema,
  limits: limitsSchema.optional(),
  budget: budgetSchema.optional(),
  fundedBy,
  stackable: z.boolean().default(false).describe('May combine with other offers on the same unit'),
})

// Perks are never priced at the lane, so limits, budget and stacking do not apply to them.
const perkBody = z.strictObject({
  kind: z.literal('perk'),
  ...common,
  scope: scopeSchema.optional().describe('Ties the perk to products, e.g. a recipe for a category'),
  reward: perkRewardSchema,
  fundedBy: fundedBy.default('store'),
})

const isDay = (v: unknown) => typeof v === 'string' && day.safeParse(v).success

export const createOfferBody = z
  .discriminatedUnion('kind', [offerBody, perkBody], { error: "kind must be 'offer' (the default) or 'perk'" })
  .refine((o) => o.validUntil >= o.validFrom, {
    path: ['validUntil'],
    message: 'must not be before validFrom',
    // Check the window even when other fields are bad, so one 400 names every problem.
    when: (p) => {
      const v = p.value as { validFrom?: unknown; validUntil?: unknown } | null
      return typeof v === 'object' && v !== null && isDay(v.validFrom) && isDay(v.validUntil)
    },
  })
export type CreateOfferInput = z.output<typeof createOfferBody>

const nullableCount = positiveCount.nullable()

export const patchOfferBody = z
  .strictObject({
    name: common.name.optional(),
    description: z.string().trim().max(2000).optional(),
    validUntil: day.optional(),
    targeting: targetingSchema.optional(),
    limits: z
      .strictObject({ unitsPerRedemption: nullableCount.optional(), redemptionsPerCustomer: nullableCount.optional() })
      .describe('Given fields replace the current ones; null removes a limit')
      .optional(),
    budget: z
      .strictObject({
        maxRedemptions: nullableCount.optional(),
        maxDiscountCents: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER).nullable().optional(),
      })
      .describe('Given fields replace the current ones; null removes a maximum; never below what is used')
      .optional(),
  })
  .refine((b) => Object.keys(b).length > 0, {
    message: 'give at least one field to change',
    // An unknown key already explains the 400; "nothing to change" would only confuse.
    when: (p) => p.issues.length === 0,
  })
export type PatchOfferInput = z.output<typeof patchOfferBody>
