// GET /v1/reports/offers and /v1/reports/manufacturers (docs/reports.md, "Offers" and
// "Manufacturers"). Redemptions count by sale day; lists and lift by the list cycle's first
// day; both read the rollups only.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { invalid } from '../../lib/errors.ts'
import * as state from './offer-rollup.repository.ts'
import * as repo from './offer-report.repository.ts'
import { reportConfig, type ReportConfig } from './report.config.ts'
import { toCsv } from './report-csv.ts'
import { estimateLift } from './report-stats.ts'

export const LIFT_METHOD =
  "Intention to treat per list cycle: customers the offer was meant for (its targeting matched) whose lists were not held out, against those held out at random. Outcome: each customer's spend in the offer's scope from the cycle's first day to its last list's last day. Welch difference of means with a normal 95% interval; fewer than 30 customers in a group, or an interval containing zero, cannot tell lift from noise. docs/reports.md."

const MAX_DAYS = 731
const dayMs = 86_400_000
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * dayMs).toISOString().slice(0, 10)

/** The period, defaulting to the four weeks ending today; from must not be after to. */
export function resolvePeriod(q: { from?: string | undefined; to?: string | undefined }, today = new Date().toISOString().slice(0, 10)) {
  const to = q.to ?? (q.from && q.from > today ? q.from : today)
  const from = q.from ?? addDays(to, -27)
  if (from > to) throw invalid([{ path: 'querystring.from', message: `must not be after to (${to})` }])
  if ((Date.parse(to) - Date.parse(from)) / dayMs + 1 > MAX_DAYS) {
    throw invalid([{ path: 'querystring.to', message: `the period may span at most ${MAX_DAYS} days` }])
  }
  return { from, to }
}

function isTargeted(targeting: unknown): boolean {
  return !(targeting && typeof targeting === 'object' && (targeting as { everyone?: boolean }).everyone === true)
}

async function freshnessOf(db: Kysely<DB>, cfg: ReportConfig) {
  const s = await state.findState(db)
  const pending = await repo.countPendingReversals(db)
  return {
    redemptions: {
      rolledAt: s.offers_rolled_at?.toISOString() ?? null,
      dataThrough: s.redemptions_through?.toISOString() ?? null,
      stale: pending > 0,
      note: `Redemptions recorded up to dataThrough are counted (the rollup runs every ${cfg.rollupEverySeconds} s and counts a sale once it is ${cfg.redemptionLagSeconds} s old); ${pending} void(s) or return(s) wait for the next rollup.`,
      lastError: s.last_error,
    },
    lists: {
      rolledAt: s.cycles_rolled_at?.toISOString() ?? null,
      dataThrough: s.cycles_rolled_at?.toISOString() ?? null,
      stale: false,
      note: `Lists as of the last rollup; lift only for cycles whose lists' window ended at least ${cfg.settleDays} days ago.`,
      lastError: s.last_error,
    },
  }
}

export async function getOfferReport(
  db: Kysely<DB>,
  q: { from?: string | undefined; to?: string | undefined; offerId?: string | undefined },
  overrides?: Partial<ReportConfig>,
) {
  const cfg = reportConfig(overrides)
  const { from, to } = resolvePeriod(q)
  const offerId = q.offerId ? Number(q.offerId) : undefined
  const days = new Map((await repo.sumOfferDays(db, from, to, offerId)).map((r) => [r.offer_id, r]))
  const cycles = new Map((await repo.sumOfferCycles(db, from, to, offerId)).map((r) => [r.offer_id, r]))
  const offers = await repo.findOffers(db, from, to, [...new Set([...days.keys(), ...cycles.keys()])], offerId)
  return {
    from,
    to,
    freshness: await freshnessOf(db, cfg),
    method: LIFT_METHOD,
    offers: offers.map((o) => {
      const d = days.get(o.id)
      const c = cycles.get(o.id)
      const lists = c?.lists ?? 0
      const redemptions = d?.redemptions ?? 0
      const targeted = isTargeted(o.targeting)
      const lift = estimateLift(
        { n: c?.t_n ?? 0, sum: c?.t_sum ?? 0, sumSq: c?.t_sq ?? 0 },
        { n: c?.h_n ?? 0, sum: c?.h_sum ?? 0, sumSq: c?.h_sq ?? 0 },
        { minGroupSize: cfg.minGroupSize, z: cfg.z, targeted, pendingCycles: c?.pending ?? 0 },
      )
      return {
        offerId: String(o.id),
        name: o.name,
        kind: o.kind,
        status: o.status,
        targeted,
        fundedBy: o.funded_by_manufacturer ?? 'store',
        validFrom: o.valid_from,
        validUntil: o.valid_until,
        lists,
        customersGiven: c?.given ?? 0,
        redemptions,
        redemptionRate: lists > 0 ? redemptions / lists : null,
        units: d?.units ?? 0,
        discountCents: d?.discount_cents ?? 0,
        clawbackCents: d?.clawback_cents ?? 0,
        lift: { ...lift, cycles: c?.cycles ?? 0, pendingCycles: c?.pending ?? 0 },
      }
    }),
  }
}

export type OfferReport = Awaited<ReturnType<typeof getOfferReport>>

export function offerReportCsv(r: OfferReport): string {
  return toCsv(
    [
      'from', 'to', 'offer_id', 'name', 'funded_by', 'lists', 'customers_given', 'redemptions', 'redemption_rate', 'units',
      'discount_cents', 'clawback_cents', 'lift_verdict', 'treated_customers', 'treated_mean_spend_cents', 'holdout_customers',
      'holdout_mean_spend_cents', 'difference_cents', 'interval_low_cents', 'interval_high_cents', 'incremental_spend_cents', 'lift_says',
    ],
    r.offers.map((o) => [
      r.from, r.to, o.offerId, o.name, o.fundedBy, o.lists, o.customersGiven, o.redemptions, o.redemptionRate, o.units,
      o.discountCents, o.clawbackCents, o.lift.verdict, o.lift.treated.customers, o.lift.treated.meanSpendCents, o.lift.holdout.customers,
      o.lift.holdout.meanSpendCents, o.lift.differenceCents, o.lift.interval?.low, o.lift.interval?.high, o.lift.incrementalSpendCents, o.lift.says,
    ]),
  )
}

export async function getManufacturerReport(
  db: Kysely<DB>,
  q: { from?: string | undefined; to?: string | undefined; manufacturer?: string | undefined },
  overrides?: Partial<ReportConfig>,
) {
  const cfg = reportConfig(overrides)
  const { from, to } = resolvePeriod(q)
  const rows = await repo.sumManufacturerDays(db, from, to, q.manufacturer)
  const byMaker = new Map<string, typeof rows>()
  for (const r of rows) byMaker.set(r.manufacturer, [...(byMaker.get(r.manufacturer) ?? []), r])
  const manufacturers = [...byMaker].map(([manufacturer, offers]) => ({
    manufacturer,
    redemptions: offers.reduce((s, o) => s + o.redemptions, 0),
    units: offers.reduce((s, o) => s + o.units, 0),
    faceValueCents: offers.reduce((s, o) => s + o.cents, 0),
    offers: offers.map((o) => ({ offerId: String(o.offer_id), name: o.name, redemptions: o.redemptions, units: o.units, faceValueCents: o.cents })),
  }))
  return {
    from,
    to,
    freshness: (await freshnessOf(db, cfg)).redemptions,
    totalFaceValueCents: manufacturers.reduce((s, m) => s + m.faceValueCents, 0),
    manufacturers,
  }
}

export type ManufacturerReport = Awaited<ReturnType<typeof getManufacturerReport>>

export function manufacturerReportCsv(r: ManufacturerReport): string {
  return toCsv(
    ['manufacturer', 'offer_id', 'offer_name', 'from', 'to', 'redemptions', 'units', 'face_value_cents'],
    r.manufacturers.flatMap((m) => m.offers.map((o) => [m.manufacturer, o.offerId, o.name, r.from, r.to, o.redemptions, o.units, o.faceValueCents])),
  )
}

export async function getRollupStatus(db: Kysely<DB>, queued: boolean) {
  const s = await state.findState(db)
  const iso = (d: Date | null) => d?.toISOString() ?? null
  return {
    queued,
    redemptionsThrough: iso(s.redemptions_through),
    offersRolledAt: iso(s.offers_rolled_at),
    cyclesRolledAt: iso(s.cycles_rolled_at),
    segmentsRolledAt: iso(s.segments_rolled_at),
    valueRolledAt: iso(s.value_rolled_at),
    pendingReversals: await repo.countPendingReversals(db),
    lastError: s.last_error,
    lastErrorAt: iso(s.last_error_at),
  }
}
