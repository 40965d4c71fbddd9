import t from 'tap'
import {
  accrualUnits,
  DEFAULT_VOUCHER_CONFIG,
  lastCompletePeriod,
  nextPeriod,
  periodOf,
  periodsFrom,
  reversalUnits,
  settle,
  splitUnits,
  UNITS_PER_CENT,
  voucherConfig,
} from '../../src/modules/vouchers/voucher-rules.ts'

t.test('accrual is exact: spend cents x basis points, in 1/10,000 cent', async (t) => {
  t.equal(accrualUnits(1_234, 100), 123_400, '1% of $12.34 is 12.34 cents, kept whole')
  t.equal(accrualUnits(0, 100), 0)
  t.equal(accrualUnits(99, 150), 14_850, '1.5% of 99 cents = 1.485 cents')
  t.throws(() => accrualUnits(-1, 100))
  t.throws(() => accrualUnits(1.5, 100))
  // Three sales of 1,234 cents: 3 x 12.34 = 37.02 cents, where rounding each sale would say 36 or 37.
  const total = 3 * accrualUnits(1_234, 100)
  t.same(splitUnits(total), { cents: 37, remainderUnits: 200 })
})

t.test('reversals take back at the sale\'s rate, never more than is left', async (t) => {
  const cases: [string, number, number, number, number][] = [
    ['whole sale voided', 1_000, 100, 100_000, 100_000],
    ['part returned', 250, 100, 100_000, 25_000],
    ['more than is left (earlier returns)', 1_000, 100, 30_000, 30_000],
    ['nothing left', 500, 100, 0, 0],
    ['the sale\'s own rate, not today\'s', 1_000, 50, 50_000, 50_000],
  ]
  for (const [name, spend, rate, left, expected] of cases) t.equal(reversalUnits(spend, rate, left), expected, name)
})

t.test('whole cents floor toward minus infinity, remainders stay', async (t) => {
  t.same(splitUnits(0), { cents: 0, remainderUnits: 0 })
  t.same(splitUnits(9_999), { cents: 0, remainderUnits: 9_999 })
  t.same(splitUnits(10_000), { cents: 1, remainderUnits: 0 })
  t.same(splitUnits(-1), { cents: -1, remainderUnits: 9_999 }, 'a negative balance owes a whole cent')
  t.same(splitUnits(-25_000), { cents: -3, remainderUnits: 5_000 })
})

t.test('periods are aligned to 1 January', async (t) => {
  t.same(periodOf('2026-11-23', 3), { start: '2026-10-01', end: '2026-12-31' })
  t.same(periodOf('2026-01-01', 3), { start: '2026-01-01', end: '2026-03-31' })
  t.same(periodOf('2026-03-31', 3), { start: '2026-01-01', end: '2026-03-31' })
  t.same(periodOf('2028-02-10', 1), { start: '2028-02-01', end: '2028-02-29' }, 'leap February')
  t.same(periodOf('2026-07-04', 6), { start: '2026-07-01', end: '2026-12-31' })
  t.same(periodOf('2026-07-04', 12), { start: '2026-01-01', end: '2026-12-31' })
  t.same(nextPeriod({ start: '2026-10-01', end: '2026-12-31' }, 3), { start: '2027-01-01', end: '2027-03-31' })
  t.same(lastCompletePeriod('2026-11-23', 3), { start: '2026-07-01', end: '2026-09-30' })
  t.same(lastCompletePeriod('2026-10-01', 3), { start: '2026-07-01', end: '2026-09-30' }, 'settled the day after it ends')
  t.same(lastCompletePeriod('2026-09-30', 3), { start: '2026-04-01', end: '2026-06-30' }, 'not on its own last day')
  t.same(lastCompletePeriod('2027-01-15', 3), { start: '2026-10-01', end: '2026-12-31' }, 'across the new year')
  t.same(lastCompletePeriod('2026-03-15', 1), { start: '2026-02-01', end: '2026-02-28' })
  t.same(
    periodsFrom('2026-02-14', { start: '2026-07-01', end: '2026-09-30' }, 3).map((p) => p.start),
    ['2026-01-01', '2026-04-01', '2026-07-01'],
  )
  t.same(periodsFrom('2026-11-01', { start: '2026-07-01', end: '2026-09-30' }, 3), [], 'nothing due yet')
})

t.test('settlement: one voucher per period at the minimum or above, the rest carried', async (t) => {
  const q1 = { start: '2026-01-01', end: '2026-03-31' }
  const q2 = { start: '2026-04-01', end: '2026-06-30' }
  const q3 = { start: '2026-07-01', end: '2026-09-30' }
  // Ledger totals through each period end (cumulative, in units): 65.5, 201.2345 and 260.5 cents.
  const cumulative: Record<string, number> = { [q1.end]: 655_000, [q2.end]: 2_012_345, [q3.end]: 2_605_000 }
  const through = (end: string) => cumulative[end] ?? 0
  const s = settle([q1, q2, q3], through, 0, 100)
  t.same(s.vouchers, [{ period: q2, valueCents: 201 }], 'q1 (65.5 cents) is under the minimum and carries into q2; q3 adds only 59.5 cents')
  t.equal(s.issuedUnits, 201 * UNITS_PER_CENT)
  t.equal(s.issuedThrough, q3.end)
  const low = settle([q1, q2, q3], through, 0, 1)
  t.same(low.vouchers.map((v) => v.valueCents), [65, 136, 59], 'with a 1-cent minimum, every period pays, sub-cent rests carried')
  t.equal(low.issuedUnits, 260 * UNITS_PER_CENT, '260.5 cents accrued in all, 260 paid, half a cent still in the balance')
  const afterReturn = settle([q3], () => 1_500_000, 200 * UNITS_PER_CENT, 1)
  t.same(afterReturn.vouchers, [], 'a balance below zero (a return after the voucher) pays nothing')
  t.equal(afterReturn.issuedThrough, q3.end)
  t.same(settle([], through, 0, 100), { vouchers: [], issuedUnits: 0, issuedThrough: null })
})

t.test('voucher configuration', async (t) => {
  t.same(voucherConfig(), DEFAULT_VOUCHER_CONFIG)
  t.same(voucherConfig({ rateBasisPoints: 200 }), { ...DEFAULT_VOUCHER_CONFIG, rateBasisPoints: 200 })
  t.throws(() => voucherConfig({ periodMonths: 5 }), /periodMonths/)
  t.throws(() => voucherConfig({ rateBasisPoints: 0.5 }), /rateBasisPoints/)
  t.throws(() => voucherConfig({ minVoucherCents: 0 }), /minVoucherCents/)
})
