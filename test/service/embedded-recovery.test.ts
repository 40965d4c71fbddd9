// What a hard stop leaves behind, and lanelist getting its embedded PostgreSQL back without a
// human: an orphaned postmaster after kill -9, a postmaster that dies under a running
// service, a stale postmaster.pid after a power loss. Committed data survives each.
import { readFileSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'
import t from 'tap'
import { alive, createKey, embeddedEnv as env, keyNames, postmasterPid } from '../helpers/embedded-service.ts'
import { readyStatus, startServiceProcess, stopProcess, tempDataDir } from '../helpers/process.ts'

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
  t.equal(await readyStatus(service.url, 5_000, 503), 503, 'not ready while the database is gone')

  t.equal(await readyStatus(service.url, 30_000), 200, 'ready again without restarting the service')
  const restarts = service.output().match(/did not start again/g)?.length ?? 0
  t.comment(`ready again ${Date.now() - killedAt} ms after the kill, after ${restarts} failed start(s)`)
  const again = postmasterPid(dataDir)
  t.ok(again && again !== killed && alive(again), `a new postmaster runs (${killed} -> ${again})`)
  t.match(service.output(), /embedded PostgreSQL exited unexpectedly; starting it again/)
  t.same(await keyNames(service.url), ['committed before the kill'], 'committed data survived')
  await createKey(service.url, 'written after')
  t.equal(service.child.exitCode, null, 'the service never stopped')
  const metrics = await (await fetch(`${service.url}/metrics`)).text()
  t.match(metrics, /^lanelist_embedded_postgres_restarts_total 1$/m, 'the restart is counted on /metrics')

  t.equal(await stopProcess(service, 'SIGTERM'), 0, 'and still shuts down cleanly')
  t.notOk(postmasterPid(dataDir), 'stopping the new postmaster with it')
})

// SIGTERM to a postmaster is PostgreSQL's smart shutdown: no new sessions, and it waits for every
// open one to end. The service's pool and its job worker's listener never end theirs, so the
// database stayed half-stopped (new connections refused) for as long as those lived.
t.test('an embedded PostgreSQL sent SIGTERM by someone else is restarted at once; data survives', async (t) => {
  const dataDir = tempDataDir()
  const e = await env(dataDir)
  const service = await startServiceProcess(e)
  t.teardown(() => stopProcess(service, 'SIGKILL'))
  await createKey(service.url, 'committed before the SIGTERM')
  // A session of its own that never ends (a report tool, psql left open): smart shutdown would wait for it.
  const { user, password } = JSON.parse(readFileSync(path.join(dataDir, 'credentials.json'), 'utf8')) as { user: string; password: string }
  const open = new pg.Client({ host: '127.0.0.1', port: Number(e.LANELIST_EMBEDDED_PG_PORT), user, password, database: 'lanelist' })
  open.on('error', () => {})
  await open.connect()
  t.teardown(() => open.end().catch(() => {}))
  const stopped = postmasterPid(dataDir)!
  const sentAt = Date.now()
  process.kill(stopped, 'SIGTERM')
  let again: number | undefined
  while (Date.now() - sentAt < 20_000) {
    again = postmasterPid(dataDir)
    if (again && again !== stopped && alive(again)) break
    await new Promise((r) => setTimeout(r, 100))
  }
  t.ok(again && again !== stopped && alive(again), `a new postmaster runs (${stopped} -> ${again}) ${Date.now() - sentAt} ms after the SIGTERM`)
  t.equal(await readyStatus(service.url, 30_000), 200, 'the service is ready again')
  t.match(service.output(), /smart shutdown/, 'and says what happened')
  t.same(await keyNames(service.url), ['committed before the SIGTERM'], 'committed data survived')
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
