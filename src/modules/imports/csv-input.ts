import type { Readable } from 'node:stream'
import { Parser, type CsvError } from 'csv-parse'
import { invalid } from '../../lib/errors.ts'
import { MAX_REPORTED_ERRORS, type RowError } from './import.types.ts'

/** One CSV record: its fields and the file line it ends on (the header is line 1). */
export interface CsvRecord {
  line: number
  fields: string[]
}

/** Rejected rows: every one counted, the first MAX_REPORTED_ERRORS kept for the response. */
export class RowErrors {
  rejected = 0
  /** Records the CSV parser could not read at all: they count as rows too. */
  malformed = 0
  readonly errors: RowError[] = []

  add(line: number, message: string): void {
    this.rejected++
    if (this.errors.length < MAX_REPORTED_ERRORS) this.errors.push({ line, message })
  }

  /** `total` rejections, of which `first` are the earliest few (already limited by the caller). */
  addAll(first: RowError[], total: number): void {
    for (const e of first) this.add(e.line, e.message)
    this.rejected += total - first.length
  }

  sorted(): RowError[] {
    return [...this.errors].sort((a, b) => a.line - b.line)
  }
}

const RECORDS_PER_CHUNK = 512

/**
 * csv-parse with each record's line number. Its `info` option copies an object per record
 * (it tripled parse time on a million rows), so the line is read from the shared counter at
 * the moment the record is pushed, and records travel in arrays to keep per-record overhead down.
 */
class NumberedParser extends Parser {
  private pending: CsvRecord[] = []

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk === null) {
      if (this.pending.length) super.push(this.pending)
      this.pending = []
      return super.push(null, encoding)
    }
    this.pending.push({ line: this.info.lines, fields: chunk as string[] })
    if (this.pending.length < RECORDS_PER_CHUNK) return true
    const full = this.pending
    this.pending = []
    return super.push(full)
  }
}

export interface CsvInput {
  /** Lower-cased header names, in file order. */
  columns: string[]
  /** Chunks of data records, in file order. */
  records: AsyncIterable<CsvRecord[]>
}

/**
 * Reads the header and hands back an iterator over the rest. Malformed records (a stray
 * quote) are reported to `errors` by line and skipped; a record longer than a megabyte is
 * treated as malformed, so an unclosed quote cannot make memory grow with the file.
 */
export async function openCsv(input: Readable, errors: RowErrors): Promise<CsvInput> {
  const parser = new NumberedParser({
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    skip_records_with_error: true,
    max_record_size: 1_000_000,
  })
  parser.on('skip', (err: CsvError) => {
    const line = typeof err.lines === 'number' ? err.lines : 0
    errors.malformed++
    errors.add(line, `malformed CSV: ${String(err.message).split(/: | at line/)[0]}`)
  })
  input.on('error', (err) => parser.destroy(err))
  input.pipe(parser)

  const iterator = (parser as AsyncIterable<CsvRecord[]>)[Symbol.asyncIterator]()
  const first = await readChunk(iterator)
  const header = first?.[0]
  if (!first || !header) throw invalid([{ path: 'body', message: 'the CSV body is empty; send a header row first' }])
  const columns = header.fields.map((c) => c.trim().toLowerCase())
  const seen = new Set<string>()
  for (const c of columns) {
    if (c && seen.has(c)) throw invalid([{ path: 'header', message: `column ${c} appears twice` }])
    seen.add(c)
  }

  async function* rest(): AsyncGenerator<CsvRecord[]> {
    if (first && first.length > 1) yield first.slice(1)
    for (;;) {
      const chunk = await readChunk(iterator)
      if (!chunk) return
      yield chunk
    }
  }
  return { columns, records: rest() }
}

async function readChunk(iterator: AsyncIterator<CsvRecord[]>): Promise<CsvRecord[] | undefined> {
  try {
    const next = await iterator.next()
    return next.done ? undefined : next.value
  } catch (err) {
    throw asInputError(err)
  }
}

/** A corrupt compressed body is the client's mistake, not ours: answer 400, not 500. */
function asInputError(err: unknown): unknown {
  const code = (err as { code?: string })?.code
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return invalid([{ path: 'body', message: `the compressed body cannot be read: ${(err as Error).message}` }])
  }
  return err
}

/** Positions of header columns; undefined for an absent optional column. */
export function columnIndex(columns: string[]): (name: string) => number | undefined {
  const positions = new Map(columns.map((c, i) => [c, i]))
  return (name) => positions.get(name)
}

/** Requirements the header does not meet: a string is a required column, an array is "one of these". */
export function missingColumns(columns: string[], required: (string | string[])[]): string[] {
  const have = new Set(columns)
  const missing: string[] = []
  for (const r of required) {
    const options = Array.isArray(r) ? r : [r]
    if (!options.some((o) => have.has(o))) missing.push(options.join(' or '))
  }
  return missing
}

/** COPY text format: backslash, tab, newline and carriage return are escaped; null is \N. */
export function copyText(value: string | null): string {
  if (value === null) return '\\N'
  return /[\\\t\n\r]/.test(value)
    ? value.replaceAll('\\', '\\\\').replaceAll('\t', '\\t').replaceAll('\n', '\\n').replaceAll('\r', '\\r')
    : value
}
