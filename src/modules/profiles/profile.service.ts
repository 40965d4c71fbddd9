// The customer profile a service desk reads (issue 7): who the customer is to the program and
// why each offer of their current list was given or withheld, in words to read out.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { notFound } from '../../lib/errors.ts'
import { predictCustomerItems } from '../prediction/prediction.service.ts'
import { findProfile, refreshCustomerProfile } from '../segments/segment.service.ts'
import type { CustomerProfile } from '../segments/segment.types.ts'
import { getVoucherBalance } from '../vouchers/voucher.service.ts'
import * as repo from './profile.repository.ts'

export interface PurchaseCycle {
  productId: string
  name: string
  category: string
  cycleDays: number
  lastPurchase: string | null
  expectedNext: string | null
}

export interface OfferExplanation {
  offerId: string
  name: string
  kind: 'offer' | 'perk'
  given: boolean
  reason: string
}

export interface CustomerProfileView {
  customerId: string
  asOf: string
  optOut: boolean
  eligible: boolean
  weeklySpendCents: number
  valueTier: CustomerProfile['valueTier']
  valueCents: number | null
  lifecycle: CustomerProfile['lifecycle']
  trend: CustomerProfile['trend']
  lifeStage: CustomerProfile['lifeStage']
  walletShare: CustomerProfile['walletShare']
  segments: CustomerProfile['segments']
  cycles: PurchaseCycle[]
  holdout: boolean
  voucherBalanceCents: number
  currentList: { id: string; validUntil: string; offers: OfferExplanation[] } | null
}

/**
 * The stored profile (refreshed first when the customer was never profiled), the purchase
 * cycles the predictor sees, voucher balance and the current list's offer decisions.
 */
export async function getCustomerProfile(db: Kysely<DB>, customerId: number, opts: { asOf?: string | undefined; cycles?: number } = {}): Promise<CustomerProfileView> {
  if (!(await repo.findLiveCustomer(db, customerId))) throw notFound('customer', customerId)
  const today = opts.asOf ?? new Date().toISOString().slice(0, 10)
  let profile = opts.asOf ? undefined : await findProfile(db, customerId)
  if (!profile) {
    const fresh = await db.transaction().execute((trx) => refreshCustomerProfile(trx, customerId, today))
    if (!fresh) throw notFound('customer', customerId)
    profile = fresh
  }
  const predicted = (await predictCustomerItems(db, customerId, { asOf: profile.asOf, limit: 40 })).filter((p) => p.cycleDays !== null)
  const top = predicted.slice(0, opts.cycles ?? 10)
  const ids = top.map((p) => p.productId)
  const last = await repo.lastPurchaseDays(db, customerId, ids)
  const names = await repo.productNames(db, ids)
  const cycles = top.map((p) => ({
    productId: String(p.productId),
    name: names.get(p.productId)?.name ?? '',
    category: names.get(p.productId)?.category ?? '',
    cycleDays: Math.round(p.cycleDays ?? 0),
    lastPurchase: last.get(p.productId) ?? null,
    expectedNext: p.expectedDate,
  }))
  const list = await repo.findCurrentListFacts(db, customerId)
  const decisions = list ? await repo.findDecisions(db, list.id) : []
  const balance = await getVoucherBalance(db, customerId)
  return {
    customerId: String(customerId),
    asOf: profile.asOf,
    optOut: profile.optOut,
    eligible: profile.eligible,
    weeklySpendCents: profile.weeklySpendCents,
    valueTier: profile.valueTier,
    valueCents: profile.valueCents,
    lifecycle: profile.lifecycle,
    trend: profile.trend,
    lifeStage: profile.lifeStage,
    walletShare: profile.walletShare,
    segments: profile.segments,
    cycles,
    holdout: list?.holdout ?? false,
    voucherBalanceCents: balance.balanceCents,
    currentList: list
      ? {
          id: String(list.id),
          validUntil: list.valid_until,
          offers: decisions.map((d) => ({ offerId: String(d.offer_id), name: d.name, kind: d.kind, given: d.given, reason: d.reason })),
        }
      : null,
  }
}
