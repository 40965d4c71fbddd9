// Turns the engine's answer into what is stored and what the lane is told. Pure.
import { isRainCheckId, toStoredPricing, type PricedBasket, type StoredPricing } from './redemption-pricing.ts'
import { redemptionReceipt } from './redemption-receipt.ts'
import type { RedemptionRequest, RedemptionResponse } from './redemption.schemas.ts'
import type { DiscountWrite, SaleLineWrite } from './redemption-write.repository.ts'

type ResponseBody = Pick<
  RedemptionResponse,
  'discounts' | 'totalBeforeCents' | 'totalDiscountCents' | 'totalAfterCents' | 'rainChecks' | 'receiptLines'
>

export interface RedemptionRecord {
  response: ResponseBody
  pricing: StoredPricing | null
  lines: SaleLineWrite[]
  discounts: DiscountWrite[]
  /** List offers this sale uses (granted, or earned as rain checks offline), in offer id order. */
  usage: { offerId: number; cents: number }[]
  newRainChecks: { offerId: number; valueCents: number; description: string }[]
  redeemedRainChecks: number[]
}

/** The offer id the API and the tables know: a rain check's discount is its offer's. */
function publicOfferId(priced: PricedBasket, engineId: string): number {
  if (!isRainCheckId(engineId)) return Number(engineId)
  const rc = priced.rainChecks.get(engineId)
  if (!rc) throw new Error(`rain check ${engineId} was not a candidate`)
  return rc.offer_id
}

/**
 * Offline: the sale is recorded at full price and every offer it would have earned becomes a
 * rain check worth that discount (docs/redemptions.md, "Offline lanes").
 */
export function buildRecord(
  body: RedemptionRequest,
  priced: PricedBasket,
  { offline, rainCheckExpiresOn, quote = false }: { offline: boolean; rainCheckExpiresOn: string; quote?: boolean },
): RedemptionRecord {
  const { result } = priced
  // Every line counts, also those the engine never saw (GTINs not in the catalog).
  let totalBeforeCents = 0
  for (const item of body.items) totalBeforeCents += item.quantity * item.unitPriceCents
  const listApplied = result.appliedOffers.filter((a) => !isRainCheckId(a.offerId))
  const usage = listApplied
    .map((a) => ({ offerId: Number(a.offerId), cents: a.amountCents }))
    .sort((a, b) => a.offerId - b.offerId)

  const lineDiscount = new Array<number>(body.items.length).fill(0)
  const discounts = new Map<string, DiscountWrite>()
  if (!offline) {
    for (const unit of result.allocations) {
      for (const share of unit.shares) {
        if (share.amountCents <= 0) continue
        lineDiscount[unit.lineIndex] = (lineDiscount[unit.lineIndex] ?? 0) + share.amountCents
        const offerId = publicOfferId(priced, share.offerId)
        // A rain check and the list offer it came from may discount the same GTIN: one row, both shares.
        const key = `${offerId}:${unit.gtin}`
        const row = discounts.get(key) ?? { offerId, gtin: unit.gtin, quantity: 0, amountCents: 0, unitCents: [] }
        row.quantity += 1
        row.amountCents += share.amountCents
        row.unitCents.push(share.amountCents)
        discounts.set(key, row)
      }
    }
  }
  const lines: SaleLineWrite[] = body.items.map((item, i) => ({
    productId: priced.productIds[i] ?? null,
    gtin: item.gtin,
    quantity: item.quantity,
    unitPriceCents: item.unitPriceCents,
    discountCents: lineDiscount[i] ?? 0,
  }))

  const descriptions = new Map(result.discounts.map((d) => [d.offerId, d.description]))
  const newRainChecks = offline
    ? listApplied.map((a) => ({ offerId: Number(a.offerId), valueCents: a.amountCents, description: descriptions.get(a.offerId) ?? '' }))
    : []
  const rainCheckCents = newRainChecks.reduce((sum, r) => sum + r.valueCents, 0)
  const totalDiscountCents = offline ? 0 : result.totalDiscountCents
  const response: ResponseBody = {
    discounts: offline
      ? []
      : result.discounts.map((d) => ({
          offerId: String(publicOfferId(priced, d.offerId)),
          gtin: d.gtin,
          description: d.description,
          quantity: d.quantity,
          amountCents: d.amountCents,
        })),
    totalBeforeCents,
    totalDiscountCents,
    totalAfterCents: totalBeforeCents - totalDiscountCents,
    rainChecks: newRainChecks.map((r) => ({
      offerId: String(r.offerId),
      description: r.description,
      valueCents: r.valueCents,
      expiresOn: rainCheckExpiresOn,
    })),
    receiptLines: redemptionReceipt({
      quote,
      offline,
      hasList: priced.hasList,
      offersUsed: result.appliedOffers.length,
      totalDiscountCents,
      rainCheckCents,
    }),
  }
  return {
    response,
    // Offline nothing was granted; the would-be pricing tells a later return how much of each
    // rain check the returned units earned (redemption-reversal.service.ts).
    pricing: toStoredPricing(priced),
    lines,
    discounts: [...discounts.values()],
    usage,
    newRainChecks,
    redeemedRainChecks: offline
      ? []
      : result.appliedOffers.filter((a) => isRainCheckId(a.offerId)).map((a) => Number(a.offerId.slice(3))),
  }
}
