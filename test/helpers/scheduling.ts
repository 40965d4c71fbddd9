import os from 'node:os'

/**
 * Room for the scheduler in a timing bound: `baseMs` on a machine with a core to spare, up to
 * three times that as the load average passes the cores (a saturated CI machine delays every
 * timer and every response). Tests print it beside the figure they bound.
 */
export function schedulingSlack(baseMs: number): { ms: number; says: string } {
  const load = os.loadavg()[0]!
  const cores = os.availableParallelism()
  const ms = baseMs * Math.min(3, Math.max(1, load / cores))
  return { ms, says: `load average ${load.toFixed(1)} on ${cores} cores: ${ms.toFixed(0)} ms of scheduling slack` }
}
