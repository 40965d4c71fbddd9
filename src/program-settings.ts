// The loyalty program's settings from the environment (src/config.ts) made the defaults of the
// segment, list and voucher rules. Installed once per process at start (buildApp, startService):
// one program per deployment, and the lane's voucher accrual, the runs, the single
// regeneration and the reports must all read the same rules without each caller passing them.
// A run's own overrides (POST /v1/list-generations settings) still go on top.
import type { Config } from './config.ts'
import { installListGenerationDefaults, type ListGenerationOverrides } from './modules/lists/list-generation.config.ts'
import { installPredictionWindow } from './modules/prediction/prediction.types.ts'
import { installSegmentDefaults, type SegmentConfigOverrides } from './modules/segments/segment.config.ts'
import { installVoucherDefaults, type VoucherConfig } from './modules/vouchers/voucher-rules.ts'

export interface ProgramSettings {
  segment: SegmentConfigOverrides
  list: ListGenerationOverrides
  voucher: Partial<VoucherConfig>
}

export function programSettings(c: Config): ProgramSettings {
  const capD = c.LANELIST_OFFER_CAP_D_CENTS
  return {
    segment: {
      segmentWindowDays: c.LANELIST_SEGMENT_WINDOW_DAYS,
      brandGroup: { nationalLoyalMinShare: c.LANELIST_SEGMENT_NATIONAL_LOYAL_MIN_SHARE, storeLoyalMaxShare: c.LANELIST_SEGMENT_STORE_LOYAL_MAX_SHARE },
      usage: {
        lowQuantile: c.LANELIST_SEGMENT_USAGE_LOW_QUANTILE,
        highQuantile: c.LANELIST_SEGMENT_USAGE_HIGH_QUANTILE,
        minBuyersForQuantiles: c.LANELIST_SEGMENT_USAGE_MIN_BUYERS,
        fixed: { lowMax: c.LANELIST_SEGMENT_USAGE_LOW_MAX_UNITS, mediumMax: c.LANELIST_SEGMENT_USAGE_MEDIUM_MAX_UNITS },
      },
      eligibility: { windowDays: c.LANELIST_ELIGIBILITY_WEEKS * 7, minWeeklySpendCents: c.LANELIST_ELIGIBILITY_WEEKLY_SPEND_CENTS },
    },
    list: {
      validDays: c.LANELIST_LIST_VALID_DAYS,
      holdoutShare: c.LANELIST_HOLDOUT_SHARE,
      // A customer not ranked yet (no value tier) gets the lowest tier's cap.
      tierCapCents: { A: c.LANELIST_OFFER_CAP_A_CENTS, B: c.LANELIST_OFFER_CAP_B_CENTS, C: c.LANELIST_OFFER_CAP_C_CENTS, D: capD, none: capD },
    },
    voucher: { rateBasisPoints: c.LANELIST_VOUCHER_RATE_BP, periodMonths: c.LANELIST_VOUCHER_PERIOD_MONTHS },
  }
}

export function installProgramSettings(c: Config): void {
  const s = programSettings(c)
  installSegmentDefaults(s.segment)
  installListGenerationDefaults(s.list)
  // What a list predicts is what the customer buys while it is valid.
  installPredictionWindow(c.LANELIST_LIST_VALID_DAYS)
  installVoucherDefaults(s.voucher)
}
