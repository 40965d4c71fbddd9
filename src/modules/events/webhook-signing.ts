// Delivery signatures (docs/webhooks.md, "Verifying a delivery"): HMAC-SHA256 keyed with the
// endpoint's secret over `${timestamp}.${body}`, so a captured body cannot be replayed with a
// fresh timestamp and the receiver can refuse old ones.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

export const SIGNATURE_HEADER = 'lanelist-signature'
export const TIMESTAMP_HEADER = 'lanelist-timestamp'
export const EVENT_ID_HEADER = 'lanelist-event-id'
export const EVENT_TYPE_HEADER = 'lanelist-event-type'
export const ATTEMPT_HEADER = 'lanelist-delivery-attempt'

export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`
}

export function signature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')
}

/** The header value: a versioned list, so a future scheme or a second key can be added beside v1. */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `v1=${signature(secret, timestamp, body)}`
}

/**
 * What a receiver does (the docs show the same steps): recompute, compare in constant time,
 * and refuse a timestamp outside the tolerance.
 */
export function verifySignature(
  secret: string,
  headers: { signature: string | undefined; timestamp: string | undefined },
  body: string,
  opts: { toleranceSeconds?: number; now?: number } = {},
): boolean {
  const ts = Number(headers.timestamp)
  if (!Number.isInteger(ts)) return false
  const now = opts.now ?? Math.floor(Date.now() / 1000)
  if (Math.abs(now - ts) > (opts.toleranceSeconds ?? 300)) return false
  const expected = Buffer.from(signature(secret, ts, body), 'hex')
  return (headers.signature ?? '').split(',').some((part) => {
    const [scheme, value] = part.trim().split('=')
    if (scheme !== 'v1' || !value || !/^[0-9a-f]{64}$/.test(value)) return false
    return timingSafeEqual(expected, Buffer.from(value, 'hex'))
  })
}
