// COPY (query) TO STDOUT (FORMAT binary) read as rows of integers. The bulk statistics rebuild
// streams every sale line once; pg's row objects and text parsing would cost more than
// PostgreSQL's own scan, while the binary format is fixed-width integers read in place.
import { CompiledQuery, type Kysely, type Transaction } from 'kysely'
import { to as copyTo } from 'pg-copy-streams'
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
    for (;;) {
      if (at + 2 > buf.length) break
      const n = buf.readInt16BE(at)
      if (n === -1) {
        ended = true
        at += 2
        break
      }
      if (n !== columns) throw new Error(`COPY binary: expected ${columns} columns, got ${n}`)
      // The whole row must be in the buffer before any field is read.
      let end = at + 2
      let complete = true
      for (let f = 0; f < n; f++) {
        if (end + 4 > buf.length) {
          complete = false
          break
        }
        const len = buf.readInt32BE(end)
        end += 4 + (len > 0 ? len : 0)
        if (end > buf.length) {
          complete = false
          break
        }
      }
      if (!complete) break
      let p = at + 2
      for (let f = 0; f < n; f++) {
        const len = buf.readInt32BE(p)
        p += 4
        if (len === -1) fields[f] = NULL_INT
        else if (len === 4) fields[f] = buf.readInt32BE(p)
        else if (len === 8) fields[f] = buf.readInt32BE(p) * 4294967296 + buf.readUInt32BE(p + 4)
        else throw new Error(`COPY binary: column ${f} is ${len} bytes, not an int4 or int8`)
        p += len > 0 ? len : 0
      }
      at = end
      rows++
      onRow(fields)
    }
    rest = at < buf.length ? buf.subarray(at) : undefined
    buf = Buffer.alloc(0)
  }
  if (!ended) throw new Error('COPY binary: stream ended without its trailer')
  return rows
}
