// Loaded into the service by bench:redeem with BENCH_TRACE=DIR (--import): records, with wall
// clock times, the service's garbage-collection pauses, event-loop stalls and the lanes' write
// statements (a diagnostics channel of redemption-coalescer.ts), so the bench can
// lay them beside the slow sales of a fixed-rate phase. Not part of the service.
import { subscribe } from 'node:diagnostics_channel'
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { PerformanceObserver, performance } from 'node:perf_hooks'

const dir = process.env.BENCH_TRACE!
const origin = performance.timeOrigin
const gc: [number, number, number][] = []
const stalls: [number, number][] = []
// The lanes' write statements (redemption-coalescer.ts): start, duration, sales in it.
const writes: [number, number, number][] = []
subscribe('lanelist:redemption-write-statement', (m) => {
  const { started, ms, sales } = m as { started: number; ms: number; sales: number }
  writes.push([origin + started, ms, sales])
})
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gc.push([origin + e.startTime, e.duration, ((e as { detail?: { kind?: number } }).detail)?.kind ?? 0])
}).observe({ entryTypes: ['gc'] })
// A 2 ms timer; a gap of more than 7 ms between its runs is a stall of the event loop.
let last = performance.now()
setInterval(() => {
  const now = performance.now()
  if (now - last > 7) stalls.push([origin + last, now - last])
  last = now
}, 2).unref()
// BENCH_ALLOC=1 as well: where the service allocates, collected objects included (the sampling
// heap profiler keeps only live ones by default), one sample per 64 kB, for bench/alloc-report.ts.
const alloc = process.env.BENCH_ALLOC ? new Session() : null
if (alloc) {
  alloc.connect()
  alloc.post('HeapProfiler.startSampling', { samplingInterval: 65_536, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
}
process.on('exit', () => {
  writeFileSync(`${dir}/service-${process.pid}.json`, JSON.stringify({ gc, stalls, writes }))
  // An in-process inspector session answers synchronously, so this runs before the exit.
  alloc?.post('HeapProfiler.stopSampling', (err, r) => {
    if (!err) writeFileSync(`${dir}/alloc-${process.pid}.heapprofile`, JSON.stringify(r.profile))
  })
})
