// Checkout fixtures: a store with a pos key, a small catalog, customers with cards, offers
// and current lists carrying them. Lists are inserted directly: the list generator is
// another module's. Everything goes through the real API where one exists.
import { randomBytes } from 'node:crypto'
import type { LightMyRequestResponse } from 'fastify'
import pg from 'pg'
import { newListBarcode, withCheckDigit } from '../../src/lib/codes.ts'
import { buildTestApp, type TestApp } from './app.ts'

type Tap = Parameters<typeof buildTestApp>[0]

function gtin(body12: string): string {
  return `0${withCheckDigit(body12)}`
}

/** name -> [gtin (14), category, brand type, regular price] */
export const CATALOG = {
  milk: [gtin('400000000011'), 'Dairy/Milk', 'national', 349],
  cheese: [gtin('400000000022'), 'Dairy/Cheese', 'national', 499],
  yogurt: [gtin('400000000033'), 'Dairy/Yogurt', 'store', 99],
  ibuprofen: [gtin('400000000044'), 'Health/Pain relief', 'national', 899],
  storeIbuprofen: [gtin('400000000055'), 'Health/Pain relief', 'store', 599],
  rice: [gtin('400000000066'), 'Pantry/Rice', 'national', 299],
  dogFood: [gtin('400000000077'), 'Pet/Dog food', 'national', 1999],
  soup: [gtin('400000000088'), 'Pantry/Soup', 'national', 333],
} as const satisfies Record<string, readonly [string, string, 'national' | 'store', number]>

export type ProductName = keyof typeof CATALOG

/** A GTIN with a valid check digit that is not in the catalog. */
export const UNKNOWN_GTIN = gtin('499999999990')

export interface Item {
  gtin: string
  quantity: number
  unitPriceCents: number
}

export function item(name: ProductName, quantity = 1, unitPriceCents?: number): Item {
  const [g, , , price] = CATALOG[name]
  return { gtin: g, quantity, unitPriceCents: unitPriceCents ?? price }
}

export interface Customer {
  id: string
  cardNumber: string
}

export interface CheckoutFixture extends TestApp {
  storeId: string
  posKey: string
  officeKey: string
  productIds: Record<ProductName, number>
  createOffer(over?: Record<string, unknown>): Promise<string>
  createCustomer(): Promise<Customer>
  /** A list with these offers on it; current unless said otherwise (any previous current one is superseded). */
  createList(customerId: string, offerIds: string[], opts?: { status?: 'current' | 'superseded'; createdAt?: string }): Promise<{ id: string; barcode: string }>
  /** A customer with a card and a current list carrying the offers. */
  customerWithList(offerIds: string[]): Promise<Customer & { listId: string; barcode: string }>
  body(scannedCode: string, items: Item[], over?: Record<string, unknown>): Record<string, unknown>
  redeem(body: Record<string, unknown>, key?: string | null): Promise<LightMyRequestResponse>
  quote(body: Record<string, unknown>, key?: string | null): Promise<LightMyRequestResponse>
  voidIt(redemptionId: string, key?: string | null): Promise<LightMyRequestResponse>
  returnIt(redemptionId: string, body: Record<string, unknown>, key?: string | null): Promise<LightMyRequestResponse>
  /** Row counts of everything a redemption writes. */
  counts(): Promise<Record<string, number>>
}

export const SALE_TIME = '2026-11-22T15:04:05-06:00'

export function offerBody(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'Test offer',
    description: '$1 off milk',
    scope: { gtins: [CATALOG.milk[0]] },
    reward: { type: 'amount_off', amountCents: 100 },
    targeting: { everyone: true },
    validFrom: '2026-11-01',
    validUntil: '2026-11-30',
    fundedBy: 'store',
    ...over,
  }
}

export async function checkoutFixture(t: Tap, env: Record<string, string> = {}): Promise<CheckoutFixture> {
  const ctx = await buildTestApp(t, env)
  const db = ctx.database.db
  const storeId = await ctx.createStore('S01')
  const posKey = await ctx.createKey('pos', storeId)
  const officeKey = await ctx.createKey('backoffice')

  const productIds = {} as Record<ProductName, number>
  for (const [name, [g, category, brandType, price]] of Object.entries(CATALOG)) {
    const row = await db
      .insertInto('product')
      .values({ gtin: g, name, category, brand: 'Brand', brand_type: brandType, regular_price_cents: price })
      .returning('id')
      .executeTakeFirstOrThrow()
    productIds[name as ProductName] = row.id
  }

  const post = (key: string | null, url: string, payload: object) => ctx.call(key, { method: 'POST', url, payload })

  const createOffer: CheckoutFixture['createOffer'] = async (over = {}) => {
    const res = await post(officeKey, '/v1/offers', offerBody(over))
    if (res.statusCode !== 201) throw new Error(`offer: ${res.body}`)
    return res.json().id as string
  }

  const createCustomer: CheckoutFixture['createCustomer'] = async () => {
    const res = await post(officeKey, '/v1/customers', {})
    if (res.statusCode !== 201) throw new Error(`customer: ${res.body}`)
    return res.json() as Customer
  }

  const createList: CheckoutFixture['createList'] = async (customerId, offerIds, opts = {}) => {
    const status = opts.status ?? 'current'
    if (status === 'current') {
      await db.updateTable('list').set({ status: 'superseded' }).where('customer_id', '=', Number(customerId)).where('status', '=', 'current').execute()
    }
    const barcode = newListBarcode()
    const list = await db
      .insertInto('list')
      .values({
        customer_id: Number(customerId),
        barcode,
        cycle_start: '2026-11-16',
        valid_from: '2026-11-16',
        valid_until: '2026-11-29',
        status,
        trigger: 'manual',
        ...(opts.createdAt ? { created_at: opts.createdAt } : {}),
      })
      .returning('id')
      .executeTakeFirstOrThrow()
    if (offerIds.length > 0) {
      await db
        .insertInto('list_item')
        .values(offerIds.map((offerId, i) => ({ list_id: list.id, rank: i + 1, customer_id: Number(customerId), reason: 'test', offer_id: Number(offerId) })))
        .execute()
    }
    return { id: String(list.id), barcode }
  }

  // Its own connection: a test that kills the app's connections must still be able to count.
  const counts = async () => {
    const client = new pg.Client({ connectionString: ctx.database.url })
    await client.connect()
    const one = async (table: string) => {
      const { rows } = await client.query(`select count(*)::int as n from ${table}`)
      return rows[0].n as number
    }
    try {
      return {
      sales: await one('sale'),
      lines: await one('sale_line'),
      redemptions: await one('redemption'),
      discounts: await one('redemption_discount'),
      usage: await one('offer_usage'),
      rainChecks: await one('rain_check'),
      returns: await one('redemption_return'),
      // Regeneration requests, still a row of the lanes' table or already a queued job.
      jobs: (await one('list_regen_request')) + (await one('graphile_worker.jobs')),
      }
    } finally {
      await client.end()
    }
  }

  return {
    ...ctx,
    storeId,
    posKey,
    officeKey,
    productIds,
    createOffer,
    createCustomer,
    createList,
    async customerWithList(offerIds) {
      const c = await createCustomer()
      const list = await createList(c.id, offerIds)
      return { ...c, listId: list.id, barcode: list.barcode }
    },
    body(scannedCode, items, over = {}) {
      return {
        storeId,
        laneId: '07',
        posTransactionId: `T-${randomBytes(6).toString('hex')}`,
        scannedCode,
        occurredAt: SALE_TIME,
        items,
        ...over,
      }
    },
    // async: inject() only starts a request when it is awaited; these start at once.
    redeem: async (body, key = posKey) => post(key, '/v1/redemptions', body),
    quote: async (body, key = posKey) => post(key, '/v1/redemptions/quote', body),
    voidIt: async (id, key = posKey) => ctx.call(key, { method: 'POST', url: `/v1/redemptions/${id}/void` }),
    returnIt: async (id, body, key = posKey) => post(key, `/v1/redemptions/${id}/returns`, body),
    counts,
  }
}
