// The service on its embedded PostgreSQL as an operator meets it: start, graceful restart,
// shutdown, and the start-up refusals. Recovery from crashes is embedded-recovery.test.ts.
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import pino from 'pino'
import t from 'tap'
import { startService } from '../../src/boot.ts'
import { loadConfig } from '../../src/config.ts'
import { EMBEDDED_MALLOC_TUNABLES } from '../../src/db/embedded.ts'
import { createKey, embeddedEnv as env, keyNames, postmasterPid } from '../helpers/embedded-service.ts'
import { freePort } from '../helpers/test-server.ts'
import { startServiceProcess, stopProcess, tempDataDir } from '../helpers/process.ts'

/** A variable of the embedded postmaster's environment (which its backends inherit), undefined if unset. */
function postgresEnv(dataDir: string, name: string): string | undefined {
  const pid = postmasterPid(dataDir)
  if (pid === undefined) return undefined
  const entry = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').find((kv) => kv.startsWith(`${name}=`))
  return entry?.slice(name.length + 1)
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

t.test('a second service on the same data folder is refused with a clear message', async (t) => {
  const dataDir = tempDataDir()
  const e = await env(dataDir)
  const first = await startServiceProcess(e)
  t.teardown(() => stopProcess(first, 'SIGKILL'))
  t.match(first.output(), /lanelist listening on/, 'the first started')
  const second = await startServiceProcess(e)
  t.teardown(() => stopProcess(second, 'SIGKILL'))
  // Bounded: a second service that is not refused runs on, and the test must say so, not hang.
  const code = await Promise.race([second.exited, new Promise((r) => setTimeout(() => r('still running'), 60_000).unref())])
  t.equal(code, 1, second.output())
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
