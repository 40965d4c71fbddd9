// A real lanelist on a real port for the browser tests: the test database (cloned from the
// migrated template) with the demo chain loaded through the same services as `npm start`, the
// background worker running (list runs finish on their own), and a headless Chromium with a
// fresh profile. One browser per test file; pages are reused.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pino from 'pino'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { buildApp } from '../../src/app.ts'
import { loadConfig } from '../../src/config.ts'
import { readMigrations } from '../../src/db/migrate.ts'
import { loadDemoIfEmpty } from '../../src/demo/load-demo.ts'
import { createApiKey } from '../../src/modules/api-keys/api-key.service.ts'
import { startWorker } from '../../src/modules/jobs/worker.ts'
import { listTasks } from '../../src/modules/lists/list-tasks.ts'
import { ADMIN_KEY } from '../helpers/app.ts'
import { testDatabase } from '../helpers/database.ts'

interface Tap {
  teardown(fn: () => unknown): void
}

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

export interface ConsoleApp {
  url: string
  backofficeKey: string
  posKey: string
  sampleCards: string[]
  logs: string[]
  db: Awaited<ReturnType<typeof testDatabase>>
}

const log = pino({ level: 'silent' })

export async function startConsoleApp(t: Tap, opts: { customers?: number } = {}): Promise<ConsoleApp> {
  const db = await testDatabase(t, { max: 12 })
  const today = new Date().toISOString().slice(0, 10)
  const demo = await loadDemoIfEmpty(db.db, { customers: opts.customers ?? 40, log, today })
  if (!demo) throw new Error('the test database was not empty')
  const config = loadConfig({ LANELIST_ADMIN_KEY: ADMIN_KEY, LANELIST_LOG_LEVEL: 'info', LANELIST_KEY_CACHE_SECONDS: '0', LANELIST_MAX_EVENT_LOOP_DELAY_MS: '0' })
  const logs: string[] = []
  const logStream = { write: (chunk: string) => (logs.push(String(chunk)), true) } as unknown as NodeJS.WritableStream
  const app = await buildApp({ config, database: db, migrationVersions: (await readMigrations()).map((m) => m.version), logStream })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  const worker = await startWorker({ pool: db.pool, db: db.db, log, tasks: listTasks(db.db) })
  t.teardown(async () => {
    await worker.stop()
    await app.close()
  })
  const backoffice = await createApiKey(db.db, { name: 'browser test desk', role: 'backoffice' }, 'test')
  const pos = await createApiKey(db.db, { name: 'browser test lane', role: 'pos', storeId: 'S01' }, 'test')
  return { url: address, backofficeKey: backoffice.key, posKey: pos.key, sampleCards: demo.sampleCards, logs, db }
}

export async function startBrowser(t: Tap, viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
  const profile = mkdtempSync(path.join(tmpdir(), 'lanelist-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    acceptDownloads: true,
  })
  t.teardown(async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  })
  const page = context.pages()[0] ?? (await context.newPage())
  page.setDefaultTimeout(15_000)
  return { context, page }
}
