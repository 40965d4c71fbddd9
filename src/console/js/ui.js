// Dialogs, the print preview and error messages shared by the pages.
import { apiText } from './api.js'
import { announce, h, notice, fill } from './dom.js'

/** Opens a modal <dialog> (focus is trapped and Escape closes it, natively); resolves on close. */
export function openDialog({ title, body, className = '', actions = [] }) {
  const heading = h('h2', { id: `dlg-${Date.now()}` }, title)
  const closeButton = h('button', { type: 'button', class: 'secondary' }, 'Close')
  const dlg = h(
    'dialog',
    { class: className, 'aria-labelledby': heading.id },
    h('div', { class: 'dialog-body' }, heading, body, h('div', { class: 'actions' }, actions, closeButton)),
  )
  document.body.append(dlg)
  const closed = new Promise((resolve) => dlg.addEventListener('close', () => {
    dlg.remove()
    resolve(dlg.returnValue)
  }))
  closeButton.addEventListener('click', () => dlg.close('cancel'))
  dlg.showModal()
  return { dialog: dlg, closed }
}

/**
 * A confirmation step. `confirmWord` makes the person type a word first (erasure), so a stray
 * Enter cannot destroy anything. Resolves true when confirmed.
 */
export function confirmAction({ title, text, confirmLabel, danger = false, confirmWord }) {
  const ok = h('button', { type: 'button', class: danger ? 'danger' : '' }, confirmLabel)
  const parts = [Array.isArray(text) ? text.map((t) => h('p', null, t)) : h('p', null, text)]
  if (confirmWord) {
    const input = h('input', { type: 'text', id: `confirm-${Date.now()}`, autocomplete: 'off', spellcheck: 'false' })
    ok.disabled = true
    input.addEventListener('input', () => (ok.disabled = input.value.trim().toUpperCase() !== confirmWord))
    parts.push(h('div', { class: 'field' }, h('label', { for: input.id }, `Type ${confirmWord} to confirm`), input))
  }
  const { dialog, closed } = openDialog({ title, body: parts, actions: [ok] })
  ok.addEventListener('click', () => dialog.close('ok'))
  return closed.then((v) => v === 'ok')
}

/**
 * Shows one of the service's printable HTML pages (a list, a run) in a preview with a Print
 * button. The page is fetched with the key and shown from a blob: URL, so the key never
 * appears in an address and the page prints exactly as the service renders it.
 */
export async function showPrintable(path, title) {
  const html = await apiText(path, { accept: 'text/html' })
  const url = URL.createObjectURL(new Blob([html], { type: 'text/html' }))
  const frame = h('iframe', { src: url, title: `${title} (print preview)` })
  const print = h('button', { type: 'button' }, 'Print')
  print.addEventListener('click', () => frame.contentWindow?.print())
  const { closed } = openDialog({ title, body: frame, className: 'printable', actions: [print] })
  print.focus()
  announce(`${title} ready to print`)
  closed.then(() => URL.revokeObjectURL(url))
  return frame
}

/** A problem+json error in words, with each bad field named. */
export function errorNotice(err, what = 'That did not work') {
  const lines = err?.fieldErrors?.length ? h('ul', null, err.fieldErrors.map((e) => h('li', null, `${e.path}: ${e.message}`))) : null
  const status = err?.status === 403 ? ' (this key may not do that)' : ''
  return notice([h('strong', null, `${what}${status}: `), err?.message ?? String(err), lines], 'error')
}

/** Runs an action from a button: disables it meanwhile and puts any error in `slot`. */
export async function busy(button, slot, fn) {
  button.disabled = true
  slot && fill(slot)
  try {
    return await fn()
  } catch (err) {
    if (slot) fill(slot, errorNotice(err))
    else throw err
  } finally {
    button.disabled = false
  }
}
