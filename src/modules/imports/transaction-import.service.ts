import type { Readable } from 'node:stream'
import { setImmediate as nextTurn, setTimeout as delay } from 'node:timers/promises'
import { sql, type Kysely, type Transaction } from 'kysely'
import type pg from 'pg'
import type { Database } from '../../db/database.ts'
import type { DB } from '../../db/schema.ts'
import { newCardNumber } from '../../lib/codes.ts'
import { insertAudit } from '../audit/audit.repository.ts'
import { enqueueJob } from '../jobs/job.repository.ts'
import { copyText, openCsvWithColumns, RowErrors } from './csv-input.ts'
import { asDatabase, copyIn, PlannerStats } from './import-db.ts'
import {
  DEFAULT_BATCH_ROWS,
  MAX_REPORTED_ERRORS,
  type ImportProgress,
  type RowError,
  type TransactionImportOptions,
  type TransactionImportSummary,
} from './import.types.ts'
import { BatchDraft, productKeyOf, resolveRef, type Draft, type ProductMap, type ProductRef, type SaleDraft } from './transaction-batch.ts'
import * as repo from './transaction-import.repository.ts'
import { bucketBatches, TRANSACTION_REQUIRED_COLUMNS, TransactionRowEncoder } from './transaction-rows.ts'
import { TransactionSpool } from './transaction-spool.ts'
import { GroupedBatches, type RowDraft } from './grouped-batches.ts'
import { startScan, type InputScan } from './input-scan.ts'
import { GroupedReader } from './grouped-reader.ts'
import { commitLazily, forceCommitRecord } from '../../db/lazy-commit.ts'

const CARD_ATTEMPTS = 8
/** Connections writing batches of a grouped file at once (TransactionImportOptions.writers). */
const DEFAULT_WRITERS = 2
const MAX_REMEMBERED_PRODUCTS = 200_000
const MAX_REMEMBERED_CUSTOMERS = 200_000
/** In Known.customers: the chain id of an erased customer, whose rows are skipped. */
const ERASED = 0

/** Products and customers found or created by earlier batches of this import, by the file's key. */
interface Known {
  products: ProductMap
  customers: Map<string, number>
  /** Erased customers whose skipped rows were counted already. */
  erasedCounted: Set<string>
  /** Customers this import created: none of their sales can be in the database already (see copySales). */
  newCustomers: Set<number>
}

/**
 * Purchase history from a CSV stream: customer_id, transaction_id, day (or occurred_at),
 * product_id (or gtin), quantity, optional store_id and unit_price_cents. Unknown customers
 * and products are created. Idempotent on (customer, transaction id).
 *
 * First the input is copied to a temp file and checked for whether each transaction's rows
 * follow each other (input-scan.ts): a POS export in transaction order, or a file sorted by
 * customer, as the data sets are. Then every row is checked; a bad row is reported by line, and
 * the other rows of its transaction are held back (and reported) so that a corrected file can
 * import the sale whole later; a partial sale would count as imported and block that.
 *
 * A grouped file is written as it is read, in batches that end where a transaction does: one
 * batch is parsed and prepared while the ones before are written, two at a time on two
 * connections, so Node's parsing and PostgreSQL's writing overlap and PostgreSQL writes on two
 * cores. Parsing starts while the first pass is still reading; no batch commits before it has
 * found the file grouped (importGrouped). Any other file is read whole first, its good rows spooled by
 * customer to files in the temp folder (memory stays bounded), and written in batches of whole
 * customer buckets. Either way, each batch's customers (with cards) and products are created
 * first, then one transaction inserts its new sales and COPYs all their lines straight into
 * sale_line. A sale is therefore never committed without all of its lines, so an import that
 * dies half-way and is run again ends exactly where one clean run would have.
 *
 * Batch commits are asynchronous (synchronous_commit off): a crash may lose the last few
 * batches, which a re-import writes again (see above); with two writers the batches committed
 * are not always a prefix of the file (one may commit while the other fails), which changes
 * nothing for a re-import. A durable commit at the end
 * (flushCommits) makes everything before it durable too, so the summary is never returned
 * ahead of the data.
 * Lane writes never do this.
 */
export async function importTransactions(
  target: Database | pg.Pool,
  input: Readable,
  opts: TransactionImportOptions = {},
): Promise<TransactionImportSummary> {
  const started = performance.now()
  const seconds = () => Math.round(performance.now() - started) / 1000
  const db = asDatabase(target)
  const scan = startScan(input, (lines) => opts.onProgress?.({ phase: 'scanning', rows: lines, imported: 0, duplicates: 0, rejected: 0, seconds: seconds() }))
  try {
    const run: Run = {
      db,
      opts,
      scan,
      seconds,
      batchRows: Math.max(1, opts.batchRows ?? DEFAULT_BATCH_ROWS),
      actor: opts.actor ?? 'system',
      storeIds: new Set(await repo.listStoreIds(db)),
      stats: await PlannerStats.load(db),
      known: { products: new Map(), customers: new Map(), erasedCounted: new Set(), newCustomers: new Set() },
      created: { customers: 0, products: 0 },
    }
    if (opts.streamGrouped !== false) {
      const summary = await importGrouped(run)
      if (summary) return summary
    }
    await scan.done
    // Erased customers met while parsing ahead were counted for batches that never committed.
    run.known.erasedCounted.clear()
    return await importSpooled(run)
  } finally {
    await scan.remove()
  }
}

/** One import's settings and what its batches share, whichever way the file is read. */
interface Run {
  db: Database
  opts: TransactionImportOptions
  scan: InputScan
  seconds: () => number
  batchRows: number
  actor: string
  storeIds: ReadonlySet<string>
  stats: PlannerStats
  known: Known
  /** Customers and products this import created, counted as batches are prepared. */
  created: { customers: number; products: number }
}

/** The first pass found the file is not grouped: what was parsed ahead is dropped. */
const NOT_GROUPED = new Error('the file is not grouped by transaction')

/**
 * A grouped file, written as it is read, in batches cut between transactions. Parsing starts
 * while the first pass is still copying and checking the input (scan.follow()), and batches are
 * prepared and written, but none commits before the pass says the file is grouped: a sale's rows
 * might come back later. Undefined when it is not (or its header needs the full CSV reader):
 * then nothing was committed but customers and products, which the spooled import finds again.
 */
async function importGrouped(run: Run): Promise<TransactionImportSummary | undefined> {
  const { scan, opts } = run
  const verdict = scan.done.then((v) => {
    if (!v.grouped) throw NOT_GROUPED
  })
  verdict.catch(() => {})
  let reader: GroupedReader
  try {
    reader = await GroupedReader.open(scan.follow(), TRANSACTION_REQUIRED_COLUMNS)
  } catch (err) {
    if (!(await scan.done).grouped) return undefined
    throw err
  }
  try {
    const errors = new RowErrors()
    let fileLines: number | undefined
    scan.done.then((v) => (fileLines = v.lines)).catch(() => {})
    const cutter = new GroupedBatches(run.batchRows, () => fileLines)
    const encoder = new TransactionRowEncoder(reader.columns, run.storeIds, errors, cutter)
    let ended = false
    const gather = async (): Promise<RowDraft | undefined> => {
      while (cutter.ready.length === 0 && !ended) {
        if (!(await reader.pump(encoder))) {
          ended = true
          cutter.finish()
        }
        // Once the first pass is done, the copy is read synchronously and a whole batch was
        // gathered in one run of promise callbacks, during which nothing else ran: a writer's
        // next statement, its commit, the COPY's flow control all waited for it, and
        // PostgreSQL idled. A turn of the event loop per piece of input (about 2,000 rows) lets
        // them through.
        await nextTurn()
      }
      return cutter.ready.shift()
    }
    // The next batch is gathered while the one handed out is prepared: preparing is mostly
    // PostgreSQL's work (creating customers and products, drawing sale ids) and gathering is
    // Node's, and the first batches, prepared one after the other, kept the writers waiting.
    let gathered: Promise<RowDraft | undefined> | undefined
    const nextBatch = async (): Promise<BatchSource | undefined> => {
      const draft = await (gathered ?? gather())
      gathered = draft ? gather() : undefined
      gathered?.catch(() => {}) // awaited by the next call, if there is one
      return draft && { draft }
    }
    // A grouped file's batches hold disjoint sales, so two can be written at once, each on its
    // own connection: PostgreSQL then writes on both cores (writing the lines is most of an
    // import's time). A caller's onBatchImported may read what earlier batches wrote: one writer.
    const writers = opts.onBatchImported ? 1 : Math.max(1, opts.writers ?? DEFAULT_WRITERS)
    const fileRows = () => Math.max(scan.lines, encoder.rows)
    const summary = await writeAll(run, errors, () => encoder.rows, fileRows, nextBatch, writers, verdict)
    await verdict // a file without a batch to wait for it
    return summary
  } catch (err) {
    if (err === NOT_GROUPED) return undefined
    throw err
  } finally {
    await reader.close()
  }
}

/** Rows of a sale may be anywhere: spool them all by customer, then write bucket ranges, one batch at a time. */
async function importSpooled(run: Run): Promise<TransactionImportSummary> {
  const spool = await TransactionSpool.create()
  try {
    const errors = new RowErrors()
    const csv = await openCsvWithColumns(run.scan.open(), errors, TRANSACTION_REQUIRED_COLUMNS)
    const encoder = new TransactionRowEncoder(csv.columns, run.storeIds, errors, spool)
    const reading = (rows: number) =>
      run.opts.onProgress?.({ phase: 'reading', rows, rowsInFile: run.scan.lines, imported: 0, duplicates: 0, rejected: errors.rejected, seconds: run.seconds() })
    let reported = 0
    for await (const records of csv.records) {
      encoder.encode(records)
      spool.endChunk()
      if (encoder.rows - reported >= 50_000) reading((reported = encoder.rows))
    }
    spool.finish()
    reading(encoder.rows)
    const batches = bucketBatches(encoder.bucketRows, run.batchRows)
    let i = 0
    const nextBatch = async (): Promise<BatchSource | undefined> => {
      const range = batches[i++]
      return range && { texts: spool.texts(range.from, range.to), range }
    }
    // One writer, in batch order: the ids this path gives must not change (see streamGrouped).
    return await writeAll(run, errors, () => encoder.rows, () => encoder.rows, nextBatch, 1)
  } finally {
    await spool.remove()
  }
}

/** How long a batch may wait, uncommitted, for the first pass's verdict before it lets go and waits outside. */
const VERDICT_WAIT_MS = 5_000
const WAITED_TOO_LONG = new Error('the first pass is still reading')

/**
 * Prepares and writes every batch nextBatch() gives, `writers` at a time, and sums them up. A
 * batch commits only once `verdict` (if any) has resolved; it waits for it inside its
 * transaction for a few seconds at most (the first batches, while the first pass finishes),
 * then rolls back, waits, and is written again: a slow upload must not hold a transaction open.
 */
async function writeAll(
  run: Run,
  errors: RowErrors,
  rowsRead: () => number,
  fileRows: () => number,
  nextBatch: () => Promise<BatchSource | undefined>,
  writers: number,
  verdict?: Promise<void>,
): Promise<TransactionImportSummary> {
  const { db, opts, actor, stats, known } = run
  const totals = { imported: 0, duplicates: 0, skipped: 0, erasedCustomers: 0, salesCreated: 0 }
  let decided = !verdict
  verdict?.then(() => (decided = true)).catch(() => {})
  // A batch is prepared (read, grouped, its customers and products created) on another
  // connection while the ones before are written: Node and PostgreSQL backends then work at
  // once, instead of each waiting for the other. The next one is prepared while a prepared
  // batch waits for a writer (PreparedAhead): preparing the first batches, which create most
  // of a file's customers and products, took longer than writing them, and the writers waited.
  const prepare = (): Promise<PreparedBatch | undefined> => {
    const preparing = nextBatch().then(async (source) => {
      if (!source) return undefined
      const batch = await prepareBatch(db, 'draft' in source ? source.draft : await readDraft(source.texts, source.range), known, actor)
      run.created.customers += batch.customersCreated
      run.created.products += batch.productsCreated
      await stats.grew(db, { customer: batch.customersCreated, product: batch.productsCreated })
      return batch
    })
    preparing.catch(() => {}) // awaited below; a failed batch may leave it unawaited
    return preparing
  }
  const write = (conn: Kysely<DB>, batch: PreparedBatch): Promise<number> =>
    conn.transaction().execute(async (trx) => {
      await commitLazily(trx)
      const lines = await writeBatch(trx, batch, actor, opts)
      if (!decided) {
        const waited = await Promise.race([verdict!.then(() => true), delay(VERDICT_WAIT_MS, false, { ref: false })])
        if (!waited) throw WAITED_TOO_LONG
      }
      return lines
    })
  const summaries = new LineSummaries(db)
  const account = (batch: PreparedBatch, lines: number) => {
    errors.addAll(batch.held.first, batch.held.total)
    totals.salesCreated += batch.created.length
    totals.imported += lines
    totals.duplicates += duplicatesOf(batch, lines)
    totals.skipped += batch.skipped
    totals.erasedCustomers += batch.erasedCustomers
    opts.onProgress?.({
      phase: 'writing',
      rows: fileRows(),
      rowsInFile: run.scan.lines,
      imported: totals.imported,
      duplicates: totals.duplicates,
      rejected: errors.rejected,
      seconds: run.seconds(),
    })
  }
  const ahead = new PreparedAhead(prepare)
  try {
    await withConnections(db, writers, async (conns) => {
      const writing: (Promise<void> | undefined)[] = conns.map(() => undefined)
      let failure: { error: unknown } | undefined
      // The first writer free takes the next batch: taken in turn, a batch waited for a busy
      // writer while the other had finished (batches differ in size, and the last ones are halved).
      const freeWriter = async (): Promise<number> => {
        const idle = writing.indexOf(undefined)
        return idle >= 0 ? idle : Promise.race(writing.map((p, i) => p!.then(() => i)))
      }
      for (let batch = await ahead.next(); batch && !failure; batch = failure ? undefined : await ahead.next()) {
        const w = await freeWriter()
        // A failure anywhere stops new batches.
        if (failure) break
        const current = batch
        const conn = conns[w]!
        const done: Promise<void> = write(conn, current)
          .catch(async (err: unknown) => {
            if (err !== WAITED_TOO_LONG) throw err
            await verdict
            return write(conn, current)
          })
          .then((lines) => {
            // After the commit, not in the batch: its lock (one summariser at a time) would be
            // held through the batch, queueing a concurrent import behind it.
            if (lines > 0) summaries.request()
            account(current, lines)
          })
          .catch((error: unknown) => {
            failure ??= { error }
          })
          .finally(() => {
            if (writing[w] === done) writing[w] = undefined
          })
        writing[w] = done
      }
      // A batch being written when another failed still commits (it holds whole sales, as any
      // batch does); nothing after them starts. Then the failure is the import's.
      await Promise.all(writing)
      await summaries.finish()
      if (failure) throw failure.error
      await flushCommits(conns[0]!)
    })
  } finally {
    ahead.stop()
    await ahead.settled()
    await summaries.finish().catch(() => {})
  }

  return {
    rows: rowsRead() + errors.malformed,
    imported: totals.imported,
    duplicates: totals.duplicates,
    skipped: totals.skipped,
    skips: totals.skipped
      ? [{ reason: 'erased_customer' as const, rows: totals.skipped, customers: totals.erasedCustomers, message: ERASED_MESSAGE }]
      : [],
    rejected: errors.rejected,
    errors: errors.sorted(),
    seconds: run.seconds(),
    salesCreated: totals.salesCreated,
    customersCreated: run.created.customers,
    productsCreated: run.created.products,
  }
}

/**
 * Batches prepared one at a time, in order (the sale ids they draw follow the batch order), and
 * one ahead of the batch handed out: while that one waits for a writer, the next is prepared.
 * So an import holds at most the batches being written, one waiting and one being prepared.
 */
class PreparedAhead {
  private upcoming: Promise<PreparedBatch | undefined> | undefined
  private stopped = false

  constructor(private readonly prepare: () => Promise<PreparedBatch | undefined>) {}

  /** The next batch (undefined at the end); starts preparing the one after it. */
  async next(): Promise<PreparedBatch | undefined> {
    const current = this.upcoming ?? this.prepare()
    this.upcoming = undefined
    const batch = await current
    if (batch && !this.stopped) {
      this.upcoming = this.prepare()
      this.upcoming.catch(() => {}) // handed out by the next call, or awaited by settled()
    }
    return batch
  }

  /** No more batches are wanted (a write failed, or the import is over). */
  stop(): void {
    this.stopped = true
  }

  /** Waits for a batch still being prepared, whatever its outcome. */
  async settled(): Promise<void> {
    await this.upcoming?.catch(() => {})
  }
}

/** A batch: spooled text (with the bucket range it is for) or, for a grouped file, its rows gathered already. */
type BatchSource = { texts: AsyncIterable<string>; range: { from: number; to: number } } | { draft: RowDraft }

/** A batch of the spool, read back. */
async function readDraft(texts: AsyncIterable<string>, buckets: { from: number; to: number }): Promise<BatchDraft> {
  const draft = new BatchDraft()
  for await (const text of texts) draft.add(text, buckets.from, buckets.to)
  return draft
}

interface PreparedBatch {
  draft: Draft
  held: { total: number; first: RowError[] }
  /** Good rows of erased customers, not imported. */
  skipped: number
  erasedCustomers: number
  /** Sales to write (customer ids set, products resolved), in insert order. */
  sales: SaleDraft[]
  /** The new sales with their ids, for copySales; undefined: insertSales decides. */
  planned: PlannedSale[] | undefined
  /** Those that went in, in id order (filled by writeBatch). */
  created: SaleDraft[]
  customersCreated: number
  productsCreated: number
}

/**
 * Reads a batch back from the spool and creates what its sales refer to: customers (with
 * cards) and products, each in a short transaction of its own. Committed ahead of the sales,
 * which is harmless: a customer or product without sales is what a failed batch leaves, and a
 * re-import finds and uses it.
 */
async function prepareBatch(db: Database, draft: Draft, known: Known, actor: string): Promise<PreparedBatch> {
  let sales = draft.writable()

  // A customer of a file in transaction order recurs in every batch: look each up once.
  if (known.customers.size > MAX_REMEMBERED_CUSTOMERS) {
    known.customers.clear()
    known.newCustomers.clear()
  }
  const unknown = [...new Set(sales.map((s) => s.customer))].filter((c) => !known.customers.has(c))
  const erased = unknown.length ? await repo.erasedAmong(db, unknown) : new Set<string>()
  for (const external of erased) known.customers.set(external, ERASED)
  // Someone who asked to be forgotten is not re-created from an old file: their sales are skipped.
  let skipped = 0
  let erasedCustomers = 0
  sales = sales.filter((sale) => {
    if (known.customers.get(sale.customer) !== ERASED) return true
    skipped += sale.rows.length
    // Counted once per import, though a customer's rows may come in several batches.
    if (!known.erasedCounted.has(sale.customer)) {
      known.erasedCounted.add(sale.customer)
      erasedCustomers++
    }
    return false
  })

  // Most products recur from batch to batch; what the map remembers is bounded by starting over.
  if (known.products.size > MAX_REMEMBERED_PRODUCTS) known.products.clear()
  const missing = draft.unresolvedProducts(sales, known.products)
  // Customers and products are created at the same time, each in a transaction on a connection
  // of its own: the first batches create most of a file's customers and products, and the
  // writers waited for them one after the other.
  const wanted = erased.size ? unknown.filter((e) => !erased.has(e)) : unknown
  const creatingCustomers = createCustomers(db, wanted, actor)
  const creatingProducts = createProducts(db, missing, actor)
  // Both are awaited below; should one fail, the other's outcome must not go unhandled.
  creatingCustomers.catch(() => {})
  creatingProducts.catch(() => {})
  const [customers, products] = await Promise.all([creatingCustomers, creatingProducts])
  for (const [external, id] of customers.ids) known.customers.set(external, id)
  for (const id of customers.created) known.newCustomers.add(id)
  for (const sale of sales) sale.customerId = known.customers.get(sale.customer)!
  // One global order, so two imports racing over the same sales wait for each other on the
  // unique index instead of deadlocking; it also keeps a customer's sales together.
  sales.sort((a, b) => a.customerId - b.customerId || (a.transaction < b.transaction ? -1 : a.transaction > b.transaction ? 1 : 0))
  for (const product of missing) {
    const found = products.products.get(product.key)
    if (found) known.products.set(product.key, found)
    resolveRef(product, found)
  }
  const planned = await planSales(db, draft, sales, known.newCustomers)
  return {
    draft,
    planned,
    held: draft.held(MAX_REPORTED_ERRORS),
    skipped,
    erasedCustomers,
    sales,
    created: [],
    customersCreated: customers.created.length,
    productsCreated: products.created,
  }
}

/** The customers of these chain ids (none erased), created with a card where new. */
async function createCustomers(db: Database, externalIds: string[], actor: string): Promise<{ ids: Map<string, number>; created: number[] }> {
  if (!externalIds.length) return { ids: new Map(), created: [] }
  return db.transaction().execute(async (trx) => {
    await commitLazily(trx)
    const resolved = await repo.resolveCustomers(trx, externalIds)
    await issueCards(trx, resolved.created)
    if (resolved.created.length) {
      await insertAudit(trx, { actor, action: 'import.transactions.customers', entity: 'customer', detail: { created: resolved.created.length } })
    }
    return resolved
  })
}

/** The products of these keys, found or created (repo.resolveProducts). */
async function createProducts(db: Database, missing: ProductRef[], actor: string): Promise<{ products: ProductMap; created: number }> {
  if (!missing.length) return { products: new Map(), created: 0 }
  return db.transaction().execute(async (trx) => {
    await commitLazily(trx)
    const resolved = await repo.resolveProducts(trx, missing.map(productKeyOf))
    if (resolved.created) {
      await insertAudit(trx, { actor, action: 'import.transactions.products', entity: 'product', detail: { created: resolved.created } })
    }
    return resolved
  })
}

/** One batch, in its transaction: the sales not imported before, then all their lines. Returns the lines written. */
async function writeBatch(trx: Transaction<DB>, batch: PreparedBatch, actor: string, opts: TransactionImportOptions): Promise<number> {
  const created = (batch.planned && (await copySales(trx, batch.planned))) ?? (await insertSales(trx, batch))
  batch.created = created

  const lines = created.length ? await copyIn(trx, repo.SALE_LINE_COPY, batch.draft.lineCopyText(created)) : 0
  await insertAudit(trx, {
    actor,
    action: 'import.transactions.batch',
    entity: 'sale',
    detail: { salesCreated: created.length, lines, duplicates: duplicatesOf(batch, lines), skippedErased: batch.skipped },
  })
  // The batch's customers' prediction statistics are rebuilt after it, by the worker, so the
  // import does not wait for them; the job commits with the batch, so it cannot be lost.
  if (opts.statsJobs !== false && !opts.onBatchImported && created.length > 0) {
    await enqueueJob(trx, 'rebuild_customer_stats', { customerIds: [...new Set(created.map((s) => s.customerId))] })
  }
  if (opts.onBatchImported && created.length > 0) {
    await opts.onBatchImported(trx, {
      kind: 'transactions',
      saleIds: created.map((s) => s.id),
      customerIds: [...new Set(created.map((s) => s.customerId))],
      lines,
    })
  }
  return lines
}

/** A new sale as saleCopyText() writes it. */
interface PlannedSale {
  sale: SaleDraft
  total: string | number
  day: string | null
  occurredAt: string | null
  store: string | null
}

/**
 * The batch's sales not imported before, with ids drawn from the sequence, for copySales: done
 * while the batch is prepared, so the draws follow batch order whichever writer takes the batch.
 * Sales that may exist already (their customer is older than this import) are looked up; a
 * customer this import created has none, unless another import is writing them at this moment
 * (copySales handles that). Undefined when a sale's day depends on its store's time zone
 * (occurred_at without day): insertSales works that out in SQL.
 */
async function planSales(db: Database, draft: Draft, sales: SaleDraft[], newCustomers: ReadonlySet<number>): Promise<PlannedSale[] | undefined> {
  if (sales.length === 0) return []
  const rows = sales.map((sale) => ({ sale, total: draft.total(sale), ...draft.firstRow(sale) }))
  if (rows.some((r) => r.day === null)) return undefined
  const older = sales.filter((s) => !newCustomers.has(s.customerId))
  // Lazily committed: nextval takes a transaction id, and a durable commit here would wait for
  // the WAL the writers are producing to reach the disk, batch after batch.
  return db.transaction().execute(async (trx) => {
    await commitLazily(trx)
    const existing = await repo.existingImportSales(trx, older)
    const fresh = existing.size ? rows.filter((r) => !existing.has(repo.saleKey(r.sale.customerId, r.sale.transaction))) : rows
    if (fresh.length === 0) return []
    const ids = await repo.drawSaleIds(trx, fresh.length)
    fresh.forEach((r, i) => (r.sale.id = ids[i]!))
    return fresh
  })
}

/**
 * The batch's new sales by COPY, ids drawn already (planSales): about 40% less of PostgreSQL's
 * time than INSERT ... ON CONFLICT ... RETURNING. Should another import have written one of them
 * since, the unique index stops the COPY and the batch goes the INSERT way instead (undefined).
 */
async function copySales(trx: Transaction<DB>, planned: PlannedSale[]): Promise<SaleDraft[] | undefined> {
  if (planned.length === 0) return []
  await sql`savepoint copy_sales`.execute(trx)
  try {
    await copyIn(trx, repo.SALE_COPY, saleCopyText(planned))
  } catch (err) {
    if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err
    await sql`rollback to savepoint copy_sales`.execute(trx)
    return undefined
  }
  await sql`release savepoint copy_sales`.execute(trx)
  return planned.map((r) => r.sale)
}

const UNIQUE_VIOLATION = '23505'

function* saleCopyText(rows: PlannedSale[]): Generator<string> {
  let out = ''
  for (const { sale, total, day, occurredAt, store } of rows) {
    // A bare day is noon UTC, as insertSales makes it.
    out += `${sale.id}\t${sale.customerId}\t${copyText(store)}\timport\t${copyText(sale.transaction)}\t${occurredAt ?? `${day} 12:00:00+00`}\t${day}\t${total}\n`
    if (out.length >= 1 << 16) {
      yield out
      out = ''
    }
  }
  if (out) yield out
}

/** The batch's sales not imported before, by INSERT ... ON CONFLICT DO NOTHING; in id order. */
async function insertSales(trx: Transaction<DB>, batch: PreparedBatch): Promise<SaleDraft[]> {
  const inserted = await repo.insertSales(
    trx,
    batch.sales.map((sale) => ({ customerId: sale.customerId, transaction: sale.transaction, total: batch.draft.total(sale), ...batch.draft.firstRow(sale) })),
  )
  const byKey = new Map(batch.sales.map((s) => [repo.saleKey(s.customerId, s.transaction), s]))
  const created: SaleDraft[] = []
  for (const row of inserted) {
    const sale = byKey.get(repo.saleKey(row.customer_id, row.external_id))!
    sale.id = row.id
    created.push(sale)
  }
  return created.sort((a, b) => a.id - b.id)
}

const ERASED_MESSAGE = 'the customer was erased on request; their history is not imported again'

/** Good rows of the batch already in the database: neither written now, held back, nor skipped. */
function duplicatesOf(batch: PreparedBatch, lines: number): number {
  return batch.draft.goodRows - batch.held.total - batch.skipped - lines
}

/** `count` connections of the pool, held for `run`. */
async function withConnections<T>(db: Database, count: number, run: (conns: Kysely<DB>[]) => Promise<T>, held: Kysely<DB>[] = []): Promise<T> {
  if (held.length === count) return run(held)
  return db.connection().execute((conn) => withConnections(db, count, run, [...held, conn]))
}

/**
 * Summarising the lines' customer_id BRIN ranges after batches commit (repo.summarizeNewLines),
 * on a connection of its own so the writers do not wait for it: one pass at a time, and a
 * request during a pass runs one more after it.
 */
class LineSummaries {
  private running: Promise<void> | undefined
  private again = false

  constructor(private readonly db: Database) {}

  request(): void {
    if (this.running) {
      this.again = true
      return
    }
    this.running = this.run().finally(() => (this.running = undefined))
    this.running.catch(() => {}) // finish() reports it
  }

  /** Waits for the pass under way (and the one requested during it); throws what they threw. */
  async finish(): Promise<void> {
    while (this.running) await this.running
  }

  private async run(): Promise<void> {
    do {
      this.again = false
      await repo.summarizeNewLines(this.db)
    } while (this.again)
  }
}

/**
 * A durable commit flushes the WAL up to it, so every asynchronous commit before it becomes
 * durable too. It needs a transaction id to have a commit record: whether a batch is the last is
 * known only once the next one has been read, too late to commit that batch durably itself.
 */
async function flushCommits(db: Kysely<DB>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await forceCommitRecord(trx)
  })
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
