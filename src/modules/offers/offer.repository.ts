import { sql, type Kysely, type Selectable, type Transaction, type Updateable } from 'kysely'
import type { DB, OfferTable } from '../../db/schema.ts'

type Db = Kysely<DB> | Transaction<DB>
export type OfferRow = Selectable<OfferTable>

export interface NewOfferRow {
  kind: 'offer' | 'perk'
  name: string
  description: string
  scope: object
  reward: object
  targeting: object
  validFrom: string
  validUntil: string
  unitsPerRedemption: number | null
  redemptionsPerCustomer: number | null
  maxRedemptions: number | null
  maxDiscountCents: number | null
  stackable: boolean
  fundedByManufacturer: string | null
}

export function insertOffer(db: Db, o: NewOfferRow): Promise<OfferRow> {
  return db
    .insertInto('offer')
    .values({
      kind: o.kind,
      name: o.name,
      description: o.description,
      scope: JSON.stringify(o.scope),
      reward: JSON.stringify(o.reward),
      targeting: JSON.stringify(o.targeting),
      valid_from: o.validFrom,
      valid_until: o.validUntil,
      units_per_redemption: o.unitsPerRedemption,
      redemptions_per_customer: o.redemptionsPerCustomer,
      budget_max_redemptions: o.maxRedemptions,
      budget_max_discount_cents: o.maxDiscountCents,
      stackable: o.stackable,
      funded_by_manufacturer: o.fundedByManufacturer,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

export const hasBudget = (row: Pick<OfferRow, 'budget_max_redemptions' | 'budget_max_discount_cents'>): boolean =>
  row.budget_max_redemptions !== null || row.budget_max_discount_cents !== null

/**
 * The lanes count uses on the offer row only for offers with a budget (migration 0010), so
 * a popular offer is not a row every lane queues on. For the others the figures are the sums
 * of offer_usage, the same uses kept per customer; every read of offers goes through here.
 */
async function withUsage(db: Db, rows: OfferRow[]): Promise<OfferRow[]> {
  const free = rows.filter((r) => !hasBudget(r)).map((r) => r.id)
  if (free.length === 0) return rows
  const sums = await db
    .selectFrom('offer_usage')
    .select(['offer_id', sql<number>`sum(redemptions)::int`.as('redemptions'), sql<number>`sum(discount_cents)::bigint`.as('cents')])
    .where('offer_id', 'in', free)
    .groupBy('offer_id')
    .execute()
  const byId = new Map(sums.map((s) => [s.offer_id, s]))
  return rows.map((r) =>
    hasBudget(r) ? r : { ...r, budget_used_redemptions: byId.get(r.id)?.redemptions ?? 0, budget_used_discount_cents: byId.get(r.id)?.cents ?? 0 },
  )
}

async function oneWithUsage(db: Db, row: OfferRow | undefined): Promise<OfferRow | undefined> {
  return row && (await withUsage(db, [row]))[0]
}

export async function findOffer(db: Db, id: number): Promise<OfferRow | undefined> {
  return oneWithUsage(db, await db.selectFrom('offer').selectAll().where('id', '=', id).executeTakeFirst())
}

/**
 * Row lock for back-office changes: serialises them with each other and with budget
 * reservations, and waits for lanes still writing a sale with this offer (they hold a key
 * share lock on it), so the usage read after it counts every committed use.
 */
export async function lockOffer(trx: Transaction<DB>, id: number): Promise<OfferRow | undefined> {
  return oneWithUsage(trx, await trx.selectFrom('offer').selectAll().where('id', '=', id).forUpdate().executeTakeFirst())
}

export async function updateOffer(trx: Transaction<DB>, id: number, set: Updateable<OfferTable>): Promise<OfferRow> {
  const row = await trx
    .updateTable('offer')
    .set({ ...set, updated_at: sql<Date>`now()` })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
  return (await oneWithUsage(trx, row))!
}

export interface OfferFilter {
  status?: 'active' | 'paused' | 'ended' | undefined
  kind?: 'offer' | 'perk' | undefined
  /** Active status and the day within the validity window. */
  activeOn?: string | undefined
  /** Keyset: only ids below this one (pages run newest first). */
  beforeId?: number | undefined
  limit: number
}

export async function listOffers(db: Db, f: OfferFilter): Promise<OfferRow[]> {
  let q = db.selectFrom('offer').selectAll()
  if (f.status) q = q.where('status', '=', f.status)
  if (f.kind) q = q.where('kind', '=', f.kind)
  if (f.activeOn) {
    q = q.where('status', '=', 'active').where('valid_from', '<=', f.activeOn).where('valid_until', '>=', f.activeOn)
  }
  if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId)
  return withUsage(db, await q.orderBy('id', 'desc').limit(f.limit).execute())
}

export async function listOffersActiveOn(db: Db, day: string): Promise<OfferRow[]> {
  const rows = await db
    .selectFrom('offer')
    .selectAll()
    .where('status', '=', 'active')
    .where('valid_from', '<=', day)
    .where('valid_until', '>=', day)
    .orderBy('id')
    .execute()
  return withUsage(db, rows)
}

/**
 * Takes one redemption and `discountCents` from the offer's budget, or nothing if either
 * maximum would be exceeded. A single conditional UPDATE: concurrent callers queue on the
 * row lock and PostgreSQL re-checks the WHERE against the committed counters, so no two
 * lanes can both take the last unit of budget. Status and validity are the caller's to check.
 */
export async function reserveOfferBudget(trx: Db, offerId: string | number, discountCents: number): Promise<boolean> {
  assertCents(discountCents)
  const row = await trx
    .updateTable('offer')
    .set((eb) => ({
      budget_used_redemptions: eb('budget_used_redemptions', '+', 1),
      budget_used_discount_cents: eb('budget_used_discount_cents', '+', discountCents),
    }))
    .where('id', '=', Number(offerId))
    .where((eb) =>
      eb.and([
        eb.or([
          eb('budget_max_redemptions', 'is', null),
          eb(eb('budget_used_redemptions', '+', 1), '<=', eb.ref('budget_max_redemptions')),
        ]),
        eb.or([
          eb('budget_max_discount_cents', 'is', null),
          eb(eb('budget_used_discount_cents', '+', discountCents), '<=', eb.ref('budget_max_discount_cents')),
        ]),
      ]),
    )
    .returning('id')
    .executeTakeFirst()
  return row !== undefined
}

/** Gives budget back after a void or return; the counters never go below zero. */
export async function releaseOfferBudget(
  trx: Db,
  offerId: string | number,
  discountCents: number,
  redemptions: number,
): Promise<void> {
  assertCents(discountCents)
  assertCents(redemptions)
  await trx
    .updateTable('offer')
    .set({
      budget_used_redemptions: sql<number>`greatest(0, budget_used_redemptions - ${redemptions}::integer)`,
      budget_used_discount_cents: sql<number>`greatest(0, budget_used_discount_cents - ${discountCents}::bigint)`,
    })
    .where('id', '=', Number(offerId))
    // Without a budget the row keeps no counters (withUsage).
    .where((eb) => eb.or([eb('budget_max_redemptions', 'is not', null), eb('budget_max_discount_cents', 'is not', null)]))
    .execute()
}

function assertCents(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`expected a non-negative integer, got ${n}`)
}
