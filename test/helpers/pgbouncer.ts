// PgBouncer (Debian's package, installed by test/run.ts through system-tools.ts) started in
// front of the test PostgreSQL in transaction pooling mode, for the tests that prove what
// works through a transaction pooler and what needs a direct connection.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { freePort } from './test-server.ts'

export const PGBOUNCER = '/usr/sbin/pgbouncer'

export interface PgBouncer {
  /** The same database through the pooler. */
  url(directUrl: string): string
  /** PgBouncer's own console (SHOW STATS, SHOW POOLS). */
  adminUrl: string
  port: number
  output(): string
  stop(): Promise<void>
}

/**
 * Pools every database of `serverUrl`'s server with `poolSize` server connections each: fewer
 * than the clients, so transactions of different clients really share server connections.
 */
export async function startPgBouncer(serverUrl: string, opts: { poolSize?: number } = {}): Promise<PgBouncer> {
  const server = new URL(serverUrl)
  const user = decodeURIComponent(server.username)
  const password = decodeURIComponent(server.password)
  const port = await freePort()
  const dir = mkdtempSync(path.join(tmpdir(), 'lanelist-pgbouncer-'))
  // As root PgBouncer refuses to run unless told a user to become; that user must read its files.
  const asRoot = process.getuid?.() === 0
  if (asRoot) chmodSync(dir, 0o755)
  const ini = path.join(dir, 'pgbouncer.ini')
  const users = path.join(dir, 'userlist.txt')
  writeFileSync(users, `"${user}" "${password}"\n`, { mode: 0o644 })
  writeFileSync(
    ini,
    [
      '[databases]',
      `* = host=${server.hostname} port=${server.port}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${users}`,
      `admin_users = ${user}`,
      'pool_mode = transaction',
      `default_pool_size = ${opts.poolSize ?? 4}`,
      'max_client_conn = 500',
      'max_db_connections = 0',
      'server_check_delay = 0',
      'ignore_startup_parameters = extra_float_digits',
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
    { mode: 0o644 },
  )
  const args = asRoot ? ['-u', postgresUser(), ini] : [ini]
  const child: ChildProcess = spawn(PGBOUNCER, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout!.on('data', (d) => (out += String(d)))
  child.stderr!.on('data', (d) => (out += String(d)))
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const deadline = Date.now() + 10_000
  while (!(await listening(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      rmSync(dir, { recursive: true, force: true })
      throw new Error(`pgbouncer did not start: ${out}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    port,
    adminUrl: `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/pgbouncer`,
    url(directUrl: string) {
      const u = new URL(directUrl)
      u.hostname = '127.0.0.1'
      u.port = String(port)
      return u.toString()
    },
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT')
      await exited
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

function postgresUser(): string {
  // Debian's pgbouncer package and the embedded test server both create it.
  execFileSync('id', ['-u', 'postgres'])
  return 'postgres'
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}
