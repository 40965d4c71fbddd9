import { closeSync, createReadStream, mkdtempSync, openSync, readSync, writeSync } from 'node:fs'
import { rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
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
   * commit a batch before the whole file is read.
   */
  grouped: boolean
  /** Non-empty data lines: the rows of a grouped file (which has no quoted fields). */
  lines: number
}

/** The first pass under way (startScan). */
export interface InputScan {
  /** What the pass found, once it has read the whole input; rejects with the input's error. */
  readonly done: Promise<ScannedInput>
  /** The lines counted so far. */
  readonly lines: number
  /**
   * The input from the start while the pass is still copying it: reads what has been copied and
   * waits for more, so the import can parse (not commit) ahead of the pass's verdict.
   */
  follow(): Readable
  /** The input again, from the start, once done. */
  open(): Readable
  /** Stops the pass if still reading, and deletes the copy. */
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
export function startScan(input: Readable, onLines?: (lines: number) => void): InputScan {
  // Synchronous up to the read loop: a decompressing input that fails while we await
  // something else emits 'error' with nobody listening, which would crash the process.
  const dir = mkdtempSync(path.join(tmpdir(), 'lanelist-input-'))
  const file = path.join(dir, 'input.csv')
  const check = new GroupingCheck()
  let written = 0
  let finished = false
  let stopped = false
  let wake: (() => void) | undefined
  const grew = () => {
    const w = wake
    wake = undefined
    w?.()
  }
  const fd = openSync(file, 'w')
  const done = (async (): Promise<ScannedInput> => {
    let reported = 0
    try {
      for await (const chunk of input as AsyncIterable<Buffer | string>) {
        if (stopped) break
        const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
        for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at)
        written += bytes.length
        check.write(bytes)
        if (onLines && check.lines - reported >= 50_000) onLines((reported = check.lines))
        grew()
      }
    } catch (err) {
      throw asInputError(err)
    } finally {
      closeSync(fd)
      finished = true
      grew()
    }
    check.end()
    onLines?.(check.lines)
    return { grouped: check.grouped, lines: check.lines }
  })()
  done.catch(() => {}) // the import awaits it; a follower sees the failure too
  const remove = async () => {
    stopped = true
    await done.catch(() => {})
    await rm(dir, { recursive: true, force: true })
  }

  async function* tail(): AsyncGenerator<Buffer> {
    const reader = openSync(file, 'r')
    try {
      for (let pos = 0; ; ) {
        if (pos < written) {
          const buf = Buffer.allocUnsafe(Math.min(written - pos, 1 << 16))
          const n = readSync(reader, buf, 0, buf.length, pos)
          pos += n
          yield n === buf.length ? buf : buf.subarray(0, n)
          continue
        }
        if (finished) {
          await done // rethrows the input's error
          if (pos >= written) return
          continue
        }
        await new Promise<void>((resolve) => (wake = resolve))
      }
    } finally {
      closeSync(reader)
    }
  }

  return {
    done,
    get lines() {
      return check.lines
    },
    follow: () => Readable.from(tail(), { objectMode: false }),
    open: () => createReadStream(file, { highWaterMark: 1 << 16 }),
    remove,
  }
}

/** The byte-level check behind scanInput. Exported for its unit test. */
export class GroupingCheck {
  lines = 0
  /** Of those, the lines taken as repeating the last key byte for byte (scan()): for the unit test. */
  repeats = 0
  private header = true
  private customerAt = -1
  private transactionAt = -1
  private byTransaction = true
  private byCustomer = true
  private failed = false
  private carry: Buffer | undefined
  private any = false
  // The last key's ids, as bytes: most rows repeat the row before, and are compared without a string.
  private readonly customer = Buffer.alloc(MAX_ID_LENGTH)
  private readonly transaction = Buffer.alloc(MAX_ID_LENGTH)
  private customerLength = 0
  private transactionLength = 0
  /** The start of the last key's line, up to the comma after its later id (keepPrefix); 0 bytes: none. */
  private readonly prefix = Buffer.alloc(256)
  private prefixLength = 0
  // Where the field the last call to field() found starts and ends.
  private from = 0
  private to = 0

  get grouped(): boolean {
    return !this.failed && !this.header && (this.byTransaction || this.byCustomer)
  }

  write(chunk: Buffer): void {
    const carry = this.carry
    if (carry) {
      // Only the line the carry begins is joined to it: copying every chunk behind a carry was
      // a second copy of the whole input.
      this.carry = undefined
      const nl = chunk.indexOf(LF)
      if (nl === -1) return this.scan(Buffer.concat([carry, chunk]))
      this.scan(Buffer.concat([carry, chunk.subarray(0, nl + 1)]))
      if (nl + 1 === chunk.length) return
      chunk = chunk.subarray(nl + 1)
    }
    this.scan(chunk)
  }

  private scan(buf: Buffer): void {
    let pos = 0
    if (this.header) {
      const nl = buf.indexOf(LF)
      if (nl === -1) return this.keep(buf, 0)
      this.line(buf, 0, nl)
      pos = nl + 1
    }
    // A quote anywhere in the data: the reader's quoting rules are not worth repeating here.
    if (!this.failed && buf.indexOf(QUOTE, pos) !== -1) this.failed = true
    const n = buf.length
    const prefix = this.prefix
    for (;;) {
      const known = this.failed ? 0 : this.prefixLength
      if (known > 0 && pos + known <= n) {
        let k = 0
        while (k < known && buf[pos + k] === prefix[k]) k++
        if (k === known) {
          // The same key as the last row, byte for byte: most rows, as a sale has several. Their
          // fields are not looked at: a third less time for the check.
          const nl = buf.indexOf(LF, pos + known)
          if (nl === -1) break
          this.lines++
          this.repeats++
          pos = nl + 1
          continue
        }
      }
      const nl = buf.indexOf(LF, pos)
      if (nl === -1) break
      this.line(buf, pos, nl)
      pos = nl + 1
    }
    this.keep(buf, pos)
  }

  end(): void {
    const rest = this.carry
    this.carry = undefined
    if (rest) this.line(rest, 0, rest.length)
  }

  private keep(buf: Buffer, pos: number): void {
    if (pos >= buf.length) return
    // A record longer than the reader takes is malformed there; not worth following here.
    if (buf.length - pos > MAX_RECORD_CHARS) this.failed = true
    else this.carry = Buffer.from(buf.subarray(pos))
  }

  private line(buf: Buffer, start: number, end: number): void {
    if (end > start && buf[end - 1] === CR) end--
    if (end === start) return
    if (this.header) return this.readHeader(buf, start, end)
    this.lines++
    if (this.failed) return
    // A row without both ids is rejected without a key, so it cannot split a sale.
    if (!this.field(buf, start, end, this.customerAt)) return
    const [cFrom, cTo] = [this.from, this.to]
    if (!this.field(buf, start, end, this.transactionAt)) return
    const [tFrom, tTo] = [this.from, this.to]
    const sameCustomer = this.any && same(buf, cFrom, cTo, this.customer, this.customerLength)
    // The row before's ids were vetted already: only a new id is looked at character by character.
    if (sameCustomer && same(buf, tFrom, tTo, this.transaction, this.transactionLength)) return
    if ((!sameCustomer && !this.vetted(buf, cFrom, cTo)) || !this.vetted(buf, tFrom, tTo)) return
    if (this.any) {
      const transactionAfter = after(buf, tFrom, tTo, this.transaction, this.transactionLength)
      this.byTransaction &&= transactionAfter
      this.byCustomer &&= sameCustomer ? transactionAfter : after(buf, cFrom, cTo, this.customer, this.customerLength)
      if (!this.byTransaction && !this.byCustomer) {
        this.failed = true
        return
      }
    }
    this.any = true
    this.customerLength = buf.copy(this.customer, 0, cFrom, cTo)
    this.transactionLength = buf.copy(this.transaction, 0, tFrom, tTo)
    this.keepPrefix(buf, start, end, Math.max(cTo, tTo))
  }

  /**
   * Keeps the line's bytes up to the comma that ends the later of its two ids: a line starting
   * with exactly these bytes has the same ids (scan() skips it without a look at its fields).
   */
  private keepPrefix(buf: Buffer, start: number, end: number, keyEnd: number): void {
    let comma = keyEnd
    while (comma < end && buf[comma] !== COMMA) comma++
    const length = comma + 1 - start
    this.prefixLength = comma < end && length <= this.prefix.length ? buf.copy(this.prefix, 0, start, comma + 1) : 0
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
   * Finds field `index` of the line, trimmed as the encoder trims it, into from..to; false when
   * missing, empty or too long (the row is then rejected). An id it cannot vouch for (a control
   * or non-ASCII character: String.trim() knows more spaces) fails the file, in vetted().
   */
  private field(buf: Buffer, start: number, end: number, index: number): boolean {
    let from = start
    for (let i = 0; i < index; i++) {
      while (from < end && buf[from] !== COMMA) from++
      if (from >= end) return false
      from++
    }
    let to = from
    while (to < end && buf[to] !== COMMA) to++
    while (from < to && (buf[from] === 32 || buf[from] === 9)) from++
    while (to > from && (buf[to - 1] === 32 || buf[to - 1] === 9)) to--
    if (from === to || to - from > MAX_ID_LENGTH) return false
    this.from = from
    this.to = to
    return true
  }

  /** False, and the file marked failed, for an id with a control or non-ASCII character (see field()). */
  private vetted(buf: Buffer, from: number, to: number): boolean {
    for (let i = from; i < to; i++) {
      const c = buf[i]!
      if (c < 32 || c > 126) {
        this.failed = true
        return false
      }
    }
    return true
  }
}

function same(buf: Buffer, from: number, to: number, key: Buffer, length: number): boolean {
  if (to - from !== length) return false
  for (let i = 0; i < length; i++) if (buf[from + i] !== key[i]) return false
  return true
}

/** Shortlex: a longer id is the larger; ids of one length compare byte by byte (ASCII). */
function after(buf: Buffer, from: number, to: number, key: Buffer, length: number): boolean {
  if (to - from !== length) return to - from > length
  for (let i = 0; i < length; i++) {
    const d = buf[from + i]! - key[i]!
    if (d !== 0) return d > 0
  }
  return false
}
