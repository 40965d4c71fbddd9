import { monitorEventLoopDelay } from 'node:perf_hooks'
import { getHeapStatistics } from 'node:v8'
import underPressure, { type FastifyUnderPressureOptions } from '@fastify/under-pressure'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type pg from 'pg'
import { problem, type Problem } from './problem.ts'

export interface OverloadOptions {
  pool: pg.Pool
  /** Requests being handled at once; past it new ones are refused. 0 = no cap. */
  maxInFlight: number
  /** Queries queued for a pool connection; past it new requests are refused. 0 = no cap. */
  maxDbWaiting: number
  /** Mean event-loop delay over the last sample; 0 = not checked. */
  maxEventLoopDelayMs: number
  /** Heap in use; 0 = 90 % of V8's heap limit. */
  maxHeapMb: number
  /** How often under-pressure samples the event loop and the heap. */
  sampleIntervalMs?: number
}

// Probes and scrapes must keep answering while the service sheds: a liveness probe failing
// under load would get a busy (healthy) process restarted, and /metrics is how ops sees it.
const EXEMPT = new Set(['/health/live', '/health/ready', '/metrics'])

const RETRY_AFTER_SECONDS = '1'

function exempt(request: FastifyRequest): boolean {
  return EXEMPT.has(request.routeOptions.url ?? '')
}

let lastWarning = 0

/** Sets the status and headers of a 503 and returns its body; the caller sends it. */
function shedding(reply: FastifyReply, detail: string): Problem {
  // One warning a second at most: logging every refused request would add to the overload.
  if (Date.now() - lastWarning > 1000) {
    lastWarning = Date.now()
    reply.log.warn({ detail }, 'shedding load')
  }
  reply.code(503).type('application/problem+json').header('retry-after', RETRY_AFTER_SECONDS)
  return { ...problem('overloaded', detail), instance: reply.request.url.split('?')[0] }
}

// under-pressure sends a non-null result as the response and stops the request there (its
// typings say void); null lets the request through.
function pressureHandler(request: FastifyRequest, reply: FastifyReply, type: string, value: number | undefined): Problem | null {
  if (exempt(request)) return null
  const what = type === 'eventLoopDelay' ? `event loop delay ${Math.round(value ?? 0)} ms` : `${type} ${Math.round(value ?? 0)}`
  return shedding(reply, `the service is past its capacity (${what}); retry shortly`)
}

/**
 * Load shedding: past capacity a request is answered 503 at once (a few microseconds) instead
 * of joining a queue whose wait grows without bound and outlasts the POS timeout. The lane
 * then retries after Retry-After or falls back to its offline mode, which lanelist supports.
 */
export default fp<OverloadOptions>(
  async function overload(app: FastifyInstance, opts: OverloadOptions) {
    let inFlight = 0

    // Event-loop delay measured here, not by under-pressure: it reports Infinity (and sheds
    // everything) when a sample window recorded no tick, which happens on a busy shared
    // machine right after start. No tick recorded is no evidence of delay; a blocked loop
    // records its one long tick when it unblocks. That tick is averaged with the window's
    // others, though, and lands in the window before or after the sampler's own overdue run
    // (both timers fire when the loop unblocks), so a one-second stall could average out under
    // the limit and never shed. The sampler's own lateness is a delay sample that cannot be
    // averaged away: the loop was blocked at least that long.
    let loopDelayMs = 0
    const intervalMs = opts.sampleIntervalMs ?? 1000
    const histogram = monitorEventLoopDelay({ resolution: 10 })
    histogram.enable()
    let sampledAt = performance.now()
    const sampler = setInterval(() => {
      const now = performance.now()
      const late = Math.max(0, now - sampledAt - intervalMs)
      sampledAt = now
      const mean = histogram.mean / 1e6 - 10
      loopDelayMs = Math.max(late, Number.isFinite(mean) && histogram.count > 0 ? Math.max(0, mean) : 0)
      histogram.reset()
    }, intervalMs)
    sampler.unref()
    app.addHook('onClose', async () => {
      clearInterval(sampler)
      histogram.disable()
    })

    // First onRequest hook of the app (registered before auth): a shed request costs no key lookup.
    app.addHook('onRequest', (request, reply, done) => {
      if (exempt(request)) return done()
      if (opts.maxInFlight > 0 && inFlight >= opts.maxInFlight) {
        reply.send(shedding(reply, `more than ${opts.maxInFlight} requests in progress; retry shortly`))
        return
      }
      if (opts.maxEventLoopDelayMs > 0 && loopDelayMs > opts.maxEventLoopDelayMs) {
        reply.send(shedding(reply, `the service is past its capacity (event loop delay ${Math.round(loopDelayMs)} ms); retry shortly`))
        return
      }
      if (opts.maxDbWaiting > 0 && opts.pool.waitingCount >= opts.maxDbWaiting) {
        reply.send(shedding(reply, `more than ${opts.maxDbWaiting} queries waiting for the database; retry shortly`))
        return
      }
      inFlight++
      // 'close' fires exactly once per response, also when the client went away.
      reply.raw.once('close', () => {
        inFlight--
      })
      done()
    })

    const heapLimit = opts.maxHeapMb > 0 ? opts.maxHeapMb * 1024 * 1024 : Math.floor(getHeapStatistics().heap_size_limit * 0.9)
    await app.register(underPressure, {
      maxHeapUsedBytes: heapLimit,
      sampleInterval: intervalMs,
      pressureHandler: pressureHandler as unknown as FastifyUnderPressureOptions['pressureHandler'],
    })

    app.decorate('inFlightRequests', () => inFlight)
  },
  { name: 'overload', dependencies: ['problem'] },
)

declare module 'fastify' {
  interface FastifyInstance {
    inFlightRequests(): number
  }
}
