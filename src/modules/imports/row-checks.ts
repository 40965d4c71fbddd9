/**
 * Field checks shared by the product and transaction rows. Each returns the value or throws
 * a RowProblem whose message names the column, which the caller turns into a rejected row.
 */
export class RowProblem extends Error {}

export const MAX_ID_LENGTH = 100
export const MAX_TEXT_LENGTH = 200
const MAX_INT = 2_147_483_647

export function text(column: string, raw: string, max = MAX_TEXT_LENGTH): string | null {
  const value = raw.trim()
  if (!value) return null
  if (value.length > max) throw new RowProblem(`${column} is longer than ${max} characters`)
  // PostgreSQL text cannot hold NUL; say so rather than fail the whole batch.
  if (value.includes('\u0000')) throw new RowProblem(`${column} contains a NUL character`)
  return value
}

export function requiredText(column: string, raw: string, max = MAX_TEXT_LENGTH): string {
  const value = text(column, raw, max)
  if (value === null) throw new RowProblem(`${column} is missing`)
  return value
}

export function wholeNumber(column: string, raw: string, max = MAX_INT): number | null {
  const value = raw.trim()
  if (!value) return null
  if (!/^[0-9]+$/.test(value)) {
    if (/^-[0-9.]+$/.test(value)) throw new RowProblem(`${column} must not be negative (got ${value})`)
    throw new RowProblem(`${column} must be a whole number (got ${JSON.stringify(value.slice(0, 40))})`)
  }
  const n = Number(value)
  if (n > max) throw new RowProblem(`${column} must be at most ${max} (got ${value})`)
  return n
}

const DAY_MS = 86_400_000
/** Day numbers count from this date: day 0 is 2000-01-01, day 1 is 2000-01-02. */
export const DAY_NUMBER_EPOCH = '2000-01-01'
const EPOCH_MS = Date.UTC(2000, 0, 1)
const MAX_DAY_NUMBER = 73_000 // about two hundred years

/**
 * Calendar date checks cost a Date per call; a file has few distinct days and a million
 * rows, so results are cached (bounded by the distinct days in the file).
 */
export class DayParser {
  private readonly cache = new Map<string, string>()

  parse(column: string, raw: string): string | null {
    const value = raw.trim()
    if (!value) return null
    const hit = this.cache.get(value)
    if (hit) return hit
    const day = parseDay(value)
    if (!day) {
      throw new RowProblem(
        `${column} must be a date YYYY-MM-DD or a day number (days since ${DAY_NUMBER_EPOCH}); got ${JSON.stringify(value.slice(0, 40))}`,
      )
    }
    if (this.cache.size < 100_000) this.cache.set(value, day)
    return day
  }
}

function parseDay(value: string): string | undefined {
  if (/^[0-9]{1,6}$/.test(value)) {
    const n = Number(value)
    return n <= MAX_DAY_NUMBER ? new Date(EPOCH_MS + n * DAY_MS).toISOString().slice(0, 10) : undefined
  }
  const m = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/.exec(value)
  if (!m) return undefined
  return isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3])) ? value : undefined
}

function isCalendarDate(y: number, m: number, d: number): boolean {
  if (y < 1900 || y > 2199 || m < 1 || m > 12 || d < 1) return false
  return d <= new Date(Date.UTC(y, m, 0)).getUTCDate()
}

const RFC3339 = /^([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt ]([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})$/

/** RFC 3339 with an offset; passed to PostgreSQL as written (it reads the same format). */
export function timestamp(column: string, raw: string): string | null {
  const value = raw.trim()
  if (!value) return null
  const m = RFC3339.exec(value)
  const ok =
    m &&
    isCalendarDate(Number(m[1]), Number(m[2]), Number(m[3])) &&
    Number(m[4]) < 24 &&
    Number(m[5]) < 60 &&
    Number(m[6]) < 60 &&
    (m[8]!.length === 1 || (Number(m[8]!.slice(1, 3)) < 24 && Number(m[8]!.slice(4)) < 60))
  if (!ok) throw new RowProblem(`${column} must be an RFC 3339 time with an offset, like 2024-03-01T17:45:00+01:00; got ${JSON.stringify(value.slice(0, 40))}`)
  return value
}
