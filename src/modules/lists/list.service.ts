import type { Kysely, Transaction } from 'kysely'
import { z } from 'zod'
import type { DB } from '../../db/schema.ts'
import { AppError, notFound } from '../../lib/errors.ts'
import { PERK_TYPES, type PriceReward } from '../offers/offer.types.ts'
import { listBarcodePng, listBarcodeSvg } from './list-barcode.ts'
import { renderListDocument, renderListsDocument } from './list-print.html.ts'
import { departmentOf, type Locale } from './list-words.ts'
import * as repo from './list.repository.ts'
import type { ListItem, ListPerk, PrintableList, ShoppingList } from './list.types.ts'

type Db = Kysely<DB> | Transaction<DB>

// The generator writes list.perks; a malformed entry is left off rather than failing every read.
const perkShape = z.object({
  offerId: z.string(),
  perkType: z.enum(PERK_TYPES),
  name: z.string(),
  content: z.string(),
  url: z.string().optional(),
})

function toPerks(raw: unknown): ListPerk[] {
  if (!Array.isArray(raw)) return []
  return raw.flatMap((p) => {
    const parsed = perkShape.safeParse(p)
    return parsed.success ? [parsed.data as ListPerk] : []
  })
}

function toItem(r: repo.ItemRow): ListItem {
  const product =
    r.product_id !== null
      ? { id: String(r.product_id), gtin: r.gtin, name: r.product_name ?? '', brand: r.brand, category: r.product_category ?? '', size: r.size }
      : null
  return {
    rank: r.rank,
    product,
    category: r.category ?? product?.category ?? null,
    department: departmentOf(product?.category ?? r.category),
    expectedDate: r.expected_date,
    probability: r.probability,
    reason: r.reason,
    offer:
      r.offer_id !== null
        ? {
            id: String(r.offer_id),
            name: r.offer_name ?? '',
            description: r.offer_description ?? '',
            reward: r.offer_kind === 'offer' ? (r.offer_reward as unknown as PriceReward) : null,
            valueCents: r.offer_value_cents ?? 0,
            validUntil: r.offer_valid_until ?? '',
          }
        : null,
  }
}

/** Rows of many lists, each made into `T` and grouped by their list, in the rows' order. */
function byList<R extends { list_id: number }, T>(rows: R[], make: (row: R) => T): Map<number, T[]> {
  const out = new Map<number, T[]>()
  for (const r of rows) {
    const list = out.get(r.list_id)
    if (list) list.push(make(r))
    else out.set(r.list_id, [make(r)])
  }
  return out
}

/** Lists with their items, vouchers and rain checks, in three queries whatever their number. */
async function assemble(db: Db, rows: repo.ListRow[]): Promise<ShoppingList[]> {
  if (rows.length === 0) return []
  const ids = rows.map((r) => r.id)
  const items = byList(await repo.findItems(db, ids), toItem)
  const vouchers = byList(await repo.findVouchersOfLists(db, ids), (v) => ({
    id: String(v.id),
    valueCents: v.value_cents,
    periodStart: v.period_start,
    periodEnd: v.period_end,
    expiresOn: v.expires_on,
  }))
  const rainChecks = byList(await repo.findRainChecksOfLists(db, ids), (c) => ({
    id: String(c.id),
    offerId: String(c.offer_id),
    name: c.name,
    description: c.description,
    valueCents: c.value_cents,
    expiresOn: c.expires_on,
  }))
  return rows.map((r) => ({
    id: String(r.id),
    customerId: String(r.customer_id),
    barcode: r.barcode,
    cycleStart: r.cycle_start,
    validFrom: r.valid_from,
    validUntil: r.valid_until,
    status: r.status,
    trigger: r.trigger,
    generationId: r.generation_id === null ? null : String(r.generation_id),
    holdout: r.holdout,
    createdAt: r.created_at.toISOString(),
    items: items.get(r.id) ?? [],
    totalCouponCents: r.total_coupon_cents,
    perks: toPerks(r.perks),
    vouchers: vouchers.get(r.id) ?? [],
    rainChecks: rainChecks.get(r.id) ?? [],
  }))
}

async function withPrintFacts(db: Db, lists: ShoppingList[]): Promise<PrintableList[]> {
  const facts = await repo.findPrintFacts(db, [...new Set(lists.map((l) => Number(l.customerId)))])
  return lists.map((l) => {
    const f = facts.get(Number(l.customerId))
    return { ...l, storeName: f?.store_name ?? 'Your store', firstName: f?.first_name ?? null }
  })
}

export async function getList(db: Db, listId: number): Promise<ShoppingList> {
  const row = await repo.findList(db, listId)
  if (!row) throw notFound('list', listId)
  return (await assemble(db, [row]))[0]!
}

/** 404 for an unknown customer and for a customer who has no current list, with a detail saying which. */
export async function getCurrentList(db: Db, customerId: number): Promise<ShoppingList> {
  const row = await repo.findCurrentList(db, customerId)
  if (!row) {
    if (!(await repo.customerExists(db, customerId))) throw notFound('customer', customerId)
    throw new AppError('not_found', `customer ${customerId} has no current list`)
  }
  return (await assemble(db, [row]))[0]!
}

export async function getPrintableList(db: Db, listId: number): Promise<PrintableList> {
  return (await withPrintFacts(db, [await getList(db, listId)]))[0]!
}

async function barcodeOf(db: Db, listId: number): Promise<string> {
  const row = await repo.findBarcode(db, listId)
  if (!row) throw notFound('list', listId)
  return row.barcode
}

export async function getListBarcodeSvg(db: Db, listId: number): Promise<{ barcode: string; svg: string }> {
  const barcode = await barcodeOf(db, listId)
  return { barcode, svg: listBarcodeSvg(barcode) }
}

export async function getListBarcodePng(db: Db, listId: number): Promise<{ barcode: string; png: Buffer }> {
  const barcode = await barcodeOf(db, listId)
  return { barcode, png: await listBarcodePng(barcode) }
}

export async function getListPrintPage(db: Db, listId: number, loc?: Locale): Promise<string> {
  return renderListDocument(await getPrintableList(db, listId), loc)
}

/** Every list of a generation run, a page of `pageSize` lists at a time (keyset on id). */
export async function* streamGenerationLists(db: Db, generationId: number, pageSize = 200): AsyncGenerator<PrintableList> {
  let after = 0
  for (;;) {
    const rows = await repo.findGenerationLists(db, generationId, after, pageSize)
    if (rows.length === 0) return
    yield* await withPrintFacts(db, await assemble(db, rows))
    after = rows[rows.length - 1]!.id
    if (rows.length < pageSize) return
  }
}

/** One printable document with every list of a run, a page each, as HTML chunks. */
export function printGeneration(db: Db, generationId: number, opts: { locale?: Locale; pageSize?: number } = {}): AsyncGenerator<string> {
  return renderListsDocument(streamGenerationLists(db, generationId, opts.pageSize), {
    title: `Shopping lists of run ${generationId}`,
    ...(opts.locale ? { locale: opts.locale } : {}),
  })
}
