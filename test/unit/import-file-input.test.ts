import { writeFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import t from 'tap'
import { FILE_READ_BYTES, openImportFile } from '../../src/modules/imports/file-input.ts'
import { tempDataDir } from '../helpers/process.ts'

/** Every chunk of the stream, and its bytes joined. */
async function drain(stream: AsyncIterable<Buffer>): Promise<{ sizes: number[]; bytes: Buffer }> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk)
  return { sizes: chunks.map((c) => c.length), bytes: Buffer.concat(chunks) }
}

t.test('an import file is read in pieces of FILE_READ_BYTES, plain or gzip, with its share read', async (t) => {
  const dir = tempDataDir('lanelist-file-input-')
  const body = Buffer.from(`customer_id,transaction_id,day,product_id,quantity\n${'1,20,2024-01-01,7,1\n'.repeat(150_000)}`)
  t.ok(body.length > 2 * FILE_READ_BYTES)
  const plain = path.join(dir, 'h.csv')
  writeFileSync(plain, body)
  const file = openImportFile(plain)
  t.equal(file.read(), 0)
  const read = await drain(file.stream as AsyncIterable<Buffer>)
  t.ok(read.bytes.equals(body))
  t.equal(read.sizes[0], FILE_READ_BYTES, 'the first pass takes a megabyte a turn, not 64 KiB')
  t.equal(file.read(), 1)

  const gz = path.join(dir, 'h.csv.gz')
  writeFileSync(gz, gzipSync(body))
  const unzipped = await drain(openImportFile(gz).stream as AsyncIterable<Buffer>)
  t.ok(unzipped.bytes.equals(body))
  t.equal(unzipped.sizes[0], FILE_READ_BYTES, 'decompressed a megabyte at a time too')
})
