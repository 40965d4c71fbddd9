// Asynchronous commits for work that is redone when lost (docs/lists.md, "Runs").
import { sql, type Transaction } from 'kysely'
import type { DB } from './schema.ts'

/**
 * Makes the caller's transaction commit without waiting for its WAL flush (`synchronous_commit
 * = off`, this transaction only). Only for work that is redone after a crash, and only where a
 * durable commit follows before anyone outside acts on it: a durable commit flushes the WAL up
 * to itself, so every asynchronous commit before it becomes durable too. A list run's chunks are
 * followed by the run's durable end (a crash before it resumes the run from what survived), a
 * redemption's regeneration by the job queue's durable completion of its job (a crash before
 * it runs the job again), and the webhook dispatcher commits its claim before it sends an event.
 * Lane writes never do this.
 */
export async function commitLazily(trx: Transaction<DB>): Promise<void> {
  await sql`set local synchronous_commit = off`.execute(trx)
}

/**
 * Gives the caller's (durable) transaction a commit record, so its commit flushes the WAL and
 * with it every asynchronous commit before it, even when it writes nothing else.
 */
export async function forceCommitRecord(trx: Transaction<DB>): Promise<void> {
  await sql`select pg_current_xact_id()`.execute(trx)
}
