// The service as a process on its own embedded PostgreSQL: its environment, a key to write
// and read back through the API, and the postmaster it runs.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { freePort } from './test-server.ts'

export const ADMIN = 'lifecycle-admin-key-0123456789abcdef'

export async function embeddedEnv(dataDir: string) {
  return {
    LANELIST_DATA_DIR: dataDir,
    LANELIST_EMBEDDED_PG_PORT: String(await freePort()),
    LANELIST_DEMO: '0',
    LANELIST_ADMIN_KEY: ADMIN,
  }
}

export async function createKey(url: string, name: string): Promise<string> {
  const res = await fetch(`${url}/v1/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'backoffice', name }),
  })
  return ((await res.json()) as { id: string }).id
}

export async function keyNames(url: string): Promise<string[]> {
  const res = await fetch(`${url}/v1/api-keys`, { headers: { authorization: `Bearer ${ADMIN}` } })
  return ((await res.json()) as { items: { name: string }[] }).items.map((k) => k.name)
}

export function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'pg', 'postmaster.pid')
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined
}

/** Running, and not a zombie waiting for a parent that was killed to reap it. */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}
