import { timingObserver } from '../../lib/timing-observer.ts'

/**
 * How long the worker's regenerate_list job takes, for /metrics (plugins/metrics.ts sets the
 * observer): bringing the customer's prediction statistics up to date (part "stats") and writing
 * the list (part "list").
 */
export type RegenerationPart = 'stats' | 'list'

const timings = timingObserver<RegenerationPart>()
export const observeRegeneration = timings.observe
export const onRegenerationTimings = timings.on
