import type { Transaction } from 'kysely'
import type { Database } from '../../db/database.ts'
import type { DB } from '../../db/schema.ts'
import { recordRedemptionReturned, recordRedemptionVoided } from '../events/event-outbox.service.ts'
import { requestListRegeneration } from '../jobs/regen-requests.ts'
import { releaseOfferBudget } from '../offers/offer.service.ts'
import { reverseVoucher } from '../vouchers/voucher.service.ts'
import { clawbackForReturn, type ClawbackShare, type ReturnItem } from './pricing.ts'
import { isRainCheckId, RAIN_CHECK_PREFIX, toSaleRecord, type StoredPricing } from './redemption-pricing.ts'
import { returnReceipt, voidReceipt } from './redemption-receipt.ts'
import { returnHash } from './redemption-request.ts'
import * as repo from './redemption-reversal.repository.ts'
import {
  alreadyVoided,
  idempotencyConflict,
  otherStoresRedemption,
  redemptionNotFound,
  tooManyReturned,
  type OverReturn,
} from './redemption.errors.ts'
import type { ReturnRequest, ReturnResponse, VoidResponse } from './redemption.schemas.ts'

/**
 * Opens the transaction, checks the key may act on the redemption's store, and takes the
 * customer lock that every redemption, void and return of that customer takes first.
 */
async function underCustomerLock<T>(
  db: Database,
  id: number,
  actingStoreId: string | null,
  fn: (trx: Transaction<DB>, customerId: number) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    const owner = await repo.findRedemptionOwner(trx, id)
    if (!owner) throw redemptionNotFound(id)
    if (actingStoreId !== null && owner.store_id !== actingStoreId) throw otherStoresRedemption(actingStoreId)
    await repo.lockCustomer(trx, owner.customer_id)
    return fn(trx, owner.customer_id)
  })
}

/**
 * Per applied offer (engine id), the discount not yet taken back by returns. Sums over the
 * returns' stored shares, so a void after returns reverses only what is left.
 */
function outstandingByOffer(pricing: StoredPricing | null, returned: ClawbackShare[][]): Map<string, number> {
  const left = new Map<string, number>()
  for (const a of pricing?.applied ?? []) left.set(a.offerId, a.amountCents)
  for (const shares of returned) {
    for (const s of shares) left.set(s.offerId, (left.get(s.offerId) ?? 0) - s.amountCents)
  }
  return left
}

function publicOfferId(pricing: StoredPricing | null, engineId: string): string {
  return isRainCheckId(engineId) ? String(pricing?.rainCheckOffers[engineId] ?? '') : engineId
}

/**
 * Gives back what `takenCents` of an offer's discount in this sale stood for. A list offer
 * gets its cents back in usage and budget, and its use too once the whole discount is back
 * (the offer is then redeemable again). A rain check is reopened once wholly taken back; its
 * use and budget stay spent, as they were taken when it was earned.
 */
async function giveBack(trx: Transaction<DB>, customerId: number, redemptionId: number, engineId: string, takenCents: number, wholly: boolean) {
  if (isRainCheckId(engineId)) {
    if (wholly) await repo.reopenRainChecks(trx, redemptionId, [Number(engineId.slice(RAIN_CHECK_PREFIX.length))])
    return
  }
  const uses = wholly ? 1 : 0
  await repo.releaseUsage(trx, customerId, Number(engineId), uses, takenCents)
  await releaseOfferBudget(trx, engineId, takenCents, uses)
}

function voidResponse(id: number, voidedAt: Date, reversedCents: number): VoidResponse {
  return {
    redemptionId: String(id),
    status: 'voided',
    voidedAt: voidedAt.toISOString(),
    reversedDiscountCents: reversedCents,
    receiptLines: voidReceipt(reversedCents),
  }
}

/** Voids the sale: discounts, usage, budgets and rain checks reversed, history left. Idempotent. */
export async function voidRedemption(db: Database, id: number, actingStoreId: string | null): Promise<VoidResponse> {
  return underCustomerLock(db, id, actingStoreId, async (trx, customerId) => {
    const r = await repo.getRedemptionForReversal(trx, id)
    // Offline nothing was granted at the lane: only the rain checks it earned go.
    const left = r.offline ? new Map<string, number>() : outstandingByOffer(r.pricing, r.returned)
    let reversed = 0
    for (const cents of left.values()) reversed += cents
    if (r.status === 'voided') return voidResponse(id, r.voided_at ?? new Date(), reversed)

    // Offer id order, like redeem, so budget row locks are always taken in the same order.
    for (const [engineId, cents] of [...left].sort(([a], [b]) => Number(a) - Number(b) || (a < b ? -1 : 1))) {
      if (cents > 0) await giveBack(trx, customerId, id, engineId, cents, true)
    }
    if (r.offline) {
      for (const rc of (await repo.cancelOpenRainChecks(trx, id)).sort((a, b) => a.offer_id - b.offer_id)) {
        await repo.releaseUsage(trx, customerId, rc.offer_id, 1, rc.value_cents)
        await releaseOfferBudget(trx, rc.offer_id, rc.value_cents, 1)
      }
    }
    // The whole accrual goes back (reverseVoucher never takes more than is left after returns).
    await reverseVoucher(trx, { customerId, saleId: r.sale_id, spendCents: r.total_before_cents - r.total_discount_cents, reference: 'void' })
    const voidedAt = await repo.markVoided(trx, id, r.sale_id)
    await recordRedemptionVoided(trx, id, { voidedAt: voidedAt.toISOString(), reversedDiscountCents: reversed })
    await requestListRegeneration(trx, customerId)
    return voidResponse(id, voidedAt, reversed)
  })
}

export interface ReturnResult {
  replayed: boolean
  response: ReturnResponse
}

/**
 * Units came back: claws back their share of the discounts (pricing engine, docs/pricing.md
 * "Returns"), records them on the sale's lines and gives usage and budget back. Idempotent
 * on posReturnId within the redemption.
 */
export async function returnItems(db: Database, id: number, body: ReturnRequest, actingStoreId: string | null): Promise<ReturnResult> {
  const hash = returnHash(body)
  return underCustomerLock(db, id, actingStoreId, async (trx, customerId) => {
    const previous = await repo.findReturn(trx, id, body.posReturnId)
    if (previous) {
      if (previous.request_hash !== hash) throw idempotencyConflict(`posReturnId ${body.posReturnId}`)
      return { replayed: true, response: previous.response as unknown as ReturnResponse }
    }
    const r = await repo.getRedemptionForReversal(trx, id)
    if (r.status === 'voided') throw alreadyVoided(id)
    const lines = await repo.listSaleLines(trx, r.sale_id)

    const asked = new Map<string, number>()
    for (const item of body.items) asked.set(item.gtin, (asked.get(item.gtin) ?? 0) + item.quantity)
    const sold = new Map<string, { sold: number; returned: number }>()
    for (const l of lines) {
      const s = sold.get(l.gtin ?? '') ?? { sold: 0, returned: 0 }
      s.sold += l.quantity
      s.returned += l.returned_quantity
      sold.set(l.gtin ?? '', s)
    }
    const over: OverReturn[] = []
    const counted = new Set<string>()
    body.items.forEach((item, index) => {
      const s = sold.get(item.gtin) ?? { sold: 0, returned: 0 }
      const total = asked.get(item.gtin) ?? 0
      if (!counted.has(item.gtin) && total > s.sold - s.returned) over.push({ index, gtin: item.gtin, asked: total, ...s })
      counted.add(item.gtin)
    })
    if (over.length > 0) throw tooManyReturned(over)

    const record = toSaleRecord(
      lines.map((l) => ({ gtin: l.gtin ?? '', quantity: l.quantity, unitPriceCents: l.unit_price_cents ?? 0 })),
      r.pricing,
    )
    const already: ReturnItem[] = [...sold].filter(([, s]) => s.returned > 0).map(([gtin, s]) => ({ gtin, quantity: s.returned }))
    const returning: ReturnItem[] = [...asked].map(([gtin, quantity]) => ({ gtin, quantity }))
    const clawback = clawbackForReturn(record, already, returning)

    const spread = spreadOverLines(lines, asked)
    await repo.addReturnedQuantities(trx, r.sale_id, spread)
    // The refund (returned units at their price, less the discount clawed back) was spend that
    // accrued voucher units; they go back at the sale's own rate.
    const price = new Map(lines.map((l) => [l.line_no, l.unit_price_cents ?? 0]))
    const refundCents = spread.reduce((sum, x) => sum + x.quantity * (price.get(x.lineNo) ?? 0), 0) - clawback.amountCents
    await reverseVoucher(trx, { customerId, saleId: r.sale_id, spendCents: Math.max(0, refundCents), reference: `return:${body.posReturnId}` })
    const taken = new Map<string, number>()
    for (const s of clawback.shares) taken.set(s.offerId, (taken.get(s.offerId) ?? 0) + s.amountCents)
    let clawbackCents = clawback.amountCents
    let clawbacks = clawback.shares
    let rainCheckCents = 0
    if (r.offline) {
      const kept = await shrinkEarnedRainChecks(trx, customerId, id, taken)
      clawbacks = clawback.shares.filter((s) => kept.has(s.offerId))
      clawbackCents = clawbacks.reduce((sum, s) => sum + s.amountCents, 0)
      rainCheckCents = clawback.amountCents - clawbackCents
    } else {
      const left = outstandingByOffer(r.pricing, r.returned)
      for (const [engineId, cents] of [...taken].sort(([a], [b]) => Number(a) - Number(b) || (a < b ? -1 : 1))) {
        const before = left.get(engineId) ?? 0
        if (cents > 0) await giveBack(trx, customerId, id, engineId, cents, before - cents <= 0)
      }
    }

    const response: ReturnResponse = {
      redemptionId: String(id),
      posReturnId: body.posReturnId,
      items: returning,
      clawbackCents,
      clawbacks: clawbacks.map((s) => ({ offerId: publicOfferId(r.pricing, s.offerId), gtin: s.gtin, amountCents: s.amountCents })),
      receiptLines: returnReceipt(clawbackCents, rainCheckCents),
    }
    await repo.insertReturn(trx, {
      redemptionId: id,
      posReturnId: body.posReturnId,
      requestHash: hash,
      response,
      clawbackCents,
      shares: clawbacks,
    })
    await recordRedemptionReturned(trx, id, { posReturnId: body.posReturnId, items: returning, clawbackCents })
    await requestListRegeneration(trx, customerId)
    return { replayed: false, response }
  })
}

/**
 * An offline sale earned a rain check per offer instead of a discount. A return shrinks each
 * by the returned units' share of it (the same per-unit shares as an online clawback), and
 * gives that part of the offer's usage and budget back; a rain check shrunk to nothing is
 * cancelled and its use given back too. A rain check the customer already redeemed was a
 * discount they had: its share is clawed back from the refund like any discount. Returns the
 * offers whose share is clawed back from the refund.
 */
async function shrinkEarnedRainChecks(
  trx: Transaction<DB>,
  customerId: number,
  redemptionId: number,
  taken: Map<string, number>,
): Promise<Set<string>> {
  const fromRefund = new Set<string>()
  for (const rc of await repo.lockEarnedRainChecks(trx, redemptionId)) {
    const cents = Math.min(taken.get(String(rc.offer_id)) ?? 0, rc.value_cents)
    if (cents <= 0) continue
    if (rc.redeemed_by !== null) {
      fromRefund.add(String(rc.offer_id))
      continue
    }
    if (rc.cancelled_at !== null) continue
    const value = rc.value_cents - cents
    await repo.shrinkRainCheck(trx, rc.id, value)
    const uses = value === 0 ? 1 : 0
    await repo.releaseUsage(trx, customerId, rc.offer_id, uses, cents)
    await releaseOfferBudget(trx, rc.offer_id, cents, uses)
  }
  return fromRefund
}

/**
 * sale_line keeps returned units per line; a GTIN sold on several lines is returned from
 * its last line first (the units are identical, the history only needs the counts).
 */
function spreadOverLines(
  lines: { line_no: number; gtin: string | null; quantity: number; returned_quantity: number }[],
  asked: Map<string, number>,
): { lineNo: number; quantity: number }[] {
  const left = new Map(asked)
  const rows: { lineNo: number; quantity: number }[] = []
  for (const l of [...lines].reverse()) {
    const want = left.get(l.gtin ?? '') ?? 0
    const take = Math.min(want, l.quantity - l.returned_quantity)
    if (take <= 0) continue
    rows.push({ lineNo: l.line_no, quantity: take })
    left.set(l.gtin ?? '', want - take)
  }
  return rows
}
