import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { connectDatabase, type DatabaseHandle } from '../../src/db/database.ts'
import { readState, TEMPLATE_DB } from './test-server.ts'

interface Tap {
  teardown(fn: () => unknown): void
}

export function databaseUrl(name: string): string {
  const url = new URL(readState().adminUrl)
  url.pathname = `/${name}`
  return url.toString()
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: readState().adminUrl })
  await client.connect()
  try {
    await client.query(sql)
  } finally {
    await client.end()
  }
}

/** A fresh, migrated database of the test file's own (cloned from the template), dropped at teardown. */
export async function createTestDatabase(t: Tap | null, opts: { migrated?: boolean } = {}): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `lanelist_t_${randomBytes(6).toString('hex')}`
  await adminQuery(`create database ${name}${opts.migrated === false ? '' : ` template ${TEMPLATE_DB}`}`)
  const drop = () => adminQuery(`drop database if exists ${name} with (force)`)
  t?.teardown(drop)
  return { name, url: databaseUrl(name), drop }
}

export async function testDatabase(t: Tap, opts: { migrated?: boolean; max?: number } = {}): Promise<DatabaseHandle & { url: string; name: string }> {
  const { name, url, drop } = await createTestDatabase(null, opts)
  const handle = connectDatabase(url, { max: opts.max ?? 10 })
  // Close our pool before dropping, so the drop never kills connections we still hold.
  t.teardown(async () => {
    await handle.close()
    await drop()
  })
  return Object.assign(handle, { url, name })
}
