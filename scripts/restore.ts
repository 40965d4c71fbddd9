// `npm run restore -- --from DIR`: puts a backup made by `npm run backup` in place of the
// embedded default's data directory, with lanelist stopped. The data directory it replaces is
// moved aside, not deleted. Start lanelist afterwards: PostgreSQL replays the backup's WAL.
import { parseArgs } from 'node:util'
import { ConfigError, loadConfig } from '../src/config.ts'
import { restoreEmbedded } from '../src/db/backup.ts'

const { values } = parseArgs({ options: { from: { type: 'string' } } })

try {
  const config = loadConfig()
  if (config.DATABASE_URL) throw new Error('DATABASE_URL is set: restore that server with its own tools (docs/operations.md)')
  if (!values.from) throw new Error('usage: npm run restore -- --from BACKUP_DIR')
  const { movedAside } = await restoreEmbedded({
    dataDir: config.LANELIST_DATA_DIR,
    from: values.from,
    log: (msg) => process.stdout.write(`${msg}\n`),
  })
  process.stdout.write(
    `restored into ${config.LANELIST_DATA_DIR}; start lanelist to bring it up` +
      (movedAside ? ` (the replaced data directory is in ${movedAside}: delete it once satisfied)` : '') + '\n',
  )
} catch (err) {
  process.stderr.write(`lanelist restore: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`)
  process.exitCode = 1
}
