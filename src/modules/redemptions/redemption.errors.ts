import { AppError, invalid, notFound } from '../../lib/errors.ts'

// The domain errors of checkout. Codes map to statuses in src/plugins/problem-registry.ts;
// the texts are for the cashier's screen and the service log, so never a full card number.

export const unknownStore = (storeId: string) => invalid([{ path: 'storeId', message: `no store ${storeId}` }])
export const unknownLane = (storeId: string, laneId: string) =>
  invalid([{ path: 'laneId', message: `lane ${laneId} is not an active lane of store ${storeId}` }])
export const inactiveStore = (storeId: string) => invalid([{ path: 'storeId', message: `store ${storeId} is deactivated` }])

export const unknownCode = () =>
  new AppError('unknown_code', 'the scanned code is no known loyalty card or shopping list')

export const mistypedCode = (as: 'card' | 'list') =>
  new AppError(
    'unknown_code',
    `the scanned code looks like a ${as === 'card' ? 'loyalty card' : 'shopping list barcode'} but its check digit is wrong (mistyped?)`,
  )

export const erasedCustomer = () =>
  new AppError('unknown_code', 'this list belongs to a customer who asked to be forgotten; it no longer works')

export const cardReplaced = () =>
  new AppError('card_replaced', 'this card was replaced by a newer one; ask the customer for their current card or list')

export const idempotencyConflict = (what: string) =>
  new AppError('idempotency_conflict', `${what} was already used with a different request`)

export const futureOfflineSale = () =>
  invalid([{ path: 'occurredAt', message: 'an offline sale is posted after it happened; this time is in the future' }])

export const redemptionNotFound = (id: number | string) => notFound('redemption', id)

export const otherStore = (actingStoreId: string, storeId: string) =>
  new AppError('forbidden', `this key is bound to store ${actingStoreId}, not ${storeId}`)

export const otherStoresRedemption = (storeId: string | null) =>
  new AppError('forbidden', `this redemption belongs to another store than this key's (${storeId ?? 'none'})`)

export const alreadyVoided = (id: number) =>
  new AppError('conflict', `redemption ${id} was voided; nothing can be returned from it`)

export interface OverReturn {
  index: number
  gtin: string
  asked: number
  sold: number
  returned: number
}

/** 422 naming each line that asks for more units than are left to return. */
export const tooManyReturned = (lines: OverReturn[]) =>
  new AppError(
    'unprocessable',
    'cannot return more units than were sold and not yet returned',
    lines.map((l) => ({
      path: `items.${l.index}.quantity`,
      message:
        l.sold === 0
          ? `${l.gtin} was not sold in this transaction`
          : `only ${l.sold - l.returned} of ${l.gtin} left to return (${l.sold} sold, ${l.returned} returned), asked ${l.asked}`,
    })),
  )
