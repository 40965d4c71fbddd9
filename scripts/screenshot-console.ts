// Photographs every console page at desktop and tablet width, so a person can see the console
// without running it: `node --import tsx scripts/screenshot-console.ts [OUT_DIR]`.
// Starts a real lanelist (embedded PostgreSQL in a temporary folder, the demo chain, worker on),
// runs a list run and a few lane sales through the API so the pages have something to show, then
// drives Debian's chromium with playwright-core. Writes docs/screenshots/console-*.png.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium, type Page } from 'playwright-core'
import { startService } from '../src/boot.ts'
import { loadConfig } from '../src/config.ts'
import { freePort } from '../test/helpers/test-server.ts'
import { CHROMIUM_ARGS } from '../test/browser/console-app.ts'
import { createLogger } from '../src/boot.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const outDir = path.resolve(process.argv[2] ?? path.join(ROOT, 'docs/screenshots'))
const VIEWPORTS = { desktop: { width: 1366, height: 900 }, tablet: { width: 820, height: 1180 } }

const dataDir = mkdtempSync(path.join(tmpdir(), 'lanelist-shots-'))
const config = loadConfig({
  PORT: String(await freePort()),
  LANELIST_EMBEDDED_PG_PORT: String(await freePort()),
  LANELIST_DATA_DIR: dataDir,
  LANELIST_DEMO_CUSTOMERS: '300',
  LANELIST_LOG_LEVEL: 'warn',
})
const service = await startService(config, createLogger(config))
const base = service.url
const keys = JSON.parse(readFileSync(path.join(dataDir, 'demo-keys.json'), 'utf8')) as { backoffice: string; pos: Record<string, string> }
const cards = service.demo!.sampleCards

async function call<T>(key: string, method: string, url: string, body?: unknown): Promise<{ status: number; json: T }> {
  const res = await fetch(`${base}${url}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  return { status: res.status, json: (await res.json()) as T }
}

async function until(check: () => Promise<boolean>, ms = 600_000): Promise<void> {
  const end = Date.now() + ms
  while (Date.now() < end) {
    if (await check()) return
    await new Promise((r) => setTimeout(r, 500))
  }
  throw new Error('timed out')
}

interface ListItem { product: { gtin: string | null } | null; offer: { id: string } | null }

/** A list run for everyone, then a few lane sales that use list offers (budgets, reports, sales). */
async function seed(): Promise<string> {
  const today = new Date().toISOString().slice(0, 10)
  const run = await call<{ id: string }>(keys.backoffice, 'POST', '/v1/list-generations', { asOf: today })
  await until(async () => (await call<{ status: string }>(keys.backoffice, 'GET', `/v1/list-generations/${run.json.id}`)).json.status === 'succeeded')
  let n = 0
  for (const card of cards) {
    const found = await call<{ customer: { id: string } }>(keys.backoffice, 'GET', `/v1/customers/lookup?card=${card}`)
    const list = await call<{ items: ListItem[] }>(keys.backoffice, 'GET', `/v1/customers/${found.json.customer.id}/lists/current`)
    if (list.status !== 200) continue
    const gtins = list.json.items.filter((i) => i.product?.gtin).slice(0, 6).map((i) => i.product!.gtin!)
    if (!gtins.length) continue
    const items = gtins.map((gtin) => ({ gtin, quantity: 2, unitPriceCents: 349 }))
    await call(keys.pos.S01!, 'POST', '/v1/redemptions', {
      storeId: 'S01', laneId: '01', posTransactionId: `SHOT-${++n}`, scannedCode: card, occurredAt: new Date().toISOString(), items,
    })
  }
  // The reports read rollups the service refreshes every minute: wait for the one that
  // includes the run's profiles and these sales, so the reports page shows them.
  await until(async () => {
    const segments = await call<{ snapshot: unknown; freshness: { stale: boolean } }>(keys.backoffice, 'GET', '/v1/reports/segments')
    const value = await call<{ customers: number; freshness: { stale: boolean } }>(keys.backoffice, 'GET', '/v1/reports/value')
    return segments.json.snapshot !== null && value.json.customers > 0 && !value.json.freshness.stale
  }, 300_000)
  return run.json.id
}

async function shoot(page: Page, name: string, width: keyof typeof VIEWPORTS): Promise<void> {
  await page.waitForFunction(() => !document.querySelector('#main .loading'), null, { timeout: 60_000 })
  await page.waitForTimeout(400)
  const file = path.join(outDir, `console-${name}-${width}.png`)
  await page.screenshot({ path: file, fullPage: true })
  process.stdout.write(`wrote ${path.relative(ROOT, file)}\n`)
}

const profile = mkdtempSync(path.join(tmpdir(), 'lanelist-chromium-'))
let context: Awaited<ReturnType<typeof chromium.launchPersistentContext>> | undefined
// Whatever fails, the embedded PostgreSQL is stopped: an orphaned postmaster would outlive us.
try {
  const runId = await seed()
  const customer = (await call<{ customer: { id: string } }>(keys.backoffice, 'GET', `/v1/customers/lookup?card=${cards[0]}`)).json.customer.id
  mkdirSync(outDir, { recursive: true })
  context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS })
  for (const [width, viewport] of Object.entries(VIEWPORTS) as [keyof typeof VIEWPORTS, { width: number; height: number }][]) {
    const page = await context.newPage()
    await page.setViewportSize(viewport)
    await page.goto(`${base}/console`)
    await page.getByLabel('Back-office API key').waitFor()
    await shoot(page, 'signin', width)
    await page.getByLabel('Back-office API key').fill(keys.backoffice)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Service desk' }).waitFor()
    await shoot(page, 'desk', width)
    await page.goto(`${base}/console#/customers/${customer}`)
    await page.getByRole('heading', { name: 'Profile in plain words' }).waitFor()
    await shoot(page, 'customer', width)
    await page.getByRole('button', { name: 'Print list' }).click()
    await page.frameLocator('dialog.printable iframe').locator('.list-page').waitFor()
    await shoot(page, 'print', width)
    await page.keyboard.press('Escape')
    await page.goto(`${base}/console#/offers`)
    await page.getByRole('heading', { name: 'Offers' }).waitFor()
    await page.locator('table').first().waitFor()
    await shoot(page, 'offers', width)
    await page.goto(`${base}/console#/offers/new`)
    await page.getByRole('button', { name: 'Create offer' }).click()
    await page.getByText('The offer was not created').waitFor()
    await shoot(page, 'offer-new', width)
    await page.goto(`${base}/console#/runs/${runId}`)
    await page.getByText(/^Finished: /).waitFor()
    await shoot(page, 'run', width)
    await page.goto(`${base}/console#/runs`)
    await page.locator('table').first().waitFor()
    await shoot(page, 'runs', width)
    await page.goto(`${base}/console#/reports`)
    await page.getByRole('heading', { name: 'Reports' }).waitFor()
    await page.waitForFunction(() => !document.querySelector('#main .loading'), null, { timeout: 60_000 })
    await shoot(page, 'reports', width)
    await page.goto(`${base}/console#/ops`)
    await page.getByRole('heading', { name: 'Job queue' }).waitFor()
    await shoot(page, 'ops', width)
    await page.close()
  }
} finally {
  await context?.close()
  rmSync(profile, { recursive: true, force: true })
  await service.stop()
  rmSync(dataDir, { recursive: true, force: true })
}
