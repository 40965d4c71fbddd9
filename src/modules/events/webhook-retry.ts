// When a failed delivery is tried again (docs/webhooks.md, "Retries"): exponential backoff
// from baseMs, capped, with jitter so the deliveries that failed together during a receiver's
// outage do not all come back in the same second.
export interface RetryPolicy {
  /** Attempts in all, the first included; after the last failure the delivery is dead. */
  maxAttempts: number
  baseMs: number
  capMs: number
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 16, baseMs: 15_000, capMs: 4 * 60 * 60 * 1000 }

/**
 * Delay before attempt `failedAttempts + 1`, or null when no attempt is left. The jitter
 * keeps 80 to 120% of the nominal delay, so the schedule stays predictable enough to document.
 */
export function nextRetryDelayMs(failedAttempts: number, policy: RetryPolicy, random: () => number = Math.random): number | null {
  if (failedAttempts >= policy.maxAttempts) return null
  const nominal = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, failedAttempts - 1))
  return Math.round(nominal * (0.8 + 0.4 * random()))
}

/** Nominal (jitter-free) total time from the first attempt to the last. */
export function nominalRetryWindowMs(policy: RetryPolicy): number {
  let total = 0
  for (let n = 1; n < policy.maxAttempts; n++) total += Math.min(policy.capMs, policy.baseMs * 2 ** (n - 1))
  return total
}
