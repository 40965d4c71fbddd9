// Reports as charts beside their tables: the segment grid, value concentration, lift per offer
// with its interval, and what to bill each manufacturer. Each report loads on its own, so one
// slow or failing report never blanks the others. CSV buttons ask the same routes for text/csv.
import { api, download } from '../api.js'
import { bars, concentrationCurve, fmtShare, liftChart, segmentGrid } from '../charts.js'
import { count, day, field, h, money, notice, pct, table, time, today, fill } from '../dom.js'
import { busy, errorNotice } from '../ui.js'
import { BRAND_WORDS, LIFECYCLE_WORDS, USAGE_WORDS } from '../words.js'

const SECTIONS = [
  ['segments', 'Segments'],
  ['value', 'Customer value'],
  ['offers', 'Offer results'],
  ['manufacturers', 'Manufacturer billing'],
]

const minusDays = (d, n) => new Date(Date.parse(`${d}T00:00:00Z`) - n * 86_400_000).toISOString().slice(0, 10)

export function render(view) {
  const blocks = Object.fromEntries(SECTIONS.map(([id]) => [id, h('div', null, h('p', { class: 'loading' }, 'Loading…'))]))
  view.append(
    h('h1', null, 'Reports'),
    h('nav', { 'aria-label': 'Reports on this page' }, h('p', null, SECTIONS.map(([id, label], i) => [i ? ' · ' : '', h('a', { href: '#/reports', 'data-target': `report-${id}`, onclick: jump }, label)]))),
    ...SECTIONS.map(([id, label]) => h('section', { class: 'block', id: `report-${id}`, 'aria-labelledby': `report-${id}-h` }, h('h2', { id: `report-${id}-h`, tabindex: '-1' }, label), blocks[id])),
  )
  segments(blocks.segments)
  value(blocks.value)
  periodReport(blocks.offers, offers)
  periodReport(blocks.manufacturers, manufacturers)
}

// In-page links would change the hash (our router); move focus instead.
function jump(e) {
  e.preventDefault()
  const target = document.getElementById(`${e.currentTarget.dataset.target}-h`)
  target?.scrollIntoView({ behavior: 'smooth', block: 'start' })
  target?.focus({ preventScroll: true })
}

function failed(err, what) {
  if (err.status === 404 && err.problem?.type?.endsWith('route-not-found')) return notice(`The ${what} report is not available on this server version.`, 'warn')
  return errorNotice(err, `Could not load the ${what} report`)
}

function freshnessNote(f) {
  if (!f) return null
  const text = `${f.rolledAt ? `Figures as of ${time(f.rolledAt)}` : 'Not computed yet'}${f.dataThrough ? `, data through ${time(f.dataThrough)}` : ''}. ${f.note ?? ''}`
  return h('p', { class: 'muted' }, text, f.stale ? h('span', { class: 'badge warn' }, ' newer data is being added') : null, f.lastError ? ` Last error: ${f.lastError}` : null)
}

function csvButton(path, filename, label = 'Download CSV') {
  const b = h('button', { type: 'button', class: 'secondary small' }, label)
  const slot = h('span')
  b.addEventListener('click', () => busy(b, slot, () => download(path, filename, 'text/csv')))
  return h('span', null, b, slot)
}

// ---- Segments ---------------------------------------------------------------------------

async function segments(block) {
  let report
  try {
    report = await api('/v1/reports/segments')
  } catch (err) {
    return fill(block, failed(err, 'segment'))
  }
  const cats = [...report.categories].sort((a, b) => b.customers - a.customers)
  if (!cats.length) return fill(block, freshnessNote(report.freshness), h('p', { class: 'muted' }, 'No segments yet: they are made by the first list run.'))
  const select = h('select', { id: 'segment-category' }, cats.map((c) => h('option', { value: c.category }, `${c.category} (${count(c.customers)} customers)`)))
  const body = h('div')
  const show = () => {
    const cat = cats.find((c) => c.category === select.value) ?? cats[0]
    const moved = cat.toStoreBrand
    fill(body, 
      h('div', { class: 'chart-pair' },
        segmentGrid(cat, { format: money }),
        table({
          caption: `${cat.category}: ${count(cat.customers)} customers, ${money(cat.spendCents)}`,
          columns: [
            { label: 'Brand group', value: (c) => BRAND_WORDS[c.brandGroup] ?? c.brandGroup, header: true },
            { label: 'Usage', value: (c) => USAGE_WORDS[c.usage] ?? c.usage },
            { label: 'Customers', value: (c) => count(c.customers), num: true },
            { label: 'Share', value: (c) => pct(c.shareOfCustomers), num: true },
            { label: 'Spend', value: (c) => money(c.spendCents), num: true },
          ],
          rows: cat.cells,
        })),
      report.snapshot?.previous
        ? [
            h('h3', null, `Moves since the run of ${day(report.snapshot.previous.asOf)}`),
            h('p', { class: 'plain-words' },
              `${count(moved.customers)} customers moved to the store brand, ${count(moved.afterOffer)} of them after redeeming an offer in the category; `,
              `${count(moved.fromNationalHigh)} were heavy national-brand buyers (${count(moved.fromNationalHighAfterOffer)} after an offer).`),
            table({
              caption: 'Customers who changed cell',
              columns: [
                { label: 'From', value: (m) => cellWords(m.from) },
                { label: 'To', value: (m) => cellWords(m.to) },
                { label: 'Customers', value: (m) => count(m.customers), num: true },
                { label: 'After an offer', value: (m) => count(m.afterOffer), num: true },
              ],
              rows: cat.moves.filter((m) => m.customers > 0).sort((a, b) => b.customers - a.customers).slice(0, 15),
              empty: 'Nobody changed cell.',
            }),
          ]
        : h('p', { class: 'muted' }, 'Moves between cells appear after the second run.'),
    )
  }
  select.addEventListener('change', show)
  show()
  fill(block, 
    freshnessNote(report.freshness),
    h('div', { class: 'row' }, field({ label: 'Category', input: select }), h('div', { class: 'field narrow' }, csvButton('/v1/reports/segments?table=cells', 'segments.csv'))),
    body,
  )
}

const cellWords = (c) => (c ? `${USAGE_WORDS[c.usage] ?? c.usage}, ${c.brandGroup}` : 'not in the category')

// ---- Value ------------------------------------------------------------------------------

async function value(block) {
  let r
  try {
    r = await api('/v1/reports/value?limit=25')
  } catch (err) {
    return fill(block, failed(err, 'value'))
  }
  const tierRows = r.tiers.map((t) => ({ label: t.tier ? `Tier ${t.tier}` : 'No tier', value: t.customers, text: `${count(t.customers)} · ${money(t.spendCents)}` }))
  const lifeRows = r.lifecycles.map((l) => ({ label: l.lifecycle ?? 'unknown', value: l.customers, text: count(l.customers) }))
  fill(block, 
    freshnessNote(r.freshness),
    h('p', null, `${count(r.customers)} customers spent ${money(r.spendCents)}.`),
    h('h3', null, 'Concentration'),
    h('div', { class: 'chart-pair' },
      concentrationCurve(r.curve, r.concentration),
      h('div', null,
        table({
          caption: 'Share of sales from the top customers',
          columns: [
            { label: 'Top customers', value: (c) => fmtShare(c.topShare), header: true },
            { label: 'Customers', value: (c) => count(c.customers), num: true },
            { label: 'Their spend', value: (c) => money(c.spendCents), num: true },
            { label: 'Share of sales', value: (c) => pct(c.shareOfSales), num: true },
          ],
          rows: r.concentration,
        }),
        h('p', null, csvButton('/v1/reports/value?table=concentration', 'value-concentration.csv')))),
    h('div', { class: 'split' },
      h('div', null, h('h3', null, 'Customers per value tier'), bars(tierRows, { title: 'Customers per value tier' }),
        table({ caption: 'Value tiers', columns: [
          { label: 'Tier', value: (t) => t.tier ?? 'none', header: true },
          { label: 'Customers', value: (t) => count(t.customers), num: true },
          { label: 'Spend', value: (t) => money(t.spendCents), num: true },
          { label: 'Value', value: (t) => money(t.valueCents), num: true },
        ], rows: r.tiers })),
      h('div', null, h('h3', null, 'Customers per lifecycle stage'), bars(lifeRows, { title: 'Customers per lifecycle stage' }),
        table({ caption: 'Lifecycle stages', columns: [
          { label: 'Stage', value: (l) => (l.lifecycle ? LIFECYCLE_WORDS[l.lifecycle] : 'unknown'), header: true },
          { label: 'Customers', value: (l) => count(l.customers), num: true },
        ], rows: r.lifecycles }))),
    h('h3', null, `Early warning: newly behind their own cycle (last ${r.earlyWarning.days} days)`),
    h('p', null, `${count(r.earlyWarning.total)} customers. `, csvButton('/v1/reports/value?table=early-warning', 'early-warning.csv')),
    table({
      caption: 'Most valuable first',
      columns: [
        { label: 'Customer', value: (c) => h('a', { href: `#/customers/${c.customerId}` }, c.customerId), header: true },
        { label: 'Tier', value: (c) => c.valueTier ?? '–' },
        { label: 'Last bought', value: (c) => day(c.lastPurchaseDay) },
        { label: 'Usually every', value: (c) => `${Math.round(c.medianGapDays)} days`, num: true },
        { label: 'Behind since', value: (c) => day(c.behindSince) },
        { label: 'Value', value: (c) => money(c.valueCents), num: true },
      ],
      rows: r.earlyWarning.customers,
      empty: 'Nobody fell behind their cycle lately.',
    }),
    h('h3', null, 'Rewards cost more than their margin'),
    h('p', null, `${count(r.negativeValue.total)} customers, ${money(r.negativeValue.valueCents)} in total. `, csvButton('/v1/reports/value?table=negative-value', 'negative-value.csv')),
    table({
      caption: 'Most negative first',
      columns: [
        { label: 'Customer', value: (c) => h('a', { href: `#/customers/${c.customerId}` }, c.customerId), header: true },
        { label: 'Spend', value: (c) => money(c.spendCents), num: true },
        { label: 'Margin', value: (c) => money(c.marginCents), num: true },
        { label: 'Rewards', value: (c) => money(c.rewardsCents), num: true },
        { label: 'Value', value: (c) => money(c.valueCents), num: true },
        { label: 'Tier', value: (c) => c.valueTier ?? '–' },
      ],
      rows: r.negativeValue.customers,
      empty: 'No customer costs more in rewards than they bring in margin.',
    }),
  )
}

// ---- Period reports (offers, manufacturers) -------------------------------------------------

function periodReport(block, draw) {
  const to = h('input', { type: 'date', value: today() })
  const from = h('input', { type: 'date', value: minusDays(today(), 27) })
  const show = h('button', { type: 'submit', class: 'secondary' }, 'Show')
  const out = h('div', { 'aria-live': 'polite' })
  const form = h('form', { class: 'row', novalidate: true }, field({ label: 'From', input: from, className: 'narrow' }), field({ label: 'To (included)', input: to, className: 'narrow' }),
    h('div', { class: 'field narrow' }, show))
  const load = () => busy(show, out, () => draw(out, `from=${from.value}&to=${to.value}`))
  form.addEventListener('submit', (e) => {
    e.preventDefault()
    load()
  })
  fill(block, form, out)
  load()
}

const VERDICT = { lift: ['good', 'earns'], negative: ['bad', 'loses'], noise: ['', 'cannot tell from noise'], too_few: ['', 'too few customers'], no_holdout: ['', 'no holdout'], pending: ['warn', 'waiting for the cycle to end'] }

async function offers(out, query) {
  let r
  try {
    r = await api(`/v1/reports/offers?${query}`)
  } catch (err) {
    return fill(out, failed(err, 'offer'))
  }
  const measured = r.offers.filter((o) => o.lift.interval && o.lift.differenceCents !== null)
  fill(out, 
    freshnessNote(r.freshness?.redemptions),
    h('div', { class: 'chart-pair' },
      liftChart(measured.map((o) => ({
        label: o.name,
        estimate: o.lift.differenceCents,
        low: o.lift.interval.low,
        high: o.lift.interval.high,
        noise: o.lift.verdict !== 'lift' && o.lift.verdict !== 'negative',
      })), { format: (c) => money(Math.round(c)) }),
      h('div', null, h('p', null, h('strong', null, 'How lift is measured: '), r.method), h('p', null, csvButton(`/v1/reports/offers?${query}`, `offers-${query.replaceAll(/[^0-9-]+/g, '_')}.csv`)))),
    table({
      caption: `Offers, ${day(r.from)} to ${day(r.to)}`,
      columns: [
        { label: 'Offer', value: (o) => o.name, header: true },
        { label: 'Lists', value: (o) => count(o.lists), num: true },
        { label: 'Redeemed', value: (o) => count(o.redemptions), num: true },
        { label: 'Rate', value: (o) => pct(o.redemptionRate), num: true },
        { label: 'Discount', value: (o) => money(o.discountCents), num: true },
        { label: 'Extra spend / customer', value: (o) => (o.lift.differenceCents === null ? '–' : money(o.lift.differenceCents)), num: true },
        { label: 'Interval', value: (o) => (o.lift.interval ? `${money(o.lift.interval.low)} to ${money(o.lift.interval.high)}` : '–'), num: true },
        { label: 'Verdict', value: (o) => [h('span', { class: `badge ${VERDICT[o.lift.verdict]?.[0] ?? ''}` }, VERDICT[o.lift.verdict]?.[1] ?? o.lift.verdict), h('div', { class: 'muted' }, o.lift.says)] },
      ],
      rows: r.offers,
      empty: 'No offer ran in this period.',
    }),
  )
}

async function manufacturers(out, query) {
  let r
  try {
    r = await api(`/v1/reports/manufacturers?${query}`)
  } catch (err) {
    return fill(out, failed(err, 'manufacturer'))
  }
  fill(out, 
    freshnessNote(r.freshness),
    h('p', null, `To bill for ${day(r.from)} to ${day(r.to)}: `, h('strong', null, money(r.totalFaceValueCents)), ' ',
      csvButton(`/v1/reports/manufacturers?${query}`, `manufacturer-claims-${r.from}-${r.to}.csv`, 'Download claim CSV')),
    table({
      caption: 'Per manufacturer and offer',
      columns: [
        { label: 'Manufacturer / offer', value: (row) => (row.offer ? h('span', null, '\u2003', row.offer) : h('strong', null, row.manufacturer)), header: true },
        { label: 'Redemptions', value: (row) => count(row.redemptions), num: true },
        { label: 'Units', value: (row) => count(row.units), num: true },
        { label: 'Face value', value: (row) => money(row.faceValueCents), num: true },
      ],
      rows: r.manufacturers.flatMap((m) => [m, ...m.offers.map((o) => ({ ...o, offer: o.name }))]),
      empty: 'No manufacturer deal was redeemed in this period.',
    }),
  )
}
