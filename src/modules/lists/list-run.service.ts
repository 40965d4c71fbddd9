// List generation runs and single-customer regeneration (issue 7, "Runs and rendering").
//
// Budgets: a list's offers are not redeemed yet, so they must not touch the offer's used
// counters (those count what the lanes gave). A run reserves instead: each offer's budget for
// the run is what the lanes left when the run (or its resumed job) started, less what the
// run's own committed lists carry (offer_value_cents per item, one redemption per list). The
// reservation is recomputed from those rows on resume, so a restart neither forgets nor counts
// twice. The lane still enforces the hard budget at redemption.
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import { lockCustomers } from '../../db/customer-lock.ts'
import { commitLazily } from '../../db/lazy-commit.ts'
import { insertAudit } from '../audit/audit.repository.ts'
import { enqueueJob } from '../jobs/job.repository.ts'
import { refreshAllProfiles, refreshCustomerForList, refreshCustomerProfile } from '../segments/segment.service.ts'
import { segmentConfig } from '../segments/segment.config.ts'
import type { CurrentListFacts, VoucherStateFacts } from '../segments/segment-facts.repository.ts'
import type { CustomerProfile } from '../segments/segment.types.ts'
import { listGenerationConfig, type ListGenerationOverrides } from './list-generation.config.ts'
import { cachedCandidateOffers, candidateOffers, cloneLedger, customersNeedingLists, ledgerFor, predictAhead, predictionsFor, writeChunk, type ChunkContext, type PredictionsAhead } from './list-generation.service.ts'
import * as runRepo from './list-run.repository.ts'
import * as writer from './list-writer.repository.ts'
import { getList } from './list.service.ts'
import { voucherStateThrough } from '../vouchers/voucher.service.ts'
import type { ShoppingList } from './list.types.ts'

export interface ListGeneration {
  id: string
  asOf: string
  status: 'queued' | 'running' | 'succeeded' | 'failed'
  force: boolean
  customerIds: string[] | null
  total: number
  done: number
  listsCreated: number
  skipped: { notEligible: number; listStillCurrent: number }
  error: string | null
  createdAt: string
  startedAt: string | null
  finishedAt: string | null
}

export function toGeneration(r: runRepo.RunRow): ListGeneration {
  return {
    id: String(r.id),
    asOf: r.as_of,
    status: r.status,
    force: r.force,
    customerIds: r.customer_ids ? r.customer_ids.map(String) : null,
    total: r.total,
    done: r.done,
    listsCreated: r.lists_created,
    skipped: { notEligible: r.skipped_not_eligible, listStillCurrent: r.skipped_current },
    error: r.error,
    createdAt: r.created_at.toISOString(),
    startedAt: r.started_at?.toISOString() ?? null,
    finishedAt: r.finished_at?.toISOString() ?? null,
  }
}

/** Records the run and enqueues its job in one transaction: the run exists iff its job does. */
export async function startGeneration(
  db: Kysely<DB>,
  input: { asOf: string; customerIds?: number[] | undefined; force?: boolean | undefined; settings?: ListGenerationOverrides | undefined },
  actor: string,
): Promise<ListGeneration> {
  listGenerationConfig(input.settings)
  return db.transaction().execute(async (trx) => {
    const row = await runRepo.insertRun(trx, {
      asOf: input.asOf,
      customerIds: input.customerIds ?? null,
      force: input.force ?? false,
      requestedBy: actor,
      settings: input.settings ?? {},
    })
    await insertAudit(trx, { actor, action: 'list_generation.start', entity: 'list_generation', entityId: row.id, detail: { asOf: input.asOf, force: row.force, customers: input.customerIds?.length ?? null } })
    await enqueueJob(trx, 'list_generation_run', { generationId: String(row.id) }, { jobKey: `list_generation:${row.id}`, maxAttempts: 5 })
    return toGeneration(row)
  })
}

export async function getGeneration(db: Kysely<DB>, id: number): Promise<ListGeneration> {
  const row = await runRepo.findRun(db, id)
  if (!row) throw notFound('list generation', id)
  return toGeneration(row)
}

/** How many chunks' worth of customers a run ranks ahead, at most (about 9.5 KiB each: 9.5 MiB for 1,000). */
const AHEAD_CHUNKS = 5
/** How many times the customers of a chunk with nobody to write a list for the chunk after it takes. */
const TAIL_GROWTH = 5
/** At most this many customers in a chunk of the tail (their ids and eligibility are held). */
const TAIL_MAX = 10_000

export interface RunHooks {
  /** Called before each chunk's transaction commits; tests throw here to simulate a crash. */
  beforeChunkCommit?: (info: { generationId: number; fromSeq: number }) => void | Promise<void>
  /** Called once a chunk's lists are written, before it waits to commit in turn. */
  afterChunkWrite?: (info: { generationId: number; fromSeq: number; customers: number; listsCreated: number }) => void | Promise<void>
  /** A full run: called after its refresh, before the run is marked prepared. */
  beforePrepared?: (info: { generationId: number }) => void | Promise<void>
}

/**
 * How far a full run's refresh has written the profiles, in positions of the run's order: list
 * chunks wait on it. Fails every waiter when the refresh fails.
 */
class Watermark {
  private through = 0
  private done = false
  private failure: { error: unknown } | undefined
  private waiters: { seq: number; resolve: () => void; reject: (err: unknown) => void }[] = []

  reached(seq: number): Promise<void> {
    if (this.failure) return Promise.reject(this.failure.error)
    if (this.done || this.through >= seq) return Promise.resolve()
    return new Promise((resolve, reject) => this.waiters.push({ seq, resolve, reject }))
  }

  advance(seq: number): void {
    this.through = Math.max(this.through, seq)
    this.settle()
  }

  /** Everything is written: positions past the last one wait no longer. */
  finish(): void {
    this.done = true
    this.settle()
  }

  fail(error: unknown): void {
    this.failure = { error }
    for (const w of this.waiters) w.reject(error)
    this.waiters = []
  }

  private settle(): void {
    this.waiters = this.waiters.filter((w) => {
      if (!this.done && this.through < w.seq) return true
      w.resolve()
      return false
    })
  }
}

/**
 * The body of the 'list_generation_run' job. Prepares once (profiles refreshed, customers
 * snapshotted in value order), then writes chunk after chunk, each with the run's counters in
 * its transaction. A retried job continues from the last committed chunk; an error is recorded
 * and rethrown so the queue retries, and the last attempt leaves the run 'failed'.
 */
export async function runGeneration(db: Kysely<DB>, generationId: number, opts: { finalAttempt?: boolean; hooks?: RunHooks } = {}): Promise<void> {
  const run = await runRepo.findRun(db, generationId)
  if (!run || run.status === 'succeeded' || run.status === 'failed') return
  const config = listGenerationConfig(run.settings as ListGenerationOverrides)
  let ahead: Promise<PredictionsAhead | undefined> | undefined
  // A full run's refresh and the marking of the run as prepared, while its list chunks start.
  let preparing: Promise<void> | undefined
  const hooks = opts.hooks
  try {
    // Resolves once the profiles of the snapshot's positions up to `seq` are written (a full run's
    // refresh is still writing them while its first list chunks are prepared).
    let refreshed: ((seq: number) => Promise<void>) | undefined
    await runRepo.markRunning(db, generationId)
    if (!run.prepared_at) {
      const requested = run.customer_ids
      if (requested) {
        for (let i = 0; i < requested.length; i += config.chunkSize) {
          const ids = requested.slice(i, i + config.chunkSize)
          await db.transaction().execute(async (trx) => {
            // All the slice's locks first, in id order, as every many-customer writer takes them.
            await lockCustomers(trx, ids)
            for (const id of ids) await refreshCustomerProfile(trx, id, run.as_of)
          })
        }
        await db.transaction().execute((trx) => runRepo.snapshotCustomers(trx, generationId, requested))
      } else {
        // While PostgreSQL classifies and writes the profiles, Node ranks the customers likely to
        // get a list (a guess from their recent sales): the chunks take those rankings where they
        // still hold. Not before the sums are staged: that aggregation runs in parallel on every
        // core, and Node's ranking competing with it made the staging longer by about its own CPU;
        // after it, PostgreSQL works on one connection and leaves a core to Node.
        let staged!: (go: boolean) => void
        const stagedYet = new Promise<boolean>((resolve) => (staged = resolve))
        ahead = (async () => {
          if (!(await stagedYet)) return undefined
          const likely = await writer.findLikelyEligible(db, run.as_of, segmentConfig().eligibility, config.chunkSize * AHEAD_CHUNKS)
          return predictAhead(db, likely, run.as_of, config.predictions, config.chunkSize)
        })().catch(() => undefined)
        // A run reads the whole history, often right after an import or a restart that left
        // the planner without statistics (seen: a chunk's facts query over 63k lines ran for
        // minutes on default estimates). ANALYZE samples a fixed 30,000 rows per table; only the
        // tables that changed past autovacuum's threshold since their last analysis.
        //
        // The list chunks start beside the refresh: it writes the profiles in the run's order
        // (eligible customers first, by value) and the run copies that order as its snapshot
        // before the refresh's first chunk, so list chunk k waits only for the refresh chunk that
        // holds its last customer, then allocates, writes and commits in turn while PostgreSQL
        // writes the rest of the population's profiles (most of them below the spend threshold)
        // and ranks them. The wait is also what keeps this from deadlocking: a list chunk holds
        // its customers' write locks until it commits, so the refresh must never need one of them
        // (a test without it hung). The run is marked prepared once the whole refresh is done. A
        // restart before that redoes the refresh: from scratch, snapshot included, if no list
        // chunk had committed; else it keeps the snapshot and resumes after the last committed
        // chunk once the refresh is done (its order is no longer the snapshot's to follow).
        const resumed = run.next_seq > 1
        const watermark = new Watermark()
        let ordered!: () => void
        const orderedYet = new Promise<void>((resolve) => (ordered = resolve))
        // A first run grows customer_profile from empty: its statistics are taken after the
        // refresh's first chunk, before any list chunk reads profiles, and again after the refresh.
        let firstAnalysed: Promise<unknown> | undefined
        preparing = (async () => {
          try {
            await runRepo.analyzeHistory(db)
            await refreshAllProfiles(db, run.as_of, {
              onStaged: () => staged(true),
              ...(resumed
                ? {}
                : {
                    onOrdered: async (session: Kysely<DB>, order: { table: string }) => {
                      await session.transaction().execute((trx) => runRepo.snapshotFromRefreshOrder(trx, generationId, order))
                      ordered()
                    },
                    onChunk: (_done: number, throughSeq: number) => {
                      if (!firstAnalysed) {
                        firstAnalysed = runRepo.analyzeRunWrites(db, 'profiles')
                        // Awaited by the list chunks and below; a failure shows there, not as unhandled.
                        firstAnalysed.catch(() => {})
                      }
                      watermark.advance(throughSeq)
                    },
                  }),
            })
          } finally {
            // A failed refresh ranks nothing (the run is retried); the rankings wait for nothing else.
            staged(false)
          }
          watermark.finish()
          await firstAnalysed
          await runRepo.analyzeRunWrites(db, 'profiles')
          await hooks?.beforePrepared?.({ generationId })
          await runRepo.markPrepared(db, generationId)
        })()
        preparing.catch((err: unknown) => watermark.fail(err))
        if (resumed) await preparing
        else {
          refreshed = async (seq: number) => {
            await watermark.reached(seq)
            await firstAnalysed
          }
          await Promise.race([orderedYet, preparing])
        }
      }
    }
    const predicted = await ahead
    const offers = await candidateOffers(db, run.as_of)
    const budgets = ledgerFor(offers, await writer.findRunAllocations(db, generationId))
    const ctxBase = {
      asOf: run.as_of,
      config,
      offers,
      generationId,
      trigger: 'run' as const,
      force: run.force,
      requireEligible: true,
      skipCurrent: true,
      holdoutKey: `run:${generationId}`,
    }
    // The next chunk's customers and predictions (a read and Node's CPU) are computed while
    // PostgreSQL writes the current chunk: two chunks' predictions at most are held.
    const prepareChunk = async (fromSeq: number, size: number) => {
      await refreshed?.(fromSeq + size - 1)
      let chunk = await runRepo.findChunk(db, generationId, fromSeq, size)
      if (!chunk.length) return undefined
      let ids = chunk.map((c) => c.customer_id)
      let needs = await customersNeedingLists(db, ids, ctxBase)
      while (needs.needing.length && ids.length > config.chunkSize) {
        // A chunk of the tail found someone to write for after all (eligible since the snapshot):
        // it ends before them, or is cut to an ordinary chunk starting with them, so no chunk
        // that writes lists locks more than chunkSize customers. Read again: each pass is shorter.
        const first = ids.indexOf(needs.needing[0]!)
        chunk = chunk.slice(0, first > 0 ? first : config.chunkSize)
        ids = chunk.map((c) => c.customer_id)
        needs = await customersNeedingLists(db, ids, ctxBase)
      }
      const last = chunk[chunk.length - 1]!
      // allocateList shows the first maxItems of each customer's predictions: only they need words.
      const predictions = await predictionsFor(db, needs.needing, run.as_of, config.predictions, predicted, config.maxItems)
      return { fromSeq, ids, last, predictions, needing: needs.needing.length, needs }
    }
    // Customers come in value order with the eligible first (the snapshot), so the run's tail
    // is customers below the spend threshold: after a chunk with nobody to write for, the next one
    // takes several times as many (two reads and the counters for thousands of customers; such a
    // chunk neither locks nor reads them again, see below), up to TAIL_MAX.
    const sizeAfter = (cur: { needing: number; ids: number[] }) =>
      cur.needing === 0 ? Math.min(TAIL_MAX, Math.max(config.chunkSize, cur.ids.length) * TAIL_GROWTH) : config.chunkSize
    let pending = prepareChunk((await runRepo.findRun(db, generationId))?.next_seq ?? 1, config.chunkSize)
    // Chunk k+1 locks, reads and allocates (Node) while PostgreSQL writes chunk k: two chunks'
    // transactions at most are open. They commit in order: a chunk advances the run's counters
    // only after the chunk before it committed, and rolls back if that one failed, so a restart
    // still resumes after the last committed chunk with nothing written past it.
    let ledger = budgets
    let committed: Promise<void> = Promise.resolve()
    let listsAnalysed: Promise<unknown> = Promise.resolve()
    try {
      for (;;) {
        const cur = await pending
        if (!cur) break
        pending = prepareChunk(cur.last.seq + 1, sizeAfter(cur))
        // Settled below whatever happens; a failure shows when it is awaited, not as unhandled.
        pending.catch(() => {})
        // Allocated from what the chunk before left of each budget.
        const chunkLedger = cloneLedger(ledger)
        let allocated!: () => void
        const ready = new Promise<void>((resolve) => (allocated = resolve))
        const before = committed
        const write = db.transaction().execute(async (trx) => {
          // Redone on resume if lost: markFinished's durable commit below flushes every chunk's.
          await commitLazily(trx)
          // A chunk in which nobody needs a list (the run's tail, below the spend threshold) writes
          // nothing, so it neither locks its customers nor reads them again: it counts what its
          // read found. A customer who became eligible since is no different from one who becomes
          // eligible just after the chunk: the regeneration after their sale writes their list.
          // At 10,000 demo customers the tail's nine chunks took 0.25 s through writeChunk.
          let r: { listsCreated: number; notEligible: number; current: number }
          if (cur.needing === 0) {
            allocated()
            r = { listsCreated: 0, notEligible: cur.needs.notEligible, current: cur.needs.current }
          } else r = await writeChunk(trx, cur.ids, cur.predictions, { ...ctxBase, budgets: chunkLedger, onAllocated: allocated })
          await hooks?.afterChunkWrite?.({ generationId, fromSeq: cur.fromSeq, customers: cur.ids.length, listsCreated: r.listsCreated })
          await before
          await runRepo.advanceRun(trx, generationId, { nextSeq: cur.last.seq + 1, done: cur.ids.length, listsCreated: r.listsCreated, notEligible: r.notEligible, current: r.current })
          await hooks?.beforeChunkCommit?.({ generationId, fromSeq: cur.fromSeq })
        })
        write.catch(() => {})
        committed = write
        await Promise.race([ready, write])
        ledger = chunkLedger
        await before
      }
      await committed
      // Every list is written: their statistics are taken while a full run's refresh may still be
      // ranking or analysing the profiles after the last list chunk.
      listsAnalysed = runRepo.analyzeRunWrites(db, 'lists')
      listsAnalysed.catch(() => {})
      await preparing
      await listsAnalysed
    } finally {
      // Never leave the prefetch, a chunk's write or an analysis running against a database the caller may close next.
      await pending.catch(() => undefined)
      await committed.catch(() => undefined)
      await listsAnalysed.catch(() => undefined)
    }
    await runRepo.markFinished(db, generationId, 'succeeded')
  } catch (err) {
    // Never leave the rankings ahead or the refresh running against a database the caller may close next.
    await ahead
    await preparing?.catch(() => undefined)
    const message = err instanceof Error ? err.message : String(err)
    if (opts.finalAttempt) await runRepo.markFinished(db, generationId, 'failed', message)
    else await runRepo.recordError(db, generationId, message)
    throw err
  }
}

/**
 * One customer's list now, by the chunk code: 'redemption' after a sale, void or return (only
 * for customers who have a list or are eligible), 'manual' from the back office (always).
 * Returns undefined when a redemption regeneration had nothing to do.
 */
export async function regenerateCustomerList(
  db: Kysely<DB>,
  customerId: number,
  opts: { asOf?: string | undefined; trigger: 'redemption' | 'manual'; actor?: string; settings?: ListGenerationOverrides },
): Promise<ShoppingList | undefined> {
  const listId = await regenerateList(db, customerId, opts)
  return listId === undefined ? undefined : getList(db, listId)
}

/**
 * regenerateCustomerList without reading the list back: the regenerate_list job after every lane
 * sale. Its reads outside the transaction go out at once on separate connections, and the
 * transaction is a handful of statements (docs/lists.md, "Single regeneration").
 */
export async function regenerateList(
  db: Kysely<DB>,
  customerId: number,
  opts: { asOf?: string | undefined; trigger: 'redemption' | 'manual'; actor?: string; settings?: ListGenerationOverrides },
): Promise<number | undefined> {
  const asOf = opts.asOf ?? new Date().toISOString().slice(0, 10)
  const config = listGenerationConfig(opts.settings)
  // The predictions (one read, then Node's CPU) and the offer-cache check run while PostgreSQL
  // locks and refreshes the customer in the transaction; the list write waits for them. An
  // unknown or erased customer has no facts, so the refresh says so (no separate check).
  const inputs = Promise.all([cachedCandidateOffers(db, asOf), predictionsFor(db, [customerId], asOf, config.predictions, undefined, config.maxItems)])
  inputs.catch(() => {})
  let profiled = false
  let listId: number | undefined
  try {
    // The customer's lock comes before the profile refresh: a run's chunk may hold this customer
    // (db/customer-lock.ts). A redemption's regeneration commits lazily: its job's durable
    // completion follows.
    listId = await writer.inRegenerationTransaction(db, customerId, { lazyCommit: opts.trigger === 'redemption' }, async (trx) => {
      const { profile, currentList, voucherState, written } = await refreshCustomerForList(trx, customerId, asOf, undefined, { voucherThrough: voucherStateThrough(asOf) })
      try {
        return await allocateAndWrite(trx, profile, currentList, voucherState)
      } finally {
        // Written while the list was allocated; a failed profile write is the error to report
        // (the list write after it only finds the transaction aborted).
        await written
      }
    })
  } finally {
    // A customer who gets no list leaves the reads running: settle them before returning.
    await inputs.catch(() => undefined)
  }
  if (!profiled && opts.trigger === 'manual') throw notFound('customer', customerId)
  if (listId === undefined && opts.trigger === 'manual') throw new AppError('conflict', `customer ${customerId} could not be profiled`)
  return listId

  async function allocateAndWrite(
    trx: Transaction<DB>,
    profile: CustomerProfile | null,
    currentList: CurrentListFacts | null,
    voucherState: VoucherStateFacts | null,
  ): Promise<number | undefined> {
    if (!profile) return undefined
    profiled = true
    if (opts.trigger === 'redemption' && !profile.eligible && !currentList) return undefined
    const [offers, predictions] = await inputs
    const ctx: ChunkContext = {
      asOf,
      config,
      offers,
      budgets: ledgerFor(offers),
      generationId: null,
      trigger: opts.trigger,
      force: true,
      requireEligible: false,
      skipCurrent: false,
      holdoutKey: `cycle:${asOf}`,
      customersLocked: true,
      currentLists: currentList ? [currentList] : [],
      ...(voucherState ? { voucherStates: [voucherState] } : {}),
      prepared: true,
    }
    const r = await writeChunk(trx, [customerId], predictions, ctx, new Map([[customerId, profile]]))
    const id = r.lists.get(customerId)
    if (opts.actor && id !== undefined) await insertAudit(trx, { actor: opts.actor, action: 'list.generate', entity: 'list', entityId: id, detail: { customerId, asOf } })
    return id
  }
}
