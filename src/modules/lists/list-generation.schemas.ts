import { z } from 'zod'

const digits = (what: string) => z.string().regex(/^[0-9]{1,15}$/, `a ${what} id is a string of up to 15 digits`)
const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d), 'must be a real date')

export const generationParams = z.object({ generationId: digits('list generation').describe('List generation run id') })
export const customerParams = z.object({ customerId: digits('customer').describe('Customer id') })

export const startGenerationBody = z.object({
  asOf: isoDay.describe('First day of the lists (YYYY-MM-DD); lists are valid LANELIST_LIST_VALID_DAYS days (14 by default) from it'),
  customerIds: z.array(digits('customer')).min(1).max(100_000).optional().describe('Only these customers; default every customer'),
  force: z.boolean().optional().describe('Also regenerate customers whose list is still current'),
})

export const generateNowBody = z
  .object({ asOf: isoDay.optional().describe('First day of the list; default today') })
  .optional()

export const generationAccepted = z.object({ id: z.string(), status: z.enum(['queued', 'running', 'succeeded', 'failed']) })

export const listGeneration = z
  .object({
    id: z.string(),
    asOf: z.string(),
    status: z.enum(['queued', 'running', 'succeeded', 'failed']),
    force: z.boolean(),
    customerIds: z.array(z.string()).nullable(),
    total: z.number().int().describe('Customers in the run'),
    done: z.number().int().describe('Customers processed so far'),
    listsCreated: z.number().int(),
    skipped: z.object({
      notEligible: z.number().int().describe('Below the spend threshold, or not profiled (erased)'),
      listStillCurrent: z.number().int().describe('Their list is still valid and the run was not forced'),
    }),
    error: z.string().nullable().describe('Why the last attempt failed'),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
  })
  .meta({ id: 'ListGeneration' })

export const ndjsonResponse = {
  description: "Every list of the run, one JSON object per line, in the shape of GET /v1/lists/{listId}",
  content: { 'application/x-ndjson': { schema: z.string() } },
}
export const htmlDocumentResponse = {
  description: 'One printable HTML document with every list of the run, a page each',
  content: { 'text/html': { schema: z.string() } },
}
