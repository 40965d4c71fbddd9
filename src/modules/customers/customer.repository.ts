import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { Household } from './customer.schemas.ts'

type Db = Kysely<DB> | Transaction<DB>

const now = sql<Date>`now()`

/** A customer with their active card (there is at most one: card_one_active_per_customer). */
function selectCustomer(db: Db) {
  return db
    .selectFrom('customer')
    .leftJoin('card', (j) => j.onRef('card.customer_id', '=', 'customer.id').on('card.status', '=', 'active'))
    .select([
      'customer.id',
      'card.number as card_number',
      'customer.first_name',
      'customer.external_id',
      'customer.home_store_id',
      'customer.household',
      'customer.personalisation_opt_out',
      'customer.erased_at',
      'customer.created_at',
      'customer.updated_at',
    ])
}

export type CustomerRow = NonNullable<Awaited<ReturnType<typeof findCustomer>>>

export function findCustomer(db: Db, id: number) {
  return selectCustomer(db).where('customer.id', '=', id).executeTakeFirst()
}

export function listCustomers(db: Db, afterId: number | undefined, limit: number) {
  let q = selectCustomer(db).orderBy('customer.id').limit(limit)
  if (afterId !== undefined) q = q.where('customer.id', '>', afterId)
  return q.execute()
}

/** Serialises changes to one customer (two desks replacing the same lost card at once). */
export function lockCustomer(db: Db, id: number) {
  return db.selectFrom('customer').select(['id', 'erased_at']).where('id', '=', id).forUpdate().executeTakeFirst()
}

/** undefined when the external id already belongs to someone (decided by the unique index, not a prior read). */
export function insertCustomer(
  db: Db,
  row: { externalId: string | null; firstName: string | null; homeStoreId: string | null; household: Household },
) {
  return db
    .insertInto('customer')
    .values({
      external_id: row.externalId,
      first_name: row.firstName,
      home_store_id: row.homeStoreId,
      household: JSON.stringify(row.household),
    })
    .onConflict((oc) => oc.column('external_id').doNothing())
    .returning('id')
    .executeTakeFirst()
}

export function findCustomerIdByExternalId(db: Db, externalId: string) {
  return db.selectFrom('customer').select('id').where('external_id', '=', externalId).executeTakeFirst()
}

export function storeExists(db: Db, storeId: string) {
  return db.selectFrom('store').select('id').where('id', '=', storeId).executeTakeFirst()
}

/** undefined on a card-number collision, so the caller can draw another number inside the same transaction. */
export function insertCard(db: Db, customerId: number, number: string) {
  return db
    .insertInto('card')
    .values({ number, customer_id: customerId })
    .onConflict((oc) => oc.column('number').doNothing())
    .returning('number')
    .executeTakeFirst()
}

export function findCard(db: Db, number: string) {
  return db
    .selectFrom('card')
    .innerJoin('customer', 'customer.id', 'card.customer_id')
    .select([
      'card.number',
      'card.customer_id',
      'card.status',
      'card.issued_at',
      'card.replaced_at',
      'customer.personalisation_opt_out',
      'customer.erased_at',
    ])
    .where('card.number', '=', number)
    .executeTakeFirst()
}

export function replaceActiveCard(db: Db, customerId: number) {
  return db
    .updateTable('card')
    .set({ status: 'replaced', replaced_at: now })
    .where('customer_id', '=', customerId)
    .where('status', '=', 'active')
    .returning('number')
    .executeTakeFirst()
}

export function updateCustomer(
  db: Db,
  id: number,
  patch: { firstName?: string | null | undefined; household?: Household | undefined; homeStoreId?: string | null | undefined },
) {
  return db
    .updateTable('customer')
    .set({
      first_name: patch.firstName,
      household: patch.household === undefined ? undefined : JSON.stringify(patch.household),
      home_store_id: patch.homeStoreId,
      updated_at: now,
    })
    .where('id', '=', id)
    .execute()
}

/** Returns whether the flag changed, so an unchanged toggle is not audited as a change. */
export async function setOptOut(db: Db, id: number, optOut: boolean): Promise<boolean> {
  const r = await db
    .updateTable('customer')
    .set({ personalisation_opt_out: optOut, updated_at: now })
    .where('id', '=', id)
    .where('personalisation_opt_out', '<>', optOut)
    .executeTakeFirst()
  return r.numUpdatedRows > 0n
}

/**
 * Keeps the chain id of a customer about to be erased as a one-way hash, so that imports can
 * skip their history instead of re-creating them (migration 0015). Same hash as the import's.
 */
export async function rememberErasedChainId(db: Db, id: number): Promise<void> {
  await sql`
    insert into erased_customer (external_id_sha256)
    select sha256(convert_to(external_id, 'UTF8')) from customer where id = ${id} and external_id is not null
    on conflict do nothing`.execute(db)
}

/** Personal fields go; the row (and so every sale keyed by its id) stays, anonymous. */
export function eraseCustomer(db: Db, id: number) {
  return db
    .updateTable('customer')
    .set({
      first_name: null,
      external_id: null,
      household: '{}',
      // No profiling of someone who asked to be forgotten, even by their anonymous id.
      personalisation_opt_out: true,
      erased_at: now,
      updated_at: now,
    })
    .where('id', '=', id)
    .where('erased_at', 'is', null)
    .returning('erased_at')
    .executeTakeFirst()
}

export async function deleteCards(db: Db, customerId: number): Promise<number> {
  const r = await db.deleteFrom('card').where('customer_id', '=', customerId).executeTakeFirst()
  return Number(r.numDeletedRows)
}
