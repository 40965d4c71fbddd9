// The predictor wired to PostgreSQL: statistics kept per customer (customer_stats), the fitted
// model stored in prediction_model and cached per process, one customer's list from one
// primary-key read. The algorithm itself is the pure code next to this file.
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { TransactionBatch } from '../imports/import.types.ts'
import { isoDateOfDay } from './calendar.ts'
import { applyChangesExactly, emptyCustomerStats, type StatsChange } from './customer-stats.ts'
import { fitPredictionModel, type PredictionModel } from './model-fit.ts'
import { predictForCustomer, warmModel } from './predictor.ts'
import { describeReason } from './reasons.ts'
import { defaultConfig, type CustomerStats, type Day, type PredictionConfig, type ReasonKind, type TimeMode } from './prediction.types.ts'
import * as modelRepo from './prediction-model.repository.ts'
import * as statsRepo from './prediction-stats.repository.ts'
import { rebuildStatsBulk } from './stats-rebuild.repository.ts'

type Db = Kysely<DB> | Transaction<DB>

const DAY_MS = 86_400_000
/** 'YYYY-MM-DD' to the predictor's Day (days since 1970-01-01). */
export function dayOf(date: string): Day {
  // A run asks for the same as-of day for every item of every list: parse it once.
  if (date !== lastDate) {
    lastDay = Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS)
    lastDate = date
  }
  return lastDay
}
let lastDate: string | undefined
let lastDay: Day = Number.NaN
/** The predictor's Day to 'YYYY-MM-DD'. */
export const dateOf = (day: Day): string => isoDateOfDay(day)

export interface PredictedListItem {
  productId: number
  probability: number
  expectedDate: string | null
  reason: string
  reasonKind: ReasonKind
  cycleDays: number | null
}

// ---- statistics ------------------------------------------------------------------------------

/**
 * Brings one customer's statistics up to date with their history (the regenerate_list job, run
 * after every lane sale, void and return). The row says which sales and reversals it reflects
 * (migration 0014); only what came after is read and applied with the incremental updates.
 * Where that would not be exact (no watermark yet, a sale that committed late with a lower id,
 * a correction older than the kept days), the customer is rebuilt from history instead.
 */
export async function refreshCustomerStats(
  db: Kysely<DB>,
  customerId: number,
): Promise<{ mode: 'unchanged' | 'incremental' | 'rebuilt'; changes: number }> {
  return db.transaction().execute(async (trx) => {
    await statsRepo.lockCustomerStats(trx, customerId)
    const stored = await statsRepo.findWatermarkedStats(trx, customerId)
    const timeMode = stored?.timeMode ?? (await statsRepo.storedTimeMode(trx)) ?? 'calendar'
    const config = defaultConfig(timeMode)
    const rebuild = async (changes: number) => {
      await rebuildStatsBulk(trx, { config, customerIds: [customerId] })
      return { mode: 'rebuilt' as const, changes }
    }
    if (stored === undefined || stored.throughSaleId === null || stored.salesCounted === null) return rebuild(0)
    const since = await statsRepo.historyChangesSince(trx, customerId, stored.throughSaleId)
    // A sale with an id at or below the mark committed after the row was written.
    if (since.counted !== stored.salesCounted) return rebuild(0)
    const reversals = structuredClone(stored.reversals)
    const voids = since.voided.filter((s) => reversals[String(s.id)] !== 'v')
    const lines = await statsRepo.linesOfSales(trx, [
      ...since.newSales.filter((s) => !s.voided).map((s) => s.id),
      ...voids.map((s) => s.id),
      ...since.returned.map((s) => s.id),
    ])
    const bySale = new Map<number, statsRepo.StatsLine[]>()
    for (const l of lines) bySale.set(l.saleId, [...(bySale.get(l.saleId) ?? []), l])
    const changes: StatsChange[] = []
    const txOf = (day: number, ls: { productId: number; quantity: number; category: string | undefined }[]) => ({
      day,
      lines: ls.filter((l) => l.quantity > 0).map((l) => ({ productId: String(l.productId), quantity: l.quantity, category: l.category })),
    })
    // Voids and returns of sales already reflected; quantities net of returns already taken.
    for (const sale of voids) {
      const applied = reversals[String(sale.id)]
      const taken = applied === undefined || applied === 'v' ? {} : applied
      const ls = (bySale.get(sale.id) ?? []).map((l) => ({ ...l, quantity: l.quantity - (taken[String(l.lineNo)] ?? 0) }))
      changes.push({ kind: 'void', tx: txOf(sale.day, ls) })
      reversals[String(sale.id)] = 'v'
    }
    for (const sale of since.returned) {
      const applied = reversals[String(sale.id)]
      if (applied === 'v') continue
      const taken = { ...(applied ?? {}) }
      const ls = (bySale.get(sale.id) ?? []).filter((l) => l.returned > 0)
      const deltas = ls.map((l) => ({ ...l, quantity: l.returned - (taken[String(l.lineNo)] ?? 0) }))
      for (const l of ls) taken[String(l.lineNo)] = l.returned
      if (deltas.some((d) => d.quantity > 0)) changes.push({ kind: 'return', tx: txOf(sale.day, deltas) })
      reversals[String(sale.id)] = taken
    }
    // New sales, net of what was returned before this refresh.
    let through = stored.throughSaleId
    for (const sale of [...since.newSales].sort((a, b) => a.id - b.id)) {
      through = Math.max(through, sale.id)
      if (sale.voided) {
        reversals[String(sale.id)] = 'v'
        continue
      }
      const ls = bySale.get(sale.id) ?? []
      const returned = ls.filter((l) => l.returned > 0)
      if (returned.length > 0) reversals[String(sale.id)] = Object.fromEntries(returned.map((l) => [String(l.lineNo), l.returned]))
      changes.push({ kind: 'record', tx: txOf(sale.day, ls.map((l) => ({ ...l, quantity: l.quantity - l.returned }))) })
    }
    if (through === stored.throughSaleId && changes.length === 0) return { mode: 'unchanged' as const, changes: 0 }
    const after = applyChangesExactly(stored.stats, changes, config)
    if (after === undefined) return rebuild(changes.length)
    await statsRepo.saveWatermarkedStats(trx, customerId, timeMode, after, {
      throughSaleId: through,
      salesCounted: since.counted + since.newSales.length,
      reversals,
    })
    return { mode: 'incremental' as const, changes: changes.length }
  })
}

/** Full rebuild from history (recorded sales, net of returns). */
export async function rebuildStats(
  db: Kysely<DB>,
  opts: { customerIds?: number[]; timeMode?: TimeMode; through?: string } = {},
): Promise<{ customers: number; seconds: number }> {
  const started = performance.now()
  const config = defaultConfig(opts.timeMode ?? 'calendar')
  const customers = await rebuildStatsBulk(db, {
    config,
    ...(opts.customerIds === undefined ? {} : { customerIds: opts.customerIds }),
    ...(opts.through === undefined ? {} : { through: opts.through }),
  })
  return { customers, seconds: (performance.now() - started) / 1000 }
}

/**
 * Rebuilds these customers' statistics from their history, a few hundred per transaction, each
 * customer under the lock its incremental refresh takes (refreshCustomerStats), so a lane sale's
 * refresh and this rebuild never interleave. The job an import queues per batch (below).
 */
export async function rebuildCustomersStats(db: Kysely<DB>, customerIds: number[], chunk = 250): Promise<number> {
  const ids = [...new Set(customerIds)].sort((a, b) => a - b)
  let customers = 0
  for (let i = 0; i < ids.length; i += chunk) {
    const part = ids.slice(i, i + chunk)
    customers += await db.transaction().execute(async (trx) => {
      // In id order: two rebuilds over the same customers take their locks in the same order.
      for (const id of part) await statsRepo.lockCustomerStats(trx, id)
      const timeMode = (await statsRepo.storedTimeMode(trx)) ?? 'calendar'
      return rebuildStatsBulk(trx, { config: defaultConfig(timeMode), customerIds: part })
    })
  }
  return customers
}

/** For importTransactions' onBatchImported: the batch's customers rebuilt inside the batch's transaction. */
export async function statsOnBatchImported(trx: Transaction<DB>, batch: TransactionBatch): Promise<void> {
  await rebuildStatsBulk(trx, { config: defaultConfig('calendar'), customerIds: batch.customerIds })
}

// ---- model --------------------------------------------------------------------------------

export interface FitOptions {
  timeMode?: TimeMode
  /** Prediction window in days (visits in sequence mode); default 14 (1). */
  windowDays?: number
  /** Customers whose raw history feeds the calibration fit (a deterministic sample); default 30,000. */
  maxFitCustomers?: number
  /**
   * Customers whose statistics feed the population and neighbour lists (every k-th by id);
   * default 20,000. Bounds the fit's memory: every kept customer's statistics are held at once.
   */
  maxPopulationCustomers?: number
}

/**
 * Fits the model: population and neighbour lists from every customer's stored statistics, the
 * calibration from the raw history of (at most maxFitCustomers) customers, and stores it.
 */
export async function fitModel(db: Kysely<DB>, asOf?: string, opts: FitOptions = {}): Promise<{ id: number; seconds: number }> {
  const started = performance.now()
  const timeMode = opts.timeMode ?? (await statsRepo.storedTimeMode(db)) ?? 'calendar'
  const config: PredictionConfig = { ...defaultConfig(timeMode), ...(opts.windowDays === undefined ? {} : { windowDays: opts.windowDays }) }
  const stats: CustomerStats[] = []
  const total = await statsRepo.countCustomerStats(db)
  const every = Math.max(1, Math.ceil(total / (opts.maxPopulationCustomers ?? 20_000)))
  let seen = 0
  for await (const page of statsRepo.allCustomerStats(db)) {
    for (const s of page) if (seen++ % every === 0 && s.timeMode === timeMode) stats.push(s.stats)
  }
  const max = opts.maxFitCustomers ?? 30_000
  const step = Math.max(1, Math.ceil(stats.length / max))
  const fitIds = stats.filter((_, i) => i % step === 0).map((s) => Number(s.customerId))
  const histories = []
  for (let i = 0; i < fitIds.length; i += 2_000) histories.push(...(await modelRepo.historiesOf(db, fitIds.slice(i, i + 2_000), asOf)))
  const categories = await modelRepo.productCategories(db)
  const model = fitPredictionModel({
    histories,
    config,
    stats,
    ...(asOf === undefined ? {} : { asOf: dayOf(asOf) }),
    ...(categories.size === 0 ? {} : { categoryOf: (p: string) => categories.get(p) }),
  })
  const id = await modelRepo.insertModel(db, { asOf: asOf ?? null, timeMode, customers: stats.length, model })
  cacheFor(db).set(timeMode, { id, model: warmed(model), checkedAt: Date.now() })
  return { id, seconds: (performance.now() - started) / 1000 }
}

/**
 * Fits a new model when the newest one is older than `maxAgeMs` (the daily refit job): the
 * population's picks and the neighbours move with what the chain sells and who shops. Also
 * when it was fitted for another prediction window than the program's. Keeps the newest few
 * models. Nothing to fit from (no statistics yet) is not an error.
 */
export async function refitModelIfStale(db: Kysely<DB>, maxAgeMs: number, keep = 3): Promise<'fitted' | 'fresh' | 'no_history'> {
  const timeMode = (await statsRepo.storedTimeMode(db)) ?? 'calendar'
  if ((await statsRepo.countCustomerStats(db)) === 0) return 'no_history'
  const fittedAt = await modelRepo.latestModelFittedAt(db, timeMode)
  if (fittedAt !== undefined && (await modelFitsProgramWindow(db)) && Date.now() - fittedAt.getTime() < maxAgeMs) return 'fresh'
  await fitModel(db, undefined, { timeMode })
  await modelRepo.pruneModels(db, timeMode, keep)
  return 'fitted'
}

/**
 * Whether the newest model (if any) was fitted for the program's prediction window. One fitted
 * for another window (LANELIST_LIST_VALID_DAYS changed) is stale at once.
 */
export async function modelFitsProgramWindow(db: Kysely<DB>): Promise<boolean> {
  const timeMode = (await statsRepo.storedTimeMode(db)) ?? 'calendar'
  const model = await currentModel(db, timeMode)
  return model === undefined || model.config.windowDays === defaultConfig(timeMode).windowDays
}

interface CachedModel {
  id: number
  model: PredictionModel
  checkedAt: number
}

const caches = new WeakMap<object, Map<TimeMode, CachedModel>>()
let checkEveryMs = 30_000

/** How often a process looks for a newer model (default 30 s); 0 checks on every request. */
export function setModelCheckInterval(seconds: number): void {
  checkEveryMs = seconds * 1000
}

function cacheFor(db: Db): Map<TimeMode, CachedModel> {
  // Transactions are separate objects; key the cache on the pool-level executor when possible.
  const key = (db as { getExecutor?: () => unknown }).getExecutor?.() as object | undefined
  const k = key ?? db
  let m = caches.get(k)
  if (m === undefined) caches.set(k, (m = new Map()))
  return m
}

function warmed(model: PredictionModel): PredictionModel {
  warmModel(model)
  return model
}

/** The newest stored model of that time mode, cached; undefined if none was ever fitted. */
export async function currentModel(db: Db, timeMode: TimeMode): Promise<PredictionModel | undefined> {
  const cache = cacheFor(db)
  const cached = cache.get(timeMode)
  if (cached !== undefined && Date.now() - cached.checkedAt < checkEveryMs) return cached.model
  const id = await modelRepo.latestModelId(db, timeMode)
  if (id === undefined) return undefined
  if (cached !== undefined && cached.id === id) {
    cached.checkedAt = Date.now()
    return cached.model
  }
  const model = warmed(await modelRepo.loadModel(db, id))
  cache.set(timeMode, { id, model, checkedAt: Date.now() })
  return model
}

// ---- prediction ---------------------------------------------------------------------------

/**
 * The customer's most likely purchases in the window after `asOf`, best first. Reads the
 * customer's statistics row and the cached model; when no model was ever fitted, fits one
 * first (once per database). A customer without statistics gets the population's picks.
 */
export async function predictCustomerItems(
  db: Kysely<DB>,
  customerId: number,
  opts: { asOf: string; limit?: number },
): Promise<PredictedListItem[]> {
  const stored = await statsRepo.findCustomerStats(db, customerId)
  const timeMode = stored?.timeMode ?? 'calendar'
  let model = await currentModel(db, timeMode)
  if (model === undefined) {
    await fitModel(db, undefined, { timeMode })
    model = await currentModel(db, timeMode)
    if (model === undefined) return []
  }
  const stats = stored?.stats ?? emptyCustomerStats(String(customerId))
  return describeItems(db, stats, model, dayOf(opts.asOf), opts.limit ?? 20)
}

/** The same ranking for a batch caller that already holds the statistics (scripts/predict.ts). */
export function rankFromStats(stats: CustomerStats, model: PredictionModel, asOf: Day | undefined, limit: number) {
  return predictForCustomer(stats, model, { ...(asOf === undefined ? {} : { asOf }), limit })
}

async function describeItems(db: Db, stats: CustomerStats, model: PredictionModel, asOf: Day, limit: number): Promise<PredictedListItem[]> {
  const items = rankFromStats(stats, model, asOf, limit)
  const ids = new Set<number>()
  for (const i of items) {
    ids.add(Number(i.productId))
    for (const b of i.reason.becauseOf ?? []) ids.add(Number(b))
  }
  const names = await cachedProductNames(db, [...ids])
  return items.map((i) => ({
    productId: Number(i.productId),
    probability: i.probability,
    expectedDate: i.expectedDay === null ? null : timeModeDate(model.config.timeMode, i.expectedDay),
    reason: describeReason(i.reason, { asOf, productName: (p) => names.get(p) }),
    reasonKind: i.reason.kind,
    cycleDays: i.reason.cycleDays ?? null,
  }))
}

// Product names for reasons, cached per process: a list names ~20-40 products, almost always
// ones named before, so most requests read nothing but the customer's row. A rename shows
// within NAME_TTL_MS. Bounded: the cache starts over past NAME_CACHE_MAX entries.
const NAME_TTL_MS = 5 * 60_000
const NAME_CACHE_MAX = 200_000
let nameCache = new Map<number, string>()
let nameCacheSince = Date.now()
async function cachedProductNames(db: Db, ids: number[]): Promise<Map<string, string>> {
  if (Date.now() - nameCacheSince > NAME_TTL_MS || nameCache.size > NAME_CACHE_MAX) {
    nameCache = new Map()
    nameCacheSince = Date.now()
  }
  const missing = ids.filter((id) => !nameCache.has(id))
  if (missing.length > 0) for (const [id, name] of await modelRepo.productNames(db, missing)) nameCache.set(Number(id), name)
  const out = new Map<string, string>()
  for (const id of ids) {
    const name = nameCache.get(id)
    if (name !== undefined) out.set(String(id), name)
  }
  return out
}

// Sequence-mode days are visit numbers stored as dates from the import's day-number epoch;
// they still map back to a date the same way.
const timeModeDate = (_mode: TimeMode, day: Day): string => dateOf(Math.round(day))
