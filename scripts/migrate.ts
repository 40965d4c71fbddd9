// `npm run migrate`: applies pending migrations to LANELIST_DIRECT_DATABASE_URL or DATABASE_URL
// (the direct one when a transaction pooler is in front), or to the embedded database.
import { createLogger } from '../src/boot.ts'
import { ConfigError, loadConfig } from '../src/config.ts'
import { connectDatabase } from '../src/db/database.ts'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { prepareDatabase } from '../src/db/prepare.ts'

try {
  const config = loadConfig()
  const log = createLogger(config)
  const embedded = config.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.LANELIST_DATA_DIR, port: config.LANELIST_EMBEDDED_PG_PORT, log })
  const database = connectDatabase(config.LANELIST_DIRECT_DATABASE_URL ?? config.DATABASE_URL ?? embedded!.url, { max: 2 })
  try {
    const applied = await prepareDatabase(database.pool, (m) => log.info(m))
    log.info(applied.length ? `applied ${applied.length} migration(s)` : 'database is up to date')
  } finally {
    await database.close()
    await embedded?.stop()
  }
} catch (err) {
  process.stderr.write(`lanelist migrate: ${err instanceof ConfigError ? err.message : (err as Error).message}\n`)
  process.exitCode = 1
}
