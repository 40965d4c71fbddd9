// Offers: what runs, how much of each budget is used, and pause / resume / end; a form to
// create one. The form sends exactly the API's body, and the API's field errors come back
// next to the fields they name.
import { api } from '../api.js'
import { count, day, field, h, money, notice, parseMoney, table, today, fill } from '../dom.js'
import { busy, confirmAction, errorNotice } from '../ui.js'
import { rewardWords, scopeWords, targetingWords } from '../words.js'

export function render(view, opts) {
  return opts.mode === 'new' ? renderForm(view) : renderIndex(view)
}

function renderIndex(view) {
  const filter = h('select', { id: 'offer-status' },
    h('option', { value: '' }, 'All'), h('option', { value: 'active' }, 'Active'), h('option', { value: 'paused' }, 'Paused'), h('option', { value: 'ended' }, 'Ended'))
  const status = h('div', { 'aria-live': 'polite' })
  const list = h('div', null, h('p', { class: 'loading' }, 'Loading offers…'))
  view.append(
    h('div', { class: 'page-head' }, h('h1', null, 'Offers'), h('a', { class: 'button', href: '#/offers/new' }, 'New offer')),
    h('div', { class: 'row' }, field({ label: 'Show', input: filter, className: 'narrow' })),
    status, list)

  const load = async () => {
    try {
      const q = filter.value ? `&status=${filter.value}` : ''
      const items = []
      let cursor = null
      // A chain runs dozens of offers, not thousands: read them all (200 a page).
      do {
        const page = await api(`/v1/offers?limit=200${q}${cursor ? `&cursor=${cursor}` : ''}`)
        items.push(...page.items)
        cursor = page.nextCursor
      } while (cursor && items.length < 2000)
      fill(list, offersTable(items, status, load))
    } catch (err) {
      fill(list, errorNotice(err, 'Could not load the offers'))
    }
  }
  filter.addEventListener('change', load)
  load()
}

function budgetCell(o) {
  const b = o.budget
  const parts = []
  if (b.maxRedemptions !== null) {
    parts.push(h('div', null, h('progress', { max: b.maxRedemptions, value: b.usedRedemptions, 'aria-label': `${o.name}: redemptions used` }),
      `${count(b.usedRedemptions)} of ${count(b.maxRedemptions)} redemptions`))
  }
  if (b.maxDiscountCents !== null) {
    parts.push(h('div', null, h('progress', { max: b.maxDiscountCents, value: b.usedDiscountCents, 'aria-label': `${o.name}: discount budget used` }),
      `${money(b.usedDiscountCents)} of ${money(b.maxDiscountCents)}`))
  }
  if (!parts.length) parts.push(h('span', { class: 'muted' }, `no limit · ${money(b.usedDiscountCents)} used`))
  return h('div', { class: 'budget' }, parts)
}

function offersTable(items, status, reload) {
  const act = (o, name, label, cls = 'secondary') => {
    const b = h('button', { type: 'button', class: `small ${cls}`, 'aria-label': `${label} ${o.name}` }, label)
    b.addEventListener('click', async () => {
      if (name === 'end') {
        const ok = await confirmAction({
          title: `End "${o.name}"?`,
          text: 'Lists and lanes stop giving it for good; an ended offer cannot be resumed. What was redeemed stays.',
          confirmLabel: 'End offer',
          danger: true,
        })
        if (!ok) return
      }
      await busy(b, status, async () => {
        await api(`/v1/offers/${o.id}/${name}`, { method: 'POST' })
        fill(status, notice(`"${o.name}" is now ${name === 'pause' ? 'paused' : name === 'resume' ? 'active' : 'ended'}.`))
        await reload()
      })
    })
    return b
  }
  return table({
    caption: `${count(items.length)} offers, newest first`,
    columns: [
      { label: 'Offer', value: (o) => [h('strong', null, o.name), h('div', { class: 'muted' }, o.kind === 'perk' ? 'Perk' : `${rewardWords(o.reward)} · ${scopeWords(o.scope)}`)], header: true },
      { label: 'For', value: (o) => targetingWords(o.targeting) },
      { label: 'Funded by', value: (o) => (o.fundedBy === 'store' ? 'store' : o.fundedBy.manufacturer) },
      { label: 'Valid', value: (o) => `${day(o.validFrom)} – ${day(o.validUntil)}` },
      { label: 'Status', value: (o) => h('span', { class: `badge ${o.status === 'active' ? 'good' : o.status === 'ended' ? '' : 'warn'}` }, o.status) },
      { label: 'Budget used', value: budgetCell },
      { label: 'Redeemed', value: (o) => [count(o.redemptions), h('div', { class: 'muted' }, money(o.discountGivenCents))], num: true },
      {
        label: 'Actions',
        value: (o) =>
          h('div', { class: 'actions' },
            o.status === 'active' ? act(o, 'pause', 'Pause') : null,
            o.status === 'paused' ? act(o, 'resume', 'Resume') : null,
            o.status !== 'ended' ? act(o, 'end', 'End', 'danger secondary') : null),
      },
    ],
    rows: items,
    empty: 'No offers.',
  })
}

// ---- The new-offer form -------------------------------------------------------------------

const REWARDS = {
  amount_off: 'Amount off',
  percent_off: 'Percent off',
  fixed_price: 'Fixed price',
  buy_x_get_y: 'Buy X, get Y',
  spend_threshold: 'Amount off above a spend',
}

function input(path, attrs = {}) {
  return h('input', { type: 'text', 'data-path': path, name: path, ...attrs })
}

function renderForm(view) {
  const today0 = today()
  const plus = (d, n) => new Date(Date.parse(`${d}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)
  const f = {
    name: input('name', { required: true, maxlength: '200' }),
    description: h('textarea', { 'data-path': 'description', name: 'description', rows: '2', maxlength: '2000' }),
    rewardType: h('select', { 'data-path': 'reward.type', name: 'reward.type' }, Object.entries(REWARDS).map(([v, l]) => h('option', { value: v }, l))),
    amount: input('reward.amountCents', { inputmode: 'decimal', placeholder: '1.00' }),
    percent: input('reward.percent', { inputmode: 'decimal', placeholder: '20' }),
    price: input('reward.priceCents', { inputmode: 'decimal', placeholder: '2.99' }),
    buy: input('reward.buy', { inputmode: 'numeric', value: '2' }),
    get: input('reward.get', { inputmode: 'numeric', value: '1' }),
    getPercent: input('reward.percentOff', { inputmode: 'decimal', value: '100' }),
    minSpend: input('reward.minSpendCents', { inputmode: 'decimal', placeholder: '20.00' }),
    category: input('scope.category', { placeholder: 'Health/Pain relief' }),
    brandType: h('select', { 'data-path': 'scope.brandType', name: 'scope.brandType' },
      h('option', { value: '' }, 'Any brand'), h('option', { value: 'store' }, 'Store brand only'), h('option', { value: 'national' }, 'National brands only')),
    gtins: h('textarea', { 'data-path': 'scope.gtins', name: 'scope.gtins', rows: '2', spellcheck: 'false' }),
    validFrom: input('validFrom', { type: 'date', value: today0 }),
    validUntil: input('validUntil', { type: 'date', value: plus(today0, 27) }),
    perCustomer: input('limits.redemptionsPerCustomer', { inputmode: 'numeric' }),
    perRedemption: input('limits.unitsPerRedemption', { inputmode: 'numeric' }),
    maxRedemptions: input('budget.maxRedemptions', { inputmode: 'numeric' }),
    maxDiscount: input('budget.maxDiscountCents', { inputmode: 'decimal' }),
    manufacturer: input('fundedBy.manufacturer', { placeholder: 'leave empty when the store pays' }),
    stackable: h('input', { type: 'checkbox', name: 'stackable' }),
  }
  const radio = (name, value, label, checked) =>
    h('label', null, h('input', { type: 'radio', name, value, checked }), label)
  const scopeKind = [radio('scope-kind', 'category', 'A category', true), radio('scope-kind', 'gtins', 'Specific products (GTINs)')]
  const tiers = ['A', 'B', 'C', 'D'].map((t) => h('label', null, h('input', { type: 'checkbox', name: 'tier', value: t }), `Tier ${t}`))
  const stages = ['new', 'growing', 'stable', 'declining', 'lapsed'].map((t) => h('label', null, h('input', { type: 'checkbox', name: 'lifecycle', value: t }), t))

  const rewardFields = {
    amount_off: [field({ label: 'Amount off ($)', input: f.amount, className: 'narrow' })],
    percent_off: [field({ label: 'Percent off', input: f.percent, className: 'narrow' })],
    fixed_price: [field({ label: 'Price ($)', input: f.price, className: 'narrow' })],
    buy_x_get_y: [field({ label: 'Buy', input: f.buy, className: 'narrow' }), field({ label: 'Get', input: f.get, className: 'narrow' }),
      field({ label: 'Percent off the free units', hint: '100 = free', input: f.getPercent, className: 'narrow' })],
    spend_threshold: [field({ label: 'Minimum spend ($)', input: f.minSpend, className: 'narrow' })],
  }
  // spend_threshold also uses the amount field: one input per API field, shown where it applies.
  const amountForThreshold = field({ label: 'Amount off ($)', input: input('reward.amountCents#2', { inputmode: 'decimal' }), className: 'narrow' })
  rewardFields.spend_threshold.push(amountForThreshold)
  const rewardBox = h('div', { class: 'row' })
  const showReward = () => fill(rewardBox, ...rewardFields[f.rewardType.value])
  f.rewardType.addEventListener('change', showReward)
  showReward()

  const categoryBox = h('div', { class: 'row' }, field({ label: 'Category', hint: 'A path like Dairy or Health/Pain relief', input: f.category }),
    field({ label: 'Brands', input: f.brandType, className: 'narrow' }))
  const gtinBox = h('div', { hidden: true }, field({ label: 'GTINs', hint: 'One per line or separated by commas', input: f.gtins }))
  for (const r of scopeKind) r.querySelector('input').addEventListener('change', (e) => {
    categoryBox.hidden = e.target.value !== 'category'
    gtinBox.hidden = e.target.value !== 'gtins'
  })

  const everyone = radio('target-kind', 'everyone', 'Everyone', true)
  const chosen = radio('target-kind', 'chosen', 'Only customers who match')
  const targetBox = h('div', { hidden: true },
    h('p', { class: 'label', id: 'tiers-l' }, 'Value tiers'), h('div', { class: 'choices', role: 'group', 'aria-labelledby': 'tiers-l', 'data-path': 'targeting.valueTiers' }, tiers),
    h('p', { class: 'label', id: 'stages-l' }, 'Lifecycle stages'), h('div', { class: 'choices', role: 'group', 'aria-labelledby': 'stages-l', 'data-path': 'targeting.lifecycle' }, stages),
    h('p', { class: 'hint' }, 'Criteria combine with AND; values within one with OR.'))
  for (const r of [everyone, chosen]) r.querySelector('input').addEventListener('change', (e) => (targetBox.hidden = e.target.value !== 'chosen'))

  const summary = h('div', { tabindex: '-1' })
  const submit = h('button', { type: 'submit' }, 'Create offer')
  const form = h('form', { novalidate: true },
    summary,
    h('fieldset', null, h('legend', null, 'Offer'),
      field({ label: 'Name', hint: 'Printed on lists and receipts', input: f.name }),
      field({ label: 'Description (optional)', input: f.description })),
    h('fieldset', null, h('legend', null, 'Reward'), field({ label: 'Kind of reward', input: f.rewardType, className: 'narrow' }), rewardBox),
    h('fieldset', { 'data-path': 'scope' }, h('legend', null, 'Applies to'), h('div', { class: 'choices' }, scopeKind), categoryBox, gtinBox),
    h('fieldset', { 'data-path': 'targeting' }, h('legend', null, 'Given to'), h('div', { class: 'choices' }, everyone, chosen), targetBox),
    h('fieldset', null, h('legend', null, 'When'), h('div', { class: 'row' },
      field({ label: 'Valid from', input: f.validFrom, className: 'narrow' }), field({ label: 'Valid until (inclusive)', input: f.validUntil, className: 'narrow' }))),
    h('fieldset', null, h('legend', null, 'Limits and budget (optional)'), h('div', { class: 'row' },
      field({ label: 'Uses per customer', input: f.perCustomer, className: 'narrow' }),
      field({ label: 'Units per use', input: f.perRedemption, className: 'narrow' }),
      field({ label: 'Most redemptions in total', input: f.maxRedemptions, className: 'narrow' }),
      field({ label: 'Most discount in total ($)', input: f.maxDiscount, className: 'narrow' }))),
    h('fieldset', null, h('legend', null, 'Funding'),
      field({ label: 'Manufacturer paying for it', hint: 'For a manufacturer deal billed from the redemptions', input: f.manufacturer }),
      h('div', { class: 'choices' }, h('label', null, f.stackable, 'May combine with other offers on the same item'))),
    h('div', { class: 'actions' }, submit, h('a', { class: 'button secondary', href: '#/offers' }, 'Cancel')))

  const number = (el) => (el.value.trim() === '' ? undefined : Number(el.value.trim()))
  const moneyOf = (el) => (el.value.trim() === '' ? undefined : parseMoney(el.value))
  const moneyOrText = (el) => {
    const c = moneyOf(el)
    return Number.isNaN(c) ? el.value : c
  }

  function body() {
    const type = f.rewardType.value
    const amountEl = type === 'spend_threshold' ? form.querySelector('[data-path="reward.amountCents#2"]') : f.amount
    const reward = { type }
    if (type === 'amount_off' || type === 'spend_threshold') reward.amountCents = moneyOrText(amountEl)
    if (type === 'percent_off') reward.percent = number(f.percent)
    if (type === 'fixed_price') reward.priceCents = moneyOrText(f.price)
    if (type === 'buy_x_get_y') Object.assign(reward, { buy: number(f.buy), get: number(f.get), percentOff: number(f.getPercent) })
    if (type === 'spend_threshold') reward.minSpendCents = moneyOrText(f.minSpend)
    const kind = form.querySelector('input[name="scope-kind"]:checked').value
    const scope = kind === 'gtins'
      ? { gtins: f.gtins.value.split(/[\s,;]+/).filter(Boolean) }
      : { category: f.category.value.trim(), ...(f.brandType.value ? { brandType: f.brandType.value } : {}) }
    const targetKind = form.querySelector('input[name="target-kind"]:checked').value
    const checked = (name) => [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value)
    const targeting = targetKind === 'everyone'
      ? { everyone: true }
      : { ...(checked('tier').length ? { valueTiers: checked('tier') } : {}), ...(checked('lifecycle').length ? { lifecycle: checked('lifecycle') } : {}) }
    const limits = { redemptionsPerCustomer: number(f.perCustomer), unitsPerRedemption: number(f.perRedemption) }
    const budget = { maxRedemptions: number(f.maxRedemptions), maxDiscountCents: moneyOrText(f.maxDiscount) }
    const clean = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined))
    return {
      name: f.name.value,
      description: f.description.value,
      scope,
      reward: clean(reward),
      targeting,
      validFrom: f.validFrom.value,
      validUntil: f.validUntil.value,
      ...(Object.keys(clean(limits)).length ? { limits: clean(limits) } : {}),
      ...(Object.keys(clean(budget)).length ? { budget: clean(budget) } : {}),
      fundedBy: f.manufacturer.value.trim() ? { manufacturer: f.manufacturer.value.trim() } : 'store',
      stackable: f.stackable.checked,
    }
  }

  function showErrors(err) {
    for (const el of form.querySelectorAll('[aria-invalid]')) el.removeAttribute('aria-invalid')
    for (const el of form.querySelectorAll('.field-error')) {
      el.hidden = true
      el.textContent = ''
    }
    const type = f.rewardType.value
    const items = err.fieldErrors.map((e) => {
      // The API names fields by their JSON path; find the input that sends it.
      let path = e.path
      if (path === 'reward.amountCents' && type === 'spend_threshold') path = 'reward.amountCents#2'
      let target = null
      for (let p = path; p && !target; p = p.includes('.') ? p.slice(0, p.lastIndexOf('.')) : '') target = form.querySelector(`[data-path="${CSS.escape(p)}"]`)
      if (target && (target.matches('input, select, textarea'))) {
        target.setAttribute('aria-invalid', 'true')
        const slot = document.getElementById(`${target.id}-error`)
        if (slot) {
          slot.hidden = false
          slot.textContent = slot.textContent ? `${slot.textContent}; ${e.message}` : e.message
        }
      }
      const link = target?.id ? h('a', { href: `#${target.id}`, onclick: (ev) => { ev.preventDefault(); target.focus() } }, `${e.path || 'offer'}: ${e.message}`) : `${e.path || 'offer'}: ${e.message}`
      return h('li', null, link)
    })
    fill(summary, 
      items.length
        ? h('div', { class: 'notice error', role: 'alert' }, h('strong', null, 'The offer was not created. Fix these fields:'), h('ul', null, items))
        : errorNotice(err, 'The offer was not created'),
    )
    summary.focus()
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault()
    submit.disabled = true
    try {
      const created = await api('/v1/offers', { method: 'POST', body: body() })
      location.hash = '#/offers'
      setTimeout(() => fill(document.querySelector('main [aria-live]') ?? h('div'), notice(`Offer "${created.name}" created.`)), 300)
    } catch (err) {
      showErrors(err)
    } finally {
      submit.disabled = false
    }
  })

  view.append(h('p', null, h('a', { href: '#/offers' }, '← All offers')), h('h1', null, 'New offer'),
    h('p', null, 'An offer whose scope and targeting fit a customer\'s predicted items goes on their next list. Money is in dollars and cents.'), form)
}
