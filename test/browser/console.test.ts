// The console in a real browser (headless Chromium via playwright-core) against a real lanelist
// on a real port with the demo chain: sign in (a wrong key is refused), find a customer by card,
// read the profile, print the list, start a list run and watch it finish, and the pages' security
// headers. One browser for the file; one page reused.
import t from 'tap'
import { startBrowser, startConsoleApp } from './console-app.ts'

t.test('console', async (t) => {
  const app = await startConsoleApp(t)
  const { page } = await startBrowser(t)
  const pageErrors: string[] = []
  page.on('pageerror', (err) => pageErrors.push(String(err)))
  page.on('console', (msg) => {
    // Refused requests (the wrong-key and unknown-card checks) are expected; script errors are not.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) pageErrors.push(msg.text())
  })

  await t.test('the console is served with strict security headers', async (t) => {
    const res = await fetch(`${app.url}/console`)
    t.equal(res.status, 200)
    t.match(res.headers.get('content-type'), /text\/html/)
    const csp = res.headers.get('content-security-policy') ?? ''
    t.match(csp, /script-src 'self'(;|$)/, 'scripts only from our own files, no inline script')
    t.match(csp, /default-src 'none'/)
    t.match(csp, /frame-ancestors 'none'/)
    t.equal(res.headers.get('x-content-type-options'), 'nosniff')
    const html = await res.text()
    t.notMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script in the page')
    const js = await fetch(`${app.url}/console/js/main.js`)
    t.match(js.headers.get('content-type'), /javascript/)
    t.equal((await fetch(`${app.url}/console/js/nope.js`)).status, 404)
    t.equal((await fetch(`${app.url}/console/../package.json`)).status, 404)
  })

  await t.test('a wrong key is refused, a lane key too', async (t) => {
    await page.goto(`${app.url}/console`)
    await page.getByLabel('Back-office API key').fill('ll_not_a_real_key_0000000000000000')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByText('This key is not accepted').waitFor()
    t.equal(await page.evaluate(() => sessionStorage.length), 0, 'nothing kept')
    await page.getByLabel('Back-office API key').fill(app.posKey)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByText('may not use the back office').waitFor()
    t.notOk(await page.getByRole('navigation', { name: 'Console sections' }).isVisible(), 'no navigation before signing in')
  })

  await t.test('sign in, find a customer by card, read the profile', async (t) => {
    await page.getByLabel('Back-office API key').fill(app.backofficeKey)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByRole('heading', { name: 'Service desk' }).waitFor()
    t.equal(await page.evaluate(() => document.activeElement?.id), 'find', 'focus lands in the search box')
    t.notMatch(page.url(), new RegExp(app.backofficeKey), 'the key is never in the URL')
    await page.getByLabel('Card number, list barcode or customer id').fill('1234')
    await page.getByLabel('Card number, list barcode or customer id').fill('2999999999999')
    await page.keyboard.press('Enter')
    await page.getByText(/No customer has that number|check digit/).waitFor()

    await page.getByLabel('Card number, list barcode or customer id').fill(app.sampleCards[0]!)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Profile in plain words' }).waitFor()
    t.match(page.url(), /#\/customers\/\d+$/)
    const words = await page.locator('.plain-words').innerText()
    t.match(words, /Tier [ABCD]|list every other week|threshold/, 'the profile in words')
    t.ok(await page.getByRole('heading', { name: 'Recent sales' }).isVisible())
    t.ok((await page.locator('#main details').count()) > 0, 'recent sales are listed')
  })

  await t.test('make and print the list', async (t) => {
    // The customer may already have a list on screen: wait for the page to show the new one,
    // or the barcode read below could be the old page's and the print button the new page's.
    const shown = page.locator('#list-h + p .mono')
    const before = (await shown.count()) > 0 ? (await shown.innerText()).trim() : null
    await page.getByRole('button', { name: 'Make a new list now' }).click()
    await page.waitForFunction((old) => {
      const code = document.querySelector('#list-h + p .mono')?.textContent?.trim()
      return code !== undefined && code !== old
    }, before)
    await page.getByRole('button', { name: 'Print list' }).waitFor()
    const barcode = (await page.locator('#list-h + p .mono').innerText()).trim()
    t.match(barcode, /^LL\d{13}$/)
    t.ok(await page.getByRole('heading', { name: /given or not, and why/ }).isVisible())
    await page.getByRole('button', { name: 'Print list' }).click()
    const frame = page.frameLocator('dialog.printable iframe')
    await frame.locator('.list-page').waitFor()
    t.equal(await frame.locator('html').evaluate(() => document.title), `Shopping list ${barcode}`, 'the printable page of this list')
    t.equal(await frame.locator('.barcode svg').count(), 1, 'with its barcode')
    const styled = await frame.locator('.list-page').evaluate((el) => getComputedStyle(el).backgroundColor)
    t.equal(styled, 'rgb(255, 255, 255)', "the print page's own styles apply under the console's CSP")
    t.ok(await page.getByRole('button', { name: 'Print', exact: true }).isVisible())
    await page.keyboard.press('Escape')
    await page.locator('dialog.printable').waitFor({ state: 'detached' })

    // The same customer found by the list barcode.
    await page.getByRole('link', { name: 'Service desk' }).click()
    await page.getByLabel('Card number, list barcode or customer id').fill(barcode)
    await page.keyboard.press('Enter')
    await page.getByRole('heading', { name: 'Profile in plain words' }).waitFor()
  })

  await t.test('start a run and watch it finish', async (t) => {
    await page.getByRole('link', { name: 'List runs' }).click()
    await page.getByRole('heading', { name: 'List runs' }).waitFor()
    await page.getByRole('button', { name: 'Start run' }).click()
    await page.waitForURL(/#\/runs\/\d+$/)
    await page.getByText(/^Finished: \d+ of \d+ customers/).waitFor({ timeout: 60_000 })
    const made = Number(await page.locator('.card', { hasText: 'Lists made' }).locator('.stat').innerText())
    const skipped = Number(await page.locator('.card', { hasText: 'list still current' }).locator('.stat').innerText())
    t.ok(made + skipped > 0, `lists made (${made}) or skipped as current (${skipped})`)
    if (made > 0) {
      const download = page.waitForEvent('download')
      await page.getByRole('button', { name: 'Export lists (NDJSON)' }).click()
      const file = await download
      t.match(file.suggestedFilename(), /^lanelist-run-\d+\.ndjson$/)
    }
  })

  await t.test('the reports page loads every report without an error', async (t) => {
    await page.getByRole('link', { name: 'Reports' }).click()
    await page.getByRole('heading', { name: 'Reports' }).waitFor()
    await page.waitForFunction(() => !document.querySelector('#main .loading'), null, { timeout: 30_000 })
    for (const name of ['Segments', 'Customer value', 'Offer results', 'Manufacturer billing']) {
      t.ok(await page.getByRole('heading', { name, exact: true }).isVisible(), name)
    }
    t.equal(await page.locator('#main .notice.error').count(), 0, 'no report failed')
    t.ok(await page.locator('#report-value figure.chart svg[role="img"]').count() > 0, 'the value report has its charts')
  })

  await t.test('the charts draw what they are given', async (t) => {
    const drawn = await page.evaluate(async () => {
      const url = '/console/js/charts.js'
      const charts = await import(url)
      const money = (c: number) => `$${(c / 100).toFixed(2)}`
      const lift = charts.liftChart(
        [
          { label: 'Earns', estimate: 250, low: 100, high: 400, noise: false },
          { label: 'Noise', estimate: 50, low: -120, high: 220, noise: true },
        ],
        { format: money },
      )
      const empty = charts.liftChart([], { format: money })
      const curve = charts.concentrationCurve([{ topShare: 0.1, shareOfSales: 0.6 }], [{ topShare: 0.1, shareOfSales: 0.6 }])
      const cells = ['national', 'switcher', 'store'].flatMap((brandGroup, i) =>
        ['low', 'medium', 'high'].map((usage, j) => ({ brandGroup, usage, customers: i * 3 + j, spendCents: 100 * (i * 3 + j) })),
      )
      const grid = charts.segmentGrid({ category: 'Dairy', cells }, { format: money })
      return {
        liftDots: lift.querySelectorAll('circle.est').length,
        liftNoise: lift.querySelectorAll('circle.est.noise').length,
        liftLabel: lift.querySelector('svg')?.getAttribute('role'),
        liftDesc: lift.querySelector('desc')?.textContent,
        emptyIsText: empty.tagName,
        curvePath: curve.querySelector('path.curve')?.getAttribute('d'),
        gridCells: grid.querySelectorAll('rect').length,
        gridText: [...grid.querySelectorAll('text')].map((e: Element) => e.textContent).join(' '),
      }
    })
    t.equal(drawn.liftDots, 2)
    t.equal(drawn.liftNoise, 1, 'an interval across zero is drawn as noise')
    t.equal(drawn.liftLabel, 'img')
    t.match(drawn.liftDesc, /Noise: \$0\.50 \(\$-1\.20 to \$2\.20\), cannot tell from noise/)
    t.equal(drawn.emptyIsText, 'P', 'no measured lift: words, not an empty chart')
    t.match(drawn.curvePath, /^M48\.0,258\.0 L/, 'the curve starts at the origin')
    t.equal(drawn.gridCells, 9, 'nine cells')
    t.match(drawn.gridText, /Heavy buyers.*Store brand/)
  })

  await t.test('no key in the logs, no script errors', async (t) => {
    const logs = app.logs.join('')
    t.notOk(logs.includes(app.backofficeKey), 'the key never reaches the log')
    t.same(pageErrors, [], 'no errors in the browser console')
  })
})
