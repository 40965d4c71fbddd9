// The console's entry: sign-in gate, hash router (the hash never reaches the server, so no
// customer id or code lands in a log), navigation state and focus management.
import { api, ApiError, clearKey, getKey, setKey } from './api.js'
import { announce, h, notice, fill } from './dom.js'
import * as customer from './pages/customer.js'
import * as desk from './pages/desk.js'
import * as offers from './pages/offers.js'
import * as ops from './pages/ops.js'
import * as reports from './pages/reports.js'
import * as runs from './pages/runs.js'

const routes = [
  [/^#?\/?$/, desk, 'desk'],
  [/^#\/desk$/, desk, 'desk'],
  [/^#\/customers\/(\d{1,15})$/, customer, 'desk'],
  [/^#\/offers$/, offers, 'offers'],
  [/^#\/offers\/new$/, offers, 'offers', { mode: 'new' }],
  [/^#\/runs$/, runs, 'runs'],
  [/^#\/runs\/(\d{1,15})$/, runs, 'runs'],
  [/^#\/reports$/, reports, 'reports'],
  [/^#\/ops$/, ops, 'ops'],
]

const main = document.getElementById('main')
const nav = document.getElementById('nav')
const who = document.getElementById('who')
let cleanup = null

function signInPage(message) {
  nav.hidden = true
  who.hidden = true
  const input = h('input', { type: 'password', id: 'api-key', name: 'api-key', autocomplete: 'off', spellcheck: 'false', required: true })
  const status = h('div', { 'aria-live': 'polite' }, message ? notice(message, 'warn') : null)
  const button = h('button', { type: 'submit' }, 'Sign in')
  const form = h(
    'form',
    { class: 'signin', novalidate: true },
    h('h1', { tabindex: '-1' }, 'Sign in to the lanelist console'),
    h('p', null, 'Use a back-office API key. It is kept only in this browser tab and forgotten when you close it.'),
    h('div', { class: 'field' }, h('label', { for: 'api-key' }, 'Back-office API key'), input),
    status,
    button,
  )
  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    const key = input.value.trim()
    if (!key) {
      fill(status, notice('Enter the API key.', 'error'))
      input.focus()
      return
    }
    button.disabled = true
    try {
      // The cheapest back-office read: proves the key exists and has the back-office role.
      await api('/v1/offers?limit=1', { key })
      setKey(key)
      input.value = ''
      announce('Signed in')
      if (!location.hash || location.hash === '#/') location.hash = '#/desk'
      render()
    } catch (err) {
      const text =
        err instanceof ApiError && err.status === 401
          ? 'This key is not accepted: it is unknown or has been revoked.'
          : err instanceof ApiError && err.status === 403
            ? 'This key may not use the back office (it is a lane key). Use a back-office or admin key.'
            : `Could not sign in: ${err.message}`
      fill(status, notice(text, 'error'))
      input.focus()
      input.select()
    } finally {
      button.disabled = false
    }
  })
  fill(main, form)
  input.focus()
}

function render() {
  cleanup?.()
  cleanup = null
  if (!getKey()) return signInPage()
  nav.hidden = false
  who.hidden = false
  const hash = location.hash || '#/desk'
  const match = routes.map(([re, page, section, opts]) => ({ m: re.exec(hash), page, section, opts })).find((r) => r.m)
  for (const a of nav.querySelectorAll('a')) {
    if (match && a.dataset.section === match.section) a.setAttribute('aria-current', 'page')
    else a.removeAttribute('aria-current')
  }
  if (!match) {
    fill(main, h('h1', { tabindex: '-1' }, 'Page not found'), h('p', null, h('a', { href: '#/desk' }, 'Go to the service desk')))
    main.querySelector('h1').focus()
    return
  }
  const view = h('div')
  fill(main, view)
  const result = match.page.render(view, { params: match.m.slice(1), ...(match.opts ?? {}) })
  Promise.resolve(result).then((fn) => {
    if (typeof fn === 'function') cleanup = fn
  })
  // Move focus to the new page's heading, as a screen reader user expects after navigation.
  queueMicrotask(() => {
    const h1 = view.querySelector('h1')
    if (h1) {
      h1.setAttribute('tabindex', '-1')
      document.title = `${h1.textContent} · lanelist console`
    }
    ;(view.querySelector('[data-autofocus]') ?? h1)?.focus({ preventScroll: true })
  })
}

document.getElementById('sign-out').addEventListener('click', () => {
  clearKey()
  location.hash = '#/desk'
  signInPage('You are signed out.')
})
window.addEventListener('lanelist:unauthorized', () => {
  clearKey()
  signInPage('Your key is no longer accepted. Sign in again.')
})
window.addEventListener('hashchange', render)
render()
