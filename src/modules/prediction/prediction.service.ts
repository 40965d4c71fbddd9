// The predictor wired to PostgreSQL: statistics kept per customer (customer_stats), the fitted
// model stored in prediction_model and cached per process, one customer's list from one
// primary-key read. The algorithm itself is the pure code next to this file.
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { TransactionBatch } from '../imports/import.types.ts'
import { emptyCustomerStats, recordReturn, recordTransaction, voidTransaction } from './customer-stats.ts'
import { fitPredictionModel, type PredictionModel } from './model-fit.ts'
import { predictForCustomer, warmModel } from './predictor.ts'
import { describeReason } from './reasons.ts'
import { defaultConfig, type CustomerStats, type Day, type PredictionConfig, type ReasonKind, type TimeMode } from './prediction.types.ts'
import * as modelRepo from './prediction-model.repository.ts'
import * as statsRepo from './prediction-stats.repository.ts'

type Db = Kysely<DB> | Transaction<DB>

const DAY_MS = 86_400_000
/** 'YYYY-MM-DD' to the predictor's Day (days since 1970-01-01). */
export const dayOf = (date: string): Day => Math.round(Date.parse(`${date}T00:00:00Z`) / DAY_MS)
export const dateOf = (day: Day): string => new Date(day * DAY_MS).toISOString().slice(0, 10)

export interface PredictedListItem {
  productId: number
  probability: number
  expectedDate: string | null
  reason: string
  reasonKind: ReasonKind
  cycleDays: number | null
}

// ---- incremental statistics ---------------------------------------------------------------

/** Records (+1) or voids (-1) one sale in its customer's statistics, in the caller's transaction. */
export async function applySaleToStats(trx: Db, customerId: number, saleId: number, sign: 1 | -1): Promise<void> {
  const sale = await statsRepo.saleForStats(trx, saleId)
  if (sale === undefined) return
  const stored = await statsRepo.findCustomerStats(trx, customerId, true)
  const timeMode = stored?.timeMode ?? 'calendar'
  const config = defaultConfig(timeMode)
  const before = stored?.stats ?? emptyCustomerStats(String(customerId))
  const tx = { day: sale.day, lines: sale.lines }
  const after = sign === 1 ? recordTransaction(before, tx, config) : voidTransaction(before, tx, config)
  await statsRepo.saveCustomerStats(trx, customerId, timeMode, after)
}

/** Takes returned quantities of one sale's products out of the customer's statistics. */
export async function applyReturnToStats(
  trx: Db,
  customerId: number,
  saleId: number,
  items: ReadonlyArray<{ productId: number; quantity: number }>,
): Promise<void> {
  const sale = await statsRepo.saleForStats(trx, saleId)
  const stored = await statsRepo.findCustomerStats(trx, customerId, true)
  if (sale === undefined || stored === undefined) return
  const categories = await statsRepo.categoriesOf(trx, items.map((i) => i.productId))
  const lines = items.map((i) => ({ productId: String(i.productId), quantity: i.quantity, category: categories.get(i.productId) }))
  const after = recordReturn(stored.stats, { day: sale.day, lines }, defaultConfig(stored.timeMode))
  await statsRepo.saveCustomerStats(trx, customerId, stored.timeMode, after)
}

/** Full rebuild from history (recorded sales, net of returns), set-based in one statement. */
export async function rebuildStats(
  db: Kysely<DB>,
  opts: { customerIds?: number[]; timeMode?: TimeMode; through?: string } = {},
): Promise<{ customers: number; seconds: number }> {
  const started = performance.now()
  const config = defaultConfig(opts.timeMode ?? 'calendar')
  const customers = await db.transaction().execute((trx) =>
    statsRepo.rebuildStatsSql(trx, {
      config,
      ...(opts.customerIds === undefined ? {} : { customerIds: opts.customerIds }),
      ...(opts.through === undefined ? {} : { through: opts.through }),
    }),
  )
  return { customers, seconds: (performance.now() - started) / 1000 }
}

/** For importTransactions' onBatchImported: the batch's customers rebuilt inside the batch's transaction. */
export async function statsOnBatchImported(trx: Transaction<DB>, batch: TransactionBatch): Promise<void> {
  await statsRepo.rebuildStatsSql(trx, { config: defaultConfig('calendar'), customerIds: batch.customerIds })
}

// ---- model --------------------------------------------------------------------------------

export interface FitOptions {
  timeMode?: TimeMode
  /** Prediction window in days (visits in sequence mode); default 14 (1). */
  windowDays?: number
  /** Customers whose raw history feeds the calibration fit (a deterministic sample); default 30,000. */
  maxFitCustomers?: number
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
  for await (const page of statsRepo.allCustomerStats(db)) for (const s of page) if (s.timeMode === timeMode) stats.push(s.stats)
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
  const names = await modelRepo.productNames(db, [...ids])
  return items.map((i) => ({
    productId: Number(i.productId),
    probability: i.probability,
    expectedDate: i.expectedDay === null ? null : timeModeDate(model.config.timeMode, i.expectedDay),
    reason: describeReason(i.reason, { asOf, productName: (p) => names.get(p) }),
    reasonKind: i.reason.kind,
    cycleDays: i.reason.cycleDays ?? null,
  }))
}

// Sequence-mode days are visit numbers stored as dates from the import's day-number epoch;
// they still map back to a date the same way.
const timeModeDate = (_mode: TimeMode, day: Day): string => dateOf(Math.round(day))
