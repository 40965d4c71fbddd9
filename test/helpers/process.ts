import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import t from 'tap'
import { freePort, ROOT } from './test-server.ts'

export interface ServiceProcess {
  child: ChildProcess
  url: string
  output: () => string
  exited: Promise<number | null>
}

/**
 * A temporary folder removed when the test file ends: a service's embedded cluster (tens of
 * megabytes), its demo API keys, a test's migration files. A CI machine runs the suite again and
 * again. The file's root teardowns run last registered first, after every subtest's, so whatever
 * stops the cluster runs before this.
 */
export function tempDataDir(prefix = 'lanelist-test-'): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true, maxRetries: 3 }))
  return dir
}

/** Starts `node --import tsx src/server.ts` like `npm start` does, and waits for it to listen (or exit). */
export async function startServiceProcess(env: Record<string, string>, opts: { timeoutMs?: number } = {}): Promise<ServiceProcess> {
  const port = env.PORT ?? String(await freePort())
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', PORT: port, LANELIST_LOG_LEVEL: 'info',
      // These services are checked for what they record, not for shedding load (test/security/overload.test.ts
      // does that): on a busy CI machine the event-loop guard would answer their lanes 503.
      LANELIST_MAX_EVENT_LOOP_DELAY_MS: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d) => (out += String(d)))
  child.stderr!.on('data', (d) => (out += String(d)))
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000)
  let done = false
  void exited.then(() => (done = true))
  while (!done && Date.now() < deadline) {
    if (/lanelist listening on/.test(out)) break
    await new Promise((r) => setTimeout(r, 50))
  }
  return { child, url, output: () => out, exited }
}

export async function stopProcess(p: ServiceProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal)
  return p.exited
}

/**
 * /health/ready's status once it is `want` (200: ready), or the last one after `ms`: what an
 * orchestrator's probe with retries sees. A just-started instance on a busy machine can miss the
 * check's 1.5 s bound.
 */
export async function readyStatus(url: string, ms = 20_000, want = 200): Promise<number> {
  const deadline = Date.now() + ms
  for (;;) {
    const status = await fetch(`${url}/health/ready`).then((r) => r.status, () => 0)
    if (status === want || Date.now() > deadline) return status
    await new Promise((r) => setTimeout(r, 250))
  }
}
