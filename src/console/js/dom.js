// Tiny DOM helpers. Text always goes in as text nodes (never innerHTML), so nothing a customer
// record or an offer name contains can become markup.

const SVG_NS = 'http://www.w3.org/2000/svg'

function apply(el, attrs) {
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v)
    else if (k === 'class') el.setAttribute('class', v)
    else if (k === 'text') el.textContent = v
    else if (k === 'value' && 'value' in el) el.value = v
    else if (k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden') {
      el[k] = Boolean(v)
      if (!(k in el)) el.setAttribute(k, '')
    } else el.setAttribute(k, v === true ? '' : String(v))
  }
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue
    el.append(c instanceof Node ? c : document.createTextNode(String(c)))
  }
}

/** h('p', { class: 'x' }, 'text', child, [more]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag)
  apply(el, attrs)
  append(el, children)
  return el
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag)
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'text') el.textContent = v
    else el.setAttribute(k, String(v))
  }
  append(el, children)
  return el
}

let uid = 0
export const nextId = (prefix) => `${prefix}-${++uid}`

const dollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' })
/** Integer cents to "$1,234.56"; the API never sends floats for money. */
export const money = (cents) => (cents === null || cents === undefined ? '–' : dollars.format(Number(cents) / 100))
export const count = (n) => (n === null || n === undefined ? '–' : new Intl.NumberFormat('en-US').format(n))
export const pct = (x, digits = 1) => (x === null || x === undefined || Number.isNaN(x) ? '–' : `${(x * 100).toFixed(digits)}%`)

/** "1.50", "$2", "0.5" to integer cents, by string so 0.1 + 0.2 never happens; NaN when not money. */
export function parseMoney(text) {
  const m = /^\s*\$?\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(String(text ?? ''))
  if (!m) return NaN
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'))
}

const dayFormat = new Intl.DateTimeFormat('en-US', { weekday: 'short', month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' })
const dayFormatThisYear = new Intl.DateTimeFormat('en-US', { weekday: 'short', month: 'short', day: 'numeric', timeZone: 'UTC' })
const timeFormat = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric', hour: 'numeric', minute: '2-digit', second: '2-digit' })
// The year only when it is not this one: shorter to read out at the desk.
export const day = (d) => (d ? (d.startsWith(String(new Date().getFullYear())) ? dayFormatThisYear : dayFormat).format(new Date(`${d}T00:00:00Z`)) : '–')
export const time = (t) => (t ? timeFormat.format(new Date(t)) : '–')
export const today = () => {
  const d = new Date()
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`
}

/** A table inside a keyboard-scrollable region (wide tables on a tablet). */
export function table({ caption, columns, rows, empty = 'Nothing to show.', rowAttrs }) {
  if (!rows.length) return h('p', { class: 'muted' }, empty)
  const head = h('tr', null, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))
  const body = rows.map((r, i) =>
    h('tr', rowAttrs ? rowAttrs(r, i) : null, columns.map((c, j) => {
      const v = c.value(r, i)
      return j === 0 && c.header ? h('th', { scope: 'row', class: c.num ? 'num' : null }, v) : h('td', { class: c.num ? 'num' : null }, v)
    })),
  )
  const t = h('table', null, caption ? h('caption', null, caption) : null, h('thead', null, head), h('tbody', null, body))
  return h('div', { class: 'table-wrap', role: 'region', 'aria-label': caption ?? 'Table', tabindex: '0' }, t)
}

export function notice(text, kind = '') {
  return h('div', { class: `notice ${kind}`, role: kind === 'error' ? 'alert' : null }, text)
}

export function announce(text) {
  const el = document.getElementById('announcer')
  if (!el) return
  el.textContent = ''
  // A fresh text node after a tick, so screen readers announce a repeated message again.
  setTimeout(() => (el.textContent = text), 50)
}

export function field({ label, hint, input, error, className = '' }) {
  const id = input.id || nextId('f')
  input.id = id
  const parts = [h('label', { for: id }, label)]
  const described = []
  if (hint) {
    const hid = `${id}-hint`
    described.push(hid)
    parts.push(h('span', { class: 'hint', id: hid }, hint))
  }
  const err = h('p', { class: 'field-error', id: `${id}-error`, hidden: !error }, error ?? '')
  described.push(err.id)
  input.setAttribute('aria-describedby', described.join(' '))
  parts.push(err, input)
  return h('div', { class: `field ${className}`.trim() }, parts)
}

/** Replaces an element's children; unlike replaceChildren, null/false are skipped and arrays flattened. */
export function fill(el, ...children) {
  el.replaceChildren()
  append(el, children)
  return el
}
