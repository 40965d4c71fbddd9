import { z } from 'zod'
import { PERK_TYPES } from '../offers/offer.types.ts'

const digits = (what: string) => z.string().regex(/^[0-9]{1,15}$/, `a ${what} id is a string of up to 15 digits`)

export const listParams = z.object({ listId: digits('list').describe('List id') })
export const customerListParams = z.object({ customerId: digits('customer').describe('Customer id') })

const day = z.string().describe('YYYY-MM-DD')

const reward = z.discriminatedUnion('type', [
  z.object({ type: z.literal('amount_off'), amountCents: z.number().int() }),
  z.object({ type: z.literal('percent_off'), percent: z.number() }),
  z.object({ type: z.literal('fixed_price'), priceCents: z.number().int() }),
  z.object({ type: z.literal('buy_x_get_y'), buy: z.number().int(), get: z.number().int(), percentOff: z.number() }),
  z.object({ type: z.literal('spend_threshold'), minSpendCents: z.number().int(), amountCents: z.number().int() }),
])

const item = z.object({
  rank: z.number().int().describe('1 = most important'),
  product: z
    .object({
      id: z.string(),
      gtin: z.string().nullable(),
      name: z.string(),
      brand: z.string().nullable(),
      category: z.string(),
      size: z.string().nullable(),
    })
    .nullable()
    .describe('The predicted product; null for a coupon placed in a category the customer buys, on products they are not predicted to buy (its offer says which)'),
  category: z.string().nullable(),
  department: z.string().describe('First level of the category path, for grouping'),
  expectedDate: day.nullable().describe('When the customer will likely buy it'),
  probability: z.number().nullable(),
  reason: z.string().describe('Why it is on the list, in plain words'),
  offer: z
    .object({
      id: z.string(),
      name: z.string(),
      description: z.string(),
      reward: reward.nullable(),
      valueCents: z.number().int().describe('Expected saving for this customer on this item'),
      validUntil: day,
    })
    .nullable(),
})

export const shoppingList = z
  .object({
    id: z.string(),
    customerId: z.string(),
    barcode: z.string().describe('The payload printed on the list; the lane accepts it like a card'),
    cycleStart: day,
    validFrom: day,
    validUntil: day,
    status: z.enum(['current', 'superseded']),
    trigger: z.enum(['run', 'redemption', 'manual']),
    generationId: z.string().nullable(),
    holdout: z.boolean().describe('Held out of targeted offers to measure the program\'s lift'),
    createdAt: z.string(),
    items: z.array(item),
    totalCouponCents: z.number().int(),
    perks: z.array(
      z.object({ offerId: z.string(), perkType: z.enum(PERK_TYPES), name: z.string(), content: z.string(), url: z.string().optional() }),
    ),
    vouchers: z
      .array(z.object({ id: z.string(), valueCents: z.number().int(), periodStart: day, periodEnd: day, expiresOn: day.nullable() }))
      .describe('Base-reward vouchers printed on this list'),
    rainChecks: z
      .array(
        z.object({
          id: z.string(),
          offerId: z.string(),
          name: z.string().describe("The offer's name"),
          description: z.string(),
          valueCents: z.number().int().describe('Worth up to this much off the offer\'s products at the lane, once'),
          expiresOn: day.nullable(),
        }),
      )
      .describe('Offers an offline sale would have earned, open when the list was made: the lane takes them off the next sale by itself'),
  })
  .meta({ id: 'ShoppingList' })

export const svgResponse = {
  description: 'The list barcode (Code 128) as SVG',
  content: { 'image/svg+xml': { schema: z.string() } },
}
export const pngResponse = {
  description: 'The list barcode (Code 128) as PNG',
  // z.any so the handler may send a Buffer; documented as binary.
  content: { 'image/png': { schema: z.any().meta({ type: 'string', format: 'binary' }) } },
}
export const htmlResponse = {
  description: 'A printable HTML page (A4 or Letter, works offline)',
  content: { 'text/html': { schema: z.string() } },
}
