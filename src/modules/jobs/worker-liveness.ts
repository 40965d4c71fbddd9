// graphile-worker releases a job whose worker died only when its lock is 4 hours old, so a
// list run or a regeneration that a kill -9 interrupted would wait that long. graphile-worker
// 0.17 locks jobs in the name of its worker pool ('pool-<random>'); each lanelist worker
// therefore holds a session advisory lock on its pool's id for as long as it lives. A job
// locked by a pool whose lock is free belongs to a dead process and is unlocked (at start and
// then every sweep, by any instance). Only lanelist may run graphile-worker pools on this
// database: a foreign pool holds no such lock and would look dead.
import type pg from 'pg'
import type { Logger } from 'pino'

// Namespace of the two-key advisory locks (the migration lock uses the one-key form).
const LIVENESS_LOCK_CLASS = 724_119_002
// A pool takes its lock right after it starts; until then it is given the benefit of the doubt.
const GRACE = '5 seconds'

export interface LivenessLock {
  /** Takes the lock again after the database dropped the session (a restart frees every lock). */
  ensure(): Promise<void>
  release(): Promise<void>
}

/** Holds the instance's lock on a connection of its own, for the life of the worker. */
export async function holdLivenessLock(pool: pg.Pool, instanceId: string, log: Logger): Promise<LivenessLock> {
  let client: pg.PoolClient | undefined
  let released = false
  const take = async () => {
    const c = await pool.connect()
    c.on('error', () => {})
    try {
      await c.query('select pg_advisory_lock($1, hashtext($2))', [LIVENESS_LOCK_CLASS, instanceId])
    } catch (err) {
      c.release(err as Error)
      throw err
    }
    client = c
  }
  await take()
  return {
    async ensure() {
      if (released) return
      try {
        await client!.query('select 1')
      } catch (err) {
        client?.release(err as Error)
        client = undefined
        log.warn({ instanceId }, 'worker liveness lock lost with its connection; taking it again')
        await take()
      }
    },
    async release() {
      released = true
      await client?.query('select pg_advisory_unlock($1, hashtext($2))', [LIVENESS_LOCK_CLASS, instanceId]).catch(() => {})
      client?.release()
      client = undefined
    },
  }
}

/**
 * Unlocks the jobs of lanelist workers whose instance holds no liveness lock. The probe is
 * one statement (CASE evaluates in order): a free lock is taken and given back at once, so
 * the sweeping session never keeps it.
 */
export async function releaseDeadWorkers(pool: pg.Pool, log: Logger): Promise<string[]> {
  const { rows } = await pool.query<{ locked_by: string }>(
    `select locked_by from graphile_worker._private_jobs where locked_by like 'pool-%' and locked_at < now() - interval '${GRACE}'
     union select locked_by from graphile_worker._private_job_queues where locked_by like 'pool-%' and locked_at < now() - interval '${GRACE}'`,
  )
  const instances = rows.map((r) => r.locked_by)
  if (instances.length === 0) return []
  const probe = await pool.query<{ instance: string; dead: boolean }>(
    `select instance, case when pg_try_advisory_lock($1, hashtext(instance)) then pg_advisory_unlock($1, hashtext(instance)) else false end as dead
     from unnest($2::text[]) as instance`,
    [LIVENESS_LOCK_CLASS, instances],
  )
  const workers = probe.rows.filter((r) => r.dead).map((r) => r.instance)
  if (workers.length === 0) return []
  await pool.query('select graphile_worker.force_unlock_workers($1::text[])', [workers])
  log.warn({ workers }, 'unlocked jobs held by a lanelist worker that is gone')
  return workers
}
