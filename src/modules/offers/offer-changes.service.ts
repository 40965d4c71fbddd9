import type { Updateable } from 'kysely'
import type { Database } from '../../db/database.ts'
import type { OfferTable } from '../../db/schema.ts'
import { AppError, invalid, notFound, type FieldError } from '../../lib/errors.ts'
import { insertAudit } from '../audit/audit.repository.ts'
import { toOffer } from './offer-mapping.ts'
import * as repo from './offer.repository.ts'
import type { PatchOfferInput } from './offer.schemas.ts'
import type { Offer, OfferStatus } from './offer.types.ts'

// Changes touch only the offer row: sales and redemption_discount rows keep what was
// granted under the old terms. The row lock orders a change against concurrent budget
// reservations, so "lower the budget to what is used" cannot race a lane past it.

type Column = keyof Updateable<OfferTable>
const fieldColumns: Record<string, Column> = {
  name: 'name',
  description: 'description',
  validUntil: 'valid_until',
  targeting: 'targeting',
  'limits.unitsPerRedemption': 'units_per_redemption',
  'limits.redemptionsPerCustomer': 'redemptions_per_customer',
  'budget.maxRedemptions': 'budget_max_redemptions',
  'budget.maxDiscountCents': 'budget_max_discount_cents',
}

function requestedValues(input: PatchOfferInput): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  const put = (path: string, v: unknown) => {
    if (v !== undefined) out[path] = v
  }
  put('name', input.name)
  put('description', input.description)
  put('validUntil', input.validUntil)
  put('targeting', input.targeting)
  put('limits.unitsPerRedemption', input.limits?.unitsPerRedemption)
  put('limits.redemptionsPerCustomer', input.limits?.redemptionsPerCustomer)
  put('budget.maxRedemptions', input.budget?.maxRedemptions)
  put('budget.maxDiscountCents', input.budget?.maxDiscountCents)
  return out
}

export async function updateOffer(db: Database, id: string, input: PatchOfferInput, actor: string): Promise<Offer> {
  return db.transaction().execute(async (trx) => {
    const row = await repo.lockOffer(trx, Number(id))
    if (!row) throw notFound('offer', id)
    if (row.status === 'ended') throw new AppError('conflict', `offer ${id} has ended; an ended offer cannot change`)

    const wanted = requestedValues(input)
    const bad: FieldError[] = []
    if (row.kind === 'perk') {
      for (const path of Object.keys(wanted).filter((p) => p.startsWith('limits.') || p.startsWith('budget.'))) {
        bad.push({ path, message: 'a perk has no limits or budget' })
      }
    }
    if (input.validUntil !== undefined && input.validUntil < row.valid_from) {
      bad.push({ path: 'validUntil', message: `must not be before validFrom (${row.valid_from})` })
    }
    if (bad.length) throw invalid(bad)

    const over: FieldError[] = []
    const maxR = input.budget?.maxRedemptions
    if (typeof maxR === 'number' && maxR < row.budget_used_redemptions) {
      over.push({ path: 'budget.maxRedemptions', message: `${row.budget_used_redemptions} redemptions are already used` })
    }
    const maxC = input.budget?.maxDiscountCents
    if (typeof maxC === 'number' && maxC < row.budget_used_discount_cents) {
      over.push({ path: 'budget.maxDiscountCents', message: `${row.budget_used_discount_cents} cents are already used` })
    }
    if (over.length) {
      throw new AppError('conflict', `a budget cannot go below what is already used: ${over.map((e) => e.path).join(', ')}`, over)
    }

    const set: Record<string, unknown> = {}
    const changes: Record<string, { from: unknown; to: unknown }> = {}
    for (const [path, to] of Object.entries(wanted)) {
      const column = fieldColumns[path]!
      const from = row[column as keyof typeof row]
      if (canonical(from) === canonical(to)) continue
      changes[path] = { from, to }
      set[column] = column === 'targeting' ? JSON.stringify(to) : to
    }
    // Re-sending the current values is a successful no-op, not a change worth a log line.
    if (Object.keys(changes).length === 0) return toOffer(row)
    // Counters live on the row only while there is a budget: a new budget starts from the
    // uses so far (read under the lock, so no lane's sale is missed).
    if (!repo.hasBudget(row) && (set.budget_max_redemptions != null || set.budget_max_discount_cents != null)) {
      set.budget_used_redemptions = row.budget_used_redemptions
      set.budget_used_discount_cents = row.budget_used_discount_cents
    }

    const updated = await repo.updateOffer(trx, row.id, set as Updateable<OfferTable>)
    await insertAudit(trx, { actor, action: `${row.kind}.update`, entity: 'offer', entityId: row.id, detail: { changes } })
    return toOffer(updated)
  })
}

// jsonb hands keys back in its own order; compare values, not spellings.
function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : x,
  )
}

export type Transition = 'pause' | 'resume' | 'end'

// From-state -> to-state per transition; a missing entry is a 409. Ended is final.
const transitions: Record<Transition, Partial<Record<OfferStatus, OfferStatus>>> = {
  pause: { active: 'paused', paused: 'paused' },
  resume: { paused: 'active', active: 'active' },
  end: { active: 'ended', paused: 'ended', ended: 'ended' },
}

/** Idempotent: pausing a paused offer (or ending an ended one) returns it unchanged. */
export async function transitionOffer(db: Database, id: string, transition: Transition, actor: string): Promise<Offer> {
  return db.transaction().execute(async (trx) => {
    const row = await repo.lockOffer(trx, Number(id))
    if (!row) throw notFound('offer', id)
    const to = transitions[transition][row.status]
    if (!to) throw new AppError('conflict', `offer ${id} is ${row.status}; it cannot ${transition}`)
    if (to === row.status) return toOffer(row)
    const updated = await repo.updateOffer(trx, row.id, { status: to })
    await insertAudit(trx, {
      actor,
      action: `${row.kind}.${transition}`,
      entity: 'offer',
      entityId: row.id,
      detail: { from: row.status, to },
    })
    return toOffer(updated)
  })
}
