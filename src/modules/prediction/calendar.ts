// Day numbers (days since 1970-01-01 UTC) to calendar dates by arithmetic. A list turns some 40
// expected days and last purchases into dates, for every customer of a run; a Date object and
// its ISO string per item were a tenth of the predictions' CPU. Integer days of the years
// 1970-9999 are computed (Howard Hinnant's civil_from_days); anything else goes through Date,
// which these functions then equal by construction (test/unit/predict-calendar.test.ts).

const DAY_MS = 86_400_000
const MAX_DAY = 2_932_896 // 9999-12-31

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n))

/** Year, month (1-12) and day of month of a day number in range; undefined outside it. */
function civil(day: number): [number, number, number] | undefined {
  if (!Number.isInteger(day) || day < 0 || day > MAX_DAY) return undefined
  const z = day + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d]
}

// A run's list chunks turn every predicted item's expected day into a date (about 86 ms of Node
// CPU for a 10,000-customer run's rankings), nearly all within a few months of each other.
const isoDates = new Map<number, string>()

/** 'YYYY-MM-DD', the same as new Date(day * 86400000).toISOString().slice(0, 10). */
export function isoDateOfDay(day: number): string {
  let iso = isoDates.get(day)
  if (iso !== undefined) return iso
  const c = civil(day)
  iso = c === undefined ? new Date(day * DAY_MS).toISOString().slice(0, 10) : `${c[0]}-${pad2(c[1])}-${pad2(c[2])}`
  if (isoDates.size >= 4096) isoDates.clear()
  isoDates.set(day, iso)
  return iso
}

/** Day of month (1-31) and month (0-11) of a day number, as Date's getUTCDate and getUTCMonth give them. */
export function dayAndMonthOfDay(day: number): [number, number] {
  const c = civil(day)
  if (c === undefined) {
    const d = new Date(day * DAY_MS)
    return [d.getUTCDate(), d.getUTCMonth()]
  }
  return [c[2], c[1] - 1]
}
