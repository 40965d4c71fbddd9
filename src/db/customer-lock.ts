// The lock every writer of a customer's profile, segment cells or list takes first.
import { sql, type Transaction } from 'kysely'
import type { DB } from './schema.ts'

/** Advisory lock namespace of a customer's writers ('list' in ASCII, from when only lists took it). */
export const CUSTOMER_WRITE_LOCK = 0x6c697374

/**
 * Serialises everything that writes a customer's profile, cells or list (a run's refresh and list
 * chunks, a regeneration after a sale, a manual one, the profile route's refresh) until the
 * transaction ends: the second writer then sees what the first committed, so a profile write
 * knows which cells exist and inserts new ones without ON CONFLICT, and a list write supersedes
 * the list it sees. In id order, so two writers of many customers never deadlock; reentrant, so a
 * caller may lock before a callee locks again. Lanes never take it.
 */
export async function lockCustomers(trx: Transaction<DB>, customerIds: number[]): Promise<void> {
  if (customerIds.length === 0) return
  await sql`select pg_advisory_xact_lock(${CUSTOMER_WRITE_LOCK}, (id % 2147483647)::int)
              from unnest(${[...new Set(customerIds)].sort((a, b) => a - b)}::bigint[]) with ordinality as u(id, n) order by n`.execute(trx)
}
