// Service desk: find a customer by whatever they hand over: card, printed list, or customer id.
import { api, ApiError } from '../api.js'
import { h, notice, fill } from '../dom.js'
import { errorNotice } from '../ui.js'
import { setFlash } from './flash.js'

/** What was typed: a card (13 digits), a list barcode (LL + 13 digits) or a customer id. */
export function classify(raw) {
  const code = raw.replace(/\s+/g, '').toUpperCase()
  if (/^LL\d{13}$/.test(code)) return { kind: 'list', code }
  if (/^\d{13}$/.test(code)) return { kind: 'card', code }
  if (/^\d{1,12}$/.test(code)) return { kind: 'id', code: String(Number(code)) }
  return { kind: 'unknown', code }
}

async function findCustomer(raw) {
  const c = classify(raw)
  if (c.kind === 'list') {
    const found = await api(`/v1/lists/lookup?barcode=${encodeURIComponent(c.code)}`)
    if (found.status === 'superseded') setFlash(`That printed list is an older one; the customer's newest list is shown below.`)
    return found.customerId
  }
  if (c.kind === 'card') {
    const found = await api(`/v1/customers/lookup?card=${encodeURIComponent(c.code)}`)
    if (found.card.status === 'replaced') setFlash(`Card ${c.code} was replaced and no longer works at the lanes. The customer's current card is ${found.customer.cardNumber ?? 'none (erased)'}.`)
    return found.customer.id
  }
  if (c.kind === 'id') {
    const found = await api(`/v1/customers/${c.code}`)
    return found.id
  }
  throw new ApiError(400, { detail: 'Enter a card number (13 digits), a list barcode (LL and 13 digits) or a customer id.' })
}

export function render(view) {
  const input = h('input', { type: 'search', id: 'find', name: 'find', autocomplete: 'off', spellcheck: 'false', class: 'wide-input', inputmode: 'text', 'data-autofocus': true })
  const status = h('div', { 'aria-live': 'polite' })
  const button = h('button', { type: 'submit' }, 'Find customer')
  const form = h(
    'form',
    { role: 'search', class: 'card', novalidate: true },
    h('div', { class: 'field' },
      h('label', { for: 'find' }, 'Card number, list barcode or customer id'),
      h('span', { class: 'hint', id: 'find-hint' }, 'Scan the card or the list, or type the number. Spaces are ignored.'),
      input),
    button,
    status,
  )
  input.setAttribute('aria-describedby', 'find-hint')
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    if (!input.value.trim()) {
      fill(status, notice('Enter or scan a number first.', 'error'))
      input.focus()
      return
    }
    button.disabled = true
    fill(status, h('p', { class: 'loading' }, 'Looking up…'))
    try {
      const id = await findCustomer(input.value)
      location.hash = `#/customers/${id}`
    } catch (err) {
      const text = err.status === 404 ? notice('No customer has that number. Check it and try again.', 'error') : errorNotice(err, 'Could not look that up')
      fill(status, text)
      input.focus()
      input.select()
    } finally {
      button.disabled = false
    }
  })
  view.append(
    h('h1', null, 'Service desk'),
    h('p', null, 'Find a customer to see their profile, recent shopping, their current list and why each offer was or was not given; reprint a list, replace a lost card, opt them out or erase their data on request.'),
    form,
  )
}
