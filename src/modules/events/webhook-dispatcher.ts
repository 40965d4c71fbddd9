// The delivery loop one instance runs (boot.ts starts it beside the job worker). It polls:
// fans new outbox events out to deliveries, claims due deliveries (SKIP LOCKED, so several
// instances share the work and each claimed delivery is tried by one of them), and sends each
// in its own promise with a timeout. A slow receiver holds at most a few of this instance's
// slots for at most the timeout; everything else keeps flowing.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { onWake } from './dispatcher-wake.ts'
import { deleteDeliveredEvents, fanOutPending } from './event-outbox.repository.ts'
import { claimDueDeliveries, markFailed, markSucceeded, type ClaimedDelivery } from './webhook-delivery.repository.ts'
import { DEFAULT_RETRY, nextRetryDelayMs, type RetryPolicy } from './webhook-retry.ts'
import { sendWebhook } from './webhook-sender.ts'

interface Log {
  debug(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

export interface DispatcherOptions {
  db: Kysely<DB>
  log: Log
  /** How often to look for work when nothing woke us. */
  pollMs?: number
  /** Per HTTP attempt; a receiver answering later has failed that attempt. */
  timeoutMs?: number
  maxInFlight?: number
  /** Attempts in flight per endpoint on this instance (roughly: a claim may overshoot by one batch). */
  perEndpoint?: number
  fanOutBatch?: number
  retry?: RetryPolicy
  /** Fully delivered events are deleted after this many days. */
  retentionDays?: number
}

export interface Dispatcher {
  wake(): void
  /** Stops polling and waits a few seconds at most for attempts in flight. */
  stop(): Promise<void>
}

const LEASE_MARGIN_MS = 30_000
const CLEANUP_EVERY_MS = 60 * 60 * 1000
const STOP_WAIT_MS = 3000

export function startDispatcher(opts: DispatcherOptions): Dispatcher {
  const { db, log } = opts
  const pollMs = opts.pollMs ?? 1000
  const timeoutMs = opts.timeoutMs ?? 10_000
  const maxInFlight = opts.maxInFlight ?? 16
  const perEndpoint = opts.perEndpoint ?? 4
  const fanOutBatch = opts.fanOutBatch ?? 500
  const retry = opts.retry ?? DEFAULT_RETRY
  const retentionMs = (opts.retentionDays ?? 7) * 24 * 60 * 60 * 1000

  const busy = new Map<number, number>()
  const attempts = new Set<Promise<void>>()
  let inFlight = 0
  let stopped = false
  let ticking: Promise<void> | undefined
  let again = false
  let timer: NodeJS.Timeout | undefined
  let lastCleanup = 0

  function schedule(ms: number) {
    if (stopped) return
    clearTimeout(timer)
    timer = setTimeout(() => void tick(), ms)
    timer.unref()
  }

  function wake() {
    if (ticking) again = true
    else schedule(0)
  }

  async function tick(): Promise<void> {
    if (stopped) return
    if (ticking) {
      again = true
      return
    }
    ticking = (async () => {
      try {
        do {
          again = false
          while (!stopped && (await fanOutPending(db, fanOutBatch)) === fanOutBatch) {
            // a full batch: more are waiting
          }
          if (!stopped) await claimAndStart()
        } while (again && !stopped)
        if (!stopped && Date.now() - lastCleanup > CLEANUP_EVERY_MS) {
          lastCleanup = Date.now()
          const before = new Date(Date.now() - retentionMs)
          while (!stopped && (await deleteDeliveredEvents(db, before, 5000)) === 5000) {
            // a full batch: more are old enough
          }
        }
      } catch (err) {
        // The database may be restarting; the next poll tries again.
        log.error({ err, component: 'webhooks' }, 'webhook dispatch pass failed')
      }
    })()
    await ticking
    ticking = undefined
    // A wake that arrived after the last pass's check still gets its pass now.
    schedule(again ? 0 : pollMs)
  }

  async function claimAndStart() {
    const free = maxInFlight - inFlight
    if (free <= 0) return
    const busyEndpoints = [...busy].filter(([, n]) => n >= perEndpoint).map(([id]) => id)
    const claimed = await claimDueDeliveries(db, { limit: free, perEndpoint, leaseMs: timeoutMs + LEASE_MARGIN_MS, busyEndpoints })
    for (const c of claimed) start(c)
  }

  function start(c: ClaimedDelivery) {
    inFlight++
    busy.set(c.endpoint_id, (busy.get(c.endpoint_id) ?? 0) + 1)
    const p: Promise<void> = attempt(c)
      .catch((err: unknown) => log.error({ err, component: 'webhooks', deliveryId: c.id }, 'could not record a webhook attempt'))
      .finally(() => {
        inFlight--
        const n = (busy.get(c.endpoint_id) ?? 1) - 1
        if (n > 0) busy.set(c.endpoint_id, n)
        else busy.delete(c.endpoint_id)
        attempts.delete(p)
        if (!stopped) wake()
      })
    attempts.add(p)
  }

  async function attempt(c: ClaimedDelivery) {
    const event = { id: c.event_id, type: c.type, createdAt: c.event_created_at.toISOString(), data: c.payload }
    const result = await sendWebhook({ url: c.url, secret: c.secret }, event, { attempt: c.attempts, timeoutMs })
    const fields = { component: 'webhooks', deliveryId: c.id, endpointId: c.endpoint_id, eventId: c.event_id, attempt: c.attempts, statusCode: result.statusCode, ms: result.durationMs }
    if (result.ok) {
      await markSucceeded(db, c.id, c.attempts, result)
      log.debug(fields, 'webhook delivered')
      return
    }
    const retryIn = nextRetryDelayMs(c.attempts, retry)
    await markFailed(db, c.id, c.attempts, result, retryIn)
    if (retryIn === null) log.error({ ...fields, error: result.error }, 'webhook delivery is dead after its last attempt')
    else log.warn({ ...fields, error: result.error, retryInMs: retryIn }, 'webhook attempt failed; will retry')
  }

  const unsubscribe = onWake(wake)
  schedule(0)

  return {
    wake,
    async stop() {
      stopped = true
      unsubscribe()
      clearTimeout(timer)
      await ticking
      // Shutdown has a grace period to keep: an attempt still running after a few seconds is
      // left to its lease, and another instance (or this one after restart) sends it again.
      let wait: NodeJS.Timeout | undefined
      await Promise.race([Promise.allSettled([...attempts]), new Promise((r) => (wait = setTimeout(r, Math.min(timeoutMs, STOP_WAIT_MS))))])
      clearTimeout(wait)
    },
  }
}
