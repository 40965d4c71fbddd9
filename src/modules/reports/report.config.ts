// Settings of the reports and their rollup (issue 8). One object, like the segment and list
// settings, so tests and a chain can override them; docs/reports.md explains each.

export interface ReportConfig {
  /** A new redemption is counted once it is this old: the lane's write is one autocommit
   *  statement, so a row this old that is not visible yet was rolled back, not in flight. */
  redemptionLagSeconds: number
  /** A cycle's lift is measured once its window ended this many days ago (late offline sales). */
  settleDays: number
  /** Fewer customers than this in either group and the report will not call a lift. */
  minGroupSize: number
  /** Two-sided normal quantile of the interval: 1.959964 = 95%. */
  z: number
  /** A customer fell behind their cycle within this many days of their profile's as-of day. */
  earlyWarningDays: number
  /** How often the rollup job runs, in seconds. */
  rollupEverySeconds: number
  /** The value rollup runs only when profiles changed: at the next pass after a population
   *  refresh, and at most this often for single customers' refreshes (a list regenerated after
   *  a redemption), which trickle in all day and move the figures little. */
  valueMinIntervalSeconds: number
}

export const DEFAULT_REPORT_CONFIG: ReportConfig = Object.freeze({
  redemptionLagSeconds: 30,
  settleDays: 2,
  minGroupSize: 30,
  z: 1.959964,
  earlyWarningDays: 14,
  rollupEverySeconds: 60,
  valueMinIntervalSeconds: 300,
})

export function reportConfig(o: Partial<ReportConfig> = {}): ReportConfig {
  const c = { ...DEFAULT_REPORT_CONFIG, ...o }
  if (!(c.redemptionLagSeconds >= 0 && c.settleDays >= 0 && c.minGroupSize >= 2 && c.z > 0 && c.rollupEverySeconds > 0 && c.valueMinIntervalSeconds >= 0)) {
    throw new RangeError('report settings out of range')
  }
  return c
}
