import type { Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

export interface RowError {
  /** Line in the file; the header is line 1. */
  line: number
  message: string
}

export interface ImportSummary {
  /** Data rows read (the header not counted), good and bad. */
  rows: number
  /** Rows that changed the database. */
  imported: number
  /** Good rows that changed nothing: already imported, or identical to what is stored. */
  duplicates: number
  rejected: number
  /** Up to 100 rejected rows (the first found), sorted by line. */
  errors: RowError[]
  seconds: number
}

/** Good rows left out on purpose, by reason. */
export interface ImportSkip {
  /** erased_customer: the row's customer was erased on request (their chain id is remembered, hashed). */
  reason: 'erased_customer'
  rows: number
  customers: number
  message: string
}

export interface TransactionImportSummary extends ImportSummary {
  /** Good rows not imported on purpose (see skips); neither imported, duplicates nor rejected. */
  skipped: number
  skips: ImportSkip[]
  salesCreated: number
  customersCreated: number
  productsCreated: number
}

export interface ProductImportSummary extends ImportSummary {
  created: number
  updated: number
}

export interface ImportProgress {
  /**
   * scanning: a history file's first pass (copied aside, its order checked); reading: parsing,
   * checking and spooling it; writing: committing batches.
   */
  phase: 'scanning' | 'reading' | 'writing'
  rows: number
  /** The file's data lines once the first pass has counted them: the whole the rows are part of. */
  rowsInFile?: number
  imported: number
  duplicates: number
  rejected: number
  seconds: number
}

/** What one committed batch of a transactions import wrote. */
export interface TransactionBatch {
  kind: 'transactions'
  /** The sales this batch created, with all their lines. */
  saleIds: number[]
  /** Customers who got those sales (all of a customer's rows in the file are in the same batch). */
  customerIds: number[]
  lines: number
}

export interface ProductBatch {
  kind: 'products'
  /** Products created or changed by this batch. */
  productIds: number[]
}

export interface ImportOptions<B> {
  onProgress?: (progress: ImportProgress) => void
  /**
   * Runs inside each batch's transaction, before it commits, so derived data (statistics)
   * written here is exactly as durable as the batch. Throwing rolls the batch back and
   * fails the import; batches committed before stay (a re-import completes the rest).
   */
  onBatchImported?: (trx: Transaction<DB>, batch: B) => Promise<void>
  /** Rows per committed batch (default 100,000). */
  batchRows?: number
  /** Who to record in the audit log. */
  actor?: string
}

export interface TransactionImportOptions extends ImportOptions<TransactionBatch> {
  /**
   * Queue a rebuild of each batch's customers' prediction statistics for the worker, in the
   * batch's transaction (default true). Off for callers that rebuild everything right after
   * (the demo loader, the evaluation CLI) or handle batches in onBatchImported.
   */
  statsJobs?: boolean
  /**
   * Write a grouped file (each transaction's rows together) as it is read (default true); false
   * spools every file by customer. The ids the import gives customers, products and sales differ
   * between the two, and the prediction evaluation's rankings depend on ids (ties, the fit's
   * sample of customers), so it keeps the order its published figures were measured with.
   */
  streamGrouped?: boolean
  /**
   * Connections writing a grouped file's batches at once (default 2). One batch per connection
   * at a time; the spooled path and a caller with onBatchImported always use one.
   */
  writers?: number
}
export type ProductImportOptions = ImportOptions<ProductBatch>

export const DEFAULT_BATCH_ROWS = 100_000
export const MAX_REPORTED_ERRORS = 100
