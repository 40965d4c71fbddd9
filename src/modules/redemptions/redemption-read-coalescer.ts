import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { WriteBatching } from './redemption-coalescer.ts'
import { StatementSlots } from './statement-slots.ts'
import { loadCheckout, loadCheckoutBatch, type CatalogKnown, type CheckoutQuery, type CheckoutReadRow } from './redemption.repository.ts'

/**
 * The lane's read, shared between concurrent lanes as their writes are (redemption-coalescer.ts).
 * Each read alone pays a fixed part that does not depend on its sale: a round trip, a backend
 * wakeup, the start of a plan with about 25 init plans, and a wakeup of the service for its
 * answer (docs/redemptions.md, session 11). So while `inFlight` read statements are running,
 * reads that arrive wait and go together as ONE statement (loadCheckoutBatch) when one finishes.
 * A read that finds nothing in flight is sent at once as the same statement as before
 * (loadCheckout), so one sale alone costs what it did.
 *
 * A batched statement that fails is re-run member by member through loadCheckout, so each sale
 * gets exactly the answer or error it would have had alone. A read takes no lock and writes
 * nothing, so running it again is always safe.
 *
 * Its settings are the write's (WriteBatching): a read running past stallMs (a lock, a backend
 * preempted) stops holding the other lanes' reads behind it, as a write does.
 */
export type ReadBatching = WriteBatching

let settings: ReadBatching = { inFlight: 1, maxSales: 32, stallMs: 50 }

export function configureReadBatching(next: ReadBatching): void {
  settings = { ...next }
}

export function readBatching(): ReadBatching {
  return { ...settings }
}

/** Counts since the process started, for /metrics, the bench and tests. */
export const readBatchStats = {
  /** Statements that read one sale (nothing else waiting, batching off, or a batch's fallback). */
  single: 0,
  /** Multi-sale read statements that answered, and the sales they read. */
  batches: 0,
  batchedSales: 0,
  /** Multi-sale statements that failed, whose members then ran alone. */
  fallbacks: 0,
  /** Statements that ran past stallMs, so the next one started beside them. */
  stalls: 0,
  /** Reads waiting right now for a statement to finish. */
  waiting: 0,
}

interface Pending {
  q: CheckoutQuery
  known: CatalogKnown | null
  resolve: (r: CheckoutReadRow) => void
  reject: (e: unknown) => void
}

/** Reads can share a statement only under one catalog copy (the definitions the read leaves out). */
const sameCopy = (a: CatalogKnown | null, b: CatalogKnown | null) =>
  a === null || b === null ? a === b : a.version === b.version && a.offerIds === b.offerIds

class ReadCoalescer {
  private queue: Pending[] = []
  private readonly slots = new StatementSlots(
    () => settings,
    () => this.queue.length > 0,
    () => this.run(this.take()),
    () => void readBatchStats.stalls++,
  )
  constructor(private readonly db: Kysely<DB>) {}

  read(q: CheckoutQuery, known: CatalogKnown | null): Promise<CheckoutReadRow> {
    return new Promise((resolve, reject) => {
      this.queue.push({ q, known, resolve, reject })
      readBatchStats.waiting++
      this.slots.fill()
    })
  }

  /** Oldest first, those under the oldest's catalog copy; the others wait for the next statement. */
  private take(): Pending[] {
    const head = this.queue[0]!
    const batch: Pending[] = []
    const rest: Pending[] = []
    for (const p of this.queue) {
      if (batch.length < settings.maxSales && sameCopy(p.known, head.known)) batch.push(p)
      else rest.push(p)
    }
    this.queue = rest
    readBatchStats.waiting -= batch.length
    return batch
  }

  private async run(batch: Pending[]): Promise<void> {
    if (batch.length === 1) return this.single(batch[0]!)
    let rows: CheckoutReadRow[]
    try {
      rows = await this.batched(batch)
    } catch {
      readBatchStats.fallbacks++
      await Promise.all(batch.map((p) => this.single(p)))
      return
    }
    readBatchStats.batches++
    readBatchStats.batchedSales += batch.length
    batch.forEach((p, i) => p.resolve(rows[i]!))
  }

  private async single(p: Pending): Promise<void> {
    readBatchStats.single++
    try {
      p.resolve(await loadCheckout(this.db, p.q, p.known))
    } catch (err) {
      p.reject(err)
    }
  }

  /** One statement for the batch, its products split back: each sale gets those it asked for. */
  private async batched(batch: Pending[]): Promise<CheckoutReadRow[]> {
    const head = batch[0]!.known
    let known: CatalogKnown | null = null
    if (head) {
      const missing = new Set<string>()
      for (const p of batch) for (const g of p.known!.missingGtins) missing.add(g)
      known = { version: head.version, offerIds: head.offerIds, missingGtins: [...missing] }
    }
    const read = await loadCheckoutBatch(this.db, batch.map((p) => p.q), known)
    const holds = known !== null && read.catalog_version === known.version
    const byGtin = new Map(read.products.map((p) => [p[0], p]))
    return batch.map((p, i) => {
      // As loadCheckout would have answered this sale alone: its missing GTINs under the copy it
      // holds, otherwise all of its own.
      const asked = holds ? p.known!.missingGtins : p.q.gtins
      const products = []
      for (const g of new Set(asked)) {
        const found = byGtin.get(g)
        if (found) products.push(found)
      }
      return { ...read.rows[i]!, products, catalog_version: read.catalog_version }
    })
  }
}

const coalescers = new WeakMap<Kysely<DB>, ReadCoalescer>()

/**
 * loadCheckout for a first attempt, outside any transaction: read alone or with other lanes'
 * sales in one statement, with the same answer either way. A retried attempt reads in its own
 * transaction (under the customer's lock) and always alone.
 */
export function readCheckout(db: Kysely<DB> | Transaction<DB>, q: CheckoutQuery, known: CatalogKnown | null): Promise<CheckoutReadRow> {
  if (db.isTransaction || settings.inFlight <= 0) return loadCheckout(db, q, known)
  let c = coalescers.get(db)
  if (!c) {
    c = new ReadCoalescer(db)
    coalescers.set(db, c)
  }
  return c.read(q, known)
}
