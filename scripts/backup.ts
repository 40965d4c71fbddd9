// `npm run backup -- [--to DIR]`: an online physical backup of the embedded default's PostgreSQL
// (lanelist may keep serving meanwhile; if it is stopped, its PostgreSQL is started for the
// backup). With DATABASE_URL, back up the server with its own tools (docs/operations.md).
import path from 'node:path'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { createLogger } from '../src/boot.ts'
import { ConfigError, loadConfig } from '../src/config.ts'
import { backupEmbedded, readCredentialsUrl } from '../src/db/backup.ts'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'

const { values } = parseArgs({ options: { to: { type: 'string' } } })

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.end()
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') return false
    throw err
  }
}

try {
  const config = loadConfig()
  if (config.DATABASE_URL) {
    throw new Error('DATABASE_URL is set: back that server up with pg_dump or pg_basebackup of its own major version (docs/operations.md)')
  }
  const log = createLogger({ ...config, LANELIST_LOG_LEVEL: 'warn' })
  const to = values.to ?? path.join('backups', `lanelist-${new Date().toISOString().replace(/[:.]/g, '-')}`)
  const url = await readCredentialsUrl(config.LANELIST_DATA_DIR, config.LANELIST_EMBEDDED_PG_PORT)
  const embedded = (await reachable(url))
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.LANELIST_DATA_DIR, port: config.LANELIST_EMBEDDED_PG_PORT, log })
  try {
    const started = Date.now()
    const m = await backupEmbedded({ dataDir: config.LANELIST_DATA_DIR, url, to, log: (msg) => process.stdout.write(`${msg}\n`) })
    process.stdout.write(
      `backup of PostgreSQL ${m.serverVersion} written to ${path.resolve(to)}: ${m.files} files, ` +
        `${(m.bytes / 1048576).toFixed(1)} MB, WAL ${m.startLsn}..${m.stopLsn}, ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    )
  } finally {
    await embedded?.stop()
  }
} catch (err) {
  process.stderr.write(`lanelist backup: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`)
  process.exitCode = 1
}
