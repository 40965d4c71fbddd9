import { z } from 'zod'

const isDay = (v: string) => /^\d{4}-\d{2}-\d{2}$/.test(v) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v)
const day = z.string().refine((v) => {
  try {
    return isDay(v)
  } catch {
    return false
  }
}, 'must be a calendar date YYYY-MM-DD')

const category = z.string().min(1).max(200).regex(/^[^/].*[^/]$|^[^/]$/, 'must be a category path without a leading or trailing slash')

export const segmentsQuery = z.object({
  category: category.optional().describe('A category path; its subcategories are included'),
  table: z.enum(['cells', 'moves']).default('cells').describe('Which table a CSV answer holds'),
})

export const valueQuery = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100).describe('Customers listed in the early-warning and negative-value lists'),
  days: z.coerce.number().int().min(1).max(364).optional().describe('Early warning: fell behind their cycle within this many days (default 14)'),
  table: z.enum(['concentration', 'grid', 'early-warning', 'negative-value']).default('grid').describe('Which table a CSV answer holds'),
})

export const periodQuery = z.object({
  from: day.optional().describe('First day (sale day, store time zone); default 27 days before `to`'),
  to: day.optional().describe('Last day, included; default today'),
})

export const offersQuery = periodQuery.extend({
  offerId: z.string().regex(/^[1-9]\d{0,17}$/, 'must be an offer id').optional(),
})

export const manufacturersQuery = periodQuery.extend({
  manufacturer: z.string().min(1).max(200).optional(),
})

const freshness = z
  .object({
    rolledAt: z.string().nullable().describe('When the rollup last brought this report up to date'),
    dataThrough: z.string().nullable().describe('The newest source record the figures include'),
    stale: z.boolean().describe('True when newer source data exists than the figures include'),
    note: z.string(),
    lastError: z.string().nullable(),
  })
  .meta({ id: 'ReportFreshness' })

const brandGroup = z.enum(['national', 'store', 'switcher'])
const usage = z.enum(['low', 'medium', 'high'])
const cellRef = z.object({ brandGroup, usage }).nullable()

export const segmentReport = z
  .object({
    snapshot: z
      .object({
        id: z.string(),
        asOf: z.string(),
        takenAt: z.string(),
        customers: z.number().int(),
        previous: z.object({ id: z.string(), asOf: z.string(), takenAt: z.string() }).nullable(),
      })
      .nullable(),
    freshness,
    categories: z.array(
      z.object({
        category: z.string(),
        customers: z.number().int(),
        spendCents: z.number().int(),
        cells: z.array(
          z.object({ brandGroup, usage, customers: z.number().int(), units: z.number().int(), spendCents: z.number().int(), shareOfCustomers: z.number() }),
        ),
        moves: z.array(z.object({ from: cellRef, to: cellRef, customers: z.number().int(), afterOffer: z.number().int() })),
        toStoreBrand: z.object({
          customers: z.number().int().describe('Moved from national or switcher into a store-brand cell'),
          afterOffer: z.number().int().describe('Of them, redeemed an offer in the category between the snapshots'),
          fromNationalHigh: z.number().int(),
          fromNationalHighAfterOffer: z.number().int(),
        }),
      }),
    ),
  })
  .meta({ id: 'SegmentReport' })

const tier = z.enum(['A', 'B', 'C', 'D']).nullable()
const lifecycle = z.enum(['new', 'growing', 'stable', 'declining', 'lapsed']).nullable()

export const valueReport = z
  .object({
    freshness,
    customers: z.number().int(),
    spendCents: z.number().int(),
    concentration: z.array(z.object({ topShare: z.number(), customers: z.number().int(), spendCents: z.number().int(), shareOfSales: z.number() })),
    curve: z.array(z.object({ topShare: z.number(), shareOfSales: z.number() })),
    tiers: z.array(z.object({ tier, customers: z.number().int(), spendCents: z.number().int(), valueCents: z.number().int() })),
    lifecycles: z.array(z.object({ lifecycle, customers: z.number().int() })),
    grid: z.array(z.object({ tier, lifecycle, customers: z.number().int(), spendCents: z.number().int(), valueCents: z.number().int() })),
    earlyWarning: z.object({
      days: z.number().int(),
      total: z.number().int(),
      customers: z.array(
        z.object({
          customerId: z.string(),
          behindSince: z.string(),
          lastPurchaseDay: z.string(),
          medianGapDays: z.number(),
          valueTier: tier,
          valueCents: z.number().int().nullable(),
          spendCents: z.number().int().nullable(),
          profileAsOf: z.string(),
        }),
      ),
    }),
    negativeValue: z.object({
      total: z.number().int(),
      valueCents: z.number().int(),
      customers: z.array(
        z.object({
          customerId: z.string(),
          valueCents: z.number().int(),
          marginCents: z.number().int(),
          rewardsCents: z.number().int(),
          spendCents: z.number().int(),
          valueTier: tier,
          lifecycle,
        }),
      ),
    }),
  })
  .meta({ id: 'ValueReport' })

const group = z.object({ customers: z.number().int(), meanSpendCents: z.number().int().nullable(), sdSpendCents: z.number().int().nullable() })

export const offerReport = z
  .object({
    from: z.string(),
    to: z.string(),
    freshness: z.object({ redemptions: freshness, lists: freshness }),
    method: z.string(),
    offers: z.array(
      z.object({
        offerId: z.string(),
        name: z.string(),
        kind: z.enum(['offer', 'perk']),
        status: z.string(),
        targeted: z.boolean(),
        fundedBy: z.string().describe('"store" or the manufacturer'),
        validFrom: z.string(),
        validUntil: z.string(),
        lists: z.number().int().describe('Lists of cycles starting in the period that carried the offer'),
        customersGiven: z.number().int(),
        redemptions: z.number().int().describe('Sales in the period where the offer gave a discount (voids excluded)'),
        redemptionRate: z.number().nullable().describe('redemptions / lists'),
        units: z.number().int(),
        discountCents: z.number().int().describe('Discount given, net of return clawbacks'),
        clawbackCents: z.number().int(),
        lift: z.object({
          verdict: z.enum(['lift', 'negative', 'noise', 'too_few', 'no_holdout', 'pending']),
          says: z.string(),
          cycles: z.number().int(),
          pendingCycles: z.number().int(),
          treated: group,
          holdout: group,
          differenceCents: z.number().int().nullable(),
          interval: z.object({ low: z.number().int(), high: z.number().int(), level: z.number() }).nullable(),
          incrementalSpendCents: z.number().int().nullable(),
        }),
      }),
    ),
  })
  .meta({ id: 'OfferReport' })

export const manufacturerReport = z
  .object({
    from: z.string(),
    to: z.string(),
    freshness,
    totalFaceValueCents: z.number().int(),
    manufacturers: z.array(
      z.object({
        manufacturer: z.string(),
        redemptions: z.number().int(),
        units: z.number().int(),
        faceValueCents: z.number().int(),
        offers: z.array(z.object({ offerId: z.string(), name: z.string(), redemptions: z.number().int(), units: z.number().int(), faceValueCents: z.number().int() })),
      }),
    ),
  })
  .meta({ id: 'ManufacturerReport' })

export const rollupStatus = z
  .object({
    queued: z.boolean(),
    redemptionsThrough: z.string().nullable(),
    offersRolledAt: z.string().nullable(),
    cyclesRolledAt: z.string().nullable(),
    segmentsRolledAt: z.string().nullable(),
    valueRolledAt: z.string().nullable(),
    pendingReversals: z.number().int(),
    lastError: z.string().nullable(),
    lastErrorAt: z.string().nullable(),
  })
  .meta({ id: 'ReportRollupStatus' })

export const csvResponse = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema }, 'text/csv': { schema: z.string() } },
})
