import { timingObserver } from '../../lib/timing-observer.ts'

/**
 * Where a lane sale's time goes inside the service, for /metrics (plugins/metrics.ts sets the
 * observer): its read, its wait for the group-commit writer (the statement in flight before its
 * own) and its own write statement with the commit. The rest of a sale's time is pricing and HTTP.
 */
export type RedemptionPart = 'read' | 'write_wait' | 'write_statement'

const timings = timingObserver<RedemptionPart>()
export const observeTiming = timings.observe
export const onRedemptionTimings = timings.on
