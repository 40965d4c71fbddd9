// Planner statistics for tables a job has just rewritten in bulk (or is about to read in full).
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from './schema.ts'

/**
 * ANALYZE of those `tables` that need it: never analysed, or changed by more than autovacuum's
 * own threshold (50 rows and 10%) since. Autovacuum would come around within a minute or so;
 * until then the planner reads a table that grew from empty as empty, and a lookup planned for
 * no rows scans the whole table. A settled table is not sampled again. Returns the tables analysed.
 */
export async function analyzeIfStale(db: Kysely<DB> | Transaction<DB>, tables: string[]): Promise<string[]> {
  const { rows } = await sql<{ relname: string }>`
    select relname from pg_stat_user_tables
    where schemaname = current_schema() and relname = any(${tables}::text[])
      and (coalesce(last_analyze, last_autoanalyze) is null or n_mod_since_analyze > 50 + 0.1 * n_live_tup)
    order by relname`.execute(db)
  // One statement per table: from a pool they run side by side, each on a connection of its own
  // (a list run's three list tables took 0.13-0.23 s one after another, alone on one core at the
  // end of the run); on a transaction they run one after another, as one statement did.
  await Promise.all(rows.map((r) => sql`analyze ${sql.table(r.relname)}`.execute(db)))
  return rows.map((r) => r.relname)
}
