import { z } from 'zod'
import { hasValidCheckDigit } from '../../lib/codes.ts'

// Identity ids stay below 2^53, so a JSON number or a JS Number never rounds them.
export const customerIdSchema = z.string().regex(/^[0-9]{1,15}$/, 'a customer id is a string of up to 15 digits').describe('Customer id')
export const customerParams = z.object({ id: customerIdSchema })

export const cardNumberSchema = z
  .string()
  .trim()
  .regex(/^[0-9]{13}$/, 'a card number has 13 digits')
  .refine(hasValidCheckDigit, 'the check digit does not match (mistyped card number?)')
  .describe('Loyalty card number: 13 digits, GS1 check digit')

const householdShape = {
    adults: z.number().int().min(1).max(20).optional(),
    children: z.number().int().min(0).max(20).optional(),
    pets: z.boolean().optional(),
    baby: z.boolean().optional().describe('A baby or toddler in the household'),
    postalCode: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 -]{1,8}[A-Za-z0-9]$/, 'a postal code has 3-10 letters, digits, spaces or "-"')
      .optional(),
}

/** Only facts the customer chose to give; unknown keys are refused so nothing else creeps in. */
export const household = z
  .strictObject(householdShape)
  .describe('Household facts the customer chose to give; all optional')

// Output side strips rather than refuses, so a stray stored key can never turn a read into a 500.
const householdOut = z.object(householdShape).meta({ id: 'Household', description: 'Household facts the customer chose to give' })

const firstName = z.string().trim().min(1).max(100)
const storeId = z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'a store id is 1-32 letters, digits, "_" or "-"')

export const enrolBody = z.strictObject({
  firstName: firstName.optional(),
  externalId: z.string().trim().min(1).max(100).optional().describe('The chain\'s own customer id; unique'),
  homeStoreId: storeId.optional(),
  household: household.optional(),
})

export const patchBody = z
  .strictObject({
    firstName: firstName.nullable().optional().describe('null removes it'),
    household: household.optional().describe('Replaces the whole household record; {} removes every fact'),
    homeStoreId: storeId.nullable().optional(),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), 'send at least one field to change')

export const optOutBody = z.strictObject({
  optOut: z.boolean().describe('true: no targeted offers and no profiling (untargeted offers still apply)'),
})

export const customer = z
  .object({
    id: z.string(),
    cardNumber: z.string().nullable().describe('The active card; null once the customer is erased'),
    firstName: z.string().nullable(),
    externalId: z.string().nullable(),
    homeStoreId: z.string().nullable(),
    household: householdOut,
    personalisationOptOut: z.boolean(),
    erasedAt: z.string().nullable().describe('Set when personal data was erased on request; the customer is then anonymous'),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Customer' })

export const customerPage = z.object({
  items: z.array(customer),
  nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page'),
})

export const cardLookup = z
  .object({
    card: z.object({
      number: z.string(),
      status: z.enum(['active', 'replaced']).describe('replaced: the card no longer works at the lane; see customer.cardNumber'),
      issuedAt: z.string(),
      replacedAt: z.string().nullable(),
    }),
    customer,
  })
  .meta({ id: 'CardLookup' })

export const replacedCard = z.object({
  customerId: z.string(),
  cardNumber: z.string().describe('The new active card'),
  replacedCardNumber: z.string().nullable().describe('The card that stopped working'),
})

export const erased = z.object({ id: z.string(), erasedAt: z.string() })

export type Household = z.infer<typeof household>
export type EnrolInput = z.infer<typeof enrolBody>
export type CustomerPatch = z.infer<typeof patchBody>
export type Customer = z.infer<typeof customer>
export type CardLookup = z.infer<typeof cardLookup>
