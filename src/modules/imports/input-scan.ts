import { closeSync, createReadStream, openSync, writeSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import type { Readable } from 'node:stream'
import { asInputError } from './csv-input.ts'
import { MAX_RECORD_CHARS } from './csv-reader.ts'
import { MAX_ID_LENGTH } from './row-checks.ts'

const LF = 10
const CR = 13
const COMMA = 44
const QUOTE = 34

/** What the first pass over a history file found; the file itself waits in a temp folder. */
export interface ScannedInput {
  /**
   * Every sale's rows follow each other in the file: it is sorted by transaction id, or by
   * customer and then transaction id (a POS export, the data sets). Only then may the import
   * write a batch before the whole file is read.
   */
  grouped: boolean
  /** Non-empty data lines: the rows of a grouped file (which has no quoted fields). */
  lines: number
  /** The input again, from the start. */
  open(): Readable
  remove(): Promise<void>
}

/**
 * Pass one of a history import: copies the input to a temp file (a plain write of the bytes,
 * cheap next to parsing them) and checks, without building a string per field, whether each
 * transaction's rows are contiguous. A file is "grouped" when, wherever the customer or the
 * transaction changes from one row to the next, the transaction id grows (a file in
 * transaction order), or the customer grows, or the customer stays and its transaction id grows
 * (customer order): ids compared shortest first, then by character, so numeric ids compare as
 * numbers. Then a key left behind never comes back, which is all the import needs, with memory
 * for one key. Anything the check cannot read exactly as the CSV reader does (a quote, a bare
 * CR line end, a non-ASCII or control character in an id) counts as not grouped: the import
 * then spools by customer as before, which is right for any file.
 */
export async function scanInput(input: Readable, onLines?: (lines: number) => void): Promise<ScannedInput> {
  const dir = await mkdtemp(path.join(tmpdir(), 'lanelist-input-'))
  const file = path.join(dir, 'input.csv')
  const remove = () => rm(dir, { recursive: true, force: true })
  try {
    const fd = openSync(file, 'w')
    const check = new GroupingCheck()
    let reported = 0
    try {
      for await (const chunk of input as AsyncIterable<Buffer | string>) {
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
        for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done)
        check.write(bytes)
        if (onLines && check.lines - reported >= 50_000) onLines((reported = check.lines))
      }
    } catch (err) {
      throw asInputError(err)
    } finally {
      closeSync(fd)
    }
    check.end()
    onLines?.(check.lines)
    return { grouped: check.grouped, lines: check.lines, open: () => createReadStream(file, { highWaterMark: 1 << 16 }), remove }
  } catch (err) {
    await remove()
    throw err
  }
}

/** Shortlex: a longer id is the larger; ids of one length compare by character. */
function after(a: string, b: string): boolean {
  return a.length !== b.length ? a.length > b.length : a > b
}

/** The byte-level check behind scanInput. Exported for its unit test. */
export class GroupingCheck {
  lines = 0
  private header = true
  private customerAt = -1
  private transactionAt = -1
  private byTransaction = true
  private byCustomer = true
  private failed = false
  private carry: Buffer | undefined
  private customer: string | undefined
  private transaction = ''

  get grouped(): boolean {
    return !this.failed && !this.header && (this.byTransaction || this.byCustomer)
  }

  write(chunk: Buffer): void {
    let buf = chunk
    if (this.carry) {
      buf = Buffer.concat([this.carry, chunk])
      this.carry = undefined
    }
    let pos = 0
    for (;;) {
      const nl = buf.indexOf(LF, pos)
      if (nl === -1) break
      this.line(buf, pos, nl)
      pos = nl + 1
    }
    if (pos < buf.length) {
      // A record longer than the reader takes is malformed there; not worth following here.
      if (buf.length - pos > MAX_RECORD_CHARS) this.failed = true
      else this.carry = Buffer.from(buf.subarray(pos))
    }
  }

  end(): void {
    const rest = this.carry
    this.carry = undefined
    if (rest) this.line(rest, 0, rest.length)
  }

  private line(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === CR) end--
    if (end === start) return
    if (this.header) return this.readHeader(buf, start, end)
    this.lines++
    if (this.failed) return
    const quote = buf.indexOf(QUOTE, start)
    if ((quote !== -1 && quote < end) || (buf.indexOf(CR, start) !== -1 && buf.indexOf(CR, start) < end)) {
      this.failed = true
      return
    }
    const customer = this.field(buf, start, end, this.customerAt)
    const transaction = this.field(buf, start, end, this.transactionAt)
    // A row without both ids is rejected without a key, so it cannot split a sale.
    if (customer === undefined || transaction === undefined || this.failed) return
    if (customer === this.customer && transaction === this.transaction) return
    if (this.customer !== undefined) {
      this.byTransaction &&= after(transaction, this.transaction)
      this.byCustomer &&= customer === this.customer ? after(transaction, this.transaction) : after(customer, this.customer)
      if (!this.byTransaction && !this.byCustomer) this.failed = true
    }
    this.customer = customer
    this.transaction = transaction
  }

  private readHeader(buf: Buffer, start: number, end: number): void {
    this.header = false
    if (buf[start] === 0xef && buf[start + 1] === 0xbb && buf[start + 2] === 0xbf) start += 3
    const text = buf.toString('utf8', start, end)
    if (text.includes('"') || text.includes('\r')) {
      this.failed = true
      return
    }
    const columns = text.split(',').map((c) => c.trim().toLowerCase())
    this.customerAt = columns.indexOf('customer_id')
    this.transactionAt = columns.indexOf('transaction_id')
    if (this.customerAt < 0 || this.transactionAt < 0) this.failed = true
  }

  /**
   * Field `index` of the line, trimmed, as the encoder reads it; undefined when missing, empty or
   * too long (the row is then rejected). Marks the file failed for an id it cannot vouch for.
   */
  private field(buf: Buffer, start: number, end: number, index: number): string | undefined {
    let from = start
    for (let i = 0; i < index; i++) {
      const comma = buf.indexOf(COMMA, from)
      if (comma === -1 || comma >= end) return undefined
      from = comma + 1
    }
    let to = buf.indexOf(COMMA, from)
    if (to === -1 || to > end) to = end
    while (from < to && (buf[from] === 32 || buf[from] === 9)) from++
    while (to > from && (buf[to - 1] === 32 || buf[to - 1] === 9)) to--
    if (from === to || to - from > MAX_ID_LENGTH) return undefined
    for (let i = from; i < to; i++) {
      const c = buf[i]!
      if (c < 32 || c > 126) {
        this.failed = true
        return undefined
      }
    }
    return buf.toString('latin1', from, to)
  }
}
