// Fixture factories for profiles, vouchers and lists: rows inserted straight into the tables,
// with random ids and codes, so each test builds exactly the history it reasons about.
import { randomInt } from 'node:crypto'
import type { Kysely } from 'kysely'
import type { DB } from '../../src/db/schema.ts'
import { newListBarcode, withCheckDigit } from '../../src/lib/codes.ts'
import type { NewOfferRow } from '../../src/modules/offers/offer.repository.ts'

type Db = Kysely<DB>

const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('')

export function randomGtin(): string {
  return withCheckDigit(`0${digits(12)}`)
}

export async function insertCustomer(
  db: Db,
  opts: { firstName?: string | null; optOut?: boolean; erased?: boolean; household?: Record<string, unknown>; createdAt?: string; homeStoreId?: string } = {},
): Promise<number> {
  const row = await db
    .insertInto('customer')
    .values({
      first_name: opts.firstName ?? null,
      personalisation_opt_out: opts.optOut ?? false,
      erased_at: opts.erased ? new Date() : null,
      household: JSON.stringify(opts.household ?? {}),
      home_store_id: opts.homeStoreId ?? null,
      ...(opts.createdAt ? { created_at: opts.createdAt } : {}),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

export interface ProductFixture {
  id: number
  gtin: string
  name: string
  category: string
}

export async function insertProduct(
  db: Db,
  opts: { category: string; brandType?: 'national' | 'store'; priceCents?: number; name?: string; brand?: string },
): Promise<ProductFixture> {
  const gtin = randomGtin()
  const name = opts.name ?? `${opts.category.split('/').pop()} ${gtin.slice(-4)}`
  const row = await db
    .insertInto('product')
    .values({
      gtin,
      name,
      category: opts.category,
      brand: opts.brand ?? (opts.brandType === 'store' ? 'Hometown' : 'Famous'),
      brand_type: opts.brandType ?? 'national',
      regular_price_cents: opts.priceCents ?? 100,
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { id: row.id, gtin, name, category: opts.category }
}

export interface LineFixture {
  product: { id: number; gtin: string }
  quantity?: number
  /** Defaults to the product's regular price (left null, as an import without prices does). */
  unitPriceCents?: number | null
  returned?: number
}

let saleSeq = 0

export async function insertSale(
  db: Db,
  customerId: number,
  day: string,
  lines: LineFixture[],
  opts: { status?: 'recorded' | 'voided'; storeId?: string } = {},
): Promise<number> {
  const sale = await db
    .insertInto('sale')
    .values({
      customer_id: customerId,
      store_id: opts.storeId ?? null,
      source: 'import',
      external_id: `T${process.pid}-${++saleSeq}-${digits(6)}`,
      occurred_at: `${day}T12:00:00Z`,
      day,
      status: opts.status ?? 'recorded',
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  if (lines.length > 0) {
    await db
      .insertInto('sale_line')
      .values(
        lines.map((l, i) => ({
          sale_id: sale.id,
          line_no: i + 1,
          customer_id: customerId,
          product_id: l.product.id,
          gtin: l.product.gtin,
          quantity: l.quantity ?? 1,
          unit_price_cents: l.unitPriceCents === undefined ? null : l.unitPriceCents,
          returned_quantity: l.returned ?? 0,
        })),
      )
      .execute()
  }
  return sale.id
}

/** An unlimited amount-off offer for everyone in Health, for the offer repository's insertOffer; budgets set by `over`. */
export function offerRow(over: Partial<NewOfferRow> = {}): NewOfferRow {
  return {
    kind: 'offer',
    name: 'Test offer',
    description: '',
    scope: { category: 'Health' },
    reward: { type: 'amount_off', amountCents: 100 },
    targeting: { everyone: true },
    validFrom: '2026-01-01',
    validUntil: '2026-12-31',
    unitsPerRedemption: null,
    redemptionsPerCustomer: null,
    maxRedemptions: null,
    maxDiscountCents: null,
    stackable: false,
    fundedByManufacturer: null,
    ...over,
  }
}

export async function insertOffer(
  db: Db,
  opts: { name?: string; description?: string; kind?: 'offer' | 'perk'; reward?: Record<string, unknown>; scope?: Record<string, unknown>; validFrom?: string; validUntil?: string } = {},
): Promise<number> {
  const row = await db
    .insertInto('offer')
    .values({
      name: opts.name ?? 'Test offer',
      description: opts.description ?? '',
      kind: opts.kind ?? 'offer',
      scope: JSON.stringify(opts.scope ?? { category: 'Dairy' }),
      reward: JSON.stringify(opts.reward ?? { type: 'amount_off', amountCents: 50 }),
      targeting: JSON.stringify({ everyone: true }),
      valid_from: opts.validFrom ?? '2026-01-01',
      valid_until: opts.validUntil ?? '2026-12-31',
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  return row.id
}

export async function insertGeneration(db: Db, asOf = '2026-11-23'): Promise<number> {
  const row = await db.insertInto('list_generation').values({ as_of: asOf, status: 'succeeded' }).returning('id').executeTakeFirstOrThrow()
  return row.id
}

export interface ListItemFixture {
  productId?: number | null
  category?: string | null
  expectedDate?: string | null
  probability?: number | null
  reason?: string
  offerId?: number | null
  offerValueCents?: number | null
}

export interface ListFixture {
  id: number
  barcode: string
}

/** A list as the generator will write it; total coupon value defaults to the items' offer values. */
export async function insertList(
  db: Db,
  opts: {
    customerId: number
    items?: ListItemFixture[]
    status?: 'current' | 'superseded'
    validFrom?: string
    validUntil?: string
    perks?: unknown[]
    totalCouponCents?: number
    holdout?: boolean
    generationId?: number
  },
): Promise<ListFixture> {
  const validFrom = opts.validFrom ?? '2026-11-23'
  const items = opts.items ?? []
  const barcode = newListBarcode()
  const list = await db
    .insertInto('list')
    .values({
      customer_id: opts.customerId,
      barcode,
      cycle_start: validFrom,
      valid_from: validFrom,
      valid_until: opts.validUntil ?? '2026-12-06',
      status: opts.status ?? 'current',
      trigger: opts.generationId ? 'run' : 'manual',
      generation_id: opts.generationId ?? null,
      holdout: opts.holdout ?? false,
      total_coupon_cents: opts.totalCouponCents ?? items.reduce((s, i) => s + (i.offerValueCents ?? 0), 0),
      perks: JSON.stringify(opts.perks ?? []),
    })
    .returning('id')
    .executeTakeFirstOrThrow()
  if (items.length > 0) {
    await db
      .insertInto('list_item')
      .values(
        items.map((it, i) => ({
          list_id: list.id,
          rank: i + 1,
          customer_id: opts.customerId,
          product_id: it.productId ?? null,
          category: it.category ?? null,
          expected_date: it.expectedDate ?? null,
          probability: it.probability ?? null,
          reason: it.reason ?? 'You usually buy this about now',
          offer_id: it.offerId ?? null,
          offer_value_cents: it.offerValueCents ?? null,
        })),
      )
      .execute()
  }
  return { id: list.id, barcode }
}
