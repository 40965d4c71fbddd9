import { createWriteStream, type WriteStream } from 'node:fs'
import path from 'node:path'
import { Writable } from 'node:stream'
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify'
import { buildApp } from '../../src/app.ts'
import { loadConfig, type Config } from '../../src/config.ts'
import type { DatabaseHandle } from '../../src/db/database.ts'
import { readMigrations } from '../../src/db/migrate.ts'
import { testDatabase } from './database.ts'

interface Tap {
  teardown(fn: () => unknown): void
}

export const ADMIN_KEY = 'test-admin-key-0123456789abcdef'

// test/run.ts scans every test app's log for personal data and secrets after the suite
// (test/security/log-scan.ts): each test process appends its apps' logs to one file there.
let suiteLog: WriteStream | undefined
function suiteLogFile(): WriteStream | undefined {
  const dir = process.env.LANELIST_TEST_LOG_DIR
  if (!dir) return undefined
  suiteLog ??= createWriteStream(path.join(dir, `${process.pid}.log`), { flags: 'a' })
  return suiteLog
}

export interface TestApp {
  app: FastifyInstance
  database: DatabaseHandle & { url: string; name: string }
  config: Config
  logs: string[]
  /** app.inject with a bearer key. */
  call(key: string | null, opts: InjectOptions): Promise<LightMyRequestResponse>
  createKey(role: 'pos' | 'backoffice' | 'admin', storeId?: string): Promise<string>
  createStore(id?: string): Promise<string>
}

export async function buildTestApp(t: Tap, env: Record<string, string> = {}): Promise<TestApp> {
  const database = await testDatabase(t)
  const config = loadConfig({ LANELIST_ADMIN_KEY: ADMIN_KEY, LANELIST_LOG_LEVEL: 'info', LANELIST_KEY_CACHE_SECONDS: '0', LANELIST_MAX_EVENT_LOOP_DELAY_MS: '0', ...env })
  const logs: string[] = []
  const logStream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk))
      suiteLogFile()?.write(chunk)
      cb()
    },
  })
  const versions = (await readMigrations()).map((m) => m.version)
  const app = await buildApp({ config, database, migrationVersions: versions, logStream })
  t.teardown(() => app.close())
  await app.ready()

  const call: TestApp['call'] = (key, opts) =>
    app.inject({ ...opts, headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...(opts.headers ?? {}) } })

  return {
    app,
    database,
    config,
    logs,
    call,
    async createStore(id = `S${Math.floor(Math.random() * 1e6)}`) {
      await database.db.insertInto('store').values({ id, name: `Store ${id}`, timezone: 'America/Chicago' }).onConflict((oc) => oc.doNothing()).execute()
      return id
    },
    async createKey(role, storeId) {
      const res = await call(ADMIN_KEY, { method: 'POST', url: '/v1/api-keys', payload: { role, storeId, name: `test ${role}` } })
      if (res.statusCode !== 201) throw new Error(`could not create key: ${res.body}`)
      return res.json().key as string
    },
  }
}
