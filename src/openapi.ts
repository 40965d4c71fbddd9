import { fileURLToPath } from 'node:url'
import { buildApp } from './app.ts'
import { loadConfig } from './config.ts'
import { connectDatabase } from './db/database.ts'

export const OPENAPI_FILE = fileURLToPath(new URL('../openapi/openapi.json', import.meta.url))

/** The document needs the routes, not a database: the pool is created but never connects. */
export async function generateOpenApi(): Promise<string> {
  const database = connectDatabase('postgres://openapi@127.0.0.1:1/none', { max: 1 })
  const app = await buildApp({ config: loadConfig({ LANELIST_LOG_LEVEL: 'silent' }), database, migrationVersions: [] })
  try {
    await app.ready()
    return `${JSON.stringify(app.swagger(), null, 2)}\n`
  } finally {
    await app.close()
    await database.close()
  }
}
