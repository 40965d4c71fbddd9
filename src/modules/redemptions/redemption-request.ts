import { createHash } from 'node:crypto'
import { classifyScannedCode } from '../../lib/codes.ts'
import { mistypedCode, unknownCode } from './redemption.errors.ts'
import type { RedemptionRequest, ReturnRequest } from './redemption.schemas.ts'

export type Scanned = { kind: 'card'; number: string } | { kind: 'list'; barcode: string }

/** Card or list by shape and check digit; noise and mistyped codes never reach the database. */
export function classify(raw: string): Scanned | Error {
  const code = classifyScannedCode(raw)
  if (code.kind === 'card' || code.kind === 'list') return code
  return code.kind === 'mistyped' ? mistypedCode(code.as) : unknownCode()
}

function sha256(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex')
}

/**
 * The idempotency fingerprint of a redemption: the request as the service understood it
 * (GTINs in their 14-digit form, the instant of occurredAt whatever offset wrote it, the
 * scanned code as classified), so a retry that spells the same sale differently still matches.
 */
export function redemptionHash(body: RedemptionRequest): string {
  return sha256([
    'redemption/1',
    body.storeId,
    body.laneId,
    body.posTransactionId,
    body.scannedCode.trim().toUpperCase(),
    new Date(body.occurredAt).toISOString(),
    body.offline === true,
    body.items.map((i) => [i.gtin, i.quantity, i.unitPriceCents]),
  ])
}

export function returnHash(body: ReturnRequest): string {
  return sha256(['return/1', body.posReturnId, body.items.map((i) => [i.gtin, i.quantity])])
}

/** 'YYYY-MM-DD' plus whole days. */
export function addDays(day: string, days: number): string {
  const [y, m, d] = day.split('-').map(Number)
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + days)).toISOString().slice(0, 10)
}
