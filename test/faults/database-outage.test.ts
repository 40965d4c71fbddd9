// The database restarts (connections reset, new ones refused) and then becomes unreachable
// (a partition: connections hang) while 8 lanes redeem. A TCP proxy between the service and
// PostgreSQL plays the network. Every lane call is answered within the POS timeout, by a sale
// or a 503 problem+json with Retry-After; readiness goes red; the same process recovers.
import pino from 'pino'
import t from 'tap'
import { connectDatabase } from '../../src/db/database.ts'
import { loadDemoIfEmpty } from '../../src/demo/load-demo.ts'
import { createTestDatabase } from '../helpers/database.ts'
import { readyStatus, startServiceProcess, stopProcess, tempDataDir } from '../helpers/process.ts'
import { schedulingSlack } from '../helpers/scheduling.ts'
import { acknowledged, checkLedger, driveLanes, laneFixture, readDemoKeys, type Sent } from './lanes.ts'
import { startTcpProxy, type ProxyMode } from './tcp-proxy.ts'

const POS_TIMEOUT_MS = 2_000
const READY_CHECK_MS = 1_500

t.test('database restart and partition under load: fast 503s, readiness red, recovery without restart', async (t) => {
  const database = await createTestDatabase(t)
  const keysDir = tempDataDir('lanelist-outage-')
  const handle = connectDatabase(database.url, { max: 4 })
  await loadDemoIfEmpty(handle.db, { customers: 60, log: pino({ level: 'silent' }), dataDir: keysDir })
  await handle.close()
  const fx = await laneFixture(database.url, readDemoKeys(keysDir), 30)

  const target = new URL(database.url)
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) })
  t.teardown(() => proxy.close())
  const viaProxy = new URL(database.url)
  viaProxy.port = String(proxy.port)
  const service = await startServiceProcess({ DATABASE_URL: viaProxy.toString(), LANELIST_DEMO: '0', LANELIST_LOG_LEVEL: 'warn' })
  t.teardown(() => stopProcess(service, 'SIGKILL'))
  await readyStatus(service.url, 10_000)

  const phases: { mode: ProxyMode; ms: number }[] = [
    { mode: 'up', ms: 1_500 },
    { mode: 'down', ms: 3_000 },
    { mode: 'up', ms: 3_000 },
    // Longer than any correct answer may take, so a missing deadline (calls waiting for the
    // heal) stands apart from a slow machine's scheduling.
    { mode: 'blackhole', ms: 6_000 },
    { mode: 'up', ms: 4_000 },
  ]
  let phase = 0
  let finished = false
  const phaseOf = new Map<Sent, number>()
  const readiness: { phase: number; status: number; ms: number }[] = []
  const lanes = driveLanes({
    baseUrl: () => service.url,
    fixture: fx,
    lanes: 8,
    tag: 'outage',
    // Longer than the POS would wait, to see how long the service really takes.
    timeoutMs: 10_000,
    pauseMs: 20,
    stop: (sent) => {
      for (const s of sent) if (!phaseOf.has(s)) phaseOf.set(s, phase)
      return finished
    },
  })
  const probe = (async () => {
    while (!finished) {
      const started = performance.now()
      const status = await fetch(`${service.url}/health/ready`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.status, () => 0)
      readiness.push({ phase, status, ms: performance.now() - started })
      await new Promise((r) => setTimeout(r, 200))
    }
  })()
  for (const [i, p] of phases.entries()) {
    phase = i
    proxy.set(p.mode)
    await new Promise((r) => setTimeout(r, p.ms))
  }
  finished = true
  const sent = await lanes
  await probe

  t.equal(service.child.exitCode, null, 'the service process never stopped')
  if (service.child.exitCode !== null) t.comment(service.output().split('\n').slice(-15).join('\n'))
  const answered = sent.filter((s) => s.status !== 0)
  t.equal(answered.length, sent.length, 'every lane call was answered (no hang, no dropped connection)')
  const other = sent.filter((s) => !acknowledged(s) && s.status !== 503)
  t.same(other.map((s) => `${s.status} ${JSON.stringify(s.response)}`), [], 'every failure is a 503')
  const failures = sent.filter((s) => s.status === 503)
  t.ok(failures.length > 0, `${failures.length} calls answered 503 during the outages`)
  t.ok(
    failures.every((s) => typeof s.response === 'object' && (s.response as { status?: number }).status === 503),
    'the 503s are problem+json',
  )
  const slowest = Math.max(...sent.map((s) => s.ms))
  const slow = [...sent].sort((a, b) => b.ms - a.ms).slice(0, 5)
  t.comment(`slowest: ${slow.map((s) => `${s.ms.toFixed(0)} ms ${s.status} in phase ${phaseOf.get(s)} (${phases[phaseOf.get(s) ?? 0]!.mode})`).join('; ')}`)
  const restart = sent.filter((s) => (phaseOf.get(s) ?? 0) <= 2)
  const slowestRestart = Math.max(...restart.map((s) => s.ms))
  // The deadline is 1.8 s. On top of it, scheduling slack: a second, up to three on a machine
  // loaded past its cores (2.7 s seen at load average 21 on 2 cores). The figures are printed
  // either way.
  const { ms: slackMs, says } = schedulingSlack(1_000)
  t.comment(says)
  t.ok(slowestRestart < POS_TIMEOUT_MS + slackMs, `through the restart the slowest lane answer took ${slowestRestart.toFixed(0)} ms (POS timeout ${POS_TIMEOUT_MS} ms)`)
  // Before the deadline had its own timer (plugins/deadline.ts) the first call of each lane into
  // the partition waited for the heal: the partition's 6 s. Same slack as the restart.
  t.ok(slowest < POS_TIMEOUT_MS + slackMs, `through the partition the slowest lane answer took ${slowest.toFixed(0)} ms (POS timeout ${POS_TIMEOUT_MS} ms)`)

  for (const outage of [1, 3]) {
    const red = readiness.filter((r) => r.phase === outage && r.status === 503)
    t.ok(red.length > 0, `readiness went red during phase ${outage} (${phases[outage]!.mode})`)
  }
  // The readiness query gives up after 1.5 s (health.service.ts); same slack as the lanes.
  const slowestProbe = Math.max(...readiness.map((r) => r.ms))
  t.ok(slowestProbe < READY_CHECK_MS + slackMs, `readiness always answered within ${slowestProbe.toFixed(0)} ms (its check gives up at ${READY_CHECK_MS} ms)`)
  for (const healed of [2, 4]) {
    const ok = sent.filter((s) => phaseOf.get(s) === healed && acknowledged(s))
    t.ok(ok.length > 0, `sales went through again after phase ${healed - 1} healed (${ok.length} acknowledged)`)
  }
  t.equal(readiness.at(-1)?.status, 200, 'ready again at the end')

  const ledger = await checkLedger(database.url, sent)
  t.same(ledger.problems, [], 'acknowledged sales present once and whole, nothing half-written')
  t.comment(`calls ${sent.length}: acknowledged ${ledger.acknowledged}, 503 ${failures.length} (of which committed anyway: ${ledger.unacknowledgedButCommitted}), slowest ${slowest.toFixed(0)} ms`)
})
