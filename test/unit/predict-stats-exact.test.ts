// The bulk fold and the incremental updates against the reference rebuild, on random histories.
import fc from 'fast-check'
import t from 'tap'
import { applyChangesExactly, rebuildCustomerStats, type StatsChange } from '../../src/modules/prediction/customer-stats.ts'
import { defaultConfig, type CustomerStats, type PurchaseTransaction } from '../../src/modules/prediction/prediction.types.ts'
import { foldCustomerLines } from '../../src/modules/prediction/stats-fold.ts'

const config = defaultConfig('calendar')
const categoryOf = (p: number): string | undefined => (p % 3 === 0 ? undefined : `cat${p % 3}`)

function normalised(s: CustomerStats | undefined): unknown {
  return JSON.parse(JSON.stringify(s ?? null), (k, v) => (k === 'decay' && typeof v === 'number' ? Math.round(v * 1e9) / 1e9 : v))
}

// A sale: day and lines of (product, quantity, returned).
const sale = fc.record({
  day: fc.integer({ min: 0, max: 120 }),
  lines: fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 3 }), fc.nat(3)), { minLength: 1, maxLength: 4 }),
})
type Sale = { day: number; lines: [number, number, number][]; voided?: boolean }

// The history as the rebuild sees it: recorded sales, lines net of returns.
const txOf = (s: Sale, q: (l: [number, number, number]) => number): PurchaseTransaction => ({
  day: s.day,
  lines: s.lines.map((l) => ({ productId: String(l[0]), quantity: q(l), category: categoryOf(l[0]) })),
})
const net = (l: [number, number, number]) => Math.max(0, l[1] - Math.min(l[1], l[2]))
const rebuild = (sales: Sale[]) => rebuildCustomerStats('c', sales.filter((s) => !s.voided).map((s) => txOf(s, net)), config)

t.test('the bulk fold gives exactly the reference rebuild (decay bit for bit)', async (t) => {
  fc.assert(
    fc.property(fc.array(sale, { maxLength: 40 }), (sales) => {
      const lines = sales.flatMap((s) => s.lines.map((l) => ({ p: l[0], d: s.day, q: net(l) }))).filter((l) => l.q > 0)
      const cols = { product: lines.map((l) => l.p), day: lines.map((l) => l.d), quantity: lines.map((l) => l.q) }
      const folded = foldCustomerLines('c', cols, 0, lines.length, categoryOf, config)
      const reference = rebuild(sales as Sale[])
      if (reference.trips === 0) return folded === undefined
      t.same(folded, reference)
      return true
    }),
    { numRuns: 300 },
  )
})

t.test('incremental sales, voids and returns, falling back to a rebuild where not exact, equal the rebuild', async (t) => {
  let incremental = 0
  let fallbacks = 0
  fc.assert(
    fc.property(
      fc.array(sale, { minLength: 1, maxLength: 60 }),
      fc.array(fc.tuple(fc.constantFrom('void', 'return', 'sale'), fc.nat(1000), sale), { maxLength: 8 }),
      (initial, ops) => {
        const sales: Sale[] = initial.map((s) => ({ ...s, lines: s.lines.map((l): [number, number, number] => [l[0], l[1], 0]) }))
        let stats = rebuild(sales)
        for (const [kind, pick, fresh] of ops) {
          const s = sales[pick % sales.length]!
          let change: StatsChange | undefined
          if (kind === 'sale') {
            const ns: Sale = { ...fresh, lines: fresh.lines.map((l): [number, number, number] => [l[0], l[1], 0]) }
            sales.push(ns)
            change = { kind: 'record', tx: txOf(ns, net) }
          } else if (kind === 'void' && !s.voided) {
            change = { kind: 'void', tx: txOf(s, net) }
            s.voided = true
          } else if (kind === 'return' && !s.voided) {
            const line = s.lines[pick % s.lines.length]!
            const before = net(line)
            line[2] = Math.min(line[1], line[2] + 1 + (pick % 2))
            const taken = before - net(line)
            if (taken > 0) change = { kind: 'return', tx: { day: s.day, lines: [{ productId: String(line[0]), quantity: taken, category: categoryOf(line[0]) }] } }
          }
          if (change === undefined) continue
          const next = applyChangesExactly(stats, [change], config)
          if (next === undefined) {
            fallbacks++
            stats = rebuild(sales)
          } else {
            incremental++
            stats = next
          }
          t.same(normalised(stats), normalised(rebuild(sales)))
        }
        return true
      },
    ),
    { numRuns: 300 },
  )
  t.ok(incremental > fallbacks && fallbacks > 0, `both paths are exercised (${incremental} incremental, ${fallbacks} rebuilt)`)
})
