import { z } from 'zod'
import { gtinSchema } from '../products/product.schemas.ts'
import { laneIdSchema, storeIdSchema } from '../stores/store.schemas.ts'

/** A basket line count a lane never reaches; bounds the work one request can ask for. */
export const MAX_BASKET_LINES = 500
/** Units over all lines: the pricing engine looks at every unit on its own. */
export const MAX_BASKET_UNITS = 5_000
export const MAX_LINE_QUANTITY = 9_999
/** $100,000 a unit: far above any grocery price, far below the engine's safe-integer bounds. */
export const MAX_UNIT_PRICE_CENTS = 10_000_000

// Not .int(): its message is about numbers in general; a lane integrator needs to read "whole".
const wholeNumber = (min: number, max: number, what: string) =>
  z
    .number()
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .refine(Number.isInteger, `must be a whole number${what}`)
    .meta({ type: 'integer' })

/** Printable ASCII without spaces: POS transaction ids are printed on receipts and logged. */
export const posIdSchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,64}$/, 'must be 1-64 printable ASCII characters without spaces')

export const basketItem = z.strictObject({
  gtin: gtinSchema,
  quantity: wholeNumber(1, MAX_LINE_QUANTITY, ' of units'),
  unitPriceCents: wholeNumber(0, MAX_UNIT_PRICE_CENTS, ' of cents').describe('Shelf price of one unit, integer cents'),
})

export const redemptionBody = z
  .strictObject({
    storeId: storeIdSchema,
    laneId: laneIdSchema,
    posTransactionId: posIdSchema.describe('The POS transaction id; with storeId the idempotency key'),
    scannedCode: z.string().trim().min(1).max(64).describe('The raw payload of the scanned loyalty card or list barcode'),
    occurredAt: z.iso
      .datetime({ offset: true, message: 'must be an RFC 3339 time with an offset, e.g. 2026-11-22T15:04:05-06:00' })
      .describe('When the sale happened at the lane, RFC 3339 with offset'),
    offline: z
      .boolean()
      .optional()
      .describe('true: the lane could not reach lanelist; the sale is posted late, without discounts, and earns rain checks'),
    items: z
      .array(basketItem)
      .min(1, 'the basket is empty')
      .max(MAX_BASKET_LINES, `at most ${MAX_BASKET_LINES} lines per basket`),
  })
  .superRefine((body, ctx) => {
    let units = 0
    for (const item of body.items) units += typeof item.quantity === 'number' ? item.quantity : 0
    if (units > MAX_BASKET_UNITS) {
      ctx.addIssue({ code: 'custom', path: ['items'], message: `at most ${MAX_BASKET_UNITS} units per basket, got ${units}` })
    }
  })

export type RedemptionRequest = z.infer<typeof redemptionBody>

const discount = z
  .object({
    offerId: z.string(),
    gtin: z.string(),
    description: z.string(),
    quantity: z.number().int().describe('Units of this GTIN the offer discounted'),
    amountCents: z.number().int(),
  })
  .meta({ id: 'RedemptionDiscount' })

const rainCheck = z
  .object({ offerId: z.string(), description: z.string(), valueCents: z.number().int(), expiresOn: z.string() })
  .meta({ id: 'RainCheck', description: 'An offer an offline sale would have earned, honoured on a later visit' })

export const pricedBasket = {
  customer: z.object({
    id: z.string(),
    maskedCard: z.string().nullable(),
    tier: z.enum(['A', 'B', 'C', 'D']).nullable().describe('Value tier; null until the customer is segmented'),
  }),
  listId: z.string().nullable().describe('The list whose offers applied; null if the customer has no current list'),
  discounts: z.array(discount),
  totalBeforeCents: z.number().int(),
  totalDiscountCents: z.number().int(),
  totalAfterCents: z.number().int(),
  rainChecks: z.array(rainCheck).describe('offline: what the sale earned for a later visit; empty otherwise'),
  receiptLines: z.array(z.string()).describe('Short lines (at most 40 characters) for the POS to print'),
}

export const redemptionOut = z.object({ redemptionId: z.string(), ...pricedBasket }).meta({ id: 'Redemption' })
export const quoteOut = z.object(pricedBasket).meta({ id: 'RedemptionQuote' })
export type RedemptionResponse = z.infer<typeof redemptionOut>
export type QuoteResponse = z.infer<typeof quoteOut>

export const redemptionIdParams = z.object({
  redemptionId: z.string().regex(/^[0-9]{1,18}$/, 'must be a redemption id'),
})

export const voidOut = z
  .object({
    redemptionId: z.string(),
    status: z.literal('voided'),
    voidedAt: z.string(),
    reversedDiscountCents: z.number().int().describe('Discount still outstanding when the sale was voided'),
    receiptLines: z.array(z.string()),
  })
  .meta({ id: 'RedemptionVoid' })
export type VoidResponse = z.infer<typeof voidOut>

export const returnBody = z.strictObject({
  posReturnId: posIdSchema.describe('The POS return id; the idempotency key within the redemption'),
  items: z
    .array(z.strictObject({ gtin: gtinSchema, quantity: wholeNumber(1, MAX_BASKET_UNITS, ' of units') }))
    .min(1, 'nothing to return')
    .max(MAX_BASKET_LINES, `at most ${MAX_BASKET_LINES} lines per return`),
})
export type ReturnRequest = z.infer<typeof returnBody>

export const returnOut = z
  .object({
    redemptionId: z.string(),
    posReturnId: z.string(),
    items: z.array(z.object({ gtin: z.string(), quantity: z.number().int() })),
    clawbackCents: z.number().int().describe('Discount given on the returned units, to deduct from the refund'),
    clawbacks: z.array(z.object({ offerId: z.string(), gtin: z.string(), amountCents: z.number().int() })),
    receiptLines: z.array(z.string()),
  })
  .meta({ id: 'RedemptionReturn' })
export type ReturnResponse = z.infer<typeof returnOut>
