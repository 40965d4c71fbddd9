// One HTTP attempt. Never inside a transaction; bounded by the timeout, so a receiver that
// hangs costs one delivery slot for at most timeoutMs.
import type { OutboxEvent } from './event.types.ts'
import { ATTEMPT_HEADER, EVENT_ID_HEADER, EVENT_TYPE_HEADER, SIGNATURE_HEADER, signatureHeader, TIMESTAMP_HEADER } from './webhook-signing.ts'

export interface AttemptResult {
  ok: boolean
  statusCode: number | null
  error: string | null
  durationMs: number
}

export function eventBody(event: OutboxEvent): string {
  return JSON.stringify({ id: event.id, type: event.type, createdAt: event.createdAt, data: event.data })
}

export async function sendWebhook(
  target: { url: string; secret: string },
  event: OutboxEvent,
  opts: { attempt: number; timeoutMs: number },
): Promise<AttemptResult> {
  const body = eventBody(event)
  const timestamp = Math.floor(Date.now() / 1000)
  const started = performance.now()
  const elapsed = () => Math.round(performance.now() - started)
  try {
    const res = await fetch(target.url, {
      method: 'POST',
      body,
      // A redirect is a misconfigured URL, not a delivery: following it would send the signed
      // body somewhere the admin never registered.
      redirect: 'manual',
      signal: AbortSignal.timeout(opts.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'lanelist-webhooks/1',
        [EVENT_ID_HEADER]: event.id,
        [EVENT_TYPE_HEADER]: event.type,
        [TIMESTAMP_HEADER]: String(timestamp),
        [SIGNATURE_HEADER]: signatureHeader(target.secret, timestamp, body),
        [ATTEMPT_HEADER]: String(opts.attempt),
      },
    })
    // Drain (and drop) the answer so the connection can be reused; its content is not ours to keep.
    await res.arrayBuffer().catch(() => undefined)
    const ok = res.status >= 200 && res.status < 300
    return { ok, statusCode: res.status, error: ok ? null : `receiver answered ${res.status}`, durationMs: elapsed() }
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } }
    const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError'
    const reason = timedOut ? `no answer within ${opts.timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message)
    return { ok: false, statusCode: null, error: reason, durationMs: elapsed() }
  }
}
