import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import t from 'tap'
import { startService } from '../../src/boot.ts'
import { loadConfig } from '../../src/config.ts'
import { EMBEDDED_MALLOC_TUNABLES } from '../../src/db/embedded.ts'
import { freePort } from '../helpers/test-server.ts'
import { readyStatus, startServiceProcess, stopProcess, tempDataDir } from '../helpers/process.ts'

const ADMIN = 'lifecycle-admin-key-0123456789abcdef'

async function env(dataDir: string) {
  return {
    LANELIST_DATA_DIR: dataDir,
    LANELIST_EMBEDDED_PG_PORT: String(await freePort()),
    LANELIST_DEMO: '0',
    LANELIST_ADMIN_KEY: ADMIN,
  }
}

async function createKey(url: string, name: string): Promise<string> {
  const res = await fetch(`${url}/v1/api-keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'backoffice', name }),
  })
  return ((await res.json()) as { id: string }).id
}

async function keyNames(url: string): Promise<string[]> {
  const res = await fetch(`${url}/v1/api-keys`, { headers: { authorization: `Bearer ${ADMIN}` } })
  return ((await res.json()) as { items: { name: string }[] }).items.map((k) => k.name)
}

function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'pg', 'postmaster.pid')
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined
}

/** A variable of the embedded postmaster's environment (which its backends inherit), undefined if unset. */
function postgresEnv(dataDir: string, name: string): string | undefined {
  const pid = postmasterPid(dataDir)
  if (pid === undefined) return undefined
  const entry = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((kv) => kv.startsWith(`${name}=`))
  return entry?.slice(name.length + 1)
}

/** Running, and not a zombie waiting for a parent that was killed to reap it. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return false
  }
}

t.test('embedded default: starts, is ready, keeps data across a graceful restart', async (t) => {
  const dataDir = tempDataDir()
  const e = await env(dataDir)
  const first = await startServiceProcess(e)
  t.teardown(() => stopProcess(first, 'SIGKILL'))
  t.match(first.output(), /lanelist listening on/, first.output())
  const ready = await fetch(`${first.url}/health/ready`)
  t.equal(ready.status, 200)
  // glibc 2.36 leaves only the first setting visible in /proc/PID/environ once it has parsed them all.
  const tunables = postgresEnv(dataDir, 'GLIBC_TUNABLES')
  t.ok(tunables && EMBEDDED_MALLOC_TUNABLES.startsWith(tunables), `PostgreSQL runs with the malloc settings (${tunables})`)
  t.equal(process.env.GLIBC_TUNABLES, undefined, 'the test process environment is as it was')
  await createKey(first.url, 'survives restart')

  const code = await stopProcess(first, 'SIGTERM')
  t.equal(code, 0, 'SIGTERM is a clean exit')
  t.match(first.output(), /shutting down/)
  t.notOk(postmasterPid(dataDir), 'the embedded PostgreSQL was stopped')
  t.notOk(existsSync(path.join(dataDir, 'lanelist.pid')), 'the data folder was released')

  // An operator's own GLIBC_TUNABLES, even empty (glibc's defaults), is what PostgreSQL gets.
  const second = await startServiceProcess({ ...e, GLIBC_TUNABLES: '' })
  t.teardown(() => stopProcess(second, 'SIGKILL'))
  t.same(await keyNames(second.url), ['survives restart'])
  t.equal(postgresEnv(dataDir, 'GLIBC_TUNABLES'), '', 'the operator\'s setting wins')
  t.equal(await stopProcess(second), 0)
})

t.test('a shutdown that outlasts its grace still stops the embedded PostgreSQL', async (t) => {
  const dataDir = tempDataDir()
  const service = await startService(loadConfig({ ...(await env(dataDir)), PORT: '0', HOST: '127.0.0.1', LANELIST_WORKER: '0' }), pino({ level: 'silent' }))
  // A connection never given back: closing the pool would wait for it forever.
  const held = await service.database.pool.connect()
  held.on('error', () => {})
  t.ok(postmasterPid(dataDir), 'PostgreSQL runs')
  const started = Date.now()
  await service.stop({ graceMs: 500 })
  t.ok(Date.now() - started < 30_000, `stopped in ${Date.now() - started} ms`)
  t.notOk(postmasterPid(dataDir), 'the embedded PostgreSQL was stopped, not orphaned')
  t.notOk(existsSync(path.join(dataDir, 'lanelist.pid')), 'the data folder was released')
})

t.test('after kill -9 the orphaned PostgreSQL is found and replaced; committed data survives', async (t) => {
  const dataDir = tempDataDir()
  const e = await env(dataDir)
  const first = await startServiceProcess(e)
  await createKey(first.url, 'committed before the crash')
  await stopProcess(first, 'SIGKILL')
  const orphan = postmasterPid(dataDir)
  t.ok(orphan && alive(orphan), 'PostgreSQL outlived the killed service, as it does after kill -9')

  const second = await startServiceProcess(e)
  t.teardown(() => stopProcess(second, 'SIGKILL'))
  t.match(second.output(), /orphaned embedded PostgreSQL/)
  t.same(await keyNames(second.url), ['committed before the crash'])
  t.notOk(alive(orphan!), 'the orphan was shut down')
  t.equal(await stopProcess(second), 0)
})

t.test('an embedded PostgreSQL that dies under a running service is started again; data survives', async (t) => {
  const dataDir = tempDataDir()
  const service = await startServiceProcess(await env(dataDir))
  t.teardown(() => stopProcess(service, 'SIGKILL'))
  await createKey(service.url, 'committed before the kill')
  const killed = postmasterPid(dataDir)!
  const killedAt = Date.now()
  process.kill(killed, 'SIGKILL')
  let red = 0
  for (const until = Date.now() + 5_000; red === 0 && Date.now() < until; ) {
    const status = await fetch(`${service.url}/health/ready`).then((r) => r.status, () => 0)
    if (status === 503) red = status
    else await new Promise((r) => setTimeout(r, 20))
  }
  t.equal(red, 503, 'not ready while the database is gone')

  t.equal(await readyStatus(service.url, 30_000), 200, 'ready again without restarting the service')
  const restarts = service.output().match(/did not start again/g)?.length ?? 0
  t.comment(`ready again ${Date.now() - killedAt} ms after the kill, after ${restarts} failed start(s)`)
  const again = postmasterPid(dataDir)
  t.ok(again && again !== killed && alive(again), `a new postmaster runs (${killed} -> ${again})`)
  t.match(service.output(), /embedded PostgreSQL exited unexpectedly; starting it again/)
  t.same(await keyNames(service.url), ['committed before the kill'], 'committed data survived')
  await createKey(service.url, 'written after')
  t.equal(service.child.exitCode, null, 'the service never stopped')

  t.equal(await stopProcess(service, 'SIGTERM'), 0, 'and still shuts down cleanly')
  t.notOk(postmasterPid(dataDir), 'stopping the new postmaster with it')
})

t.test('after a power loss the stale postmaster.pid is cleared', async (t) => {
  const dataDir = tempDataDir()
  const e = await env(dataDir)
  const first = await startServiceProcess(e)
  await createKey(first.url, 'before power loss')
  await stopProcess(first, 'SIGTERM')
  // What a power loss leaves: a lock file naming a process that no longer exists, and ours.
  writeFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), `999999\n${path.join(dataDir, 'pg')}\n`)
  writeFileSync(path.join(dataDir, 'lanelist.pid'), '999998')
  const second = await startServiceProcess(e)
  t.teardown(() => stopProcess(second, 'SIGKILL'))
  t.match(second.output(), /stale postmaster.pid/)
  t.same(await keyNames(second.url), ['before power loss'])
  t.equal(await stopProcess(second), 0)
})

t.test('a second service on the same data folder is refused with a clear message', async (t) => {
  const dataDir = tempDataDir()
  const e = await env(dataDir)
  const first = await startServiceProcess(e)
  t.teardown(() => stopProcess(first, 'SIGKILL'))
  const second = await startServiceProcess(e)
  t.equal(await second.exited, 1)
  t.match(second.output(), /another lanelist process \(pid \d+\) is using/)
  t.equal((await fetch(`${first.url}/health/ready`)).status, 200, 'the first keeps running')
  await stopProcess(first)
})

t.test('bad configuration stops start-up naming the variable', async (t) => {
  const p = await startServiceProcess({ PORT: 'eighty', DATABASE_URL: 'mysql://nope' })
  t.equal(await p.exited, 78)
  t.match(p.output(), /PORT/)
  t.match(p.output(), /DATABASE_URL: must be a postgres/)
})

t.test('an unreachable DATABASE_URL stops start-up with the reason', async (t) => {
  const port = await freePort()
  const p = await startServiceProcess({ DATABASE_URL: `postgres://x:y@127.0.0.1:${port}/none` })
  t.equal(await p.exited, 1)
  t.match(p.output(), /could not start: .*(ECONNREFUSED|connect)/)
})
