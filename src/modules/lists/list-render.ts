// One shopping list as a printable page (an <article>): store, the customer's first name and
// nothing else personal (no card number, no address), items grouped by department with when
// they will likely be needed, offers with their savings, perks, vouchers and the barcode.
// Every text from the database goes through escapeHtml; the page loads nothing from outside.

import { listBarcodeSvg } from './list-barcode.ts'
import type { ListItem, PrintableList } from './list.types.ts'
import { DEFAULT_LOCALE, escapeHtml as e, leafOf, longDay, money, monthDay, rewardInWords, whenInWords, type Locale } from './list-words.ts'

const PERK_LABELS: Record<string, string> = {
  recipe: 'Recipe',
  meal_plan: 'Meal plan',
  tip: 'Tip',
  fast_lane: 'Fast lane',
  home_delivery: 'Home delivery',
}

/** Departments in the order of their most important item, items by rank within each. */
export function groupByDepartment(items: ListItem[]): { department: string; items: ListItem[] }[] {
  const groups = new Map<string, ListItem[]>()
  for (const item of [...items].sort((a, b) => a.rank - b.rank)) {
    const list = groups.get(item.department) ?? []
    list.push(item)
    groups.set(item.department, list)
  }
  return [...groups].map(([department, list]) => ({ department, items: list }))
}

function itemName(item: ListItem): string {
  if (item.product) return item.product.name
  return item.category ? `Any ${leafOf(item.category).toLowerCase()}` : 'Something you often buy'
}

function renderItem(item: ListItem, list: PrintableList, loc: Locale): string {
  const when = whenInWords(item.expectedDate, list.validFrom, loc)
  const p = item.product
  const brand = p?.brand && !p.name.toLowerCase().includes(p.brand.toLowerCase()) ? ` <span class="item-extra">${e(p.brand)}</span>` : ''
  const size = p?.size && !p.name.includes(p.size) ? ` <span class="item-extra">${e(p.size)}</span>` : ''
  const offer = item.offer
  // A coupon reads deal first ("$1.50 off"), then what it is and what it saves.
  const coupon = offer
    ? `<p class="coupon"><strong class="coupon-deal">${e(rewardInWords(offer.reward, loc) || offer.name)}</strong>
        <span class="coupon-name">${e(offer.name)}</span>
        <span class="coupon-save">You save ${e(money(offer.valueCents, loc))}</span></p>`
    : ''
  return `<li class="item${offer ? ' has-offer' : ''}">
      <span class="tick" aria-hidden="true"></span>
      <div class="item-text">
        <p class="item-name">${e(itemName(item))}${brand}${size}</p>
        <p class="item-meta">${when ? `<span class="item-when">${e(when)}</span> <span aria-hidden="true">·</span> ` : ''}<span class="item-reason">${e(item.reason)}</span></p>
        ${coupon}
      </div>
    </li>`
}

/** A headed part of the page holding a list of cards (`items`, rendered), labelled by its heading. */
function section(list: PrintableList, s: { key: string; className: string; title: string; listClass: string }, items: string): string {
  return `<section class="${s.className}" aria-labelledby="list-${e(list.id)}-${s.key}">
      <h2 id="list-${e(list.id)}-${s.key}">${e(s.title)}</h2>
      <ul class="${s.listClass}">${items}</ul>
    </section>`
}

/** What a voucher or a rain check says of its use: the lane takes it off by itself, by a day if it has one. */
function comesOff(expiresOn: string | null, loc: Locale): string {
  return `Comes off your next shop automatically${expiresOn ? `; use it by ${e(longDay(expiresOn, loc))}` : ''}.`
}

function renderPerks(list: PrintableList): string {
  if (list.perks.length === 0) return ''
  const items = list.perks
    .map(
      (p) => `<li class="perk">
        <p class="perk-kind">${e(PERK_LABELS[p.perkType] ?? 'For you')}</p>
        <p class="perk-name">${e(p.name)}</p>
        <p class="perk-content">${e(p.content)}</p>
        ${p.url ? `<p class="perk-url">${e(p.url)}</p>` : ''}
      </li>`,
    )
    .join('')
  return section(list, { key: 'perks', className: 'perks', title: 'Also for you', listClass: 'perk-list' }, items)
}

function renderVouchers(list: PrintableList, loc: Locale): string {
  if (list.vouchers.length === 0) return ''
  const items = list.vouchers
    .map(
      (v) => `<li class="voucher">
        <p class="voucher-value">${e(money(v.valueCents, loc))}</p>
        <p class="voucher-text">Your reward for shopping with us ${e(monthDay(v.periodStart, loc))} – ${e(monthDay(v.periodEnd, loc))}.
        ${comesOff(v.expiresOn, loc)}</p>
      </li>`,
    )
    .join('')
  return section(list, { key: 'vouchers', className: 'vouchers', title: 'Your vouchers', listClass: 'voucher-list' }, items)
}

/** A coupon placed in a category (no predicted product of the customer's in its scope), as a card. */
function renderCouponCard(item: ListItem, list: PrintableList, loc: Locale): string {
  const offer = item.offer!
  const when = whenInWords(item.expectedDate, list.validFrom, loc)
  const where = item.category ? leafOf(item.category) : ''
  const meta = [where, when].filter(Boolean).join(' · ')
  return `<li class="coupon-card">
        <p><strong class="coupon-deal">${e(rewardInWords(offer.reward, loc) || offer.name)}</strong>
        <span class="coupon-card-save">You save ${e(money(offer.valueCents, loc))}</span></p>
        <p class="coupon-card-name">${e(offer.name)}</p>
        ${meta ? `<p class="coupon-card-when">${e(meta)}</p>` : ''}
      </li>`
}

function renderCoupons(list: PrintableList, coupons: ListItem[], loc: Locale): string {
  if (coupons.length === 0) return ''
  const items = coupons.map((i) => renderCouponCard(i, list, loc)).join('')
  return section(list, { key: 'coupons', className: 'coupons', title: 'More offers picked for you', listClass: 'coupon-grid' }, items)
}

function renderRainChecks(list: PrintableList, loc: Locale): string {
  if (list.rainChecks.length === 0) return ''
  const items = list.rainChecks
    .map(
      (r) => `<li class="voucher rain-check">
        <p class="voucher-value">${e(money(r.valueCents, loc))}</p>
        <p class="rain-check-name">${e(r.name)}</p>
        <p class="voucher-text">From a sale when our checkout was offline. ${comesOff(r.expiresOn, loc)}</p>
      </li>`,
    )
    .join('')
  return section(list, { key: 'rain-checks', className: 'vouchers', title: 'Your rain checks', listClass: 'voucher-list' }, items)
}

// The barcode sits right under the header: if a long list ever runs onto a second sheet, the
// part the cashier scans is still on the first.
export function renderListPage(list: PrintableList, loc: Locale = DEFAULT_LOCALE): string {
  const id = e(list.id)
  const title = list.firstName ? `${list.firstName}’s shopping list` : 'Your shopping list'
  const offers = list.items.filter((i) => i.offer).length
  // The shopping list is what the customer is expected to buy; the offers placed in a category
  // they buy, but on products they do not, are coupons beside it, timed to their cycle there.
  const isCoupon = (i: ListItem) => i.product === null && i.offer !== null
  const coupons = list.items.filter(isCoupon)
  const needs = list.items.filter((i) => !isCoupon(i))
  const groups = groupByDepartment(needs)
  const departments = groups
    .map(
      (g) => `<section class="dept">
        <h3>${e(g.department)}</h3>
        <ul class="item-list">${g.items.map((i) => renderItem(i, list, loc)).join('')}</ul>
      </section>`,
    )
    .join('')
  const superseded = list.status === 'superseded' ? '<p class="superseded">A newer list has replaced this one.</p>' : ''
  return `<article class="list-page" aria-labelledby="list-${id}-title">
    <header class="list-header">
      <div class="header-text">
        <p class="store">${e(list.storeName)}</p>
        <h1 id="list-${id}-title">${e(title)}</h1>
        <p class="valid">${e(longDay(list.validFrom, loc))} to ${e(longDay(list.validUntil, loc))}</p>
        ${superseded}
      </div>
      <div class="total" aria-label="Total coupon value">
        <p class="total-label">Your coupons</p>
        <p class="total-value">${e(money(list.totalCouponCents, loc))}</p>
        <p class="total-count">${offers === 1 ? '1 offer' : `${offers} offers`} picked for you</p>
      </div>
    </header>
    <section class="scan" aria-label="Scan at the checkout">
      <div class="barcode">${listBarcodeSvg(list.barcode, { inline: true })}</div>
      <p class="scan-text">Bring this list or just your card: the cashier scans either, and every offer on
      this list comes off automatically. Valid until ${e(longDay(list.validUntil, loc))}.</p>
    </section>
    <section class="items" aria-labelledby="list-${id}-items">
      <h2 id="list-${id}-items">What you will likely need</h2>
      ${needs.length ? `<div class="depts">${departments}</div>` : '<p class="empty">Nothing to remind you of this time: enjoy your shopping.</p>'}
    </section>
    ${renderCoupons(list, coupons, loc)}
    ${list.vouchers.length || list.rainChecks.length || list.perks.length ? `<div class="extras">${renderVouchers(list, loc)}${renderRainChecks(list, loc)}${renderPerks(list)}</div>` : ''}
  </article>`
}
