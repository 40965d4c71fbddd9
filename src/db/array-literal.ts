/**
 * PostgreSQL array literals for statement parameters. pg encodes a JavaScript array itself,
 * but generically: every element goes through its value conversion and two regular-expression
 * escapes. The lane's write sends a few thousand elements per batch (30 lines of seven columns
 * per sale), and that encoding took 80-120 µs of the service's CPU per sale (about a tenth of
 * it); these build the same text directly. Pass the string where the array went and keep the
 * cast in the SQL: `${intArray(ids)}::bigint[]`. The profile write uses them for each profile's
 * segment cells, and the lane's write for each discount's per-unit cents: arrays sent as one
 * text element per row and cast there.
 */

/** Integers (ids, cents, quantities) and nulls: `{1,NULL,3}`. */
export function intArray(xs: readonly (number | null)[]): string {
  let s = '{'
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]
    if (i > 0) s += ','
    if (x === null || x === undefined) {
      s += 'NULL'
      continue
    }
    // A fraction or NaN here is a bug upstream; PostgreSQL would refuse it for an integer array too.
    if (!Number.isSafeInteger(x)) throw new TypeError(`intArray: ${x} is not a safe integer`)
    s += x
  }
  return `${s}}`
}

export function boolArray(xs: readonly (boolean | null)[]): string {
  let s = '{'
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]
    s += (i > 0 ? ',' : '') + (x === null || x === undefined ? 'NULL' : x ? 't' : 'f')
  }
  return `${s}}`
}

/** Finite numbers (fractions too, for real and float8 columns) and nulls: `{1.5,NULL,7}`. */
export function floatArray(xs: readonly (number | null)[]): string {
  let s = '{'
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]
    if (i > 0) s += ','
    if (x === null || x === undefined) {
      s += 'NULL'
      continue
    }
    // JavaScript's shortest round-trip form (1.5, 1e-7) is a valid PostgreSQL float literal.
    if (!Number.isFinite(x)) throw new TypeError(`floatArray: ${x} is not a finite number`)
    s += x
  }
  return `${s}}`
}

const NEEDS_ESCAPE = /["\\]/
const ESCAPED = /["\\]/g

/** Text (also dates, timestamps, fixed-width codes): every element quoted, so `NULL`, commas and braces stay text; null is NULL. */
export function textArray(xs: readonly (string | null)[]): string {
  let s = '{'
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]
    if (i > 0) s += ','
    if (x === null || x === undefined) s += 'NULL'
    else s += `"${NEEDS_ESCAPE.test(x) ? x.replace(ESCAPED, '\\$&') : x}"`
  }
  return `${s}}`
}

/**
 * Rows of texts as one text[] literal whose elements are each row's own text[] literal, for a
 * cast per row in SQL (`rows[i]::text[]`): the profile write's segment cells. Built in one pass:
 * nesting textArray in textArray escaped every row's literal again with a regular expression,
 * 320-330 ms of CPU for 10,000 profiles' three text columns of cells against 105 ms.
 */
export function textArrayRows(rows: readonly (readonly string[])[]): string {
  let s = '{'
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!
    s += r > 0 ? ',"{' : '"{'
    for (let i = 0; i < row.length; i++) {
      const x = row[i]!
      // The row's literal quotes its element (\" once escaped for the outer literal); a quote or
      // backslash inside the element is escaped for the row's literal, then again for the outer.
      s += `${i > 0 ? ',' : ''}\\"${NEEDS_ESCAPE.test(x) ? x.replace(ESCAPED, '\\\\\\$&') : x}\\"`
    }
    s += '}"'
  }
  return `${s}}`
}

/** Rows of integers as one text[] literal of each row's int[] literal (see textArrayRows). */
export function intArrayRows(rows: readonly (readonly number[])[]): string {
  let s = '{'
  for (let r = 0; r < rows.length; r++) s += `${r > 0 ? ',"' : '"'}${intArray(rows[r]!)}"`
  return `${s}}`
}
