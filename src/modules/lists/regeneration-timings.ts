/**
 * How long the worker's regenerate_list job takes, for /metrics (plugins/metrics.ts sets the
 * observer): bringing the customer's prediction statistics up to date (part "stats") and writing
 * the list (part "list"). A module of its own so the job reports without knowing about prom-client.
 */
export type RegenerationPart = 'stats' | 'list'

let observer: ((part: RegenerationPart, ms: number) => void) | null = null

export function observeRegeneration(part: RegenerationPart, ms: number): void {
  observer?.(part, ms)
}

/** Sets the observer; the function returned removes it unless another has replaced it since. */
export function onRegenerationTimings(fn: (part: RegenerationPart, ms: number) => void): () => void {
  observer = fn
  return () => {
    if (observer === fn) observer = null
  }
}
