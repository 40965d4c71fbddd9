// Pure rendering pieces of the list page (no database): words, escaping, barcode.
import t from 'tap'
import { withCheckDigit } from '../../src/lib/codes.ts'
import { listBarcodePng, listBarcodeSvg } from '../../src/modules/lists/list-barcode.ts'
import { groupByDepartment } from '../../src/modules/lists/list-render.ts'
import { departmentOf, escapeHtml, leafOf, money, rewardInWords, whenInWords } from '../../src/modules/lists/list-words.ts'
import type { ListItem } from '../../src/modules/lists/list.types.ts'

t.test('escaping covers text and attribute contexts', async (t) => {
  t.equal(escapeHtml(`<a href="x" onclick='y'>Tom & Jerry</a>`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;')
  t.equal(escapeHtml('plain'), 'plain')
})

t.test('money, dates and rewards in plain words', async (t) => {
  t.equal(money(0), '$0.00')
  t.equal(money(123_456), '$1,234.56')
  t.equal(money(1_050, { locale: 'en-GB', currency: 'GBP' }), '£10.50')
  const from = '2026-11-23'
  const cases: [string | null, string][] = [
    [null, ''],
    ['2026-11-20', 'Running low now'],
    ['2026-11-23', 'Running low now'],
    ['2026-11-24', 'This week, around Tue, Nov 24'],
    ['2026-11-29', 'This week, around Sun, Nov 29'],
    ['2026-11-30', 'Next week, around Mon, Nov 30'],
    ['2026-12-06', 'Next week, around Sun, Dec 6'],
    ['2026-12-07', 'Around Mon, Dec 7'],
  ]
  for (const [day, words] of cases) t.equal(whenInWords(day, from), words, String(day))
  t.equal(rewardInWords({ type: 'amount_off', amountCents: 50 }), '$0.50 off')
  t.equal(rewardInWords({ type: 'percent_off', percent: 20 }), '20% off')
  t.equal(rewardInWords({ type: 'fixed_price', priceCents: 299 }), 'Only $2.99')
  t.equal(rewardInWords({ type: 'buy_x_get_y', buy: 2, get: 1, percentOff: 100 }), 'Buy 2, get 1 free')
  t.equal(rewardInWords({ type: 'buy_x_get_y', buy: 1, get: 1, percentOff: 50 }), 'Buy 1, get 1 at 50% off')
  t.equal(rewardInWords({ type: 'spend_threshold', minSpendCents: 5_000, amountCents: 500 }), '$5.00 off when you spend $50.00')
  t.equal(rewardInWords(null), '')
  t.equal(departmentOf('Dairy/Milk'), 'Dairy')
  t.equal(departmentOf(null), 'Other')
  t.equal(departmentOf(''), 'Other')
  t.equal(leafOf('Health/Pain relief'), 'Pain relief')
})

t.test('departments in the order of their most important item', async (t) => {
  const it = (rank: number, department: string) => ({ rank, department }) as ListItem
  const groups = groupByDepartment([it(3, 'Dairy'), it(1, 'Produce'), it(2, 'Dairy'), it(4, 'Pet')])
  t.same(groups.map((g) => [g.department, g.items.map((i) => i.rank)]), [['Produce', [1]], ['Dairy', [2, 3]], ['Pet', [4]]])
})

t.test('barcode: Code 128 of a valid list payload only', async (t) => {
  const payload = `LL${withCheckDigit('000000000042')}`
  const svg = listBarcodeSvg(payload)
  t.match(svg, /^<svg width="\d+" height="\d+" role="img"/)
  t.match(svg, /viewBox="0 0 \d+ \d+"/)
  const inline = listBarcodeSvg(payload, { inline: true })
  t.match(inline, 'class="barcode-svg"')
  t.notMatch(inline.slice(0, inline.indexOf('>')), / width="/, 'inline SVG scales with its box')
  t.equal(listBarcodeSvg(payload), svg, 'deterministic')
  const png = await listBarcodePng(payload)
  t.equal(png.subarray(1, 4).toString(), 'PNG')
  t.throws(() => listBarcodeSvg('LL0000000000421'), /not a list barcode/, 'bad check digit')
  t.throws(() => listBarcodeSvg('<svg onload=alert(1)>'), /not a list barcode/)
  t.throws(() => listBarcodePng('2912345678906'), /not a list barcode/, 'a card number is not a list')
})
