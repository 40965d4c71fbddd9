import type { Database } from '../../db/database.ts'
import { maskCard } from '../../lib/codes.ts'
import { notFound } from '../../lib/errors.ts'
import { insertAudit } from '../audit/audit.repository.ts'
import * as repo from './customer.repository.ts'
import type { Customer } from './customer.schemas.ts'
import { getCustomerSummary, issueCard, lockChangeable, stripMasked } from './customer.service.ts'

/**
 * A lost or stolen card: the old number stops working at the lane (status replaced, the
 * redemption module answers card_replaced) and a new one is issued. History is keyed by the
 * customer id, so it carries over untouched.
 */
export async function replaceCard(
  db: Database,
  id: number,
  actor: string,
): Promise<{ customerId: string; cardNumber: string; replacedCardNumber: string | null }> {
  return db.transaction().execute(async (trx) => {
    // The lock makes two simultaneous replacements queue instead of racing on the one-active-card index.
    await lockChangeable(trx, id)
    const old = await repo.replaceActiveCard(trx, id)
    const number = await issueCard(trx, id)
    await insertAudit(trx, {
      actor,
      action: 'customer.card_replace',
      entity: 'customer',
      entityId: id,
      detail: { replaced: old ? maskCard(old.number) : null, issued: maskCard(number) },
    })
    return { customerId: String(id), cardNumber: number, replacedCardNumber: old?.number ?? null }
  })
}

/** personalisation_opt_out: no targeted offers and no profiling; untargeted offers still apply. */
export async function setOptOut(db: Database, id: number, optOut: boolean, actor: string): Promise<Customer> {
  return db.transaction().execute(async (trx) => {
    await lockChangeable(trx, id)
    if (await repo.setOptOut(trx, id, optOut)) {
      await insertAudit(trx, { actor, action: optOut ? 'customer.opt_out' : 'customer.opt_in', entity: 'customer', entityId: id })
    }
    return stripMasked(await getCustomerSummary(trx, id))
  })
}

/**
 * Erasure on request. Personal fields are cleared and the card rows deleted: nothing else
 * references a card, and a deleted number identifies nobody (at the lane it is then just an
 * unknown code), whereas a kept row would still tie that number to this customer id and so to
 * their whole purchase history. The customer row stays, anonymous, so sales, redemptions and
 * reports keep adding up. Idempotent: a second request answers with the first erasure's time.
 */
export async function eraseCustomer(db: Database, id: number, actor: string): Promise<{ id: string; erasedAt: string }> {
  return db.transaction().execute(async (trx) => {
    const locked = await repo.lockCustomer(trx, id)
    if (!locked) throw notFound('customer', id)
    if (locked.erased_at) return { id: String(id), erasedAt: locked.erased_at.toISOString() }
    await repo.rememberErasedChainId(trx, id)
    const erased = await repo.eraseCustomer(trx, id)
    const cards = await repo.deleteCards(trx, id)
    await insertAudit(trx, { actor, action: 'customer.erase', entity: 'customer', entityId: id, detail: { cardsDeleted: cards } })
    return { id: String(id), erasedAt: (erased?.erased_at ?? new Date()).toISOString() }
  })
}
