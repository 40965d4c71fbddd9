// What other modules call, inside the transaction of the change the event reports: the event
// row commits with the change or not at all. Dispatch happens later, outside any transaction
// (webhook-dispatcher.ts), so no change ever waits on a receiver.
import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import type { CustomerProfile } from '../segments/segment.types.ts'
import * as repo from './event-outbox.repository.ts'
import type { EventType } from './event.types.ts'
import { wakeDispatchers } from './dispatcher-wake.ts'

type Db = Kysely<DB> | Transaction<DB>

/** Records one event in the caller's transaction. Payloads carry ids and business facts, never names or card numbers. */
export async function recordEvent(trx: Db, type: EventType, payload: Record<string, unknown>): Promise<void> {
  await repo.insertEvents(trx, [{ type, payload }])
  wakeDispatchers()
}

export async function recordRedemptionVoided(trx: Db, redemptionId: number, facts: { voidedAt: string; reversedDiscountCents: number }): Promise<void> {
  await repo.insertRedemptionEvent(trx, 'redemption.voided', redemptionId, facts)
  wakeDispatchers()
}

export async function recordRedemptionReturned(
  trx: Db,
  redemptionId: number,
  facts: { posReturnId: string; items: { gtin: string; quantity: number }[]; clawbackCents: number },
): Promise<void> {
  await repo.insertRedemptionEvent(trx, 'redemption.returned', redemptionId, { ...facts, returnedAt: new Date().toISOString() })
  wakeDispatchers()
}

/**
 * customer.declining for each profile that a refresh moved into 'declining' from another
 * stage it had before. A customer profiled for the first time has no transition to report
 * (an initial refresh of years of imported history would otherwise flood the receivers);
 * the value report's early-warning list shows those.
 */
export async function recordDecliningCustomers(
  trx: Db,
  previous: Map<number, string | null>,
  profiles: Pick<CustomerProfile, 'customerId' | 'lifecycle' | 'asOf' | 'valueTier' | 'lastPurchaseDay' | 'daysSinceLastTrip' | 'medianGapDays' | 'recentSpendCents' | 'previousSpendCents'>[],
): Promise<void> {
  const events = profiles
    .filter((p) => p.lifecycle === 'declining')
    .filter((p) => {
      const before = previous.get(p.customerId)
      return before != null && before !== 'declining'
    })
    .map((p) => ({
      type: 'customer.declining' as const,
      payload: {
        customerId: String(p.customerId),
        lifecycle: p.lifecycle,
        previousLifecycle: previous.get(p.customerId),
        asOf: p.asOf,
        valueTier: p.valueTier,
        lastPurchaseDay: p.lastPurchaseDay,
        daysSinceLastTrip: p.daysSinceLastTrip,
        medianGapDays: p.medianGapDays,
        recentSpendCents: p.recentSpendCents,
        previousSpendCents: p.previousSpendCents,
      },
    }))
  if (events.length === 0) return
  await repo.insertEvents(trx, events)
  wakeDispatchers()
}
