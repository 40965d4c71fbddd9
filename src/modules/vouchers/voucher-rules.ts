// The voucher base reward (DOMAIN.md: the UK grocer's 1% of spend, mailed every few months),
// as pure arithmetic. Amounts are kept in units of 1/10,000 cent: spend cents x a rate in basis
// points is then a whole number, so accruing never rounds. Whole cents are taken only when a
// voucher is issued (floor), and the sub-cent remainder stays in the balance for the next one.

export const UNITS_PER_CENT = 10_000

export interface VoucherConfig {
  /** Share of spend accrued, in basis points (100 = 1%). */
  rateBasisPoints: number
  /** Period length in months, aligned to 1 January (3 = calendar quarters). Must divide 12. */
  periodMonths: number
  /** A balance below this is carried to the next period instead of becoming a voucher. */
  minVoucherCents: number
  /** A voucher is redeemable for this many days from its issue day; 0 means it never expires. */
  validDays: number
}

export const DEFAULT_VOUCHER_CONFIG: VoucherConfig = Object.freeze({
  rateBasisPoints: 100,
  periodMonths: 3,
  minVoucherCents: 100,
  validDays: 365,
})

// The deployment's settings (src/program-settings.ts) over the built-in defaults, per process:
// the lane's accrual and the list's voucher issue must use the same rate and period.
let installed: Partial<VoucherConfig> = {}

/** Makes `overrides` the process's defaults (validated first); {} restores the built-in ones. */
export function installVoucherDefaults(overrides: Partial<VoucherConfig>): void {
  check({ ...DEFAULT_VOUCHER_CONFIG, ...defined(overrides) })
  installed = overrides
}

const defined = (o: Partial<VoucherConfig>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))

export function voucherConfig(overrides: Partial<VoucherConfig> = {}): VoucherConfig {
  return check({ ...DEFAULT_VOUCHER_CONFIG, ...defined(installed), ...defined(overrides) })
}

function check(c: VoucherConfig): VoucherConfig {
  const problems: string[] = []
  if (!Number.isInteger(c.rateBasisPoints) || c.rateBasisPoints < 0 || c.rateBasisPoints > 10_000) problems.push('rateBasisPoints must be a whole number from 0 to 10000')
  if (![1, 2, 3, 4, 6, 12].includes(c.periodMonths)) problems.push('periodMonths must divide 12')
  if (!Number.isInteger(c.minVoucherCents) || c.minVoucherCents < 1) problems.push('minVoucherCents must be a whole number of at least 1')
  if (!Number.isInteger(c.validDays) || c.validDays < 0) problems.push('validDays must be a whole number of at least 0')
  if (problems.length) throw new Error(`invalid voucher configuration: ${problems.join('; ')}`)
  return c
}

export function accrualUnits(spendCents: number, rateBasisPoints: number): number {
  if (!Number.isSafeInteger(spendCents) || spendCents < 0) throw new RangeError('spendCents must be a whole number of cents, at least 0')
  return spendCents * rateBasisPoints
}

/** What a void or return takes back: the returned spend at the sale's own rate, never more than is left. */
export function reversalUnits(spendCents: number, rateBasisPoints: number, remainingUnits: number): number {
  return Math.max(0, Math.min(accrualUnits(spendCents, rateBasisPoints), remainingUnits))
}

/** Whole cents in a (possibly negative) balance, rounded toward minus infinity, and what is left over. */
export function splitUnits(units: number): { cents: number; remainderUnits: number } {
  const cents = Math.floor(units / UNITS_PER_CENT)
  return { cents, remainderUnits: units - cents * UNITS_PER_CENT }
}

export interface Period {
  start: string
  end: string
}

const iso = (y: number, m0: number, d: number) => new Date(Date.UTC(y, m0, d)).toISOString().slice(0, 10)

/** The period containing `day`. */
export function periodOf(day: string, months: number): Period {
  const y = Number(day.slice(0, 4))
  const m0 = Number(day.slice(5, 7)) - 1
  const startM0 = Math.floor(m0 / months) * months
  return { start: iso(y, startM0, 1), end: iso(y, startM0 + months, 0) }
}

export function nextPeriod(p: Period, months: number): Period {
  const y = Number(p.end.slice(0, 4))
  const m0 = Number(p.end.slice(5, 7))
  return { start: iso(y, m0, 1), end: iso(y, m0 + months, 0) }
}

/** The last period that has ended before `asOf` (a period is settled the day after its last day). */
export function lastCompletePeriod(asOf: string, months: number): Period {
  const current = periodOf(asOf, months)
  const prevEnd = iso(Number(current.start.slice(0, 4)), Number(current.start.slice(5, 7)) - 1, 0)
  return periodOf(prevEnd, months)
}

export interface Settlement {
  vouchers: { period: Period; valueCents: number }[]
  issuedUnits: number
  issuedThrough: string | null
}

/**
 * Settles each due period in order: the voucher is everything accrued up to the period's end
 * that no earlier voucher took, in whole cents, if that reaches the minimum; otherwise the
 * balance carries over. `unitsThrough(end)` is the ledger total of entries dated on or before
 * `end` (accruals less reversals), so a late reversal simply lowers the next voucher.
 */
export function settle(
  periods: Period[],
  unitsThrough: (end: string) => number,
  issuedUnits: number,
  minVoucherCents: number,
): Settlement {
  const vouchers: Settlement['vouchers'] = []
  let issued = issuedUnits
  let through: string | null = null
  for (const period of periods) {
    const due = unitsThrough(period.end) - issued
    const { cents } = splitUnits(due)
    if (cents >= minVoucherCents) {
      vouchers.push({ period, valueCents: cents })
      issued += cents * UNITS_PER_CENT
    }
    through = period.end
  }
  return { vouchers, issuedUnits: issued, issuedThrough: through }
}

/** Periods from the one containing `firstDay` through `last`, in order. */
export function periodsFrom(firstDay: string, last: Period, months: number): Period[] {
  const out: Period[] = []
  for (let p = periodOf(firstDay, months); p.end <= last.end; p = nextPeriod(p, months)) out.push(p)
  return out
}
