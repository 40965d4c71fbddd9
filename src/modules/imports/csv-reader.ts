/** One CSV record: its fields and the file line it ends on (the header is line 1). */
export interface CsvRecord {
  line: number
  fields: string[]
}

/** A record longer than this is malformed: an unclosed quote must not make memory grow with the file. */
export const MAX_RECORD_CHARS = 1_000_000

const QUOTE = 34
const COMMA = 44
const CR = 13
const LF = 10

type Malformed = (line: number, reason: string) => void

/**
 * RFC 4180 CSV, streamed. Written for speed because every import row passes through it: a
 * line without a quote (nearly all of them) is one indexOf and one split. csv-parse, used
 * before, took several times as long and was the largest part of reading a file.
 *
 * Records end at LF (a CR before it is dropped) or, when the file's first line ends with a
 * bare CR, at CR. Quoted fields may hold commas, doubled quotes and line breaks. Empty lines
 * are skipped; records may have any number of fields (the caller checks). A malformed record
 * (a quote inside an unquoted field, text after a closing quote, a quote never closed, a record
 * over MAX_RECORD_CHARS) is reported with its first line and skipped up to the end of that
 * line, and reading goes on from the next one, so one stray quote costs one record.
 */
export class CsvReader {
  private pending = ''
  /** Lines wholly consumed: the next record starts on line `lines + 1`. */
  private lines = 0
  private eol: '\n' | '\r' | undefined
  private bomChecked = false
  /** Inside an overlong line being dropped: discard up to the next end of line. */
  private discarding = false

  constructor(private readonly malformed: Malformed) {}

  /** Appends the records `text` completes to `out`. */
  write(text: string, out: CsvRecord[]): void {
    this.consume(this.pending + text, false, out)
  }

  /** The last record, which may lack a line break. */
  end(out: CsvRecord[]): void {
    this.consume(this.pending, true, out)
    this.pending = ''
  }

  private consume(buf: string, final: boolean, out: CsvRecord[]): void {
    if (!this.bomChecked && buf.length > 0) {
      this.bomChecked = true
      if (buf.charCodeAt(0) === 0xfeff) buf = buf.slice(1)
    }
    if (!this.eol && !(this.eol = detectEol(buf, final))) {
      this.keep(buf, 0, final)
      return
    }
    const eol = this.eol
    const n = buf.length
    let pos = 0
    let quote = buf.indexOf('"')
    while (pos < n) {
      const nl = buf.indexOf(eol, pos)
      if (this.discarding) {
        if (nl === -1) {
          this.pending = '' // the rest of this overlong line goes too
          return
        }
        this.discarding = false
        this.lines++
        pos = nl + 1
        continue
      }
      if (nl === -1 && !final) break
      const end = nl === -1 ? n : nl
      if (quote !== -1 && quote < pos) quote = buf.indexOf('"', pos)
      if (quote === -1 || quote > end) {
        this.lines++
        let stop = end
        if (eol === '\n' && stop > pos && buf.charCodeAt(stop - 1) === CR) stop--
        if (stop > pos) out.push({ line: this.lines, fields: buf.slice(pos, stop).split(',') })
        pos = end + 1
        continue
      }
      const next = this.quotedRecord(buf, pos, final, out)
      if (next === -1) break
      pos = next
    }
    this.keep(buf, pos, final)
  }

  /** Keeps the unfinished record for the next write, unless it is already too long. */
  private keep(buf: string, pos: number, final: boolean): void {
    this.pending = final ? '' : buf.slice(pos)
    if (this.pending.length <= MAX_RECORD_CHARS) return
    this.malformed(this.lines + 1, `a record is longer than ${MAX_RECORD_CHARS.toLocaleString('en')} characters`)
    this.skipFirstLine(this.pending)
  }

  /** After a malformed record: drop its first line and go on from the next. */
  private skipFirstLine(buf: string): void {
    const nl = buf.indexOf(this.eol ?? '\n')
    this.pending = ''
    if (nl === -1) {
      this.discarding = true
      return
    }
    this.lines++
    this.pending = buf.slice(nl + 1)
  }

  /**
   * The record at `start`, which has a quote in it. Returns where the next record starts, or -1
   * when the record may go on past the text received so far.
   */
  private quotedRecord(buf: string, start: number, final: boolean, out: CsvRecord[]): number {
    const eol = this.eol === '\r' ? CR : LF
    const n = buf.length
    const fields: string[] = []
    let breaks = 0
    let i = start
    for (;;) {
      if (buf.charCodeAt(i) === QUOTE) {
        let value = ''
        let from = i + 1
        for (;;) {
          const q = buf.indexOf('"', from)
          // A quote at the very end may be the first of a doubled pair.
          if ((q === -1 || q === n - 1) && !final) return -1
          if (q === -1) return this.skipMalformed(buf, start, final, 'a quoted field is never closed')
          breaks += countBreaks(buf, from, q, eol)
          if (buf.charCodeAt(q + 1) === QUOTE) {
            value += buf.slice(from, q + 1)
            from = q + 2
            continue
          }
          value += buf.slice(from, q)
          i = q + 1
          break
        }
        fields.push(value)
        if (i >= n) {
          if (!final) return -1
          break
        }
        const c = buf.charCodeAt(i)
        if (c === COMMA) {
          i++
          continue
        }
        if (c === eol) {
          i++
          break
        }
        if (eol === LF && c === CR) {
          if (i + 1 >= n && !final) return -1
          if (i + 1 >= n || buf.charCodeAt(i + 1) === LF) {
            i += 2
            break
          }
        }
        return this.skipMalformed(buf, start, final, 'text after a closing quote')
      }
      // Unquoted field: up to the next comma or end of line; a quote in it is an error.
      let j = i
      let c = buf.charCodeAt(j)
      while (j < n && c !== COMMA && c !== eol && c !== QUOTE) c = buf.charCodeAt(++j)
      if (j < n && c === QUOTE) return this.skipMalformed(buf, start, final, 'a quote inside an unquoted field')
      if (j >= n && !final) return -1
      let stop = j
      if (eol === LF && c !== COMMA && stop > i && buf.charCodeAt(stop - 1) === CR) stop--
      fields.push(buf.slice(i, stop))
      i = j + 1
      if (j >= n || c === eol) break
    }
    this.lines += breaks + 1
    out.push({ line: this.lines, fields })
    return Math.min(i, n)
  }

  /**
   * Reports the record starting at `start` and skips its first line. Returns where reading goes
   * on, or -1 (nothing reported yet) when that line is not whole yet.
   */
  private skipMalformed(buf: string, start: number, final: boolean, reason: string): number {
    const nl = buf.indexOf(this.eol!, start)
    if (nl === -1 && !final) return -1
    this.malformed(this.lines + 1, reason)
    this.lines++
    return nl === -1 ? buf.length : nl + 1
  }
}

/** LF, or CR when the first line ends with a bare CR; undefined while the first line is incomplete. */
function detectEol(buf: string, final: boolean): '\n' | '\r' | undefined {
  const lf = buf.indexOf('\n')
  const cr = buf.indexOf('\r')
  if (cr === -1 || (lf !== -1 && lf < cr)) return lf !== -1 || final ? '\n' : undefined
  if (cr + 1 < buf.length) return buf.charCodeAt(cr + 1) === LF ? '\n' : '\r'
  return final ? '\r' : undefined
}

function countBreaks(buf: string, from: number, to: number, eol: number): number {
  let count = 0
  for (let k = buf.indexOf(eol === LF ? '\n' : '\r', from); k !== -1 && k < to; k = buf.indexOf(eol === LF ? '\n' : '\r', k + 1)) count++
  return count
}
