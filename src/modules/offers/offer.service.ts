import type { Database } from '../../db/database.ts'
import { invalid, notFound } from '../../lib/errors.ts'
import { insertAudit } from '../audit/audit.repository.ts'
import { toOffer } from './offer-mapping.ts'
import * as repo from './offer.repository.ts'
import type { CreateOfferInput } from './offer.schemas.ts'
import type { Offer, OfferStatus } from './offer.types.ts'

export type * from './offer.types.ts'
export { offerAppliesToProduct } from './offer-scope.ts'
// Budget counters are taken inside the redemption's own transaction, so the redemption
// module calls these with its trx (see the repository for the concurrency argument).
export { releaseOfferBudget, reserveOfferBudget } from './offer.repository.ts'

export async function createOffer(db: Database, input: CreateOfferInput, actor: string): Promise<Offer> {
  if (input.validUntil < input.validFrom) throw invalid([{ path: 'validUntil', message: 'must not be before validFrom' }])
  const price = input.kind === 'perk' ? null : input
  return db.transaction().execute(async (trx) => {
    const row = await repo.insertOffer(trx, {
      kind: input.kind ?? 'offer',
      name: input.name,
      description: input.description,
      scope: input.scope ?? {},
      reward: input.reward,
      targeting: input.targeting,
      validFrom: input.validFrom,
      validUntil: input.validUntil,
      unitsPerRedemption: price?.limits?.unitsPerRedemption ?? null,
      redemptionsPerCustomer: price?.limits?.redemptionsPerCustomer ?? null,
      maxRedemptions: price?.budget?.maxRedemptions ?? null,
      maxDiscountCents: price?.budget?.maxDiscountCents ?? null,
      stackable: price?.stackable ?? false,
      fundedByManufacturer: input.fundedBy === 'store' ? null : input.fundedBy.manufacturer,
    })
    const offer = toOffer(row)
    await insertAudit(trx, {
      actor,
      action: `${offer.kind}.create`,
      entity: 'offer',
      entityId: row.id,
      detail: { name: offer.name, reward: offer.reward.type, fundedBy: offer.fundedBy },
    })
    return offer
  })
}

/** Throws not_found for an unknown id. */
export async function getOffer(db: Database, id: string | number): Promise<Offer> {
  const row = await repo.findOffer(db, Number(id))
  if (!row) throw notFound('offer', id)
  return toOffer(row)
}

/**
 * Offers and perks that can be given on `day` (YYYY-MM-DD): status active and the day within
 * the validity window, oldest first. Budget remaining is included; an exhausted budget is
 * the caller's to skip. Perks come too: narrow on `kind`.
 */
export async function listOffersActiveOn(db: Database, day: string): Promise<Offer[]> {
  return (await repo.listOffersActiveOn(db, day)).map(toOffer)
}

export interface OfferQuery {
  status?: OfferStatus | undefined
  kind?: 'offer' | 'perk' | undefined
  activeOn?: string | undefined
  limit: number
  cursor?: string | undefined
}

/** Newest first; the cursor is opaque to clients (today the last id of the previous page). */
export async function listOffers(db: Database, q: OfferQuery): Promise<{ items: Offer[]; nextCursor: string | null }> {
  const rows = await repo.listOffers(db, {
    status: q.status,
    kind: q.kind,
    activeOn: q.activeOn,
    beforeId: q.cursor === undefined ? undefined : Number(q.cursor),
    limit: q.limit + 1,
  })
  const page = rows.slice(0, q.limit)
  const last = page.at(-1)
  return { items: page.map(toOffer), nextCursor: rows.length > q.limit && last ? String(last.id) : null }
}
