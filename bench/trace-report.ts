// Reads what `BENCH_TRACE=DIR npm run bench:redeem` wrote and lays the slow sales of each
// fixed-rate phase beside what else happened at that moment: the service's GC pauses and
// event-loop stalls, the generator's own send lag, the bench's queue drain, PostgreSQL's
// checkpointer, WAL writer and autovacuum, the disk, and what the lanes' backends waited on.
//   node --import tsx bench/trace-report.ts DIR [slow-ms=30]
import { readdirSync, readFileSync } from 'node:fs'
import { pct } from './support.ts'

const dir = process.argv[2]!
const SLOW = Number(process.argv[3] ?? 30)
const WINDOW = 100
const services = readdirSync(dir).filter((f) => f.startsWith('service-')).map((f) => JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as { gc: [number, number, number][]; stalls: [number, number][]; writes?: [number, number, number][] })
const gc = services.flatMap((s) => s.gc)
const stalls = services.flatMap((s) => s.stalls)
const writes = services.flatMap((s) => s.writes ?? [])

interface Row { at: number; procs: Record<string, [number, number]>; machine?: number; service?: number; bench?: number; diskWriteSectors: number; diskIoMs: number; diskWeightedMs: number }
for (const f of readdirSync(dir).filter((f) => f.startsWith('phase-')).sort((a, b) => parseInt(a.slice(6)) - parseInt(b.slice(6)))) {
  const { samples, drains, processes, waits } = JSON.parse(readFileSync(`${dir}/${f}`, 'utf8')) as {
    samples: [number, number, number, number][]; drains: [number, number][]; processes: Row[]; waits: [number, string, number][]
  }
  samples.sort((a, b) => a[0] - b[0])
  const t0 = samples[0]![0]
  const t1 = samples.at(-1)![0]
  const n = Math.ceil((t1 - t0) / WINDOW) + 1
  const win = Array.from({ length: n }, () => ({ reqs: 0, slow: 0, maxLat: 0, lag: 0, gc: 0, gcMax: 0, stall: 0, write: 0, drain: 0, ckptW: 0, ckptCpu: 0, ioW: 0, busy: 0, other: 0, span: 0, walW: 0, walCpu: 0, av: 0, bgW: 0, diskIo: 0, diskQ: 0, sync: 0, lock: 0, samples: 0 }))
  const at = (t: number) => Math.floor((t - t0) / WINDOW)
  for (const [due, lag, lat] of samples) {
    const w = win[at(due)]!
    w.reqs++
    const l = lat < 0 ? 1e4 : lat
    if (l > SLOW) w.slow++
    w.maxLat = Math.max(w.maxLat, l)
    w.lag = Math.max(w.lag, lag)
  }
  // An interval [s, s+d) spread over the windows it covers.
  const spread = (s: number, d: number, f: (w: (typeof win)[0], part: number) => void) => {
    for (let i = Math.max(0, at(s)); i <= Math.min(n - 1, at(s + d)); i++) {
      const lo = Math.max(s, t0 + i * WINDOW)
      const hi = Math.min(s + d, t0 + (i + 1) * WINDOW)
      if (hi > lo || d === 0) f(win[i]!, hi - lo)
    }
  }
  for (const [s, d] of gc) spread(s, d, (w, p) => { w.gc += p; w.gcMax = Math.max(w.gcMax, d) })
  for (const [s, d] of stalls) spread(s, d, (w) => { w.stall = Math.max(w.stall, d) })
  for (const [s, d] of writes) spread(s, d, (w) => { w.write = Math.max(w.write, d) })
  for (const [s, d] of drains) spread(s, d, (w, p) => { w.drain += p })
  for (let k = 1; k < processes.length; k++) {
    const a = processes[k - 1]!
    const b = processes[k]!
    const d = (role: (r: string) => boolean, i: 0 | 1) =>
      Object.entries(b.procs).filter(([r]) => role(r)).reduce((sum, [r, v]) => sum + Math.max(0, v[i] - (a.procs[r]?.[i] ?? v[i])), 0)
    spread(a.at, b.at - a.at, (w, p) => {
      const share = p / (b.at - a.at)
      w.ckptW += share * d((r) => r.startsWith('checkpointer'), 1)
      w.ckptCpu += share * d((r) => r.startsWith('checkpointer'), 0)
      w.walW += share * d((r) => r.startsWith('walwriter'), 1)
      w.walCpu += share * d((r) => r.startsWith('walwriter'), 0)
      w.bgW += share * d((r) => r.startsWith('background writer'), 1)
      w.ioW += share * d((r) => r.startsWith('io worker'), 1)
      w.av += share * d((r) => r.startsWith('autovacuum worker'), 0)
      w.diskIo += share * (b.diskIoMs - a.diskIoMs)
      w.diskQ += share * (b.diskWeightedMs - a.diskWeightedMs)
      if (a.machine !== undefined && b.machine !== undefined) {
        // CPU seconds in the window: the machine's, and what neither the service, PostgreSQL nor the bench used.
        // Rough: /proc counts in 10 ms ticks, accounted in lumps on an idle-ticking kernel.
        const all = b.machine - a.machine
        const ours = (b.service! - a.service!) + (b.bench! - a.bench!) + d(() => true, 0)
        w.busy += share * all
        w.other += share * (all - ours)
        w.span += p / 1000
      }
    })
  }
  const vacuums = new Map<string, [number, number]>()
  for (const [t, what, c] of waits) {
    if (what.startsWith('autovacuum')) {
      const name = what.replace(/ \S+$/, '')
      const [first = t, last = t] = vacuums.get(name) ?? []
      vacuums.set(name, [Math.min(first, t), Math.max(last, t)])
      continue
    }
    const w = win[at(t)]
    if (!w) continue
    w.samples += c
    if (/WalSync|WALWrite|WalWrite/.test(what)) w.sync += c
    if (/Lock\//.test(what)) w.lock += c
  }

  const total = win.reduce((s, w) => s + w.reqs, 0)
  const slow = win.reduce((s, w) => s + w.slow, 0)
  console.log(`\n${f}: ${total} sales, ${slow} slower than ${SLOW} ms (${((100 * slow) / total).toFixed(2)}%), ${n} windows of ${WINDOW} ms`)
  const slowWins = win.filter((w) => w.slow > 0)
  console.log(`  slow sales fall in ${slowWins.length} windows; the worst 10% of those windows hold ${(100 * slowWins.sort((a, b) => b.slow - a.slow).slice(0, Math.ceil(slowWins.length / 10)).reduce((s, w) => s + w.slow, 0) / Math.max(1, slow)).toFixed(0)}% of them`)
  // For each indicator: the share of the phase's windows where it is on, and the share of slow sales due in them.
  const ind: [string, (w: (typeof win)[0]) => boolean][] = [
    ['machine > 90% busy (of 2 cores)', (w) => w.span > 0 && w.busy / w.span > 1.8],
    ['other processes > 0.3 cores', (w) => w.span > 0 && w.other / w.span > 0.3],
    ['service GC > 5 ms in window', (w) => w.gc > 5],
    ['service GC any', (w) => w.gc > 0],
    ['service event-loop stall > 15 ms', (w) => w.stall > 15],
    ['a write statement > 20 ms running', (w) => w.write > 20],
    ['generator sent > 5 ms late', (w) => w.lag > 5],
    ['bench drain running', (w) => w.drain > 0],
    ['checkpointer writing', (w) => w.ckptW > 0],
    ['checkpointer on CPU > 5 ms', (w) => w.ckptCpu > 0.005],
    ['background writer writing', (w) => w.bgW > 0],
    ['io workers writing > 1 MB', (w) => w.ioW > 1 << 20],
    ['autovacuum on CPU', (w) => w.av > 0],
    ['disk busy > 50% of window', (w) => w.diskIo > WINDOW / 2],
    ['disk queue > 1 (weighted)', (w) => w.diskQ > WINDOW],
    ['backends in WAL flush/write > 2 samples', (w) => w.sync > 2],
    ['backends on row locks', (w) => w.lock > 0],
  ]
  console.log(`  indicator: share of windows on -> share of slow sales in them (lift)`)
  for (const [name, on] of ind) {
    const ws = win.filter(on)
    const s = ws.reduce((a, w) => a + w.slow, 0)
    const shareW = ws.length / n
    const shareS = s / Math.max(1, slow)
    console.log(`    ${name.padEnd(42)} ${(100 * shareW).toFixed(1).padStart(5)}% -> ${(100 * shareS).toFixed(1).padStart(5)}%  (${shareW > 0 ? (shareS / shareW).toFixed(2) : '-'})`)
  }
  console.log(`  the 12 windows with most slow sales (s from start: slow/reqs, max latency, cores busy (of them other processes), gen lag, GC ms (max pause), stall, longest write statement, drain ms, ckpt kB, av cpu ms, disk io ms, WAL-wait samples/busy samples, lock samples)`)
  for (const [i, w] of win.map((w, i) => [i, w] as const).sort((a, b) => b[1].slow - a[1].slow || b[1].maxLat - a[1].maxLat).slice(0, 12)) {
    console.log(`    ${((i * WINDOW) / 1000).toFixed(1).padStart(5)}: ${w.slow}/${w.reqs}, ${w.maxLat.toFixed(0)} ms, cores ${w.span ? (w.busy / w.span).toFixed(1) : '-'} (others ${w.span ? (w.other / w.span).toFixed(1) : '-'}), lag ${w.lag.toFixed(1)}, gc ${w.gc.toFixed(1)} (${w.gcMax.toFixed(1)}), stall ${w.stall.toFixed(0)}, write ${w.write.toFixed(0)}, drain ${w.drain.toFixed(0)}, ckpt ${(w.ckptW / 1024).toFixed(0)}, av ${(w.av * 1000).toFixed(0)}, disk ${w.diskIo.toFixed(0)}, wal ${w.sync}/${w.samples}, lock ${w.lock}`)
  }
  for (const [name, [a, b]] of vacuums) console.log(`  ${name}: seen from ${((a - t0) / 1000).toFixed(1)} to ${((b - t0) / 1000).toFixed(1)} s`)
  const gcIn = gc.filter(([s]) => s >= t0 && s <= t1)
  console.log(`  service GC in phase: ${gcIn.length} pauses, ${gcIn.reduce((a, [, d]) => a + d, 0).toFixed(0)} ms in all, max ${Math.max(0, ...gcIn.map(([, d]) => d)).toFixed(1)} ms; kinds ${JSON.stringify(Object.fromEntries([1, 2, 4, 8, 16].map((k) => [k, gcIn.filter((g) => g[2] === k).length])))}`)
  const wrIn = writes.filter(([s]) => s >= t0 && s <= t1).map(([, d, n]) => [d, n] as const)
  if (wrIn.length) {
    const ds = wrIn.map(([d]) => d)
    const q = (p: number) => pct(ds, p).toFixed(1)
    const alone = wrIn.filter(([, n]) => n === 1).map(([d]) => d)
    console.log(`  write statements: ${wrIn.length} (${alone.length} of one sale), duration p50 ${q(0.5)}, p99 ${q(0.99)}, max ${q(1)} ms; > 20 ms: ${ds.filter((d) => d > 20).length}, > 50 ms: ${ds.filter((d) => d > 50).length}; one-sale statements p50 ${alone.length ? pct(alone, 0.5).toFixed(1) : '-'} ms`)
  }
  const stIn = stalls.filter(([s]) => s >= t0 && s <= t1)
  console.log(`  service event-loop stalls > 7 ms: ${stIn.length}, > 20 ms: ${stIn.filter(([, d]) => d > 20).length}, max ${Math.max(0, ...stIn.map(([, d]) => d)).toFixed(0)} ms`)
}
