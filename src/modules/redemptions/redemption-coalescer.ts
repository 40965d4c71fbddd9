import { channel } from 'node:diagnostics_channel'
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { insertRedemptionBatch } from './redemption-batch.repository.ts'
import { insertRedemption, type RedemptionWrite, type RedemptionWritten } from './redemption-write.repository.ts'
import { observeTiming } from './redemption-timings.ts'
import { StatementSlots } from './statement-slots.ts'

/**
 * Group commit for the lane's write (docs/redemptions.md, "Latency and throughput"). Every
 * sale's write costs PostgreSQL a fixed part (binding, starting the 17-CTE plan, the commit and
 * its WAL flush) about as large as the part that depends on the basket, and on a co-located
 * database that CPU is what bounds throughput. So first attempts (outside a transaction) go
 * through here: while `inFlight` write statements are running, newly arriving writes wait and
 * go together as ONE statement (insertRedemptionBatch) when one of them finishes. At low load
 * nothing waits and every sale is written alone, exactly as before.
 *
 * A batch never holds two sales of one customer or one idempotency key; such a sale waits for
 * the next. A batch that fails for any reason (a lost race, a budget running out, a deadlock, the
 * database going away) is re-run member by member through insertRedemption, so each sale gets
 * exactly the answer or error it would have had alone, and nothing of the batch was kept.
 */
export interface WriteBatching {
  /** Write statements in flight before arriving writes start to gather; 0 turns batching off. */
  inFlight: number
  /** The most sales in one statement. */
  maxSales: number
  /**
   * A statement running longer than this stops counting against inFlight: one stuck on a lock
   * (a back office holding an offer row, say) must not hold up every lane's write behind it.
   */
  stallMs: number
}

let settings: WriteBatching = { inFlight: 1, maxSales: 32, stallMs: 50 }

export function configureWriteBatching(next: WriteBatching): void {
  settings = { ...next }
}

export function writeBatching(): WriteBatching {
  return { ...settings }
}

/** Counts since the process started, for /metrics and tests. */
export const writeBatchStats = {
  /** Statements that wrote one sale (batching off, nothing waiting, or a batch's fallback). */
  single: 0,
  /** Multi-sale statements that committed, and the sales they wrote. */
  batches: 0,
  batchedSales: 0,
  /** Multi-sale statements that failed, whose members then ran alone. */
  fallbacks: 0,
  largestBatch: 0,
  /** Statements that ran past stallMs, so the next one started beside them. */
  stalls: 0,
  /** Writes waiting right now for a statement to finish. */
  waiting: 0,
}

/**
 * Each write statement's start (performance.now()), duration and sales, for a tracer
 * (bench/trace-preload.ts lays the writer's slow statements beside the slow sales); nothing is
 * built when no one subscribes.
 */
const statementChannel = channel('lanelist:redemption-write-statement')

interface Pending {
  w: RedemptionWrite
  resolve: (r: RedemptionWritten) => void
  reject: (e: unknown) => void
  queuedAt: number
}

class Coalescer {
  private queue: Pending[] = []
  private readonly slots = new StatementSlots(
    () => settings,
    () => this.queue.length > 0,
    (release) => this.run(this.take(), release),
    () => void writeBatchStats.stalls++,
  )
  constructor(private readonly db: Kysely<DB>) {}

  write(w: RedemptionWrite): Promise<RedemptionWritten> {
    return new Promise((resolve, reject) => {
      this.queue.push({ w, resolve, reject, queuedAt: performance.now() })
      writeBatchStats.waiting++
      this.slots.fill()
    })
  }

  /** Oldest first; a sale whose customer or key is already in the batch stays for the next one. */
  private take(): Pending[] {
    const batch: Pending[] = []
    const rest: Pending[] = []
    const customers = new Set<number>()
    const keys = new Set<string>()
    for (const p of this.queue) {
      const key = `${p.w.storeId}\u0000${p.w.posTransactionId}`
      if (batch.length >= settings.maxSales || customers.has(p.w.customerId) || keys.has(key)) {
        rest.push(p)
        continue
      }
      batch.push(p)
      customers.add(p.w.customerId)
      keys.add(key)
    }
    this.queue = rest
    writeBatchStats.waiting -= batch.length
    return batch
  }

  private timed(batch: Pending[], started: number): void {
    const statementMs = performance.now() - started
    if (statementChannel.hasSubscribers) statementChannel.publish({ started, ms: statementMs, sales: batch.length })
    for (const p of batch) {
      observeTiming('write_wait', started - p.queuedAt)
      observeTiming('write_statement', statementMs)
    }
  }

  private async run(batch: Pending[], release: () => void): Promise<void> {
    const started = performance.now()
    let written: RedemptionWritten[] | undefined
    if (batch.length > 1) {
      try {
        written = await insertRedemptionBatch(
          this.db,
          batch.map((p) => p.w),
        )
        writeBatchStats.batches++
        writeBatchStats.batchedSales += batch.length
        writeBatchStats.largestBatch = Math.max(writeBatchStats.largestBatch, batch.length)
      } catch {
        // Nothing of the batch was kept (one statement); each sale now meets its own fate.
        writeBatchStats.fallbacks++
        await Promise.all(batch.map((p) => this.single(p)))
        return
      }
    } else if (batch.length === 1) {
      // A sale that found nobody waiting (a third of them at 250/s) is handed over the same way.
      writeBatchStats.single++
      try {
        written = [await insertRedemption(this.db, batch[0]!.w)]
      } catch (err) {
        batch[0]!.reject(err)
        return
      }
    } else return
    this.timed(batch, started)
    // The one writer is the lanes' critical path: send the next statement before answering
    // these lanes. Resolved here, their responses (a chain of promise steps each) would
    // interleave with the next statement's and go out first: 2-3 ms between a batch's end
    // and the next one's start, against 0.6-0.9 ms this way (measured beside equal load).
    release()
    setImmediate(() => batch.forEach((p, i) => p.resolve(written[i]!)))
  }

  private async single(p: Pending): Promise<void> {
    writeBatchStats.single++
    try {
      p.resolve(await insertRedemption(this.db, p.w))
    } catch (err) {
      p.reject(err)
    }
  }
}

const coalescers = new WeakMap<Kysely<DB>, Coalescer>()

/**
 * insertRedemption for a first attempt, outside any transaction: written alone or with other
 * lanes' sales in one statement, with the same answer either way.
 */
export function writeRedemption(db: Kysely<DB>, w: RedemptionWrite): Promise<RedemptionWritten> {
  if (db.isTransaction || settings.inFlight <= 0) return insertRedemption(db, w)
  let c = coalescers.get(db)
  if (!c) {
    c = new Coalescer(db)
    coalescers.set(db, c)
  }
  return c.write(w)
}
