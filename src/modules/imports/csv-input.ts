import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { invalid } from '../../lib/errors.ts'
import { CsvReader, type CsvRecord } from './csv-reader.ts'
import { MAX_REPORTED_ERRORS, type RowError } from './import.types.ts'

export type { CsvRecord } from './csv-reader.ts'

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

export interface CsvInput {
  /** Lower-cased header names, in file order. */
  columns: string[]
  /** Chunks of data records, in file order (a chunk per piece of input read). */
  records: AsyncIterable<CsvRecord[]>
}

/**
 * Reads the header and hands back an iterator over the rest. Malformed records (a stray
 * quote) are reported to `errors` by line and skipped (see CsvReader). Memory stays bounded by
 * the input's chunk size and the longest record allowed.
 */
export async function openCsv(input: Readable, errors: RowErrors): Promise<CsvInput> {
  const reader = new CsvReader((line, reason) => {
    errors.malformed++
    errors.add(line, `malformed CSV: ${reason}`)
  })
  const decoder = new StringDecoder('utf8')
  const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>
  let ended = false

  /** The records the next piece(s) of input complete; undefined at the end. */
  async function next(): Promise<CsvRecord[] | undefined> {
    const out: CsvRecord[] = []
    while (out.length === 0 && !ended) {
      let chunk: IteratorResult<Buffer | string>
      try {
        chunk = await chunks.next()
      } catch (err) {
        throw asInputError(err)
      }
      if (chunk.done) {
        ended = true
        reader.write(decoder.end(), out)
        reader.end(out)
      } else {
        reader.write(typeof chunk.value === 'string' ? chunk.value : decoder.write(chunk.value), out)
      }
    }
    return out.length ? out : undefined
  }

  const first = await next()
  const header = first?.[0]
  if (!first || !header) throw invalid([{ path: 'body', message: 'the CSV body is empty; send a header row first' }])
  const columns = headerColumns(header.fields)

  async function* rest(): AsyncGenerator<CsvRecord[]> {
    if (first && first.length > 1) yield first.slice(1)
    for (let chunk = await next(); chunk; chunk = await next()) yield chunk
  }
  return { columns, records: rest() }
}

/** The header's names, trimmed and lower-cased; a name given twice refuses the file. */
export function headerColumns(fields: string[]): string[] {
  const columns = fields.map((c) => c.trim().toLowerCase())
  const seen = new Set<string>()
  for (const c of columns) {
    if (c && seen.has(c)) throw invalid([{ path: 'header', message: `column ${c} appears twice` }])
    seen.add(c)
  }
  return columns
}

/** A corrupt compressed body is the client's mistake, not ours: answer 400, not 500. */
export function asInputError(err: unknown): unknown {
  const code = (err as { code?: string })?.code
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return invalid([{ path: 'body', message: `the compressed body cannot be read: ${(err as Error).message}` }])
  }
  return err
}

/** Positions of header columns; undefined for an absent optional column. */
/** Opens the CSV and refuses the whole file (400 naming each column) when a required column is missing. */
export async function openCsvWithColumns(
  input: Readable,
  errors: RowErrors,
  required: (string | string[])[],
): Promise<CsvInput> {
  const csv = await openCsv(input, errors)
  const missing = missingColumns(csv.columns, required)
  if (missing.length) throw invalid(missing.map((m) => ({ path: 'header', message: `missing column ${m}` })))
  return csv
}

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

/** The value copyText() escaped. */
export function fromCopyText(value: string): string {
  if (!value.includes('\\')) return value
  return value.replace(/\\(.)/g, (_, c: string) => (c === 't' ? '\t' : c === 'n' ? '\n' : c === 'r' ? '\r' : c))
}
