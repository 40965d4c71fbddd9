import type { OfferRow } from './offer.repository.ts'
import type { Offer, OfferScope, PerkReward, PriceReward, Targeting } from './offer.types.ts'

// The jsonb columns were validated by the zod schemas on the way in; they are read back as
// the shapes that were written. A perk without a product scope is stored as scope {}.

export function toOffer(row: OfferRow): Offer {
  const maxR = row.budget_max_redemptions
  const maxC = row.budget_max_discount_cents
  const usedR = row.budget_used_redemptions
  const usedC = row.budget_used_discount_cents
  const common = {
    id: String(row.id),
    name: row.name,
    description: row.description,
    status: row.status,
    targeting: row.targeting as unknown as Targeting,
    validFrom: row.valid_from,
    validUntil: row.valid_until,
    limits: { unitsPerRedemption: row.units_per_redemption, redemptionsPerCustomer: row.redemptions_per_customer },
    budget: {
      maxRedemptions: maxR,
      maxDiscountCents: maxC,
      usedRedemptions: usedR,
      usedDiscountCents: usedC,
      remainingRedemptions: maxR === null ? null : Math.max(0, maxR - usedR),
      remainingDiscountCents: maxC === null ? null : Math.max(0, maxC - usedC),
    },
    fundedBy: row.funded_by_manufacturer === null ? ('store' as const) : { manufacturer: row.funded_by_manufacturer },
    stackable: row.stackable,
    redemptions: usedR,
    discountGivenCents: usedC,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
  const scope = Object.keys(row.scope).length === 0 ? null : (row.scope as unknown as OfferScope)
  if (row.kind === 'perk') return { ...common, kind: 'perk', scope, reward: row.reward as unknown as PerkReward }
  if (!scope) throw new Error(`offer ${row.id} has no scope`)
  return { ...common, kind: 'offer', scope, reward: row.reward as unknown as PriceReward }
}
