/** Process totals of the embedded PostgreSQL's supervision (embedded.ts), read by /metrics. */
export const embeddedStats = { restarts: 0 }
