// GET /v1/reports/segments: the nine cells per category from the latest snapshot, and who
// moved between cells since the snapshot before (docs/reports.md, "Segments").
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { toCsv } from './report-csv.ts'
import { findState } from './offer-rollup.repository.ts'
import * as repo from './segment-rollup.repository.ts'

const GROUPS = ['national', 'store', 'switcher'] as const
const USAGES = ['low', 'medium', 'high'] as const
type Group = (typeof GROUPS)[number]
type Usage = (typeof USAGES)[number]
type Ref = { brandGroup: Group; usage: Usage } | null

const ref = (g: string, u: string): Ref => (g === 'none' ? null : { brandGroup: g as Group, usage: u as Usage })

export async function getSegmentReport(db: Kysely<DB>, q: { category?: string | undefined }) {
  const state = await findState(db)
  const snap = await repo.findLatestSnapshot(db)
  const refresh = await repo.findPopulationRefresh(db)
  const stale = Boolean(refresh && (!snap?.profiles_computed_at || refresh.computedAt > snap.profiles_computed_at))
  const freshness = {
    rolledAt: state.segments_rolled_at?.toISOString() ?? null,
    dataThrough: snap?.profiles_computed_at?.toISOString() ?? null,
    stale,
    note: 'Cells as of the last population profile refresh (every list run makes one); spend and units over the 182-day segment window.',
    lastError: state.last_error,
  }
  if (!snap) return { snapshot: null, freshness, categories: [] }
  const previous = snap.previous_id ? await repo.findSnapshot(db, snap.previous_id) : undefined
  const [cells, moves] = [await repo.findCells(db, snap.id, q.category), await repo.findMoves(db, snap.id, q.category)]
  const byCategory = new Map<string, { cells: typeof cells; moves: typeof moves }>()
  const entry = (c: string) => {
    let e = byCategory.get(c)
    if (!e) byCategory.set(c, (e = { cells: [], moves: [] }))
    return e
  }
  for (const c of cells) entry(c.category).cells.push(c)
  for (const m of moves) entry(m.category).moves.push(m)
  const categories = [...byCategory.keys()].sort().map((category) => {
    const e = byCategory.get(category)!
    const customers = e.cells.reduce((s, c) => s + c.customers, 0)
    const spendCents = e.cells.reduce((s, c) => s + c.spend_cents, 0)
    const nine = GROUPS.flatMap((brandGroup) =>
      USAGES.map((usage) => {
        const c = e.cells.find((x) => x.brand_group === brandGroup && x.usage === usage)
        const n = c?.customers ?? 0
        return { brandGroup, usage, customers: n, units: c?.units ?? 0, spendCents: c?.spend_cents ?? 0, shareOfCustomers: customers ? n / customers : 0 }
      }),
    )
    const toStore = e.moves.filter((m) => m.to_group === 'store' && (m.from_group === 'national' || m.from_group === 'switcher'))
    const fromNatHigh = toStore.filter((m) => m.from_group === 'national' && m.from_usage === 'high')
    const sum = (xs: typeof moves, f: (m: (typeof moves)[number]) => number) => xs.reduce((s, m) => s + f(m), 0)
    return {
      category,
      customers,
      spendCents,
      cells: nine,
      moves: e.moves.map((m) => ({ from: ref(m.from_group, m.from_usage), to: ref(m.to_group, m.to_usage), customers: m.customers, afterOffer: m.after_offer })),
      toStoreBrand: {
        customers: sum(toStore, (m) => m.customers),
        afterOffer: sum(toStore, (m) => m.after_offer),
        fromNationalHigh: sum(fromNatHigh, (m) => m.customers),
        fromNationalHighAfterOffer: sum(fromNatHigh, (m) => m.after_offer),
      },
    }
  })
  return {
    snapshot: {
      id: String(snap.id),
      asOf: snap.as_of,
      takenAt: snap.taken_at.toISOString(),
      customers: snap.customers,
      previous: previous ? { id: String(previous.id), asOf: previous.as_of, takenAt: previous.taken_at.toISOString() } : null,
    },
    freshness,
    categories,
  }
}

export type SegmentReport = Awaited<ReturnType<typeof getSegmentReport>>

export function segmentReportCsv(r: SegmentReport, table: 'cells' | 'moves'): string {
  const asOf = r.snapshot?.asOf ?? ''
  if (table === 'moves') {
    return toCsv(
      ['as_of', 'category', 'from_brand_group', 'from_usage', 'to_brand_group', 'to_usage', 'customers', 'after_offer'],
      r.categories.flatMap((c) =>
        c.moves.map((m) => [asOf, c.category, m.from?.brandGroup ?? 'none', m.from?.usage ?? 'none', m.to?.brandGroup ?? 'none', m.to?.usage ?? 'none', m.customers, m.afterOffer]),
      ),
    )
  }
  return toCsv(
    ['as_of', 'category', 'brand_group', 'usage', 'customers', 'units', 'spend_cents'],
    r.categories.flatMap((c) => c.cells.map((x) => [asOf, c.category, x.brandGroup, x.usage, x.customers, x.units, x.spendCents])),
  )
}
