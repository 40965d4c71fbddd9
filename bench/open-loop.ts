// An open-loop load generator: requests leave on a schedule fixed in advance (a fixed offered
// rate), whatever the answers to earlier ones, as independent checkout lanes post their sales.
// autocannon cannot do this: its rate limit lets each connection send back-to-back until that
// second's quota is used (bursts at each second's start), a connection still waits for its
// answer before sending again, and its coordinated-omission correction takes 1/rate in seconds
// as an interval in milliseconds. So a slow answer there delays the requests behind it and the
// wait is never measured.
//
// Here every request's latency runs from the moment it was SCHEDULED to leave, not the moment
// it left, so any delay in sending it (the generator's own timer or event-loop lag, or no free
// connection) counts against the service rather than disappearing (coordinated omission). How
// often sending fell behind is counted and printed beside the figures.
import { Agent, request } from 'node:http'
import { performance } from 'node:perf_hooks'

export interface OpenLoopOptions {
  /** e.g. http://127.0.0.1:3000 */
  base: string
  path: string
  /** Offered requests per second. */
  rate: number
  seconds: number
  /** Most connections open at once: enough that the rate is never held back by answers awaited. */
  connections: number
  /** 'poisson': exponential gaps, as many independent lanes give; 'uniform': evenly spaced. */
  arrivals: 'poisson' | 'uniform'
  /** A request's headers and body, built when it is sent. */
  next: () => { headers: Record<string, string>; body: string }
  /** An answer later than this counts as an error (the POS would have given up). */
  timeoutMs?: number
}

export interface OpenLoopResult {
  scheduled: number
  /** Answered 2xx. */
  ok: number
  statuses: Map<number, number>
  /** Connection errors and timeouts (no status). */
  failed: number
  /** Answers (any status) per second of the sending window. */
  answeredPerSecond: number
  /** Latency from the scheduled send time, ms, over every answered request. */
  latency: { p50: number; p90: number; p99: number; p99_9: number; max: number }
  /** Requests that left more than 2 ms / 10 ms after their scheduled time. */
  late2ms: number
  late10ms: number
  /** Requests due while every allowed connection was awaiting an answer (then sent as one freed). */
  heldBack: number
  /** The most requests awaiting an answer at once. */
  peakInFlight: number
}

const quantile = (sorted: Float64Array, p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN

export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const url = new URL(o.base)
  const agent = new Agent({ keepAlive: true, maxSockets: o.connections })
  const timeoutMs = o.timeoutMs ?? 10_000
  const latencies: number[] = []
  const statuses = new Map<number, number>()
  let failed = 0
  let late2ms = 0
  let late10ms = 0
  let heldBack = 0
  let inFlight = 0
  let peakInFlight = 0
  let scheduled = 0
  const waiting: Array<() => void> = []

  const send = (due: number) => {
    const { headers, body } = o.next()
    inFlight++
    peakInFlight = Math.max(peakInFlight, inFlight)
    return new Promise<void>((resolve) => {
      let settled = false
      const done = (status: number | null) => {
        if (settled) return
        settled = true
        inFlight--
        if (status === null) failed++
        else {
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
          latencies.push(performance.now() - due)
        }
        waiting.shift()?.()
        resolve()
      }
      const lag = performance.now() - due
      if (lag > 2) late2ms++
      if (lag > 10) late10ms++
      const req = request(
        { host: url.hostname, port: url.port, path: o.path, method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } },
        (res) => {
          res.resume()
          res.on('end', () => done(res.statusCode ?? 0))
          res.on('error', () => done(null))
        },
      )
      req.setTimeout(timeoutMs, () => req.destroy(new Error('timeout')))
      req.on('error', () => done(null))
      req.end(body)
    })
  }

  const start = performance.now() + 5
  const end = start + o.seconds * 1000
  const pending: Promise<void>[] = []
  let due = start
  await new Promise<void>((finished) => {
    const tick = () => {
      const now = performance.now()
      while (due <= now && due < end) {
        scheduled++
        const at = due
        if (inFlight >= o.connections) {
          // Sent as soon as a connection frees; its latency still runs from `at`.
          heldBack++
          pending.push(new Promise<void>((r) => waiting.push(() => void send(at).then(r))))
        } else pending.push(send(at))
        due += o.arrivals === 'poisson' ? (-Math.log(1 - Math.random()) * 1000) / o.rate : 1000 / o.rate
      }
      if (due >= end) return finished()
      setTimeout(tick, Math.max(0, due - performance.now()))
    }
    setTimeout(tick, Math.max(0, start - performance.now()))
  })
  await Promise.all(pending)
  agent.destroy()

  const sorted = Float64Array.from(latencies).sort()
  const ok = [...statuses].filter(([s]) => s >= 200 && s < 300).reduce((a, [, n]) => a + n, 0)
  const r1 = (x: number) => Math.round(x * 10) / 10
  return {
    scheduled,
    ok,
    statuses,
    failed,
    answeredPerSecond: latencies.length / o.seconds,
    latency: { p50: r1(quantile(sorted, 0.5)), p90: r1(quantile(sorted, 0.9)), p99: r1(quantile(sorted, 0.99)), p99_9: r1(quantile(sorted, 0.999)), max: r1(sorted[sorted.length - 1] ?? NaN) },
    late2ms,
    late10ms,
    heldBack,
    peakInFlight,
  }
}
