import { sql, type Kysely, type Transaction } from 'kysely'
import type { Logger } from 'pino'
import type { DB } from '../../db/schema.ts'

/** Rows moved per transaction; a backlog drains in batches this size, back to back. */
const BATCH = 500
/** How often an idle mover looks: the lane promises the next list within a second. */
const IDLE_MS = 200

/**
 * Moves list regeneration requests written by the lanes (table list_regen_request, one row
 * per customer, migration 0010) into graphile-worker as `regenerate_list` jobs, many per
 * transaction so the queue's NOTIFY (a database-wide commit lock) is paid once per batch
 * instead of once per sale. The rows are deleted in the same transaction that adds the jobs:
 * a request is either still a row or already a job, whatever crashes when. SKIP LOCKED lets
 * every instance run a mover without two of them taking the same row; the job key coalesces
 * a customer's requests with a job still waiting.
 */
export async function moveRegenRequests(db: Kysely<DB>, limit = BATCH): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const taken = await sql<{ customer_id: number }>`
      delete from list_regen_request
       where customer_id in (select customer_id from list_regen_request
                              order by requested_at limit ${limit} for update skip locked)
      returning customer_id`.execute(trx)
    const ids = taken.rows.map((r) => r.customer_id)
    if (ids.length === 0) return 0
    await sql`
      select count(*) from graphile_worker.add_jobs(array(
        select row('regenerate_list', json_build_object('customerId', c::text), null, null, 25,
                   'regen:' || c, null, null)::graphile_worker.job_spec
          from unnest(${ids}::bigint[]) c))`.execute(trx)
    return ids.length
  })
}

/**
 * Asks for the customer's list to be regenerated, in the caller's transaction (it exists
 * if and only if the change committed). The lane's statement writes the same row itself.
 */
export async function requestListRegeneration(db: Kysely<DB> | Transaction<DB>, customerId: number): Promise<void> {
  await sql`insert into list_regen_request (customer_id) values (${customerId}) on conflict (customer_id) do nothing`.execute(db)
}

export interface RegenRequestMover {
  stop(): Promise<void>
}

/** Runs moveRegenRequests until stopped: back to back while there is a backlog, every IDLE_MS otherwise. */
export function startRegenRequestMover(db: Kysely<DB>, log: Logger, idleMs = IDLE_MS): RegenRequestMover {
  let stopped = false
  let timer: NodeJS.Timeout | undefined
  let wake: (() => void) | undefined
  let failing = false
  const loop = (async () => {
    while (!stopped) {
      let moved = 0
      try {
        moved = await moveRegenRequests(db)
        if (failing) log.info('moving list regeneration requests again')
        failing = false
      } catch (err) {
        // The database is away or restarting: the rows stay, the next round takes them.
        if (!failing) log.warn({ err }, 'moving list regeneration requests failed; retrying')
        failing = true
      }
      if (moved === BATCH || stopped) continue
      await new Promise<void>((resolve) => {
        wake = resolve
        timer = setTimeout(resolve, idleMs)
      })
    }
  })()
  return {
    async stop() {
      stopped = true
      clearTimeout(timer)
      wake?.()
      await loop
    },
  }
}
