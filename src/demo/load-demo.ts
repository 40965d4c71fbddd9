import { writeFile } from 'node:fs/promises'
import path from 'node:path'
import { Readable } from 'node:stream'
import { sql } from 'kysely'
import type { Logger } from 'pino'
import type { Database } from '../db/database.ts'
import { newCardNumber } from '../lib/codes.ts'
import { createApiKey } from '../modules/api-keys/api-key.service.ts'
import { importTransactions } from '../modules/imports/transaction-import.service.ts'
import { rebuildStats } from '../modules/prediction/prediction.service.ts'
import { createOfferBody } from '../modules/offers/offer.schemas.ts'
import { createOffer } from '../modules/offers/offer.service.ts'
import { productInput } from '../modules/products/product.schemas.ts'
import { upsertProducts } from '../modules/products/product.service.ts'
import { startGeneration } from '../modules/lists/list-run.service.ts'
import { demoOffers, demoPerks, generateDemo, type Demo, type DemoCustomer } from './generate.ts'

export interface DemoSummary {
  stores: number
  customers: number
  sales: number
  sampleCards: string[]
  keysFile: string | null
  /** The queued run that writes the demo's first lists. */
  listGenerationId: string
}

const ACTOR = 'demo'

/**
 * Loads the demo chain through the same services the API uses (products, offers, keys, the
 * history import), so the demo exercises the product rather than a side door. Runs only on
 * an empty database: a store's real data is never touched.
 */
export async function loadDemoIfEmpty(
  db: Database,
  opts: { customers: number; log: Logger; dataDir?: string; today?: string; seed?: number },
): Promise<DemoSummary | null> {
  const existing = await db.selectFrom('store').select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()
  if (existing.n > 0) return null
  const started = Date.now()
  const today = opts.today ?? new Date().toISOString().slice(0, 10)
  const demo = generateDemo({ customers: opts.customers, endDate: yesterday(today), seed: opts.seed ?? 1 })
  opts.log.info({ customers: opts.customers }, 'loading demo data into the empty database')

  await insertStores(db, demo)
  const products = demo.products.map(({ typicalCycleDays: _c, typicalQuantity: _q, popularity: _p, ...p }) => productInput.parse(p))
  await upsertProducts(db, products, ACTOR)
  for (const offer of [...demoOffers(demo.products, today), ...demoPerks(demo.products, today)]) await createOffer(db, createOfferBody.parse(offer), ACTOR)
  const cards = await insertCustomers(db, demo)
  const history = await importTransactions(db, Readable.from(historyCsv(demo)), { statsJobs: false })
  // Prediction statistics for the loaded history; the model is fitted on the first list request.
  await rebuildStats(db)
  const keysFile = opts.dataDir ? await writeDemoKeys(db, demo, opts.dataDir) : null
  // The demo's first fortnight of lists: queued, so the service starts listening at once and
  // its worker writes the lists in the background (GET /v1/list-generations/{id} shows progress).
  const generation = await startGeneration(db, { asOf: today }, ACTOR)

  opts.log.info({ sales: history.salesCreated, ms: Date.now() - started, listGeneration: generation.id }, 'demo data loaded; list generation queued')
  return {
    stores: demo.stores.length,
    customers: demo.customerCount,
    sales: history.salesCreated,
    sampleCards: cards.slice(0, 5),
    keysFile,
    listGenerationId: generation.id,
  }
}

async function insertStores(db: Database, demo: Demo): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('store')
      .values(demo.stores.map((s) => ({ id: s.id, name: s.name, timezone: s.timezone })))
      .execute()
    await trx
      .insertInto('lane')
      .values(demo.stores.flatMap((s) => s.lanes.map((lane) => ({ store_id: s.id, id: lane, name: `Lane ${lane}` }))))
      .execute()
  })
}

/** Bulk insert in batches; returns card numbers of the most engaged customers first, to scan in the demo. */
async function insertCustomers(db: Database, demo: Demo): Promise<string[]> {
  const primary: string[] = []
  const others: string[] = []
  let batch: DemoCustomer[] = []
  const flush = async () => {
    if (!batch.length) return
    const rows = batch
    batch = []
    await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('customer')
        .values(
          rows.map((c) => ({
            external_id: c.externalId,
            first_name: c.firstName,
            home_store_id: c.homeStoreId,
            household: JSON.stringify({
              adults: c.household.adults,
              children: c.household.children,
              pets: c.household.hasPet,
              baby: c.household.hasBaby,
            }),
          })),
        )
        .returning(['id', 'external_id'])
        .execute()
      const cards = inserted.map((row) => ({ number: newCardNumber(), customer_id: row.id }))
      await trx.insertInto('card').values(cards).execute()
      rows.forEach((c, i) => (c.segmentTruth.engagement === 'primary' ? primary : others).push(cards[i]!.number))
    })
  }
  for (const customer of demo.customers()) {
    batch.push(customer)
    if (batch.length >= 1000) await flush()
  }
  await flush()
  return [...primary, ...others]
}

/** The history in the import format, streamed: a big demo never sits in memory. */
export function* historyCsv(demo: Demo): Generator<string> {
  yield 'customer_id,transaction_id,occurred_at,store_id,gtin,quantity,unit_price_cents\n'
  for (const customer of demo.customers()) {
    let chunk = ''
    for (const t of demo.transactions(customer)) {
      for (const line of t.lines) {
        chunk += `${customer.externalId},${t.transactionId},${t.occurredAt},${t.storeId},${line.gtin},${line.quantity},${line.unitPriceCents}\n`
      }
    }
    if (chunk) yield chunk
  }
}

async function writeDemoKeys(db: Database, demo: Demo, dataDir: string): Promise<string> {
  const backoffice = (await createApiKey(db, { role: 'backoffice', name: 'demo back office' }, ACTOR)).key
  const pos: Record<string, string> = {}
  for (const store of demo.stores) pos[store.id] = (await createApiKey(db, { role: 'pos', storeId: store.id, name: `demo lanes ${store.id}` }, ACTOR)).key
  const file = path.resolve(dataDir, 'demo-keys.json')
  await writeFile(file, `${JSON.stringify({ backoffice, pos }, null, 2)}\n`, { mode: 0o600 })
  return file
}

function yesterday(day: string): string {
  const d = new Date(`${day}T12:00:00Z`)
  d.setUTCDate(d.getUTCDate() - 1)
  return d.toISOString().slice(0, 10)
}
