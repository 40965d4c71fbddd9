// GET /v1/reports/value: concentration of sales, tiers and lifecycle stages (from the value
// rollup), and the early-warning and negative-value customers (indexed reads of the profiles).
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { segmentConfig } from '../segments/segment.config.ts'
import { findState } from './offer-rollup.repository.ts'
import { reportConfig, type ReportConfig } from './report.config.ts'
import { toCsv } from './report-csv.ts'
import { CONCENTRATION_SHARES } from './report-shares.ts'
import { findPopulationRefresh } from './segment-rollup.repository.ts'
import * as repo from './value-rollup.repository.ts'

type Tier = 'A' | 'B' | 'C' | 'D' | null
type Stage = 'new' | 'growing' | 'stable' | 'declining' | 'lapsed' | null

const share = (part: number, whole: number) => (whole > 0 ? part / whole : 0)

export async function getValueReport(db: Kysely<DB>, q: { limit: number; days?: number | undefined }, overrides?: Partial<ReportConfig>) {
  const cfg = reportConfig(overrides)
  const days = q.days ?? cfg.earlyWarningDays
  const state = await findState(db)
  const rollup = await repo.findValueRollup(db)
  const refresh = await findPopulationRefresh(db)
  const lc = segmentConfig().lifecycle
  const warnings = await repo.findEarlyWarnings(db, { days, gapMultiple: lc.decliningGapMultiple, minDays: lc.decliningMinDays, limit: q.limit })
  const negative = await repo.findNegativeValue(db, q.limit)
  const customers = rollup?.customers ?? 0
  const spend = rollup?.spend_cents ?? 0
  const points = rollup?.concentration ?? []
  const grid = rollup?.grid ?? []
  const tiers = new Map<Tier, { customers: number; spendCents: number; valueCents: number }>()
  const stages = new Map<Stage, number>()
  for (const g of grid) {
    const t = tiers.get(g.tier as Tier) ?? { customers: 0, spendCents: 0, valueCents: 0 }
    t.customers += g.customers
    t.spendCents += g.spendCents
    t.valueCents += g.valueCents
    tiers.set(g.tier as Tier, t)
    stages.set(g.lifecycle as Stage, (stages.get(g.lifecycle as Stage) ?? 0) + g.customers)
  }
  const tierOrder: Tier[] = ['A', 'B', 'C', 'D', null]
  const stageOrder: Stage[] = ['new', 'growing', 'stable', 'declining', 'lapsed', null]
  return {
    freshness: {
      rolledAt: rollup?.rolled_at.toISOString() ?? null,
      dataThrough: rollup?.profiles_as_of ?? null,
      stale: Boolean(refresh && rollup && refresh.computedAt > rollup.rolled_at),
      note: 'Concentration, tiers and stages from the stored profiles (364-day value window) at the last rollup; the early-warning and negative-value lists read the profiles as they are now.',
      lastError: state.last_error,
    },
    customers,
    spendCents: spend,
    concentration: CONCENTRATION_SHARES.map((s) => {
      const p = points.find((x) => Math.abs(x.share - s) < 1e-9)
      return { topShare: s, customers: p?.customers ?? 0, spendCents: p?.spendCents ?? 0, shareOfSales: share(p?.spendCents ?? 0, spend) }
    }),
    curve: points.map((p) => ({ topShare: p.share, shareOfSales: share(p.spendCents, spend) })),
    tiers: tierOrder.filter((t) => tiers.has(t)).map((tier) => ({ tier, ...tiers.get(tier)! })),
    lifecycles: stageOrder.filter((s) => stages.has(s)).map((lifecycle) => ({ lifecycle, customers: stages.get(lifecycle)! })),
    grid: grid.map((g) => ({ tier: g.tier as Tier, lifecycle: g.lifecycle as Stage, customers: g.customers, spendCents: g.spendCents, valueCents: g.valueCents })),
    earlyWarning: {
      days,
      total: warnings.total,
      customers: warnings.rows.map((w) => ({
        customerId: String(w.customer_id),
        behindSince: w.behind_since,
        lastPurchaseDay: w.last_purchase_day,
        medianGapDays: w.median_gap_days,
        valueTier: w.value_tier as Tier,
        valueCents: w.value_cents,
        spendCents: w.spend_cents,
        profileAsOf: w.as_of,
      })),
    },
    negativeValue: {
      total: rollup?.negative_customers ?? 0,
      valueCents: rollup?.negative_value_cents ?? 0,
      customers: negative.map((n) => ({
        customerId: String(n.customer_id),
        valueCents: n.value_cents,
        marginCents: n.margin_cents,
        rewardsCents: n.rewards_cents,
        spendCents: n.spend_cents,
        valueTier: n.value_tier as Tier,
        lifecycle: n.lifecycle as Stage,
      })),
    },
  }
}

export type ValueReport = Awaited<ReturnType<typeof getValueReport>>

export function valueReportCsv(r: ValueReport, table: 'concentration' | 'grid' | 'early-warning' | 'negative-value'): string {
  switch (table) {
    case 'concentration':
      return toCsv(['top_share', 'customers', 'spend_cents', 'share_of_sales'], r.concentration.map((c) => [c.topShare, c.customers, c.spendCents, c.shareOfSales]))
    case 'grid':
      return toCsv(['value_tier', 'lifecycle', 'customers', 'spend_cents', 'value_cents'], r.grid.map((g) => [g.tier, g.lifecycle, g.customers, g.spendCents, g.valueCents]))
    case 'early-warning':
      return toCsv(
        ['customer_id', 'behind_since', 'last_purchase_day', 'median_gap_days', 'value_tier', 'value_cents', 'spend_cents', 'profile_as_of'],
        r.earlyWarning.customers.map((c) => [c.customerId, c.behindSince, c.lastPurchaseDay, c.medianGapDays, c.valueTier, c.valueCents, c.spendCents, c.profileAsOf]),
      )
    case 'negative-value':
      return toCsv(
        ['customer_id', 'value_cents', 'margin_cents', 'rewards_cents', 'spend_cents', 'value_tier', 'lifecycle'],
        r.negativeValue.customers.map((c) => [c.customerId, c.valueCents, c.marginCents, c.rewardsCents, c.spendCents, c.valueTier, c.lifecycle]),
      )
  }
}
