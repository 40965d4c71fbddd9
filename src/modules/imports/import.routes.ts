import { Readable } from 'node:stream'
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib'
import type { FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import { z } from 'zod'
import type { Database } from '../../db/database.ts'
import { invalid } from '../../lib/errors.ts'
import { actorOf } from '../../plugins/auth.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import { DAY_NUMBER_EPOCH, importProducts, importTransactions } from './import.service.ts'

// A chain's scanner history is gigabytes; the body is streamed, never held, so the limit only
// has to say "no limit" to Fastify's guard for bodies it buffers.
const BODY_LIMIT = 1024 ** 4

const summary = {
  rows: z.number().int().describe('Data rows read (header excluded), good and bad'),
  imported: z.number().int().describe('Rows that changed the database'),
  duplicates: z.number().int().describe('Good rows that changed nothing (already imported, or identical to what is stored)'),
  rejected: z.number().int().describe('Rows not imported, for the reasons in errors'),
  errors: z
    .array(z.object({ line: z.number().int().describe('File line; the header is line 1'), message: z.string() }))
    .describe('The first 100 rejected rows'),
  seconds: z.number(),
}

const transactionSummary = z
  .object({
    ...summary,
    skipped: z.number().int().describe('Good rows not imported on purpose, for the reasons in skips'),
    skips: z
      .array(
        z.object({
          reason: z.enum(['erased_customer']).describe('erased_customer: the customer was erased on request, so their history is not imported again'),
          rows: z.number().int(),
          customers: z.number().int(),
          message: z.string(),
        }),
      )
      .describe('Why rows were skipped, one entry per reason'),
    salesCreated: z.number().int(),
    customersCreated: z.number().int().describe('Customers created for unknown customer_id values, each with a card'),
    productsCreated: z.number().int().describe('Products created for unknown product_id or gtin values'),
  })
  .meta({ id: 'TransactionImportSummary' })

const productSummary = z
  .object({ ...summary, created: z.number().int(), updated: z.number().int() })
  .meta({ id: 'ProductImportSummary' })

// Documentation only: the parser below hands the handler the (decompressed) body stream.
const csvBody = z.any().meta({ type: 'string', description: 'CSV, header row first; may be sent with content-encoding gzip' })

const common = {
  tags: ['backoffice'],
  security: [{ bearer: [] }],
  consumes: ['text/csv'],
  body: csvBody,
}

export const importRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('backoffice'))
  // Only CSV reaches these routes (anything else is 415), and it arrives as a stream.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser(['text/csv', 'application/csv'], (request, payload, done) => {
    try {
      done(null, decoded(payload, request.headers['content-encoding']))
    } catch (err) {
      done(err as Error, undefined)
    }
  })

  app.post(
    '/v1/imports/products',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        ...common,
        summary: 'Import or update the catalog from CSV',
        description:
          'Columns: category and gtin or product_id (the chain\'s own id) are required; name, brand, brand_type ' +
          '(national or store), regular_price_cents, manufacturer, size and department (the first level of the ' +
          'category path) are optional. Upserts by GTIN, else by product_id; an empty cell keeps the stored value. ' +
          'Bad rows are reported by line and the good rows are imported. A missing required column rejects the file.',
        response: { 200: productSummary, ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (request) => withBody(request, (csv) => importProducts(db, csv, { actor: actorOf(request) })),
  )

  app.post(
    '/v1/imports/transactions',
    {
      bodyLimit: BODY_LIMIT,
      schema: {
        ...common,
        summary: 'Import purchase history from CSV',
        description:
          'Columns: customer_id, transaction_id, day (YYYY-MM-DD, or a day number counted from ' +
          `${DAY_NUMBER_EPOCH} as day 0) or occurred_at (RFC 3339), product_id or gtin, quantity; optional store_id ` +
          'and unit_price_cents. Rows with the same customer_id and transaction_id are one sale. Unknown customers ' +
          'and products are created. Idempotent: a sale already imported for the customer and transaction id is ' +
          'counted as duplicates and not written again. Bad rows are reported by line and the good rows are imported. ' +
          'Rows of customers erased on request are skipped (counted in skipped, with the reason in skips).',
        response: { 200: transactionSummary, ...errorResponses(400, 401, 403, 415) },
      },
    },
    async (request) => withBody(request, (csv) => importTransactions(db, csv, { actor: actorOf(request) })),
  )
}

async function withBody<T>(request: FastifyRequest, run: (csv: Readable) => Promise<T>): Promise<T> {
  if (!(request.body instanceof Readable)) {
    throw invalid([{ path: 'body', message: 'send the CSV as the request body with content-type: text/csv' }])
  }
  try {
    return await run(request.body)
  } catch (err) {
    // An import that stops early (bad header, failed batch) leaves the rest of the upload
    // unread, and Node will not drain a body someone started reading: without this the
    // client stalls on a full socket and never reads the answer.
    request.raw.unpipe()
    request.raw.resume()
    throw err
  }
}

function decoded(payload: Readable, contentEncoding: string | undefined): Readable {
  const encoding = (contentEncoding ?? 'identity').trim().toLowerCase()
  if (encoding === 'identity' || encoding === '') return payload
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? createGunzip()
      : encoding === 'deflate'
        ? createInflate()
        : encoding === 'br'
          ? createBrotliDecompress()
          : undefined
  if (!decoder) {
    throw invalid([{ path: 'content-encoding', message: `${encoding} is not supported; send gzip, deflate, br or none` }])
  }
  payload.on('error', (err) => decoder.destroy(err))
  // The decoder starts on the bytes at once, but its reader comes only after the auth and
  // validation hooks: a corrupt body would fail with no listener and crash the process. The
  // reader still gets the error: a destroyed stream hands it to whoever reads it later.
  decoder.on('error', () => {})
  return payload.pipe(decoder)
}
