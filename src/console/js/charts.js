// Small inline-SVG charts, drawn here rather than with a chart library: four chart kinds do not
// justify a download, and the console must work with no internet. Each chart is an <svg
// role="img"> with a title and description; the same figures are always in a table beside it.
import { h, s } from './dom.js'

function figure(svg, caption) {
  return h('figure', { class: 'chart' }, svg, caption ? h('figcaption', null, caption) : null)
}

function svgRoot({ width, height, title, desc }) {
  const id = `c${Math.random().toString(36).slice(2, 8)}`
  return s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-labelledby': `${id}-t ${id}-d`, class: 'chart', preserveAspectRatio: 'xMidYMid meet' },
    s('title', { id: `${id}-t`, text: title }), s('desc', { id: `${id}-d`, text: desc }))
}

const BRANDS = [['national', 'National brands'], ['switcher', 'Switchers'], ['store', 'Store brand']]
const USAGES = [['low', 'Light'], ['medium', 'Regular'], ['high', 'Heavy']]

/** The nine segment cells of one category: rows brand group, columns usage, shade = share of customers. */
export function segmentGrid(cat, { format }) {
  const W = 460, H = 250, left = 112, top = 34, cw = (W - left - 8) / 3, ch = (H - top - 8) / 3
  const cells = new Map(cat.cells.map((c) => [`${c.brandGroup}/${c.usage}`, c]))
  const max = Math.max(...cat.cells.map((c) => c.customers), 1)
  const svg = svgRoot({
    width: W, height: H,
    title: `Segment grid for ${cat.category}`,
    desc: BRANDS.map(([b, bl]) => `${bl}: ${USAGES.map(([u, ul]) => `${ul.toLowerCase()} ${cells.get(`${b}/${u}`)?.customers ?? 0}`).join(', ')}`).join('; '),
  })
  USAGES.forEach(([, label], j) => svg.append(s('text', { x: left + j * cw + cw / 2, y: 22, 'text-anchor': 'middle', 'font-weight': '700', text: `${label} buyers` })))
  BRANDS.forEach(([b, label], i) => {
    svg.append(s('text', { x: left - 10, y: top + i * ch + ch / 2 + 4, 'text-anchor': 'end', 'font-weight': '700', text: label }))
    USAGES.forEach(([u], j) => {
      const c = cells.get(`${b}/${u}`) ?? { customers: 0, spendCents: 0 }
      const t = c.customers / max
      // Light to dark green; text flips to white where the fill gets dark.
      const fill = `hsl(146, ${30 + 25 * t}%, ${96 - 62 * t}%)`
      const x = left + j * cw, y = top + i * ch
      svg.append(
        s('rect', { x: x + 2, y: y + 2, width: cw - 4, height: ch - 4, rx: 5, fill, stroke: '#c9ccc9' }),
        s('text', { x: x + cw / 2, y: y + ch / 2 - 2, 'text-anchor': 'middle', 'font-size': '17', 'font-weight': '800', fill: t > 0.55 ? '#fff' : '#1b1b1b', text: String(c.customers) }),
        s('text', { x: x + cw / 2, y: y + ch / 2 + 16, 'text-anchor': 'middle', fill: t > 0.55 ? '#fff' : '#444', text: format(c.spendCents) }),
      )
    })
  })
  return figure(svg, 'Customers in each cell (larger, darker = more customers) and their spend in the category.')
}

/**
 * Value concentration: share of sales (y) from the top x of customers, against the diagonal of
 * an even spread. `marks` are the labelled points (top 1%, 2.5%, 10%, 20%).
 */
export function concentrationCurve(curve, marks) {
  const W = 460, H = 300, l = 48, r = 24, t = 14, b = 42
  const x = (v) => l + v * (W - l - r)
  const y = (v) => H - b - v * (H - t - b)
  const pts = [{ topShare: 0, shareOfSales: 0 }, ...curve, { topShare: 1, shareOfSales: 1 }]
    .filter((p, i, a) => i === 0 || p.topShare > a[i - 1].topShare)
  const svg = svgRoot({
    width: W, height: H,
    title: 'Value concentration curve',
    desc: marks.map((m) => `top ${fmtShare(m.topShare)} of customers make ${fmtShare(m.shareOfSales)} of sales`).join('; '),
  })
  for (const v of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(s('line', { class: 'grid', x1: x(0), x2: x(1), y1: y(v), y2: y(v) }), s('line', { class: 'grid', x1: x(v), x2: x(v), y1: y(0), y2: y(1) }))
    svg.append(s('text', { x: l - 6, y: y(v) + 4, 'text-anchor': 'end', text: `${v * 100}%` }), s('text', { x: x(v), y: H - b + 16, 'text-anchor': 'middle', text: `${v * 100}%` }))
  }
  const path = pts.map((p, i) => `${i ? 'L' : 'M'}${x(p.topShare).toFixed(1)},${y(p.shareOfSales).toFixed(1)}`).join(' ')
  svg.append(
    s('path', { class: 'area', d: `${path} L${x(1)},${y(0)} Z` }),
    s('line', { class: 'diag', x1: x(0), y1: y(0), x2: x(1), y2: y(1) }),
    s('path', { class: 'curve', d: path }),
    s('line', { class: 'axis', x1: x(0), x2: x(1), y1: y(0), y2: y(0) }),
    s('line', { class: 'axis', x1: x(0), x2: x(0), y1: y(0), y2: y(1) }),
    s('text', { x: (x(0) + x(1)) / 2, y: H - 6, 'text-anchor': 'middle', text: 'Top customers, by spend' }),
    s('text', { x: x(0.62), y: y(0.5) + 18, 'text-anchor': 'start', fill: '#555', text: 'even spread' }),
  )
  marks.forEach((m, i) => {
    svg.append(
      s('circle', { class: 'dot', cx: x(m.topShare), cy: y(m.shareOfSales), r: 4.5 }),
      s('text', { x: x(m.topShare) + 8, y: y(m.shareOfSales) + 14 + i * 2, text: `${fmtShare(m.topShare)} → ${fmtShare(m.shareOfSales)}` }),
    )
  })
  return figure(svg, 'Share of sales (up) from the top share of customers (across). The further above the dashed line, the more sales depend on a few customers.')
}

/** Horizontal bars: [{ label, value, text }]. */
export function bars(rows, { title }) {
  // Room on the right for the longest value label (about 7 px a character at 12 px).
  const W = 460, row = 30, l = 118, r = Math.max(60, ...rows.map((d) => String(d.text).length * 7.2 + 12)), H = rows.length * row + 10
  const max = Math.max(...rows.map((d) => d.value), 1)
  const svg = svgRoot({ width: W, height: H, title, desc: rows.map((d) => `${d.label}: ${d.text}`).join('; ') })
  rows.forEach((d, i) => {
    const w = (d.value / max) * (W - l - r)
    svg.append(
      s('text', { x: l - 8, y: i * row + 22, 'text-anchor': 'end', text: d.label }),
      s('rect', { class: 'bar', x: l, y: i * row + 8, width: Math.max(w, d.value > 0 ? 2 : 0), height: row - 10, rx: 3 }),
      s('text', { x: l + w + 6, y: i * row + 22, text: d.text }),
    )
  })
  return figure(svg, null)
}

/**
 * Lift per offer with its interval (a forest plot): dot = estimated extra spend per treated
 * customer, line = interval. Grey when the interval crosses zero (cannot tell from noise).
 */
export function liftChart(rows, { format }) {
  if (!rows.length) return h('p', { class: 'notice warn' }, 'No offer has a measured lift in this period yet: an offer is measured once the lists carrying it have ended, and only with enough customers in both groups. The table says why for each offer.')
  const W = 560, row = 34, l = 190, r = 20, t = 10, b = 40, H = t + b + Math.max(rows.length, 1) * row
  const all = rows.flatMap((d) => [d.low, d.high, d.estimate]).concat(0)
  let lo = Math.min(...all), hi = Math.max(...all)
  if (lo === hi) (lo -= 100), (hi += 100)
  const pad = (hi - lo) * 0.08
  lo -= pad
  hi += pad
  const x = (v) => l + ((v - lo) / (hi - lo)) * (W - l - r)
  const svg = svgRoot({
    width: W, height: H,
    title: 'Incremental spend per customer against the holdout, with interval',
    desc: rows.map((d) => `${d.label}: ${format(d.estimate)} (${format(d.low)} to ${format(d.high)})${d.noise ? ', cannot tell from noise' : ''}`).join('; ') || 'No offer has a measurable lift yet',
  })
  const ticks = niceTicks(lo, hi, 5)
  for (const v of ticks) svg.append(s('line', { class: 'grid', x1: x(v), x2: x(v), y1: t, y2: H - b }), s('text', { x: x(v), y: H - b + 16, 'text-anchor': 'middle', text: format(v) }))
  svg.append(s('line', { class: 'zero', x1: x(0), x2: x(0), y1: t, y2: H - b }), s('text', { x: (l + W - r) / 2, y: H - 6, 'text-anchor': 'middle', text: 'Extra spend in the offer\'s scope per treated customer' }))
  rows.forEach((d, i) => {
    const cy = t + i * row + row / 2
    const cls = d.noise ? 'noise' : ''
    svg.append(
      s('text', { x: l - 10, y: cy + 4, 'text-anchor': 'end', text: d.label.length > 26 ? `${d.label.slice(0, 25)}…` : d.label }),
      s('line', { class: `ci ${cls}`, x1: x(d.low), x2: x(d.high), y1: cy, y2: cy }),
      s('circle', { class: `est ${cls}`, cx: x(d.estimate), cy, r: 6 }),
    )
  })
  return figure(svg, 'Dot: estimated extra spend; line: the interval. Grey: the interval includes zero, so the lift cannot be told from noise. Dashed red: no effect.')
}

function niceTicks(lo, hi, n) {
  const step0 = (hi - lo) / n
  const mag = 10 ** Math.floor(Math.log10(step0))
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s1) => s1 >= step0) ?? step0
  const out = []
  for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) out.push(Math.round(v))
  return out
}

export function fmtShare(v) {
  const p = v > 1 ? v : v * 100
  return `${Number(p.toFixed(p < 10 ? 1 : 0))}%`
}
