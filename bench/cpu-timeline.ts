// CPU over time, for `bench/import.bench.ts --timeline`: which of Node's main thread, Node's
// other threads (GC, libuv) and each PostgreSQL process were busy in each slice of an import,
// and how busy the whole machine was. Sampled from /proc on a worker thread, so a busy main
// thread does not delay the samples.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { parentPort, Worker, workerData } from 'node:worker_threads'

interface Sample {
  t: number
  /** Ticks (1/100 s) by process or thread label. */
  ticks: Map<string, number>
  /** Whole machine: busy and total ticks over all cores (/proc/stat). */
  machineBusy: number
  machineTotal: number
}

function field(stat: string, n: number): string {
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3]!
}

function sample(nodePid: number, postmaster: number, self: string): Sample {
  const ticks = new Map<string, number>()
  const utime = (stat: string) => Number(field(stat, 14)) + Number(field(stat, 15))
  for (const tid of readdirSync(`/proc/${nodePid}/task`)) {
    try {
      if (tid === self) continue
      const stat = readFileSync(`/proc/${nodePid}/task/${tid}/stat`, 'utf8')
      // Node 20's other threads (V8's GC and compiler helpers, libuv's pool) all say "node" in comm.
      const label = Number(tid) === nodePid ? 'node' : 'node-other'
      ticks.set(label, (ticks.get(label) ?? 0) + utime(stat))
    } catch {
      // thread gone
    }
  }
  for (const pid of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(pid)) continue
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      if (Number(field(stat, 4)) === postmaster) ticks.set(`pg${pid}`, utime(stat))
    } catch {
      // gone
    }
  }
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number)
  const total = cpu.reduce((a, b) => a + b, 0)
  const idle = cpu[3]! + cpu[4]!
  return { t: performance.timeOrigin + performance.now(), ticks, machineBusy: total - idle, machineTotal: total }
}

function run(): void {
  const { nodePid, postmaster, everyMs, cores } = workerData as { nodePid: number; postmaster: number; everyMs: number; cores: number }
  const samples: Sample[] = []
  // This thread's own reading of /proc is left out.
  const self = readlinkSync('/proc/thread-self').split('/').pop()!
  const timer = setInterval(() => samples.push(sample(nodePid, postmaster, self)), everyMs)
  samples.push(sample(nodePid, postmaster, self))
  parentPort!.once('message', () => {
    clearInterval(timer)
    samples.push(sample(nodePid, postmaster, self))
    parentPort!.postMessage(report(samples, cores))
  })
}

/** One line per slice: seconds, machine busy (100% a core), Node main, Node other, PostgreSQL processes busiest first. */
function report(samples: Sample[], cores: number): string {
  const lines: string[] = []
  const t0 = samples[0]!.t
  const totals = new Map<string, number>()
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!
    const b = samples[i]!
    const ms = b.t - a.t
    const pct = (ticks: number) => Math.round((ticks * 10 * 100) / ms)
    const per: [string, number][] = []
    for (const [label, v] of b.ticks) {
      const d = v - (a.ticks.get(label) ?? (label.startsWith('pg') ? 0 : v))
      totals.set(label, (totals.get(label) ?? 0) + d)
      per.push([label, d])
    }
    const node = per.find(([l]) => l === 'node')?.[1] ?? 0
    const other = per.find(([l]) => l === 'node-other')?.[1] ?? 0
    const pg = per.filter(([l, d]) => l.startsWith('pg') && d > 0).sort((x, y) => y[1] - x[1])
    const pgSum = pg.reduce((s, [, d]) => s + d, 0)
    const machine = Math.round(((b.machineBusy - a.machineBusy) / Math.max(1, b.machineTotal - a.machineTotal)) * 100 * cores)
    lines.push(
      `${((b.t - t0) / 1000).toFixed(1).padStart(5)}s machine ${String(machine).padStart(3)}% node ${String(pct(node)).padStart(3)}% other ${String(pct(other)).padStart(3)}% pg ${String(pct(pgSum)).padStart(3)}% [${pg.map(([l, d]) => `${l.slice(2)}:${pct(d)}`).join(' ')}]`,
    )
  }
  const sum = [...totals].filter(([, v]) => v > 0).sort((x, y) => y[1] - x[1])
  lines.push(`CPU seconds: ${sum.map(([l, v]) => `${l} ${(v / 100).toFixed(2)}`).join(', ')}`)
  return lines.join('\n')
}

/** Starts sampling; the function returned stops and gives the timeline as text. */
export function startCpuTimeline(postmaster: number, everyMs = 100): () => Promise<string> {
  // Plain JavaScript, evaluated: a worker does not get the TypeScript loader of its parent (Node 20).
  // tsx's output names arrow functions through a helper it defines per module: defined here too.
  const code = `const __name = (f) => f;
const { readdirSync, readFileSync, readlinkSync } = require('node:fs');
const { parentPort, workerData } = require('node:worker_threads');
const field = ${field.toString()};
const sample = ${sample.toString()};
const report = ${report.toString()};
(${run.toString()})();`
  const worker = new Worker(code, { eval: true, workerData: { nodePid: process.pid, postmaster, everyMs, cores: availableParallelism() } })
  return async () => {
    const text = new Promise<string>((resolve) => worker.once('message', resolve))
    worker.postMessage('stop')
    const out = await text
    await worker.terminate()
    return out
  }
}
