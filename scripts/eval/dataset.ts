// Turns CSV rows into per-customer basket histories and held-out target baskets.
// This is the only place that knows the data came from a file: the predictor side
// (see predictor-adapter.ts) receives histories and could equally be fed from the database.
import type { TransactionRow } from './csv.ts'

export interface EvalLine {
  productId: string
  quantity: number
}

export interface EvalBasket {
  transactionId: string
  /** Basket index (sequence data) or days since 1970-01-01 (calendar data). */
  day: number
  lines: EvalLine[]
}

export interface EvalDataset {
  timeMode: 'sequence' | 'calendar'
  /** Every customer's history without their target basket, sorted by day then transaction. */
  histories: Map<string, EvalBasket[]>
  /** Distinct products of each evaluated customer's target basket. */
  targets: Map<string, Set<string>>
  targetDays: Map<string, number>
  splits: Map<string, string>
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/

export function parseDay(day: string): number {
  if (ISO_DATE.test(day)) return Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000)
  const n = Number(day)
  if (!Number.isFinite(n)) throw new Error(`unparseable day ${day}`)
  return n
}

export function groupBaskets(rows: readonly TransactionRow[]): Map<string, EvalBasket[]> {
  const byCustomer = new Map<string, Map<string, EvalBasket>>()
  for (const r of rows) {
    let baskets = byCustomer.get(r.customerId)
    if (baskets === undefined) byCustomer.set(r.customerId, (baskets = new Map()))
    let basket = baskets.get(r.transactionId)
    if (basket === undefined) {
      basket = { transactionId: r.transactionId, day: parseDay(r.day), lines: [] }
      baskets.set(r.transactionId, basket)
    }
    basket.lines.push({ productId: r.productId, quantity: r.quantity })
  }
  const out = new Map<string, EvalBasket[]>()
  for (const [customerId, baskets] of byCustomer) {
    const list = [...baskets.values()]
    list.sort((a, b) => a.day - b.day || compareIds(a.transactionId, b.transactionId))
    out.set(customerId, list)
  }
  return out
}

function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0)
}

/** Removes each customer's target basket from the history and records its products. */
export function splitTargets(
  all: Map<string, EvalBasket[]>,
  targetOf: ReadonlyMap<string, string>,
  timeMode: EvalDataset['timeMode'],
  splits: Map<string, string>,
): EvalDataset {
  const histories = new Map<string, EvalBasket[]>()
  const targets = new Map<string, Set<string>>()
  const targetDays = new Map<string, number>()
  for (const [customerId, baskets] of all) {
    const targetTx = targetOf.get(customerId)
    const kept: EvalBasket[] = []
    for (const b of baskets) {
      if (b.transactionId === targetTx) {
        const items = new Set<string>()
        for (const l of b.lines) if (l.quantity > 0) items.add(l.productId)
        targets.set(customerId, items)
        targetDays.set(customerId, b.day)
      } else {
        kept.push(b)
      }
    }
    if (kept.length > 0) histories.set(customerId, kept)
  }
  return { timeMode, histories, targets, targetDays, splits }
}

/** Calendar sanity protocol: the last basket of every customer with at least `minBaskets` is the target. */
export function lastBasketTargets(all: Map<string, EvalBasket[]>, minBaskets: number): Map<string, string> {
  const out = new Map<string, string>()
  for (const [customerId, baskets] of all) {
    const last = baskets[baskets.length - 1]
    if (baskets.length >= minBaskets && last !== undefined) out.set(customerId, last.transactionId)
  }
  return out
}

/** Calendar when the file's days are dates, sequence (visit index) when they are numbers. */
export function detectTimeMode(rows: readonly TransactionRow[]): 'calendar' | 'sequence' {
  return ISO_DATE.test(rows[0]?.day ?? '') ? 'calendar' : 'sequence'
}

/** The target baskets of each named split ("train,val"), keyed by split then customer. */
export function targetsBySplit(data: EvalDataset, splitNames: string): Map<string, Map<string, Set<string>>> {
  const splits = new Map<string, Map<string, Set<string>>>()
  for (const split of splitNames.split(',')) {
    const targets = new Map<string, Set<string>>()
    for (const [customerId, items] of data.targets) if (data.splits.get(customerId) === split) targets.set(customerId, items)
    splits.set(split, targets)
  }
  return splits
}
