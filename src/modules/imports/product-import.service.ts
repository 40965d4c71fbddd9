import type { Readable } from 'node:stream'
import type { Kysely } from 'kysely'
import type pg from 'pg'
import type { Database } from '../../db/database.ts'
import type { DB } from '../../db/schema.ts'
import { insertAudit } from '../audit/audit.repository.ts'
import { openCsvWithColumns, RowErrors } from './csv-input.ts'
import { asDatabase, copyIn, PlannerStats } from './import-db.ts'
import { DEFAULT_BATCH_ROWS, type ProductImportOptions, type ProductImportSummary } from './import.types.ts'
import * as repo from './product-import.repository.ts'
import { PRODUCT_REQUIRED_COLUMNS, ProductRowEncoder } from './product-rows.ts'

/**
 * Catalog upsert from a CSV stream (see product-rows.ts for the columns). Rows are applied
 * in batches, each COPYed to a temp table and merged set-wise in one transaction, so memory
 * holds one batch and every committed batch stays. Re-importing a file changes nothing and
 * counts its rows as duplicates.
 */
export async function importProducts(
  target: Database | pg.Pool,
  input: Readable,
  opts: ProductImportOptions = {},
): Promise<ProductImportSummary> {
  const started = performance.now()
  const seconds = () => Math.round(performance.now() - started) / 1000
  const db = asDatabase(target)
  const batchRows = Math.max(1, opts.batchRows ?? DEFAULT_BATCH_ROWS)
  const actor = opts.actor ?? 'system'

  const errors = new RowErrors()
  const csv = await openCsvWithColumns(input, errors, PRODUCT_REQUIRED_COLUMNS)
  const encoder = new ProductRowEncoder(csv.columns, errors)
  const totals = { created: 0, updated: 0, duplicates: 0 }

  return db.connection().execute(async (conn) => {
    const stats = await PlannerStats.load(conn)
    const flush = async (lines: string[]) => {
      const written = await writeBatch(conn, lines, actor, opts)
      totals.created += written.created
      totals.updated += written.updated
      totals.duplicates += lines.length - written.created - written.updated
      await stats.grew(conn, { product: written.created })
      opts.onProgress?.({
        phase: 'writing',
        rows: encoder.rows,
        imported: totals.created + totals.updated,
        duplicates: totals.duplicates,
        rejected: errors.rejected,
        seconds: seconds(),
      })
    }
    let batch: string[] = []
    for await (const records of csv.records) {
      for (const line of encoder.encode(records)) batch.push(line)
      if (batch.length >= batchRows) {
        await flush(batch)
        batch = []
      }
    }
    if (batch.length) await flush(batch)

    return {
      rows: encoder.rows + errors.malformed,
      imported: totals.created + totals.updated,
      duplicates: totals.duplicates,
      rejected: errors.rejected,
      errors: errors.sorted(),
      seconds: seconds(),
      created: totals.created,
      updated: totals.updated,
    }
  })
}

async function writeBatch(conn: Kysely<DB>, lines: string[], actor: string, opts: ProductImportOptions) {
  return conn.transaction().execute(async (trx) => {
    await repo.lockProductBatches(trx)
    await repo.createProductStaging(trx)
    await copyIn(trx, repo.PRODUCT_STAGE_COPY, lines)
    await repo.matchStagedProducts(trx)
    const updated = await repo.updateMatchedProducts(trx)
    const created = await repo.insertNewProducts(trx)
    await insertAudit(trx, {
      actor,
      action: 'import.products.batch',
      entity: 'product',
      detail: { rows: lines.length, created: created.length, updated: updated.length },
    })
    if (opts.onBatchImported && (created.length || updated.length)) {
      await opts.onBatchImported(trx, { kind: 'products', productIds: [...updated, ...created] })
    }
    return { created: created.length, updated: updated.length }
  })
}
