import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

// 32 random bytes: guessing is hopeless, so a fast hash is the right one (no bcrypt cost per lane call).
export function generateApiKey(): string {
  return `ll_${randomBytes(32).toString('base64url')}`
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest()
}

export function keyPrefix(key: string): string {
  return key.slice(0, 10)
}

/** Constant-time: compares digests of equal length whatever the presented key's length. */
export function sameKey(presented: string, expected: string): boolean {
  return timingSafeEqual(hashApiKey(presented), hashApiKey(expected))
}
