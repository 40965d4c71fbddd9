// `npm run key -- create --role pos --store S01 [--name "Lane keys S01"]` and `npm run key -- revoke ID`,
// `npm run key -- list`: key management for operators with shell access to the server.
import { parseArgs } from 'node:util'
import { createLogger } from '../src/boot.ts'
import { loadConfig } from '../src/config.ts'
import { connectDatabase } from '../src/db/database.ts'
import { startEmbeddedPostgres } from '../src/db/embedded.ts'
import { prepareDatabase } from '../src/db/prepare.ts'
import { AppError } from '../src/lib/errors.ts'
import { createApiKey, listApiKeys, revokeApiKey, type Role } from '../src/modules/api-keys/api-key.service.ts'

const usage = 'usage: npm run key -- create --role pos|backoffice|admin [--store S01] [--name NAME] | list | revoke ID'

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { role: { type: 'string' }, store: { type: 'string' }, name: { type: 'string' } },
})
const [command, arg] = positionals

async function main(): Promise<void> {
  const config = loadConfig()
  const log = createLogger({ ...config, LANELIST_LOG_LEVEL: 'warn' })
  const embedded = config.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({ dataDir: config.LANELIST_DATA_DIR, port: config.LANELIST_EMBEDDED_PG_PORT, log })
  const database = connectDatabase(config.DATABASE_URL ?? embedded!.url, { max: 2 })
  try {
    await prepareDatabase(database.pool)
    const actor = `cli:${process.env.USER ?? 'operator'}`
    if (command === 'create') {
      const role = values.role as Role
      if (!['pos', 'backoffice', 'admin'].includes(role)) throw new Error(usage)
      const created = await createApiKey(
        database.db,
        { role, storeId: values.store, name: values.name ?? `${role}${values.store ? ` ${values.store}` : ''} key` },
        actor,
      )
      process.stdout.write(`created key ${created.id} (${created.role}${created.storeId ? `, store ${created.storeId}` : ''})\n`)
      process.stdout.write(`key (shown once, store it now): ${created.key}\n`)
    } else if (command === 'list') {
      for (const k of await listApiKeys(database.db)) {
        process.stdout.write(`${k.id}\t${k.role}\t${k.storeId ?? '-'}\t${k.prefix}…\t${k.revokedAt ? 'revoked' : 'active'}\t${k.name}\n`)
      }
    } else if (command === 'revoke' && arg && /^[0-9]+$/.test(arg)) {
      await revokeApiKey(database.db, Number(arg), actor)
      process.stdout.write(`revoked key ${arg} (other running instances stop accepting it within LANELIST_KEY_CACHE_SECONDS)\n`)
    } else {
      throw new Error(usage)
    }
  } finally {
    await database.close()
    await embedded?.stop()
  }
}

main().catch((err: unknown) => {
  const e = err as Error
  const detail = err instanceof AppError && err.errors ? ` (${err.errors.map((x) => `${x.path}: ${x.message}`).join('; ')})` : ''
  process.stderr.write(`lanelist key: ${e.message}${detail}\n`)
  process.exitCode = 1
})
