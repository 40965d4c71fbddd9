// An open-loop load generator: requests leave on a schedule fixed in advance (a fixed offered
// rate), whatever the answers to earlier ones, as independent checkout lanes post their sales.
// autocannon cannot do this (9.0, lib/httpClient.js and run.js): its rate limit lets each
// connection send back-to-back until that second's quota is used (bursts at each second's
// start), a connection still waits for its answer before sending again, and its
// coordinated-omission correction passes Math.ceil(1 / rate), 1 ms whatever the rate, as the
// expected interval, adding a made-up sample for every millisecond of every answer. So its
// percentiles under a rate are neither the measured ones nor a sound correction of them.
//
// Here every request's latency runs from the moment it was SCHEDULED to leave, not the moment
// it left, so any delay in sending it (the generator's own timer or event-loop lag, or no free
// connection) counts against the service rather than disappearing (coordinated omission). How
// often sending fell behind is counted and printed beside the figures.
import { connect, type Socket } from 'node:net'
import { performance } from 'node:perf_hooks'
import { quantileOfSorted } from './support.ts'

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
  /** Keep every request's due time (wall clock ms), send lag and latency (BENCH_TRACE). */
  trace?: boolean
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
  /** With `trace`: [due (wall clock ms), sent after due (ms), latency (ms) or -1, status]. */
  samples?: [number, number, number, number][]
}

/**
 * One keep-alive HTTP/1.1 connection, one request at a time. Hand-rolled on a socket because the
 * generator shares the machine's two cores with the service and PostgreSQL: node:http's client
 * cost about 0.3 ms of CPU per request here, which would be queued in front of the very
 * latencies being measured. It reads the status line and content-length, nothing else.
 */
class Connection {
  private socket: Socket
  private buf: Buffer = Buffer.alloc(0)
  private onDone: ((status: number | null) => void) | null = null
  closed = false

  constructor(host: string, port: number) {
    this.socket = connect({ host, port, noDelay: true })
    this.socket.on('data', (chunk: Buffer) => this.read(chunk))
    const fail = () => {
      this.closed = true
      this.finish(null)
    }
    this.socket.on('error', fail)
    this.socket.on('close', fail)
    this.socket.on('timeout', () => {
      if (this.onDone) this.socket.destroy()
    })
  }

  send(raw: string, timeoutMs: number, done: (status: number | null) => void): void {
    this.onDone = done
    this.socket.setTimeout(timeoutMs)
    this.socket.write(raw)
  }

  close(): void {
    this.socket.destroy()
  }

  private finish(status: number | null): void {
    const done = this.onDone
    this.onDone = null
    this.buf = Buffer.alloc(0)
    this.socket.setTimeout(0)
    done?.(status)
  }

  private read(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    const head = this.buf.indexOf('\r\n\r\n')
    if (head < 0) return
    const text = this.buf.toString('latin1', 0, head)
    const status = Number(text.slice(9, 12))
    const length = /\r\ncontent-length: *(\d+)/i.exec(text)
    // Every answer of the service has a length (JSON bodies, problem+json); without one, give up
    // on the connection rather than guess where the answer ends.
    if (!length) {
      this.closed = true
      this.socket.destroy()
      return this.finish(null)
    }
    if (this.buf.length < head + 4 + Number(length[1])) return
    this.finish(status)
  }
}

export async function openLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const url = new URL(o.base)
  const host = url.hostname
  const port = Number(url.port)
  const timeoutMs = o.timeoutMs ?? 10_000
  const idle: Connection[] = []
  const all: Connection[] = []
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
  const samples: [number, number, number, number][] | undefined = o.trace ? [] : undefined

  const send = (due: number) => {
    const { headers, body } = o.next()
    let raw = `POST ${o.path} HTTP/1.1\r\nhost: ${url.host}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n`
    for (const [k, v] of Object.entries(headers)) raw += `${k}: ${v}\r\n`
    raw += `\r\n${body}`
    inFlight++
    peakInFlight = Math.max(peakInFlight, inFlight)
    let conn = idle.pop()
    while (conn?.closed) conn = idle.pop()
    if (!conn) {
      conn = new Connection(host, port)
      all.push(conn)
    }
    const c = conn
    const lag = performance.now() - due
    if (lag > 2) late2ms++
    if (lag > 10) late10ms++
    return new Promise<void>((resolve) => {
      c.send(raw, timeoutMs, (status) => {
        inFlight--
        if (status === null) failed++
        else {
          statuses.set(status, (statuses.get(status) ?? 0) + 1)
          latencies.push(performance.now() - due)
        }
        samples?.push([performance.timeOrigin + due, lag, status === null ? -1 : performance.now() - due, status ?? 0])
        if (!c.closed) idle.push(c)
        waiting.shift()?.()
        resolve()
      })
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
  for (const c of all) c.close()

  const sorted = Float64Array.from(latencies).sort()
  const ok = [...statuses].filter(([s]) => s >= 200 && s < 300).reduce((a, [, n]) => a + n, 0)
  const r1 = (x: number) => Math.round(x * 10) / 10
  return {
    scheduled,
    ok,
    statuses,
    failed,
    answeredPerSecond: latencies.length / o.seconds,
    latency: { p50: r1(quantileOfSorted(sorted, 0.5)), p90: r1(quantileOfSorted(sorted, 0.9)), p99: r1(quantileOfSorted(sorted, 0.99)), p99_9: r1(quantileOfSorted(sorted, 0.999)), max: r1(sorted[sorted.length - 1] ?? NaN) },
    late2ms,
    late10ms,
    heldBack,
    peakInFlight,
    samples,
  }
}
