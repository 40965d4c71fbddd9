import type { Readable } from 'node:stream'
import type { Transaction } from 'kysely'
import type pg from 'pg'
import type { Database } from '../../db/database.ts'
import type { DB } from '../../db/schema.ts'
import { newCardNumber } from '../../lib/codes.ts'
import { invalid } from '../../lib/errors.ts'
import { insertAudit } from '../audit/audit.repository.ts'
import { missingColumns, openCsv, RowErrors, type CsvRecord } from './csv-input.ts'
import { asDatabase, copyIn, PlannerStats } from './import-db.ts'
import {
  DEFAULT_BATCH_ROWS,
  MAX_REPORTED_ERRORS,
  type ImportProgress,
  type TransactionImportOptions,
  type TransactionImportSummary,
} from './import.types.ts'
import * as repo from './transaction-import.repository.ts'
import { bucketBatches, TRANSACTION_REQUIRED_COLUMNS, TransactionRowEncoder } from './transaction-rows.ts'

const CARD_ATTEMPTS = 8

/**
 * Purchase history from a CSV stream: customer_id, transaction_id, day (or occurred_at),
 * product_id (or gtin), quantity, optional store_id and unit_price_cents. Unknown customers
 * and products are created. Idempotent on (customer, transaction id).
 *
 * Two phases. Reading: every good row is COPYed into a session temp table (memory stays
 * bounded). A bad row is reported by line, and the other rows of its transaction are held
 * back (and reported) so that a corrected file can import the sale whole later; a partial
 * sale would count as imported and block that. Writing: batches of whole customer buckets,
 * each one transaction that creates the batch's customers and cards, its new sales and all
 * their lines. A sale is therefore never committed without all of its lines, so an import
 * that dies half-way and is run again ends exactly where one clean run would have.
 */
export async function importTransactions(
  target: Database | pg.Pool,
  input: Readable,
  opts: TransactionImportOptions = {},
): Promise<TransactionImportSummary> {
  const started = performance.now()
  const seconds = () => Math.round(performance.now() - started) / 1000
  const db = asDatabase(target)
  const batchRows = Math.max(1, opts.batchRows ?? DEFAULT_BATCH_ROWS)
  const actor = opts.actor ?? 'system'

  const errors = new RowErrors()
  const csv = await openCsv(input, errors)
  const missing = missingColumns(csv.columns, TRANSACTION_REQUIRED_COLUMNS)
  if (missing.length) throw invalid(missing.map((m) => ({ path: 'header', message: `missing column ${m}` })))

  const totals = { imported: 0, duplicates: 0, salesCreated: 0, customersCreated: 0, productsCreated: 0 }
  const progress = (phase: ImportProgress['phase'], rows: number) =>
    opts.onProgress?.({ phase, rows, imported: totals.imported, duplicates: totals.duplicates, rejected: errors.rejected, seconds: seconds() })

  return db.connection().execute(async (conn) => {
    await repo.createStaging(conn)
    try {
      const encoder = new TransactionRowEncoder(csv.columns, new Set(await repo.listStoreIds(conn)), errors)
      await copyIn(conn, repo.STAGE_COPY, encodeAll(csv.records, encoder, (rows) => progress('reading', rows)))
      progress('reading', encoder.rows)
      await repo.indexStaging(conn)

      const stats = await PlannerStats.load(conn)
      totals.productsCreated = await conn.transaction().execute(async (trx) => {
        const created = await repo.resolveProducts(trx)
        if (created) {
          await insertAudit(trx, { actor, action: 'import.transactions.products', entity: 'product', detail: { created } })
        }
        return created
      })
      await stats.grew(conn, { product: totals.productsCreated })

      for (const batch of bucketBatches(encoder.bucketRows, batchRows)) {
        const written = await conn.transaction().execute(async (trx) => {
          const customers = await repo.insertBatchCustomers(trx, batch.from, batch.to)
          await issueCards(trx, customers)
          await repo.mapBatchCustomers(trx, batch.from, batch.to)
          const held = await repo.heldRows(trx, batch.from, batch.to, MAX_REPORTED_ERRORS)
          const sales = await repo.insertBatchSales(trx, batch.from, batch.to)
          const lines = await repo.insertBatchLines(trx, batch.from, batch.to)
          const duplicates = batch.rows - held.total - lines
          await insertAudit(trx, {
            actor,
            action: 'import.transactions.batch',
            entity: 'sale',
            detail: { customersCreated: customers.length, salesCreated: sales, lines, duplicates },
          })
          if (opts.onBatchImported && sales > 0) {
            const created = await repo.listNewSales(trx)
            await opts.onBatchImported(trx, {
              kind: 'transactions',
              saleIds: created.map((s) => s.id),
              customerIds: [...new Set(created.map((s) => s.customer_id))],
              lines,
            })
          }
          return { customers: customers.length, sales, lines, duplicates, held }
        })
        errors.addAll(
          written.held.rows.map((h) => ({ line: h.line, message: `not imported: line ${h.bad_line} of the same transaction was rejected` })),
          written.held.total,
        )
        totals.customersCreated += written.customers
        totals.salesCreated += written.sales
        totals.imported += written.lines
        totals.duplicates += written.duplicates
        await stats.grew(conn, { customer: written.customers, sale: written.sales, sale_line: written.lines })
        progress('writing', encoder.rows)
      }

      return {
        rows: encoder.rows + errors.malformed,
        imported: totals.imported,
        duplicates: totals.duplicates,
        rejected: errors.rejected,
        errors: errors.sorted(),
        seconds: seconds(),
        salesCreated: totals.salesCreated,
        customersCreated: totals.customersCreated,
        productsCreated: totals.productsCreated,
      }
    } finally {
      // The connection goes back to the pool; do not leave it holding a copy of the file.
      await repo.dropStaging(conn).catch(() => {})
    }
  })
}

async function* encodeAll(
  records: AsyncIterable<CsvRecord[]>,
  encoder: TransactionRowEncoder,
  onRows: (rows: number) => void,
): AsyncGenerator<string> {
  let reported = 0
  for await (const chunk of records) {
    yield encoder.encode(chunk)
    if (encoder.rows - reported >= 50_000) {
      reported = encoder.rows
      onRows(reported)
    }
  }
}

/** Card numbers are random, so one may already be taken: redraw for those until all have one. */
async function issueCards(trx: Transaction<DB>, customerIds: number[]): Promise<void> {
  let waiting = customerIds
  for (let attempt = 0; waiting.length > 0; attempt++) {
    if (attempt === CARD_ATTEMPTS) throw new Error(`could not draw unused card numbers for ${waiting.length} customers`)
    const done = await repo.insertCards(
      trx,
      waiting.map((customerId) => ({ customerId, number: newCardNumber() })),
    )
    waiting = waiting.filter((id) => !done.has(id))
  }
}
