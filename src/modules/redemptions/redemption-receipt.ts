// What the POS prints. Lines are at most 40 characters: the narrowest receipt printers in
// the chain's lanes print 40 columns. Amounts are dollars and cents.

export const RECEIPT_WIDTH = 40

export function dollars(cents: number): string {
  const sign = cents < 0 ? '-' : ''
  const abs = Math.abs(cents)
  return `${sign}$${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`
}

function fit(line: string): string {
  return line.length <= RECEIPT_WIDTH ? line : `${line.slice(0, RECEIPT_WIDTH - 1)}…`
}

export function redemptionReceipt(r: {
  /** A quote records nothing: it says what the basket would save and promises no list. */
  quote: boolean
  offline: boolean
  hasList: boolean
  offersUsed: number
  totalDiscountCents: number
  rainCheckCents: number
}): string[] {
  const lines: string[] = []
  if (r.offline) {
    lines.push('Offline sale: no discounts at the lane')
    if (r.rainCheckCents > 0) lines.push(`Rain check: ${dollars(r.rainCheckCents)} off on next visit`)
  } else if (r.totalDiscountCents > 0) {
    lines.push(r.quote ? `Your list saves ${dollars(r.totalDiscountCents)}` : `You saved ${dollars(r.totalDiscountCents)} with your list`)
    lines.push(`${r.quote ? 'Offers that apply' : 'Offers used'}: ${r.offersUsed}`)
  } else if (r.hasList) {
    lines.push('No list offers in this basket')
  }
  // The regeneration job runs within a second of the commit (docs/redemptions.md); whether a
  // customer without a list gets one is the list module's eligibility rule, so promise nothing.
  if (r.hasList && !r.quote) lines.push('Your next list: ready now')
  return lines.map(fit)
}

export function voidReceipt(reversedCents: number): string[] {
  return [fit('Sale voided'), fit(reversedCents > 0 ? `List savings reversed: ${dollars(reversedCents)}` : 'No list savings to reverse')]
}

export function returnReceipt(clawbackCents: number, rainCheckCents = 0): string[] {
  const lines = [clawbackCents > 0 ? `List savings returned: ${dollars(clawbackCents)}` : 'No list savings on these items']
  if (rainCheckCents > 0) lines.push(`Rain check reduced: ${dollars(rainCheckCents)}`)
  return lines.map(fit)
}
