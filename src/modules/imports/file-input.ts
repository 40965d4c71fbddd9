import { createReadStream, existsSync, statSync } from 'node:fs'
import type { Readable } from 'node:stream'
import { createGunzip } from 'node:zlib'

/**
 * Bytes per read of a file on disk: the first pass of a history import (input-scan.ts) takes a
 * piece per turn of the event loop, which it shares with the parsing and writing that follow it.
 * In the 64 KiB pieces of a default file stream, a million lines took until a third of the way
 * through the import, and the first batches waited for its verdict (no batch commits before it);
 * in pieces of 1 MiB the verdict came before the first batch was written.
 */
export const FILE_READ_BYTES = 1 << 20

/**
 * An import file as a stream (gzip-compressed when its name ends in .gz, stdin for "-"), and how
 * much of it has been read (0..1; undefined for stdin), for a progress bar. What the CLI reads,
 * and the benchmark with it.
 */
export function openImportFile(file: string): { stream: Readable; read: () => number | undefined } {
  if (file === '-') return { stream: process.stdin, read: () => undefined }
  const raw = createReadStream(file, { highWaterMark: FILE_READ_BYTES })
  // A missing file is reported by the stream, as before: no bar then.
  const size = existsSync(file) ? statSync(file).size : 0
  const read = () => (size > 0 ? raw.bytesRead / size : undefined)
  if (!file.endsWith('.gz')) return { stream: raw, read }
  const gunzip = createGunzip({ chunkSize: FILE_READ_BYTES })
  raw.on('error', (err) => gunzip.destroy(err))
  return { stream: raw.pipe(gunzip), read }
}
