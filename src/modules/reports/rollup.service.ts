// The reports rollup (issue 8): keeps the report tables current off the lane's path. Each pass
// is its own short transaction under its own advisory lock, so a pass that another instance is
// running is skipped, and a crash loses nothing (the next run redoes what did not commit).
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { REASONS } from '../lists/list-allocation.ts'
import * as cycles from './cycle-rollup.repository.ts'
import * as offers from './offer-rollup.repository.ts'
import { reportConfig, type ReportConfig } from './report.config.ts'
import { CONCENTRATION_CURVE } from './report-shares.ts'
import { tryLockPass } from './rollup.repository.ts'
import * as segments from './segment-rollup.repository.ts'
import * as value from './value-rollup.repository.ts'

export interface RollupOptions {
  /** The calendar day the rollup treats as today (lists whose window ended before it are final). */
  today?: string
  config?: Partial<ReportConfig>
  /** Take a segment snapshot even if no population refresh happened since the last one. */
  forceSnapshot?: boolean
}

export interface RollupResult {
  redemptions: { counted: number; reversals: number; watermark: number } | 'busy'
  cycles: { computed: number; finalised: number } | 'busy'
  segmentSnapshot: number | null | 'busy'
  value: boolean | 'busy'
  ms: number
}

const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)

export async function rollUpRedemptions(db: Kysely<DB>, cfg: ReportConfig): Promise<RollupResult['redemptions']> {
  // Repeatable read: a void or return and its event are both seen or both not, so each is
  // counted exactly once (in the redemption's state now, or later as a delta).
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      if (!(await tryLockPass(trx, 'redemptions'))) return 'busy' as const
      const state = await offers.lockState(trx)
      const wm = state.redemption_watermark
      const horizon = await offers.findRedemptionHorizon(trx, wm, cfg.redemptionLagSeconds)
      const hi = horizon?.id ?? wm
      const counted = hi > wm ? await offers.addNewRedemptions(trx, wm, hi) : 0
      const reversals = await offers.applyReversalEvents(trx, wm, hi)
      await offers.saveOffersProgress(trx, hi, horizon?.createdAt ?? null)
      return { counted, reversals, watermark: hi }
    })
}

export async function rollUpCycles(db: Kysely<DB>, today: string, cfg: ReportConfig): Promise<RollupResult['cycles']> {
  const out = { computed: 0, finalised: 0 }
  // Cycles of the last two years; older ones were finalised long ago.
  const starts = await cycles.findCycleStarts(db, addDays(today, -730))
  for (const c of starts) {
    if (c.final) continue
    const done = await db.transaction().execute(async (trx) => {
      if (!(await tryLockPass(trx, `cycle:${c.cycleStart}`))) return 'busy'
      const extent = await cycles.findCycleExtent(trx, c.cycleStart)
      const final = extent.windowEnd < addDays(today, -cfg.settleDays)
      if (!final && c.maxListId === extent.maxListId) return 'unchanged'
      const rows = await cycles.computeCycle(trx, c.cycleStart, extent.windowEnd, REASONS.holdout, final)
      await cycles.replaceCycle(trx, { cycleStart: c.cycleStart, windowEnd: extent.windowEnd, maxListId: extent.maxListId, final, rows })
      return final ? 'final' : 'computed'
    })
    if (done === 'final') out.finalised++
    if (done === 'computed' || done === 'final') out.computed++
  }
  await db.transaction().execute((trx) => offers.touchCyclesRolledAt(trx))
  return out
}

export async function rollUpSegments(db: Kysely<DB>, force: boolean): Promise<RollupResult['segmentSnapshot']> {
  return db
    .transaction()
    .setIsolationLevel('repeatable read')
    .execute(async (trx) => {
      if (!(await tryLockPass(trx, 'segments'))) return 'busy' as const
      const refresh = await segments.findPopulationRefresh(trx)
      const latest = await segments.findLatestSnapshot(trx)
      const newer = refresh && (!latest?.profiles_computed_at || refresh.computedAt > latest.profiles_computed_at)
      if (!newer && !force) return null
      return segments.takeSnapshot(trx, refresh?.asOf ?? new Date().toISOString().slice(0, 10), refresh?.computedAt ?? null, latest)
    })
}

/**
 * Whether the value figures are out of date: never computed; or profiles changed since, and
 * either a population refresh finished since the last computation (a list run: everyone's
 * figures moved) or the last one is at least `minSeconds` old (single customers' refreshes).
 */
export function valueRollupDue(s: value.ValueInputs, now: Date, minSeconds: number): boolean {
  if (!s.rolledAt) return true
  if (s.changes.length === 0) return false
  if (s.refreshedAt && s.refreshedAt > s.rolledAt) return true
  return now.getTime() - s.rolledAt.getTime() >= minSeconds * 1000
}

/** True when it recomputed, false when the profiles had not changed (or not enough yet). */
export async function rollUpValue(db: Kysely<DB>, cfg: ReportConfig): Promise<RollupResult['value']> {
  // Read committed on purpose: the changes are read first, so the computation's later snapshot
  // includes every change read (each commits with its profile rows), and only those are cleared.
  return db.transaction().execute(async (trx) => {
    if (!(await tryLockPass(trx, 'value'))) return 'busy' as const
    const inputs = await value.findValueInputs(trx)
    if (!valueRollupDue(inputs, new Date(), cfg.valueMinIntervalSeconds)) return false
    await value.rollUpValue(trx, CONCENTRATION_CURVE)
    await value.clearValueChanges(trx, inputs.changes)
    return true
  })
}

/** One rollup: redemptions, list cycles, segment snapshot (after a population refresh), value (after profile changes). */
export async function runRollup(db: Kysely<DB>, opts: RollupOptions = {}): Promise<RollupResult> {
  const cfg = reportConfig(opts.config)
  const started = performance.now()
  const today = opts.today ?? new Date().toISOString().slice(0, 10)
  const redemptions = await rollUpRedemptions(db, cfg)
  const cycleResult = await rollUpCycles(db, today, cfg)
  const segmentSnapshot = await rollUpSegments(db, opts.forceSnapshot ?? false)
  const valueResult = await rollUpValue(db, cfg)
  await db.transaction().execute((trx) => offers.clearRollupError(trx))
  return { redemptions, cycles: cycleResult, segmentSnapshot, value: valueResult, ms: Math.round(performance.now() - started) }
}
