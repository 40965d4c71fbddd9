import type { Transaction } from 'kysely'
import type { Database } from '../../db/database.ts'
import type { DB } from '../../db/schema.ts'
import { maskCard } from '../../lib/codes.ts'
import { AppError } from '../../lib/errors.ts'
import { buildRecord } from './redemption-record.ts'
import { addDays, classify, redemptionHash, type Scanned } from './redemption-request.ts'
import { priceCheckout } from './redemption-pricing.ts'
import { asTier, lockScannedCustomer, storeExists, type CheckoutRow } from './redemption.repository.ts'
import { loadCheckoutCached } from './pricing-catalog-cache.ts'
import {
  cardReplaced,
  erasedCustomer,
  futureOfflineSale,
  idempotencyConflict,
  inactiveStore,
  otherStore,
  unknownCode,
  unknownLane,
  unknownStore,
} from './redemption.errors.ts'
import type { QuoteResponse, RedemptionRequest, RedemptionResponse } from './redemption.schemas.ts'
import { accrualUnits, voucherConfig } from '../vouchers/voucher-rules.ts'
import { wakeDispatchers } from '../events/dispatcher-wake.ts'
import { STALE_WRITE } from './redemption-write.repository.ts'
import { writeRedemption } from './redemption-coalescer.ts'
import { observeTiming } from './redemption-timings.ts'

/** A rain check is honoured for two list cycles after the sale that earned it. */
export const RAIN_CHECK_DAYS = 28
/** POS clocks drift; an offline sale may be stamped this far ahead of ours. */
const CLOCK_SKEW_MS = 5 * 60_000
/**
 * Attempts of one redemption. The first is optimistic: a read and one write statement, no
 * explicit transaction, no lock. It is retried only when a concurrent lane changed what it
 * read (same customer, same idempotency key, or the last of an offer's budget); the retries
 * run in a transaction that takes the customer's row lock before reading, so they see the
 * winner and lanes of one customer serialise there.
 */
const MAX_ATTEMPTS = 5
// The write's own conditions, and PostgreSQL's deadlock and serialization failures: the
// statement or transaction did nothing and may run again.
const RETRYABLE_SQLSTATES = new Set([STALE_WRITE, '40P01', '40001'])

export interface RedeemResult {
  /** true: the idempotency key was used before with the same request; nothing new was recorded. */
  replayed: boolean
  response: RedemptionResponse
}

/**
 * Records one lane sale with its discounts, exactly once per (storeId, posTransactionId).
 * See docs/redemptions.md for the rules and the order of the checks.
 */
export async function redeem(db: Database, body: RedemptionRequest, actingStoreId: string | null): Promise<RedeemResult> {
  await assertActsFor(db, actingStoreId, body.storeId)
  const scanned = classify(body.scannedCode)
  const hash = redemptionHash(body)
  const excluded = new Set<string>()
  for (let attempt = 1; ; attempt++) {
    try {
      const result =
        attempt === 1 || scanned instanceof Error
          ? await redeemOnce(db, body, scanned, hash, excluded)
          : await db.transaction().execute(async (trx) => {
              await lockScannedCustomer(trx, scanned)
              return redeemOnce(trx, body, scanned, hash, excluded)
            })
      if (result) return result
    } catch (err) {
      const code = (err as { code?: string }).code ?? ''
      if (!RETRYABLE_SQLSTATES.has(code)) throw err
      if (attempt >= MAX_ATTEMPTS) throw new AppError('conflict', 'too many concurrent changes to this customer or offer; retry the request')
      // An offer whose budget ran out under us again and again is left out of the last attempt.
      const budget = /^budget:(.*)$/.exec((err as Error).message)
      if (budget && attempt >= MAX_ATTEMPTS - 1) for (const id of (budget[1] ?? '').split(',')) if (id) excluded.add(id)
    }
    if (attempt >= MAX_ATTEMPTS) throw new AppError('conflict', 'too many concurrent changes to this customer or offer; retry the request')
  }
}

/** One attempt; undefined when another request took the idempotency key first (read it again). */
async function redeemOnce(
  db: Database | Transaction<DB>,
  body: RedemptionRequest,
  scanned: Scanned | Error,
  hash: string,
  excluded: Set<string>,
): Promise<RedeemResult | undefined> {
  const readStart = performance.now()
  const loaded = await loadCheckoutCached(db, checkoutQuery(body, scanned, { key: true }))
  observeTiming('read', performance.now() - readStart)
  const day = checkStore(body, loaded)
  // A retry of a recorded sale gets its answer even if the card was replaced in between.
  if (loaded.existing) {
    if (loaded.existing.request_hash !== hash) {
      // An offline post under the key of an online attempt the lane gave up on: that attempt
      // was recorded (with discounts the customer never got); say which, so the POS can void it.
      const recorded = body.offline ? ` (recorded as redemption ${loaded.existing.id}; void it and post the offline sale under a new posTransactionId)` : ''
      throw idempotencyConflict(`posTransactionId ${body.posTransactionId}${recorded}`)
    }
    return { replayed: true, response: loaded.existing.response as unknown as RedemptionResponse }
  }
  const customer = checkCustomer(scanned, loaded)
  if (body.offline && Date.parse(body.occurredAt) > Date.now() + CLOCK_SKEW_MS) throw futureOfflineSale()

  const offline = body.offline === true
  const priced = priceCheckout(body, loaded, day, { listOffers: true, rainChecks: !offline, excluded })
  const expiresOn = addDays(day, RAIN_CHECK_DAYS)
  const record = buildRecord(body, priced, { offline, rainCheckExpiresOn: expiresOn })
  const response = {
    redemptionId: '',
    customer: { id: String(customer.id), maskedCard: customer.active_card ? maskCard(customer.active_card) : null, tier: asTier(customer.tier) },
    listId: loaded.list_id === null ? null : String(loaded.list_id),
    ...record.response,
  }
  // Offers read without a budget skip the shared counters; any other (a rain check's offer
  // not on the list, say) takes the budgeted path, which is right either way.
  const unbudgeted = new Set(
    loaded.offers.filter((o) => o.budget_max_redemptions === null && o.budget_max_discount_cents === null).map((o) => Number(o.id)),
  )
  // A first attempt may share its statement and commit with other lanes' (redemption-coalescer.ts).
  const written = await writeRedemption(db, {
    customerId: customer.id,
    storeId: body.storeId,
    laneId: body.laneId,
    posTransactionId: body.posTransactionId,
    requestHash: hash,
    offline,
    occurredAt: body.occurredAt,
    day,
    listId: loaded.list_id,
    totalBeforeCents: record.response.totalBeforeCents,
    totalDiscountCents: record.response.totalDiscountCents,
    response,
    pricing: record.pricing,
    lines: record.lines,
    discounts: record.discounts,
    usage: record.usage.map((u) => ({ ...u, budgeted: !unbudgeted.has(u.offerId) })),
    newRainChecks: record.newRainChecks,
    rainCheckExpiresOn: offline ? expiresOn : null,
    redeemedRainChecks: record.redeemedRainChecks,
    voucher: voucherAccrual(record.response.totalAfterCents),
  })
  if (written.redemptionId === null) return undefined
  wakeDispatchers()
  return { replayed: false, response: written.response as unknown as RedemptionResponse }
}

/** What the customer paid accrues to their voucher balance at the configured rate. */
function voucherAccrual(spendCents: number) {
  const rateBp = voucherConfig().rateBasisPoints
  return { spendCents, rateBp, units: accrualUnits(spendCents, rateBp) }
}

/** The same pricing as redeem, without a lock, a write or an idempotency key. */
export async function quote(db: Database, body: RedemptionRequest, actingStoreId: string | null): Promise<QuoteResponse> {
  await assertActsFor(db, actingStoreId, body.storeId)
  const scanned = classify(body.scannedCode)
  const loaded = await loadCheckoutCached(db, checkoutQuery(body, scanned, { key: false }))
  const day = checkStore(body, loaded)
  const customer = checkCustomer(scanned, loaded)
  const offline = body.offline === true
  const priced = priceCheckout(body, loaded, day, { listOffers: true, rainChecks: !offline, excluded: new Set() })
  const record = buildRecord(body, priced, { offline, rainCheckExpiresOn: addDays(day, RAIN_CHECK_DAYS), quote: true })
  return {
    customer: { id: String(customer.id), maskedCard: customer.active_card ? maskCard(customer.active_card) : null, tier: asTier(customer.tier) },
    listId: loaded.list_id === null ? null : String(loaded.list_id),
    ...record.response,
  }
}

/**
 * A pos key acts for its own store only (403), but an unknown store is a bad field (400)
 * whoever asks; the extra lookup happens only when the stores differ.
 */
async function assertActsFor(db: Database, actingStoreId: string | null, storeId: string): Promise<void> {
  if (actingStoreId === null || actingStoreId === storeId) return
  if (!(await storeExists(db, storeId))) throw unknownStore(storeId)
  throw otherStore(actingStoreId, storeId)
}

function checkoutQuery(body: RedemptionRequest, scanned: Scanned | Error, opts: { key: boolean }) {
  return {
    storeId: body.storeId,
    laneId: body.laneId,
    scanned: scanned instanceof Error ? null : scanned,
    occurredAt: body.occurredAt,
    offline: body.offline === true,
    gtins: [...new Set(body.items.map((i) => i.gtin))],
    posTransactionId: opts.key ? body.posTransactionId : null,
  }
}

/**
 * 400 for an unknown or deactivated store, or a lane the store's register does not list as
 * active (a store that registered no lanes accepts any); otherwise the sale's day in the
 * store's time zone.
 */
function checkStore(body: RedemptionRequest, loaded: CheckoutRow): string {
  if (!loaded.store) throw unknownStore(body.storeId)
  if (!loaded.store.active) throw inactiveStore(body.storeId)
  if (!loaded.store.lane_ok) throw unknownLane(body.storeId, body.laneId)
  return loaded.store.day
}

function checkCustomer(scanned: Scanned | Error, loaded: CheckoutRow) {
  if (scanned instanceof Error) throw scanned
  const customer = loaded.customer
  if (!customer) throw unknownCode()
  if (customer.card_status === 'replaced') throw cardReplaced()
  if (customer.erased) throw erasedCustomer()
  return customer
}

/** For other modules (service desk, lists): the customer's value tier; null before their first profile refresh. */
export { customerTier } from './redemption.repository.ts'
