// The printable HTML document: one list per page, A4 or Letter (whatever the printer has:
// the content fits the narrower and shorter of the two), works offline (inline CSS and SVG,
// system fonts only), and streams, so a run of 50,000 lists never sits in memory at once.

import { renderListPage } from './list-render.ts'
import type { PrintableList } from './list.types.ts'
import { DEFAULT_LOCALE, escapeHtml, type Locale } from './list-words.ts'

export const PRINT_CSS = `
:root { --ink: #1b1b1b; --muted: #4d4d4d; --accent: #1d5c3a; --accent-soft: #e9f2ed; --deal: #8a1c1c; --deal-soft: #fbf1f1; --rule: #c4c4c4; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #e6e6e1; color: var(--ink);
  font: 10pt/1.3 "Helvetica Neue", Helvetica, Arial, "Liberation Sans", "DejaVu Sans", sans-serif; }
p, h1, h2, h3, ul { margin: 0; padding: 0; }
ul { list-style: none; }
.list-page { width: 186mm; min-height: 252mm; margin: 8mm auto; padding: 9mm 10mm; background: #fff;
  box-shadow: 0 1px 4px rgba(0,0,0,.2); display: flex; flex-direction: column; gap: 4mm;
  break-after: page; page-break-after: always; }
.list-page:last-of-type { break-after: auto; page-break-after: auto; }
.list-header { display: flex; justify-content: space-between; align-items: stretch; gap: 6mm;
  border-bottom: 2.5pt solid var(--accent); padding-bottom: 3.5mm; }
.store { font-size: 9pt; font-weight: 700; letter-spacing: .08em; text-transform: uppercase; color: var(--accent); }
h1 { font-size: 21pt; line-height: 1.15; margin: 1mm 0 1.2mm; }
.valid { color: var(--muted); font-size: 9.5pt; }
.superseded { margin-top: 1.5mm; color: var(--deal); font-weight: 700; }
.total { flex: 0 0 42mm; border: 1.5pt solid var(--accent); border-radius: 3mm; background: var(--accent-soft);
  padding: 2mm 3mm; text-align: center; display: flex; flex-direction: column; justify-content: center; }
.total-label { font-size: 8.5pt; text-transform: uppercase; letter-spacing: .06em; color: var(--accent); font-weight: 700; }
.total-value { font-size: 22pt; font-weight: 800; line-height: 1.1; }
.total-count { font-size: 8pt; color: var(--muted); }
h2 { font-size: 10.5pt; text-transform: uppercase; letter-spacing: .06em; color: var(--accent); margin-bottom: 1.5mm; }
.items { flex: 1 0 auto; }
.depts { column-count: 2; column-gap: 8mm; column-rule: .5pt solid #e1e1e1; }
.dept { break-inside: avoid; page-break-inside: avoid; margin-bottom: 3mm; }
.dept h3 { font-size: 10pt; border-bottom: .75pt solid var(--rule); padding-bottom: .6mm; margin-bottom: .4mm; }
.item { display: flex; align-items: flex-start; gap: 2.2mm; padding: 1.2mm 0; border-bottom: .5pt dotted var(--rule);
  break-inside: avoid; page-break-inside: avoid; }
.item:last-child { border-bottom: 0; }
.tick { flex: 0 0 3.6mm; height: 3.6mm; margin-top: .5mm; border: 1pt solid var(--ink); border-radius: .6mm; }
.item-text { flex: 1 1 auto; min-width: 0; }
.item-name { font-weight: 700; }
.item-extra { font-weight: 400; color: var(--muted); }
.item-meta { font-size: 8.5pt; color: var(--muted); }
.item-when { color: var(--accent); font-weight: 700; }
.coupon { margin-top: .8mm; display: inline-block; border: 1pt dashed var(--deal); border-radius: 1.5mm;
  background: var(--deal-soft); padding: .4mm 2mm; font-size: 8.5pt; }
.coupon-deal { color: var(--deal); font-size: 9.5pt; }
.coupon-name { color: var(--muted); }
.coupon-save { font-weight: 700; white-space: nowrap; }
.coupon-deal, .item-when { white-space: nowrap; }
.coupon-name::before, .coupon-save::before { content: "· "; color: var(--muted); font-weight: 400; }
.coupons h2 { break-after: avoid; page-break-after: avoid; }
.coupon-grid { display: grid; grid-template-columns: repeat(3, 1fr); gap: 2mm; }
.coupon-card { border: 1pt dashed var(--deal); border-radius: 2mm; background: var(--deal-soft); padding: 1.4mm 2.5mm;
  break-inside: avoid; page-break-inside: avoid; }
.coupon-card .coupon-deal { font-weight: 800; font-size: 10.5pt; }
.coupon-card-save { float: right; font-size: 8.5pt; font-weight: 700; white-space: nowrap; margin-left: 1.5mm; line-height: 1.6; }
.coupon-card-name { font-weight: 700; font-size: 8.5pt; }
.coupon-card-when { font-size: 8pt; color: var(--accent); font-weight: 700; }
.extras { display: flex; gap: 5mm; break-inside: avoid; page-break-inside: avoid; }
.vouchers { flex: 1 1 0; }
.perks { flex: 2 1 0; }
.voucher-list { display: flex; flex-direction: column; gap: 2mm; }
.perk-list { display: grid; grid-template-columns: repeat(auto-fit, minmax(48mm, 1fr)); gap: 2mm; }
.perk, .voucher { border: 1pt solid var(--rule); border-radius: 2mm; padding: 1.6mm 2.5mm; }
.perk-kind { font-size: 8pt; text-transform: uppercase; letter-spacing: .06em; color: var(--accent); font-weight: 700; }
.perk-name { font-weight: 700; }
.perk-content, .perk-url, .voucher-text { font-size: 8.5pt; color: var(--muted); }
.voucher { border-color: var(--accent); background: var(--accent-soft); }
.voucher-value { font-size: 15pt; font-weight: 800; }
.rain-check { border-style: dashed; }
.rain-check-name { font-weight: 700; font-size: 9pt; }
.scan { display: flex; align-items: center; gap: 6mm; border-bottom: 1pt solid var(--rule); padding-bottom: 3mm; }
.barcode { flex: 0 0 64mm; }
.barcode-svg { display: block; width: 64mm; height: auto; }
.scan-text { font-size: 9pt; color: var(--muted); }
.empty { color: var(--muted); }
@page { size: auto; margin: 10mm; }
@media print {
  body { background: #fff; font-size: 9.5pt; }
  .list-page { width: auto; min-height: 0; margin: 0; padding: 0; box-shadow: none; }
}
`

export function documentHead(title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${PRINT_CSS}</style>
</head>
<body>
`
}

export const DOCUMENT_TAIL = '\n</body>\n</html>\n'

export function renderListDocument(list: PrintableList, loc: Locale = DEFAULT_LOCALE): string {
  return documentHead(`Shopping list ${list.barcode}`) + renderListPage(list, loc) + DOCUMENT_TAIL
}

/** Many lists as one document, a page each, yielded a list at a time. */
export async function* renderListsDocument(
  lists: AsyncIterable<PrintableList> | Iterable<PrintableList>,
  opts: { title?: string; locale?: Locale } = {},
): AsyncGenerator<string> {
  yield documentHead(opts.title ?? 'Shopping lists')
  let any = false
  for await (const list of lists) {
    any = true
    yield renderListPage(list, opts.locale ?? DEFAULT_LOCALE)
  }
  if (!any) yield '<p class="empty" style="margin:10mm">No lists.</p>'
  yield DOCUMENT_TAIL
}
