// One customer at the service desk: who they are to the program in plain words, what they
// bought lately, their current list and why each offer was or was not given, and the desk's
// actions (print, new list, replace card, opt out, erase).
import { api } from '../api.js'
import { count, day, h, money, notice, table, time, fill } from '../dom.js'
import { busy, confirmAction, errorNotice, openDialog, showPrintable } from '../ui.js'
import { BRAND_WORDS, LIFE_STAGE_WORDS, LIFECYCLE_WORDS, TIER_WORDS, TREND_WORDS, USAGE_WORDS, WALLET_WORDS, rewardWords } from '../words.js'
import { takeFlash } from './flash.js'

const orNull = (p) => p.catch((err) => (err.status === 404 ? null : Promise.reject(err)))

export async function render(view, { params: [id] }) {
  const title = h('h1', null, `Customer ${id}`)
  const status = h('div', { 'aria-live': 'polite' })
  const body = h('div', null, h('p', { class: 'loading' }, 'Loading the customer…'))
  const flash = takeFlash()
  view.append(...[h('p', null, h('a', { href: '#/desk' }, '← Find another customer')), title, flash && notice(flash, 'warn'), status, body].filter(Boolean))

  let customer, profile, sales, list
  try {
    customer = await api(`/v1/customers/${id}`)
    const live = !customer.erasedAt
    ;[profile, sales, list] = await Promise.all([
      live ? orNull(api(`/v1/customers/${id}/profile`)) : null,
      api(`/v1/customers/${id}/sales?limit=10`),
      live ? orNull(api(`/v1/customers/${id}/lists/current`)) : null,
    ])
  } catch (err) {
    fill(body, err.status === 404 ? notice(`There is no customer ${id}.`, 'error') : errorNotice(err, 'Could not load the customer'))
    return
  }
  title.textContent = customer.firstName ? `${customer.firstName} (customer ${customer.id})` : `Customer ${customer.id}`
  document.title = `${title.textContent} · lanelist console`
  const reload = () => {
    fill(view)
    render(view, { params: [id] })
  }

  fill(body, 
    summary(customer, profile),
    actions(customer, list, status, reload),
    customer.erasedAt ? null : profileSection(profile),
    customer.erasedAt ? null : offersSection(profile),
    customer.erasedAt ? null : listSection(list),
    salesSection(sales.items),
  )
}

function summary(c, p) {
  const badges = []
  if (c.erasedAt) badges.push(h('span', { class: 'badge bad' }, `Erased ${time(c.erasedAt)}`))
  if (c.personalisationOptOut) badges.push(h('span', { class: 'badge warn' }, 'Opted out of personal offers'))
  if (p?.holdout) badges.push(h('span', { class: 'badge' }, 'In the holdout group'))
  if (p) badges.push(h('span', { class: `badge ${p.eligible ? 'good' : ''}` }, p.eligible ? 'Gets the fortnightly list' : 'Below the list threshold'))
  return h(
    'div',
    { class: 'cards' },
    h('div', { class: 'card' }, h('div', { class: 'stat-label' }, 'Card number'), h('div', { class: 'stat mono' }, c.cardNumber ?? 'none'),
      h('p', null, badges)),
    p ? h('div', { class: 'card' }, h('div', { class: 'stat-label' }, 'Average weekly spend'), h('div', { class: 'stat' }, money(p.weeklySpendCents)),
      h('p', { class: 'muted' }, `Profile as of ${day(p.asOf)}`)) : null,
    p ? h('div', { class: 'card' }, h('div', { class: 'stat-label' }, 'Value tier'), h('div', { class: 'stat' }, p.valueTier ?? '–'),
      h('p', { class: 'muted' }, p.lifecycle ? LIFECYCLE_WORDS[p.lifecycle] : 'Lifecycle not known yet')) : null,
    p ? h('div', { class: 'card' }, h('div', { class: 'stat-label' }, 'Voucher balance'), h('div', { class: 'stat' }, money(p.voucherBalanceCents)),
      h('p', { class: 'muted' }, 'Accrued, not yet issued')) : null,
  )
}

function actions(c, list, status, reload) {
  if (c.erasedAt) return h('p', { class: 'muted' }, 'This customer\'s personal data was erased on request. Their past sales stay, anonymous, so reports stay true.')
  const print = h('button', { type: 'button', disabled: !list }, list ? 'Print list' : 'No list to print')
  print.addEventListener('click', () => busy(print, status, () => showPrintable(`/v1/lists/${list.id}/print`, `Shopping list for ${c.firstName ?? `customer ${c.id}`}`)))

  const regenerate = h('button', { type: 'button', class: 'secondary' }, 'Make a new list now')
  regenerate.addEventListener('click', () =>
    busy(regenerate, status, async () => {
      await api(`/v1/customers/${c.id}/lists`, { method: 'POST', body: {} })
      reload()
    }),
  )

  const replace = h('button', { type: 'button', class: 'secondary' }, 'Replace lost card')
  replace.addEventListener('click', async () => {
    const ok = await confirmAction({
      title: 'Replace the card?',
      text: [`Card ${c.cardNumber} stops working at the lanes at once.`, 'A new card number is issued; the customer keeps their history, list and vouchers.'],
      confirmLabel: 'Replace card',
    })
    if (!ok) return
    await busy(replace, status, async () => {
      const res = await api(`/v1/customers/${c.id}/cards/replace`, { method: 'POST' })
      const { closed } = openDialog({
        title: 'New card issued',
        body: [h('p', null, 'Give the customer this card number:'), h('p', { class: 'stat mono' }, res.cardNumber),
          h('p', { class: 'muted' }, `The old card ${res.replacedCardNumber ?? ''} no longer works.`)],
      })
      await closed
      reload()
    })
  })

  const optLabel = c.personalisationOptOut ? 'Opt back in' : 'Opt out of personal offers'
  const opt = h('button', { type: 'button', class: 'secondary' }, optLabel)
  opt.addEventListener('click', async () => {
    const out = !c.personalisationOptOut
    const ok = await confirmAction({
      title: out ? 'Opt the customer out?' : 'Opt the customer back in?',
      text: out
        ? 'No targeted offers and no profiling from now on. Offers for everyone still apply at the lane.'
        : 'The customer gets personal offers again from their next list.',
      confirmLabel: out ? 'Opt out' : 'Opt back in',
    })
    if (!ok) return
    await busy(opt, status, async () => {
      await api(`/v1/customers/${c.id}/opt-out`, { method: 'POST', body: { optOut: out } })
      reload()
    })
  })

  const erase = h('button', { type: 'button', class: 'danger secondary' }, 'Erase on request…')
  erase.addEventListener('click', async () => {
    const ok = await confirmAction({
      title: 'Erase this customer\'s personal data?',
      text: [
        'This cannot be undone. First name, household facts and the chain\'s id are cleared, every card number stops identifying anyone, and the customer is opted out.',
        'Past sales stay, without a name, so reports stay true.',
      ],
      confirmLabel: 'Erase personal data',
      danger: true,
      confirmWord: 'ERASE',
    })
    if (!ok) return
    await busy(erase, status, async () => {
      await api(`/v1/customers/${c.id}/erase`, { method: 'POST' })
      reload()
    })
  })
  return h('div', { class: 'actions', role: 'group', 'aria-label': 'Service desk actions' }, print, regenerate, replace, opt, erase)
}

function profileSection(p) {
  if (!p) return h('section', { class: 'block' }, h('h2', null, 'Profile'), h('p', { class: 'muted' }, 'No profile yet.'))
  const words = []
  if (p.valueTier) words.push(TIER_WORDS[p.valueTier])
  if (p.lifecycle) words.push(LIFECYCLE_WORDS[p.lifecycle] + (p.trend ? `; ${TREND_WORDS[p.trend]}` : ''))
  if (p.walletShare) words.push(`Probably ${WALLET_WORDS[p.walletShare]}`)
  if (p.lifeStage.length) words.push(`Shopping suggests the household ${p.lifeStage.map((l) => LIFE_STAGE_WORDS[l] ?? l).join(' and ')}`)
  words.push(p.eligible ? 'Spends enough to get a personal list every other week' : 'Spends below the threshold for the fortnightly list (a list can still be made here)')
  if (p.optOut) words.push('Opted out: gets only the offers that are for everyone')
  if (p.holdout) words.push('Held out of targeted offers on the current list, so the program can measure what its offers add')

  // A regular shopper is in a segment in most categories: the biggest few first, the rest folded.
  const bySpend = [...p.segments].sort((a, b) => b.spendCents - a.spendCents)
  const segmentTable = (rows, caption) => table({
    caption,
    columns: [
      { label: 'Category', value: (s) => s.category, header: true },
      { label: 'In words', value: (s) => `${USAGE_WORDS[s.usage]} who ${BRAND_WORDS[s.brandGroup]}` },
      { label: 'Units', value: (s) => count(Math.round(s.units)), num: true },
      { label: 'Spend', value: (s) => money(s.spendCents), num: true },
    ],
    rows,
    empty: 'Not enough purchases to place them in any category segment yet.',
  })
  const TOP = 8
  const segments = h('div', null,
    segmentTable(bySpend.slice(0, TOP), `Segments: how they buy in their top ${Math.min(TOP, bySpend.length)} categories`),
    bySpend.length > TOP
      ? h('details', null, h('summary', null, `All ${bySpend.length} categories`), segmentTable(bySpend.slice(TOP), 'The other categories'))
      : null)
  const cycles = table({
    caption: 'Purchase cycles: what they buy regularly',
    columns: [
      { label: 'Product', value: (c) => c.name || `product ${c.productId}`, header: true },
      { label: 'Every', value: (c) => `${c.cycleDays} days`, num: true },
      { label: 'Last bought', value: (c) => day(c.lastPurchase) },
      { label: 'Expected next', value: (c) => day(c.expectedNext) },
    ],
    rows: p.cycles,
    empty: 'No regular purchases found yet.',
  })
  return h('section', { class: 'block', 'aria-labelledby': 'profile-h' },
    h('h2', { id: 'profile-h' }, 'Profile in plain words'),
    h('ul', { class: 'plain-words' }, words.map((w) => h('li', null, w))),
    h('div', { class: 'split' }, segments, cycles))
}

function offersSection(p) {
  const offers = p?.currentList?.offers ?? []
  return h('section', { class: 'block', 'aria-labelledby': 'offers-h' },
    h('h2', { id: 'offers-h' }, 'Offers on the current list: given or not, and why'),
    p?.currentList
      ? table({
          caption: `List ${p.currentList.id}, valid until ${day(p.currentList.validUntil)}`,
          columns: [
            { label: 'Offer', value: (o) => o.name, header: true },
            { label: 'Given?', value: (o) => h('span', { class: `badge ${o.given ? 'good' : ''}` }, o.given ? (o.kind === 'perk' ? 'Perk given' : 'Given') : 'Not given') },
            { label: 'Why', value: (o) => o.reason },
          ],
          rows: offers,
          rowAttrs: (o) => ({ class: o.given ? 'given' : 'withheld' }),
          empty: 'No offer was considered for this list.',
        })
      : h('p', { class: 'muted' }, 'The customer has no current list.'))
}

function listSection(list) {
  if (!list) return h('section', { class: 'block' }, h('h2', null, 'Current list'), h('p', { class: 'muted' }, 'No current list. "Make a new list now" creates one.'))
  return h('section', { class: 'block', 'aria-labelledby': 'list-h' },
    h('h2', { id: 'list-h' }, 'Current list'),
    h('p', null, `List ${list.id} · valid ${day(list.validFrom)} to ${day(list.validUntil)} · coupons worth ${money(list.totalCouponCents)} · barcode `,
      h('span', { class: 'mono' }, list.barcode)),
    table({
      caption: 'Items, most important first',
      columns: [
        { label: '#', value: (i) => i.rank, num: true },
        { label: 'Item', value: itemName, header: false },
        { label: 'Expected', value: (i) => day(i.expectedDate) },
        { label: 'Why it is on the list', value: (i) => i.reason },
        { label: 'Offer', value: (i) => (i.offer ? `${i.offer.name}: ${rewardWords(i.offer.reward)} (saves about ${money(i.offer.valueCents)})` : '') },
      ],
      rows: list.items,
      empty: 'The list has no items.',
    }),
    list.perks.length ? h('p', null, `Perks: ${list.perks.map((p) => p.name).join(', ')}`) : null,
    list.vouchers.length ? h('p', null, `Vouchers: ${list.vouchers.map((v) => `${money(v.valueCents)}${v.expiresOn ? `, use by ${day(v.expiresOn)}` : ''}`).join('; ')}`) : null,
    list.rainChecks.length
      ? h('p', null, `Rain checks (from offline sales): ${list.rainChecks.map((r) => `${r.name}, ${money(r.valueCents)}${r.expiresOn ? `, use by ${day(r.expiresOn)}` : ''}`).join('; ')}`)
      : null)
}

/** A predicted product by name; a coupon placed in a category (no product of the customer's) says so. */
function itemName(i) {
  if (i.product) return i.product.name
  const leaf = i.category ? i.category.split('/').pop() : null
  if (i.offer) return leaf ? `Coupon: ${leaf.toLowerCase()}` : 'Coupon'
  return leaf ? `Any ${leaf.toLowerCase()}` : 'Something they often buy'
}

function salesSection(sales) {
  return h('section', { class: 'block', 'aria-labelledby': 'sales-h' },
    h('h2', { id: 'sales-h' }, 'Recent sales'),
    sales.length
      ? sales.map((s) =>
          h('details', null,
            h('summary', null,
              `${day(s.day)} · ${s.store?.name ?? 'unknown store'}${s.laneId ? `, lane ${s.laneId}` : ''} · ${count(s.lines.length)} lines · ${money(s.totalBeforeCents)}`,
              s.totalDiscountCents ? ` · saved ${money(s.totalDiscountCents)}` : '',
              s.status === 'voided' ? ' · voided' : '',
              s.source === 'offline' ? ' · recorded offline' : ''),
            table({
              caption: `Sale ${s.id}`,
              columns: [
                { label: 'Product', value: (l) => l.name ?? l.gtin ?? 'unknown product' },
                { label: 'Qty', value: (l) => l.quantity + (l.returnedQuantity ? ` (${l.returnedQuantity} returned)` : ''), num: true },
                { label: 'Price', value: (l) => money(l.unitPriceCents), num: true },
                { label: 'Discount', value: (l) => (l.discountCents ? money(l.discountCents) : ''), num: true },
              ],
              rows: s.lines,
            })))
      : h('p', { class: 'muted' }, 'No sales recorded.'))
}
