import type { BasketLine, CandidateOffer, Reward, ReturnItem } from './pricing-types.ts'

// The HTTP layer validates requests with zod first; these checks guard the engine's own
// invariants (integer cents, safe sizes) for every other caller, e.g. imports and jobs.

export class PricingInputError extends Error {
  readonly code = 'PRICING_INVALID_INPUT'
  override readonly name = 'PricingInputError'
}

const GTIN_14 = /^\d{14}$/
// Keeps every basket total, and every product in the integer arithmetic, a safe integer.
const MAX_UNIT_PRICE_CENTS = 100_000_000
const MAX_LINE_QUANTITY = 100_000

function fail(path: string, message: string): never {
  throw new PricingInputError(`${path}: ${message}`)
}

function requireInteger(value: number, path: string, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(path, `must be an integer from ${min} to ${max}, got ${String(value)}`)
  }
}

function requireOptionalCount(value: number | null | undefined, path: string): void {
  if (value !== null && value !== undefined) requireInteger(value, path, 0)
}

function requirePercent(value: number, path: string): void {
  if (!Number.isFinite(value) || value <= 0 || value > 100) {
    fail(path, `must be a percentage above 0 and at most 100, got ${String(value)}`)
  }
}

function validateLine(line: BasketLine, path: string): void {
  if (!GTIN_14.test(line.gtin)) fail(`${path}.gtin`, 'must be 14 digits')
  requireInteger(line.quantity, `${path}.quantity`, 1, MAX_LINE_QUANTITY)
  requireInteger(line.unitPriceCents, `${path}.unitPriceCents`, 0, MAX_UNIT_PRICE_CENTS)
  if (line.category.length === 0) fail(`${path}.category`, 'must not be empty')
  if (line.brandType !== 'national' && line.brandType !== 'store') {
    fail(`${path}.brandType`, 'must be "national" or "store"')
  }
}

function validateReward(reward: Reward, path: string): void {
  switch (reward.type) {
    case 'amount_off':
      return requireInteger(reward.amountCents, `${path}.amountCents`, 0)
    case 'percent_off':
      return requirePercent(reward.percent, `${path}.percent`)
    case 'fixed_price':
      return requireInteger(reward.priceCents, `${path}.priceCents`, 0)
    case 'buy_x_get_y':
      requireInteger(reward.buy, `${path}.buy`, 1)
      requireInteger(reward.get, `${path}.get`, 1)
      if (reward.percentOff !== undefined) requirePercent(reward.percentOff, `${path}.percentOff`)
      return
    case 'spend_threshold':
      requireInteger(reward.minSpendCents, `${path}.minSpendCents`, 0)
      return requireInteger(reward.amountCents, `${path}.amountCents`, 0)
    default:
      return fail(`${path}.type`, `unknown reward type ${JSON.stringify((reward as { type: unknown }).type)}`)
  }
}

function validateOffer(offer: CandidateOffer, path: string): void {
  if (offer.offerId.length === 0) fail(`${path}.offerId`, 'must not be empty')
  validateReward(offer.reward, `${path}.reward`)
  requireOptionalCount(offer.maxUnits, `${path}.maxUnits`)
  requireOptionalCount(offer.remainingUses, `${path}.remainingUses`)
  requireOptionalCount(offer.budgetRemainingRedemptions, `${path}.budgetRemainingRedemptions`)
  requireOptionalCount(offer.budgetRemainingCents, `${path}.budgetRemainingCents`)
}

export function assertValidPricingInput(
  lines: readonly BasketLine[],
  offers: readonly CandidateOffer[],
): void {
  lines.forEach((line, i) => validateLine(line, `lines[${i}]`))
  const seen = new Set<string>()
  offers.forEach((offer, i) => {
    validateOffer(offer, `offers[${i}]`)
    // offerId is the deterministic tie-break, so it must identify one offer.
    if (seen.has(offer.offerId)) fail(`offers[${i}].offerId`, `duplicate ${offer.offerId}`)
    seen.add(offer.offerId)
  })
}

export function assertValidReturnItems(items: readonly ReturnItem[], path: string): void {
  items.forEach((item, i) => requireInteger(item.quantity, `${path}[${i}].quantity`, 0))
}
