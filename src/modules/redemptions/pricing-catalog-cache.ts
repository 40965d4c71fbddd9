import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { readCheckout } from './redemption-read-coalescer.ts'
import { type CatalogKnown, type CheckoutOfferRow, type CheckoutProduct, type CheckoutQuery, type CheckoutRow, type OfferDefinition } from './redemption.repository.ts'

/**
 * The lane's read without the part that barely changes: offer definitions and the basket's
 * products were more than half of that read's PostgreSQL CPU (docs/redemptions.md, "Latency and
 * throughput"), so each instance keeps them per database, as read under one value of the
 * pricing catalog version (migration 0033: any change to an offer's definition or to a product's
 * GTIN, category or brand type moves it, in the changing transaction). Every read still returns
 * the version its snapshot sees, and the copy is used only when it is that version; otherwise the
 * same read returned every definition and product itself and the copy starts again from it. So a
 * sale never prices with a definition older than its own snapshot, however many instances there
 * are, and nothing depends on a notification arriving. Budget counters and the customer's uses
 * are read fresh every time and never cached.
 */
interface Generation {
  version: number
  offers: Map<number, OfferDefinition>
  offerIds: number[] | null
  /** null: not in the catalog (a lane scanning an unknown GTIN over and over asks once). */
  products: Map<string, CheckoutProduct | null>
}

/** Unknown GTINs a lane can send are unbounded: past this the product copy starts again. */
const MAX_PRODUCTS = 200_000

const generations = new WeakMap<object, Generation>()

/** For tests: how the copy answered since the process started. */
export const catalogCacheStats = { reads: 0, fullReads: 0, refills: 0 }

/**
 * loadCheckout with the cached catalog. Inside a transaction (a retried attempt) the copy is not
 * used: those reads are rare and take everything.
 */
export async function loadCheckoutCached(db: Kysely<DB> | Transaction<DB>, q: CheckoutQuery): Promise<CheckoutRow> {
  catalogCacheStats.reads++
  const gen = db.isTransaction ? undefined : generations.get(db)
  // The products held are taken now: a concurrent read may start the copy again meanwhile.
  const held = new Map<string, CheckoutProduct | null>()
  let known: CatalogKnown | null = null
  if (gen) {
    const missing: string[] = []
    for (const g of q.gtins) {
      const p = gen.products.get(g)
      if (p === undefined) missing.push(g)
      else held.set(g, p)
    }
    gen.offerIds ??= [...gen.offers.keys()].sort((a, b) => a - b)
    known = { version: gen.version, offerIds: gen.offerIds, missingGtins: missing }
  }
  // Shared with other lanes' reads when several arrive together (redemption-read-coalescer.ts).
  const read = await readCheckout(db, q, known)
  const same = gen !== undefined && gen.version === read.catalog_version
  if (!same) catalogCacheStats.fullReads++
  let target = same ? gen : undefined
  if (!same && !db.isTransaction) {
    // Any other value replaces the copy, a lower one too: a slow read of an older version only
    // costs the next read a full one, and a database restored from a backup (its counter
    // back at an older value) can never meet a copy of later data under that value again.
    const current = generations.get(db)
    if (!current || current.version !== read.catalog_version) {
      target = { version: read.catalog_version, offers: new Map(), offerIds: null, products: new Map() }
      generations.set(db, target)
      catalogCacheStats.refills++
    } else target = current
  }

  const offers: CheckoutOfferRow[] = []
  for (const [id, usedRedemptions, usedCents, used, returned] of read.offers) {
    let def = returned
    if (def === null) def = gen?.offers.get(id) ?? null
    else if (target && !target.offers.has(id)) {
      target.offers.set(id, def)
      target.offerIds = null
    }
    // Held when the read was sent and never dropped from a generation: this cannot happen.
    if (def === null) throw new Error(`pricing catalog copy lost offer ${id}`)
    offers.push({ id, ...def, budget_used_redemptions: usedRedemptions, budget_used_discount_cents: usedCents, used })
  }

  const found = new Map(read.products.map((p) => [p[0], p]))
  if (target) {
    if (target.products.size > MAX_PRODUCTS) target.products.clear()
    for (const g of same ? known!.missingGtins : q.gtins) target.products.set(g, found.get(g) ?? null)
  }
  const products: CheckoutProduct[] = [...read.products]
  if (same) for (const p of held.values()) if (p !== null) products.push(p)

  return {
    store: read.store,
    customer: read.customer,
    list_id: read.list_id,
    offers,
    rain_checks: read.rain_checks,
    products,
    existing: read.existing,
  }
}
