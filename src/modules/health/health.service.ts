import type pg from 'pg'

export interface Readiness {
  status: 'ready' | 'not_ready'
  checks: { database: 'ok' | 'unreachable'; migrations: 'ok' | 'pending' | 'unknown'; shuttingDown: boolean }
}

/** One cheap query; bounded so a hung database answers not-ready instead of hanging the probe. */
export async function checkReadiness(pool: pg.Pool, versions: number[], shuttingDown: boolean): Promise<Readiness> {
  let database: Readiness['checks']['database'] = 'ok'
  let migrations: Readiness['checks']['migrations'] = 'unknown'
  try {
    const result = await withTimeout(
      pool.query<{ applied: number }>(
        `select count(*)::int as applied from lanelist_migration where version = any($1::int[])`,
        [versions],
      ),
      1_500,
    )
    migrations = result.rows[0]!.applied === versions.length ? 'ok' : 'pending'
  } catch (err) {
    const missingTable = (err as { code?: string }).code === '42P01'
    if (missingTable) migrations = 'pending'
    else database = 'unreachable'
  }
  const ok = database === 'ok' && migrations === 'ok' && !shuttingDown
  return { status: ok ? 'ready' : 'not_ready', checks: { database, migrations, shuttingDown } }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error('readiness query timed out')), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}
