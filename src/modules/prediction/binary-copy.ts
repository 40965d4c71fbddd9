// COPY (query) TO STDOUT (FORMAT binary) read as rows of integers. The bulk statistics rebuild
// streams every sale line once; pg's row objects and text parsing would cost more than
// PostgreSQL's own scan, while the binary format is fixed-width integers read in place.
import { CompiledQuery, type Kysely, type Transaction } from 'kysely'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import type { DB } from '../../db/schema.ts'

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1')
export const NULL_INT = -1

/**
 * Calls onRow(fields) for each row; every column must be int4 or int8 (cast in the query;
 * int8 must fit a double exactly) and NULL arrives as NULL_INT. `fields` is reused between calls.
 * `db` must be a transaction or a db.connection() scope (see imports/import-db.ts copyIn).
 */
export async function copyOutIntegers(
  db: Kysely<DB> | Transaction<DB>,
  query: string,
  columns: number,
  onRow: (fields: Float64Array) => void,
): Promise<number> {
  const stream = copyTo(`copy (${query}) to stdout (format binary)`)
  await db.executeQuery(CompiledQuery.raw(stream as unknown as string))
  const fields = new Float64Array(columns)
  let rest: Buffer | undefined
  let headerDone = false
  let rows = 0
  let ended = false
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let buf = rest === undefined ? chunk : Buffer.concat([rest, chunk])
    let at = 0
    if (!headerDone) {
      if (buf.length < 19) {
        rest = buf
        continue
      }
      if (!buf.subarray(0, 11).equals(SIGNATURE)) throw new Error('COPY binary: bad signature')
      at = 19 + buf.readInt32BE(15)
      headerDone = true
    }
    // A row of `columns` integers takes at most 2 + 12 * columns bytes: when that much is left
    // the row is surely whole and is read without first walking its lengths.
    const sure = 2 + 12 * columns
    for (;;) {
      if (at + 2 > buf.length) break
      const n = (buf[at]! << 24) >> 16 | buf[at + 1]!
      if (n === -1) {
        ended = true
        at += 2
        break
      }
      if (n !== columns) throw new Error(`COPY binary: expected ${columns} columns, got ${n}`)
      if (at + sure > buf.length && !rowIsWhole(buf, at, n)) break
      let p = at + 2
      for (let f = 0; f < n; f++) {
        const len = int32(buf, p)
        p += 4
        if (len === 4) {
          fields[f] = int32(buf, p)
          p += 4
        } else if (len === 8) {
          fields[f] = int32(buf, p) * 4294967296 + (int32(buf, p + 4) >>> 0)
          p += 8
        } else if (len === -1) fields[f] = NULL_INT
        else throw new Error(`COPY binary: column ${f} is ${len} bytes, not an int4 or int8`)
      }
      at = p
      rows++
      onRow(fields)
    }
    rest = at < buf.length ? buf.subarray(at) : undefined
    buf = Buffer.alloc(0)
  }
  if (!ended) throw new Error('COPY binary: stream ended without its trailer')
  return rows
}

const int32 = (buf: Buffer, p: number): number => (buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!

// Whether the row at `at` (n fields) ends inside the buffer.
function rowIsWhole(buf: Buffer, at: number, n: number): boolean {
  let end = at + 2
  for (let f = 0; f < n; f++) {
    if (end + 4 > buf.length) return false
    const len = int32(buf, end)
    end += 4 + (len > 0 ? len : 0)
    if (end > buf.length) return false
  }
  return true
}

/**
 * COPY ... FROM STDIN (FORMAT binary) fed by `rows`, each a finished row (see BinaryRowWriter):
 * no text escaping, and bytea goes in as it is instead of as hex.
 */
export async function copyInBinary(db: Kysely<DB> | Transaction<DB>, statement: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<number> {
  const copy = copyFrom(`${statement} (format binary)`)
  await db.executeQuery(CompiledQuery.raw(copy as unknown as string))
  await pipeline(Readable.from(chunks, { objectMode: false }), copy)
  return copy.rowCount
}

/** Rows of a binary COPY, written field by field into buffers of ~64 KB handed out by take(). */
export class BinaryRowWriter {
  private buf = Buffer.allocUnsafe(CHUNK)
  private at = 0
  constructor() {
    this.header()
  }
  private header(): void {
    SIGNATURE.copy(this.buf, 0)
    this.buf.writeInt32BE(0, 11) // flags
    this.buf.writeInt32BE(0, 15) // header extension length
    this.at = 19
  }
  private ensure(n: number): void {
    if (this.at + n <= this.buf.length) return
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n))
    this.buf.copy(next, 0, 0, this.at)
    this.buf = next
  }
  row(fields: number): void {
    this.ensure(2)
    this.buf.writeInt16BE(fields, this.at)
    this.at += 2
  }
  int4(v: number): void {
    this.ensure(8)
    this.buf.writeInt32BE(4, this.at)
    this.buf.writeInt32BE(v, this.at + 4)
    this.at += 8
  }
  int8(v: number): void {
    this.ensure(12)
    this.buf.writeInt32BE(8, this.at)
    this.buf.writeBigInt64BE(BigInt(v), this.at + 4)
    this.at += 12
  }
  null(): void {
    this.ensure(4)
    this.buf.writeInt32BE(-1, this.at)
    this.at += 4
  }
  bytes(b: Uint8Array, prefix?: number): void {
    const len = b.length + (prefix === undefined ? 0 : 1)
    this.ensure(4 + len)
    this.buf.writeInt32BE(len, this.at)
    this.at += 4
    if (prefix !== undefined) this.buf[this.at++] = prefix
    this.buf.set(b, this.at)
    this.at += b.length
  }
  text(s: string): void {
    this.bytes(Buffer.from(s, 'utf8'))
  }
  /** jsonb's binary input: a version byte, then the text. */
  jsonb(s: string): void {
    this.bytes(Buffer.from(s, 'utf8'), 1)
  }
  /** The rows written since the last take, once there are at least ~64 KB (or `end`). */
  take(end = false): Buffer | undefined {
    if (end) {
      this.ensure(2)
      this.buf.writeInt16BE(-1, this.at)
      this.at += 2
    } else if (this.at < CHUNK) return undefined
    const out = Buffer.from(this.buf.subarray(0, this.at))
    this.at = 0
    return out
  }
}
const CHUNK = 1 << 16
