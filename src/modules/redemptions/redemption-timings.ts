/**
 * Where a lane sale's time goes inside the service, for /metrics (plugins/metrics.ts sets the
 * observer): its read, its wait for the group-commit writer (the statement in flight before its
 * own) and its own write statement with the commit. The rest of a sale's time is pricing and HTTP.
 * A module of its own so the service and the coalescer report without knowing about prom-client.
 */
export type RedemptionPart = 'read' | 'write_wait' | 'write_statement'

let observer: ((part: RedemptionPart, ms: number) => void) | null = null

export function observeTiming(part: RedemptionPart, ms: number): void {
  observer?.(part, ms)
}

/** Sets the observer; the function returned removes it unless another has replaced it since. */
export function onRedemptionTimings(fn: (part: RedemptionPart, ms: number) => void): () => void {
  observer = fn
  return () => {
    if (observer === fn) observer = null
  }
}
