// CSV for the reports (RFC 4180: comma, CRLF, quotes doubled). A text cell that a spreadsheet
// would run as a formula (=, +, -, @ first) gets a leading apostrophe: offer and manufacturer
// names are typed by people, and these files are opened in spreadsheets for claims.

export type Cell = string | number | boolean | null | undefined

function cell(v: Cell): string {
  if (v === null || v === undefined) return ''
  if (typeof v === 'number' || typeof v === 'boolean') return String(v)
  const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function toCsv(header: string[], rows: Cell[][]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n'
}

/** Whether the client asked for CSV: text/csv named in Accept with a non-zero quality. */
export function wantsCsv(accept: string | undefined): boolean {
  if (!accept) return false
  return accept.split(',').some((part) => {
    const [type, ...params] = part.trim().toLowerCase().split(';')
    if (type?.trim() !== 'text/csv') return false
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='))
    return q === undefined || Number(q.slice(2)) > 0
  })
}
