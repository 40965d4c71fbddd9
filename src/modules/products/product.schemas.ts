import { z } from 'zod'
import { gtinProblemText, normaliseGtin } from '../../lib/codes.ts'

export const MAX_BATCH = 5000

/** Any GTIN-8/12/13/14 with a valid check digit, turned into its 14-digit form. */
export const gtinSchema = z
  .string()
  .transform((raw, ctx) => {
    const r = normaliseGtin(raw)
    if ('problem' in r) {
      ctx.issues.push({ code: 'custom', message: gtinProblemText[r.problem], input: raw })
      return z.NEVER
    }
    return r.gtin
  })
  .describe('GTIN-8, -12 (UPC-A), -13 (EAN) or -14 with a valid check digit; stored and returned as 14 digits')

/** "Department/Category[/Subcategory]" with each segment trimmed, or why not. */
export function parseCategoryPath(raw: string): { path: string } | { problem: string } {
  const segments = raw.split('/').map((s) => s.trim())
  if (segments.length > 3) return { problem: 'a category path has at most 3 segments: Department/Category/Subcategory' }
  if (segments.some((s) => s.length === 0)) return { problem: 'a category path has no empty segments' }
  if (segments.some((s) => s.length > 100)) return { problem: 'a category segment has at most 100 characters' }
  return { path: segments.join('/') }
}

export const categorySchema = z
  .string()
  .transform((raw, ctx) => {
    const r = parseCategoryPath(raw)
    if ('problem' in r) {
      ctx.issues.push({ code: 'custom', message: r.problem, input: raw })
      return z.NEVER
    }
    return r.path
  })
  .describe('Path "Department/Category[/Subcategory]", 1-3 non-empty segments, e.g. "Health/Pain relief"')

const text = (max: number) => z.string().trim().min(1).max(max)
const brandType = z.enum(['national', 'store'])
// Not .int(): its failure aborts the batch-level duplicate check, which must run even when items are invalid.
const price = z
  .number()
  .min(0)
  .max(100_000_000)
  .refine(Number.isInteger, 'must be a whole number of cents')
  .meta({ type: 'integer', description: 'Integer cents' })

export const productInput = z
  .strictObject({
    gtin: gtinSchema,
    name: text(200),
    category: categorySchema,
    brand: text(200).nullable().default(null),
    brandType: brandType.default('national'),
    manufacturer: text(200).nullable().default(null).describe('Who funds manufacturer deals on it'),
    size: text(50).nullable().default(null).describe('Pack size as printed, e.g. "24 ct" or "500 g"'),
    regularPriceCents: price.nullable().default(null),
    active: z.boolean().default(true).describe('false delists the product (soft)'),
  })
  .describe('The whole record of one product: fields left out are set to their defaults, not kept')

export const productBatch = z.strictObject({
  products: z
    .array(productInput)
    .min(1)
    .max(MAX_BATCH)
    // Runs even when some items are invalid, so one response names every bad field.
    .superRefine(
      (items, ctx) => {
        // `when` also runs it when `products` is missing or not an array (a 500 before).
        if (!Array.isArray(items)) return
        const first = new Map<string, number>()
        items.forEach((item, i) => {
          const gtin = (item as { gtin?: unknown } | undefined)?.gtin
          if (typeof gtin !== 'string' || !/^[0-9]{14}$/.test(gtin)) return
          const seen = first.get(gtin)
          if (seen === undefined) first.set(gtin, i)
          else ctx.addIssue({ code: 'custom', path: [i, 'gtin'], message: `same product as products.${seen}.gtin (GTIN ${gtin})` })
        })
      },
      { when: () => true },
    ),
}).describe(
  `Up to ${MAX_BATCH} products upserted by GTIN in one transaction. A batch with any invalid item is rejected whole ` +
    '(nothing is written) and the 400 response lists every bad field by path, e.g. "products.3.gtin".',
)

export const productPatch = z
  .strictObject({
    name: text(200).optional(),
    category: categorySchema.optional(),
    brand: text(200).nullable().optional(),
    brandType: brandType.optional(),
    manufacturer: text(200).nullable().optional(),
    size: text(50).nullable().optional(),
    regularPriceCents: price.nullable().optional(),
    active: z.boolean().optional().describe('false delists the product (soft: history and offers still refer to it)'),
  })
  .refine((p) => Object.values(p).some((v) => v !== undefined), 'send at least one field to change')

export const product = z
  .object({
    id: z.string(),
    gtin: z.string().nullable().describe('14 digits; null for a product imported with only the chain\'s own id'),
    externalId: z.string().nullable(),
    name: z.string(),
    category: z.string(),
    brand: z.string().nullable(),
    brandType: brandType,
    manufacturer: z.string().nullable(),
    size: z.string().nullable(),
    regularPriceCents: z.number().int().nullable(),
    active: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Product' })

export const productPage = z.object({
  items: z.array(product),
  nextCursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last page'),
})

export const upsertResult = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int().describe('Sent with exactly the values already stored; not rewritten'),
})

export type ProductInput = z.output<typeof productInput>
export type ProductPatch = z.output<typeof productPatch>
export type Product = z.infer<typeof product>
export type UpsertResult = z.infer<typeof upsertResult>
