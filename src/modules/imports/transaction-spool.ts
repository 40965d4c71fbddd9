import { closeSync, createReadStream, openSync, writeSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { BUCKETS, type SpoolSink } from './transaction-rows.ts'

const FILES = 64
const BUCKETS_PER_FILE = BUCKETS / FILES
const BUFFER_BYTES = 1 << 16

/**
 * The file's rows on local disk, by customer bucket, until every row has been read: a sale's
 * rows may be anywhere in the file, so nothing can be written before the end, and holding a
 * million rows in memory is not an option. Plain files rather than a PostgreSQL temp table
 * (the first design): staging there cost the database a second write and read of every row,
 * and the database's share is the part of an import that is hard to make faster. Each file
 * holds a contiguous range of buckets, so a batch (a bucket range) reads one or a few files.
 * Files are written synchronously, 64 kB at a time: a write to the page cache is quicker than
 * a promise round trip.
 */
export class TransactionSpool implements SpoolSink {
  private readonly pending: string[] = Array.from({ length: FILES }, () => '')
  private readonly buffers = Array.from({ length: FILES }, () => Buffer.allocUnsafe(BUFFER_BYTES))
  private readonly used = new Uint32Array(FILES)
  private readonly fds: (number | undefined)[] = Array.from({ length: FILES })
  private readonly written = new Uint8Array(FILES)

  private constructor(private readonly dir: string) {}

  static async create(): Promise<TransactionSpool> {
    return new TransactionSpool(await mkdtemp(path.join(tmpdir(), 'lanelist-import-')))
  }

  private file(index: number): string {
    return path.join(this.dir, `${index}.tsv`)
  }

  add(bucket: number, line: number, row: string): void {
    this.pending[(bucket / BUCKETS_PER_FILE) | 0] += `${bucket}\t${line}\t${row}\n`
  }

  /**
   * Moves the rows added since the last call into the byte buffers. Called once per chunk of
   * input, so the row strings die young: kept until a 64 kB flush, a million of them would be
   * promoted to the old generation, which doubled the reading time.
   */
  endChunk(): void {
    for (let i = 0; i < FILES; i++) {
      const text = this.pending[i]!
      if (!text) continue
      this.pending[i] = ''
      // A UTF-16 unit is at most 3 bytes of UTF-8.
      if (this.used[i]! + text.length * 3 > BUFFER_BYTES) {
        this.flushFile(i)
        if (text.length * 3 > BUFFER_BYTES) {
          this.writeFile(i, Buffer.from(text))
          continue
        }
      }
      this.used[i]! += this.buffers[i]!.write(text, this.used[i]!)
    }
  }

  /** Ends writing: everything is on disk, ready for texts(). */
  finish(): void {
    this.endChunk()
    for (let i = 0; i < FILES; i++) this.flushFile(i)
    this.closeFiles()
  }

  /**
   * The spooled text holding buckets from..to, in whole lines; it may hold other buckets too
   * (a spool file holds several), for BatchDraft to drop. File order within each bucket.
   */
  async *texts(from: number, to: number): AsyncGenerator<string> {
    for (let i = (from / BUCKETS_PER_FILE) | 0; i <= ((to / BUCKETS_PER_FILE) | 0); i++) {
      if (!this.written[i]) continue
      const decoder = new StringDecoder('utf8')
      let rest = ''
      for await (const chunk of createReadStream(this.file(i), { highWaterMark: 1 << 20 })) {
        const text = rest + decoder.write(chunk as Buffer)
        const end = text.lastIndexOf('\n') + 1
        rest = text.slice(end)
        if (end > 0) yield text.slice(0, end)
      }
    }
  }

  async remove(): Promise<void> {
    this.closeFiles()
    await rm(this.dir, { recursive: true, force: true })
  }

  private flushFile(i: number): void {
    if (this.used[i] === 0) return
    this.writeFile(i, this.buffers[i]!.subarray(0, this.used[i]))
    this.used[i] = 0
  }

  private writeFile(i: number, bytes: Buffer): void {
    this.fds[i] ??= openSync(this.file(i), 'a')
    this.written[i] = 1
    for (let done = 0; done < bytes.length; ) done += writeSync(this.fds[i]!, bytes, done)
  }

  private closeFiles(): void {
    for (let i = 0; i < FILES; i++) {
      const fd = this.fds[i]
      this.fds[i] = undefined
      if (fd !== undefined) closeSync(fd)
    }
  }
}
