import type { ImportProgress } from './import.types.ts'

const BAR_WIDTH = 24

/**
 * One line of CLI progress: a bar, then rows and rows per second. While the file is first read
 * the bar is the share of its bytes read (`fileRead`, 0..1; unknown for stdin, so no bar). A
 * history import reads it twice: the first pass copies it aside and checks its order
 * ("checking order"); a file not in order is then read again from the copy ("reading"), the
 * bar being the share of the lines the first pass counted. While a transactions import writes
 * (the whole file read by then) the bar is the share of the rows written, counting rows
 * already there and rejected ones as done.
 */
export function progressText(p: ImportProgress, kind: 'products' | 'transactions', fileRead: number | undefined): string {
  const writingHistory = kind === 'transactions' && p.phase === 'writing'
  const done = p.imported + p.duplicates
  const rereading = kind === 'transactions' && p.phase === 'reading' && p.rowsInFile !== undefined
  const fraction = writingHistory
    ? p.rows > 0 ? (done + p.rejected) / p.rows : 1
    : rereading
      ? p.rowsInFile! > 0 ? p.rows / p.rowsInFile! : 1
      : fileRead
  const counted = writingHistory ? done : p.rows
  const verb = writingHistory ? 'writing' : kind === 'products' ? 'importing' : p.phase === 'scanning' ? 'checking order' : 'reading'
  const parts = [
    `${verb}: ${counted.toLocaleString('en')} rows`,
    `${rate(counted, p.seconds)} rows/s`,
    writingHistory ? `${p.imported.toLocaleString('en')} new, ${p.duplicates.toLocaleString('en')} already there` : undefined,
    `${p.rejected.toLocaleString('en')} rejected`,
  ].filter((s) => s !== undefined)
  return `${fraction === undefined ? '' : `${bar(fraction)} `}${parts.join(', ')}`
}

function bar(fraction: number): string {
  const f = Math.min(1, Math.max(0, fraction))
  const filled = Math.round(f * BAR_WIDTH)
  return `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}] ${String(Math.floor(f * 100)).padStart(3)}%`
}

function rate(rows: number, seconds: number): string {
  return seconds > 0 ? Math.round(rows / seconds).toLocaleString('en') : '-'
}
