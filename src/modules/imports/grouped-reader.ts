import type { Readable } from 'node:stream'
import { invalid } from '../../lib/errors.ts'
import { headerColumns, missingColumns } from './csv-input.ts'

const LF = 10
const CR = 13

/** Takes a data line of the file: bytes start..end of buf (no line break), its line number. */
export interface LineSink {
  line(line: number, buf: Buffer, start: number, end: number): void
}

/**
 * The lines of a grouped file (input-scan.ts), read as bytes. Such a file has no quote and ends
 * its lines with LF (a CR before it dropped), which the first pass made sure of: every record is
 * one line, so a line is what CsvReader would give as a record, and the encoder can check the
 * common row without first making a string of every field (see TransactionRowEncoder.line).
 * Empty lines are skipped and counted, as CsvReader does.
 */
export class GroupedReader {
  private lineNo = 0
  private carry: Buffer | undefined
  private done = false

  private constructor(
    readonly columns: string[],
    private readonly chunks: AsyncIterator<Buffer>,
    first: Buffer | undefined,
  ) {
    this.carry = first
  }

  /** Reads the header (the first non-empty line) and refuses the file without a required column. */
  static async open(input: Readable, required: (string | string[])[]): Promise<GroupedReader> {
    const chunks = (input as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
    let buf = Buffer.alloc(0)
    let pos = 0
    let lineNo = 0
    for (;;) {
      const nl = buf.indexOf(LF, pos)
      if (nl === -1) {
        const chunk = await chunks.next()
        if (!chunk.done) {
          buf = Buffer.concat([buf.subarray(pos), chunk.value])
          pos = 0
          continue
        }
      }
      const end = nl === -1 ? buf.length : nl
      lineNo++
      let from = pos
      // A byte-order mark at the very start of the file is not part of the first name.
      if (lineNo === 1 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) from += 3
      let to = end
      if (to > from && buf[to - 1] === CR) to--
      pos = end + 1
      if (to > from) {
        const columns = headerColumns(buf.toString('utf8', from, to).split(','))
        const missing = missingColumns(columns, required)
        if (missing.length) throw invalid(missing.map((m) => ({ path: 'header', message: `missing column ${m}` })))
        const reader = new GroupedReader(columns, chunks, pos < buf.length ? buf.subarray(pos) : undefined)
        reader.lineNo = lineNo
        return reader
      }
      if (nl === -1) throw invalid([{ path: 'body', message: 'the CSV body is empty; send a header row first' }])
    }
  }

  /** Hands the lines of the next piece of input to `sink`; false once the input has ended. */
  async pump(sink: LineSink): Promise<boolean> {
    if (this.done) return false
    const chunk = await this.chunks.next()
    let buf: Buffer
    let pos = 0
    if (chunk.done) {
      this.done = true
      if (!this.carry) return false
      buf = this.carry
      this.carry = undefined
    } else {
      buf = chunk.value
      const carry = this.carry
      if (carry && carry.indexOf(LF) !== -1) {
        // What open() read past the header: whole lines, read first.
        this.carry = undefined
        buf = Buffer.concat([carry, buf])
      } else if (carry) {
        // Only the line the carry begins is joined to it, not the whole chunk.
        this.carry = undefined
        const nl = buf.indexOf(LF)
        if (nl === -1) {
          this.carry = Buffer.concat([carry, buf])
          return true
        }
        const first = Buffer.concat([carry, buf.subarray(0, nl)])
        this.take(sink, first, 0, first.length)
        pos = nl + 1
      }
    }
    for (;;) {
      const nl = buf.indexOf(LF, pos)
      if (nl === -1) break
      this.take(sink, buf, pos, nl)
      pos = nl + 1
    }
    if (pos < buf.length) {
      if (this.done) this.take(sink, buf, pos, buf.length)
      else this.carry = buf.subarray(pos)
    }
    return !this.done
  }

  /** Stops reading (the rest of the input is not wanted). */
  async close(): Promise<void> {
    this.done = true
    await this.chunks.return?.()
  }

  private take(sink: LineSink, buf: Buffer, start: number, end: number): void {
    this.lineNo++
    if (end > start && buf[end - 1] === CR) end--
    if (end > start) sink.line(this.lineNo, buf, start, end)
  }
}
