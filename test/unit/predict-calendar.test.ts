// Day numbers to dates by arithmetic (calendar.ts) against Date, which they replace on the lists'
// hot path; and dayOf's cache of the last as-of day.
import fc from 'fast-check'
import t from 'tap'
import { dayAndMonthOfDay, isoDateOfDay } from '../../src/modules/prediction/calendar.ts'
import { dateOf, dayOf } from '../../src/modules/prediction/prediction.service.ts'
import { formatDay } from '../../src/modules/prediction/reasons.ts'

const viaDate = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10)

t.test('isoDateOfDay and dayAndMonthOfDay equal Date for any day', async (t) => {
  const days = fc.oneof(
    fc.integer({ min: -800_000, max: 3_000_000 }),
    fc.integer({ min: 19_000, max: 22_000 }),
    fc.constantFrom(-1, 0, 59, 60, 365, 11_016, 2_932_896, 2_932_897),
    fc.double({ min: -1000, max: 30_000, noNaN: true }),
  )
  fc.assert(
    fc.property(days, (day) => {
      const d = new Date(day * 86_400_000)
      const [date, month] = dayAndMonthOfDay(day)
      return isoDateOfDay(day) === viaDate(day) && date === d.getUTCDate() && month === d.getUTCMonth()
    }),
    { numRuns: 20_000 },
  )
  t.equal(isoDateOfDay(20_415), '2025-11-23')
  t.equal(formatDay(20_415), '23 Nov')
  t.equal(dateOf(20_415), '2025-11-23')
})

t.test('dayOf gives each date its own day, cached or not', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 40_000 }), { minLength: 1, maxLength: 20 }), (days) =>
      days.every((d) => dayOf(viaDate(d)) === d && dayOf(viaDate(d)) === d),
    ),
    { numRuns: 300 },
  )
  t.ok(Number.isNaN(dayOf('not a date')))
  t.equal(dayOf('2026-11-23'), 20_415 + 365)
})
