import type { Database } from '../../db/database.ts'
import { maskCard, newCardNumber } from '../../lib/codes.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import { insertAudit } from '../audit/audit.repository.ts'
import { encodeCustomerCursor } from './customer.cursor.ts'
import * as repo from './customer.repository.ts'
import type { CardLookup, Customer, CustomerPatch, EnrolInput, Household } from './customer.schemas.ts'

type Db = Parameters<typeof repo.findCustomer>[0]

export async function enrolCustomer(db: Database, input: EnrolInput, actor: string): Promise<Customer> {
  return db.transaction().execute(async (trx) => {
    await assertStoreExists(trx, input.homeStoreId)
    const row = await repo.insertCustomer(trx, {
      externalId: input.externalId ?? null,
      firstName: input.firstName ?? null,
      homeStoreId: input.homeStoreId ?? null,
      household: input.household ?? {},
    })
    if (!row) {
      const existing = await repo.findCustomerIdByExternalId(trx, input.externalId ?? '')
      throw new AppError('conflict', `externalId is already customer ${existing?.id ?? '(unknown)'}`, [
        { path: 'externalId', message: 'already belongs to another customer' },
      ])
    }
    const number = await issueCard(trx, row.id)
    await insertAudit(trx, {
      actor,
      action: 'customer.create',
      entity: 'customer',
      entityId: row.id,
      detail: { fields: givenFields(input), card: maskCard(number) },
    })
    return stripMasked(await getCustomerSummary(trx, row.id))
  })
}

/**
 * Card numbers are random, so a collision with an existing card is possible if vanishingly
 * rare; insertCard skips instead of failing, and we draw again without aborting the transaction.
 */
export async function issueCard(db: Db, customerId: number): Promise<string> {
  for (let attempt = 0; attempt < 8; attempt++) {
    const number = newCardNumber()
    if (await repo.insertCard(db, customerId, number)) return number
  }
  throw new Error('could not draw an unused card number in 8 attempts')
}

export async function listCustomers(
  db: Database,
  q: { cursor?: number | undefined; limit: number },
): Promise<{ items: Customer[]; nextCursor: string | null }> {
  // One row more than asked tells whether another page exists without a count query.
  const rows = await repo.listCustomers(db, q.cursor, q.limit + 1)
  const page = rows.slice(0, q.limit)
  const last = page.at(-1)
  return { items: page.map(toCustomer), nextCursor: rows.length > q.limit && last ? encodeCustomerCursor(last.id) : null }
}

/** For other modules too: the customer as the API shows them plus the masked active card. Throws not_found. */
export async function getCustomerSummary(db: Db, id: number | string): Promise<Customer & { maskedCard: string | null }> {
  const n = Number(id)
  const row = Number.isSafeInteger(n) ? await repo.findCustomer(db, n) : undefined
  if (!row) throw notFound('customer', id)
  return { ...toCustomer(row), maskedCard: row.card_number ? maskCard(row.card_number) : null }
}

export interface CardOwner {
  customerId: number
  cardStatus: 'active' | 'replaced'
  optOut: boolean
  erased: boolean
}

/**
 * For the lane: who a scanned card number belongs to. A replaced card still names its
 * customer (so the caller can say "card_replaced"); an erased customer's cards are deleted,
 * so their old numbers are simply unknown.
 */
export async function findCustomerByCard(db: Db, number: string): Promise<CardOwner | undefined> {
  const row = await repo.findCard(db, number)
  if (!row) return undefined
  return { customerId: row.customer_id, cardStatus: row.status, optOut: row.personalisation_opt_out, erased: row.erased_at !== null }
}

/** Service desk: the customer behind a card, current or replaced, and which it is. */
export async function lookupCard(db: Database, number: string): Promise<CardLookup> {
  const card = await repo.findCard(db, number)
  // The masked form only: problem details are logged, card numbers must not be.
  if (!card) throw notFound('card', maskCard(number))
  const customer = await getCustomerSummary(db, card.customer_id)
  return {
    card: {
      number: card.number,
      status: card.status,
      issuedAt: card.issued_at.toISOString(),
      replacedAt: card.replaced_at ? card.replaced_at.toISOString() : null,
    },
    customer: stripMasked(customer),
  }
}

export async function updateCustomer(db: Database, id: number, patch: CustomerPatch, actor: string): Promise<Customer> {
  return db.transaction().execute(async (trx) => {
    await lockChangeable(trx, id)
    await assertStoreExists(trx, patch.homeStoreId ?? undefined)
    await repo.updateCustomer(trx, id, patch)
    // Field names only: the values are personal data and the audit log outlives an erasure.
    await insertAudit(trx, { actor, action: 'customer.update', entity: 'customer', entityId: id, detail: { fields: givenFields(patch) } })
    return stripMasked(await getCustomerSummary(trx, id))
  })
}

/** Locks the customer for the rest of the transaction; 404 if unknown, 409 once erased. */
export async function lockChangeable(db: Db, id: number): Promise<void> {
  const row = await repo.lockCustomer(db, id)
  if (!row) throw notFound('customer', id)
  if (row.erased_at) throw new AppError('conflict', `customer ${id} was erased on request and can no longer be changed`)
}

async function assertStoreExists(db: Db, storeId: string | undefined): Promise<void> {
  if (storeId && !(await repo.storeExists(db, storeId))) {
    throw new AppError('unprocessable', `store ${storeId} does not exist`, [{ path: 'homeStoreId', message: 'no such store' }])
  }
}

function givenFields(input: object): string[] {
  return Object.entries(input)
    .filter(([, v]) => v !== undefined)
    .map(([k]) => k)
}

export function stripMasked(c: Customer & { maskedCard?: string | null }): Customer {
  const { maskedCard: _masked, ...rest } = c
  return rest
}

function toCustomer(row: repo.CustomerRow): Customer {
  return {
    id: String(row.id),
    cardNumber: row.card_number,
    firstName: row.first_name,
    externalId: row.external_id,
    homeStoreId: row.home_store_id,
    household: row.household as Household,
    personalisationOptOut: row.personalisation_opt_out,
    erasedAt: row.erased_at ? row.erased_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  }
}
