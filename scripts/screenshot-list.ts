// Renders a sample shopping list page and photographs it in headless Chromium, so a person can
// see what a customer gets: `node --import tsx scripts/screenshot-list.ts [OUT.png]`.
// Needs Debian's `chromium` (apt-get install -y chromium); writes docs/screenshots/list-print.png
// and the HTML beside it. Nothing here touches a database.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { withCheckDigit } from '../src/lib/codes.ts'
import { renderListDocument } from '../src/modules/lists/list-print.html.ts'
import type { ListItem, PrintableList } from '../src/modules/lists/list.types.ts'
import { departmentOf } from '../src/modules/lists/list-words.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const out = path.resolve(process.argv[2] ?? path.join(ROOT, 'docs/screenshots/list-print.png'))

let rank = 0
function item(name: string, category: string, expectedDate: string, reason: string, offer?: { name: string; cents: number; reward: NonNullable<ListItem['offer']>['reward'] }, brand: string | null = null): ListItem {
  rank++
  return {
    rank,
    product: { id: String(rank), gtin: null, name, brand, category, size: null },
    category,
    department: departmentOf(category),
    expectedDate,
    probability: 0.8,
    reason,
    offer: offer ? { id: String(100 + rank), name: offer.name, description: '', reward: offer.reward, valueCents: offer.cents, validUntil: '2026-12-06' } : null,
  }
}

/** A coupon placed in a category the customer buys, on products they do not (no product of their own). */
function coupon(category: string, expectedDate: string, offer: { name: string; cents: number; reward: NonNullable<ListItem['offer']>['reward'] }): ListItem {
  const it = item('', category, expectedDate, `An offer picked for you. Timed to when you usually buy ${category.split('/').pop()!.toLowerCase()}.`, offer)
  return { ...it, product: null }
}

const items: ListItem[] = [
  item('Badger Valley 2% reduced fat milk 1 gal', 'Dairy/Milk', '2026-11-24', 'You buy this about once a week'),
  item('Hometown ibuprofen 200 mg, 100 tablets', 'Health/Pain relief', '2026-11-27', 'You usually buy pain relief about every 5 weeks', {
    name: 'Try our store brand',
    cents: 300,
    reward: { type: 'amount_off', amountCents: 300 },
  }),
  item('Bananas, per lb', 'Produce/Fruit', '2026-11-23', 'You buy bananas on most trips'),
  item('Whisker Feast Indoor formula dry cat food 3.15 lb', 'Pet/Cat food', '2026-11-29', 'Your cat food usually lasts about 3 weeks', {
    name: 'Pet pantry deal',
    cents: 200,
    reward: { type: 'amount_off', amountCents: 200 },
  }),
  item('Badger Valley Shredded mozzarella 8 oz', 'Dairy/Cheese', '2026-12-02', 'You buy this cheese about every 2 weeks', {
    name: 'Wisconsin cheese week',
    cents: 150,
    reward: { type: 'percent_off', percent: 25 },
  }),
  item('Sourdough sandwich bread 24 oz', 'Bakery/Bread', '2026-11-25', 'You buy bread about every 8 days'),
  item('Large Grade A eggs, 12 ct', 'Dairy/Eggs', '2026-11-26', 'You buy eggs about every 10 days'),
  item('Ground chuck 80/20, 1 lb', 'Meat/Beef', '2026-11-28', 'You often buy this before the weekend', {
    name: 'Weekend grill deal',
    cents: 120,
    reward: { type: 'fixed_price', priceCents: 479 },
  }),
  item('Honeycrisp apples 3 lb bag', 'Produce/Fruit', '2026-11-30', 'You buy apples about every 10 days'),
  item('Baby spinach 5 oz', 'Produce/Salads', '2026-12-03', 'You buy salad greens about every 10 days', {
    name: 'Fresh produce reward',
    cents: 100,
    reward: { type: 'buy_x_get_y', buy: 2, get: 1, percentOff: 100 },
  }),
  item('Morning Harbor Medium roast ground coffee 30.5 oz', 'Beverages/Coffee & tea', '2026-12-04', 'Your coffee lasts you about 4 weeks'),
  item('Absorba Paper towels 6 big rolls', 'Household/Paper towels & napkins', '2026-12-05', 'You buy paper towels about every 5 weeks', {
    name: 'Household stock-up',
    cents: 250,
    reward: { type: 'spend_threshold', minSpendCents: 2000, amountCents: 250 },
  }),
  coupon('Beverages/Soft drinks', '2026-11-26', { name: 'Try Hometown soft drinks: $1.50 off', cents: 150, reward: { type: 'amount_off', amountCents: 150 } }),
  coupon('Snacks/Crackers & cookies', '2026-11-29', { name: 'Crispworth crackers & cookies: 75c off', cents: 75, reward: { type: 'amount_off', amountCents: 75 } }),
  coupon('Frozen/Pizza', '2026-12-01', { name: 'Brick Oven Bros pizza: buy 2, get 1 free', cents: 599, reward: { type: 'buy_x_get_y', buy: 2, get: 1, percentOff: 100 } }),
]

const list: PrintableList = {
  id: '4711',
  customerId: '1001',
  // A fixed payload, so the committed picture and page only change when the layout does.
  barcode: `LL${withCheckDigit('202611230001')}`,
  cycleStart: '2026-11-23',
  validFrom: '2026-11-23',
  validUntil: '2026-12-06',
  status: 'current',
  trigger: 'run',
  generationId: '12',
  holdout: false,
  createdAt: '2026-11-22T06:00:00Z',
  items,
  totalCouponCents: items.reduce((s, i) => s + (i.offer?.valueCents ?? 0), 0),
  perks: [
    { offerId: '901', perkType: 'recipe', name: 'Sheet-pan chicken with root vegetables', content: 'Chicken thighs, potatoes, carrots and onion, roasted together: dinner for four in 45 minutes.' },
    { offerId: '902', perkType: 'fast_lane', name: 'Fast lane pass', content: 'Use the express lane with any basket size until December 6: show this list at lane 1.' },
  ],
  vouchers: [{ id: '77', valueCents: 437, periodStart: '2026-07-01', periodEnd: '2026-09-30', expiresOn: '2027-11-23' }],
  rainChecks: [{ id: '5', offerId: '31', name: 'Badger Valley cheese: buy 2, get 1 free', description: '', valueCents: 279, expiresOn: '2026-12-19' }],
  storeName: 'Badger Foods · Main Street, Verona',
  firstName: 'Maria',
}

function chromium(): string {
  for (const bin of ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (existsSync(bin)) return bin
  throw new Error('headless Chromium not found: apt-get install -y chromium')
}

mkdirSync(path.dirname(out), { recursive: true })
const htmlFile = out.replace(/\.png$/, '.html')
writeFileSync(htmlFile, renderListDocument(list))
const profile = mkdtempSync(path.join(tmpdir(), 'lanelist-chromium-'))
try {
  execFileSync(
    chromium(),
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--hide-scrollbars',
      `--user-data-dir=${profile}`,
      `--screenshot=${out}`,
      '--window-size=1000,1600',
      `file://${htmlFile}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000 },
  )
} finally {
  rmSync(profile, { recursive: true, force: true })
}
process.stdout.write(`wrote ${path.relative(ROOT, out)} and ${path.relative(ROOT, htmlFile)}\n`)
