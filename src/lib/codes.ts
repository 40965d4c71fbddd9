import { randomInt } from 'node:crypto'

/**
 * The codes a lane scanner can send us: product GTINs, loyalty card numbers and list barcodes.
 * Card numbers are EAN-13 in GS1's in-store prefix 29 so any scanner reads them and they can
 * never collide with a product; list barcodes start with "LL" so the two are told apart by
 * shape alone. Both carry a GS1 mod-10 check digit, so a mistyped code is recognised as such.
 */

/** GS1 mod-10 check digit for the digits that precede it. */
export function gs1CheckDigit(body: string): number {
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    const digit = body.charCodeAt(body.length - 1 - i) - 48
    sum += digit * (i % 2 === 0 ? 3 : 1)
  }
  return (10 - (sum % 10)) % 10
}

export function hasValidCheckDigit(code: string): boolean {
  return /^[0-9]+$/.test(code) && gs1CheckDigit(code.slice(0, -1)) === code.charCodeAt(code.length - 1) - 48
}

export type GtinProblem = 'not_digits' | 'bad_length' | 'bad_check_digit'

/** GTIN-8/12/13/14 to its 14-digit form (left-padding keeps the check digit valid), or why not. */
export function normaliseGtin(raw: string): { gtin: string } | { problem: GtinProblem } {
  const code = raw.trim()
  if (!/^[0-9]+$/.test(code)) return { problem: 'not_digits' }
  if (![8, 12, 13, 14].includes(code.length)) return { problem: 'bad_length' }
  if (!hasValidCheckDigit(code)) return { problem: 'bad_check_digit' }
  return { gtin: code.padStart(14, '0') }
}

export const gtinProblemText: Record<GtinProblem, string> = {
  not_digits: 'a GTIN has only digits',
  bad_length: 'a GTIN has 8, 12, 13 or 14 digits',
  bad_check_digit: 'the check digit does not match (mistyped GTIN?)',
}

export function withCheckDigit(body: string): string {
  return body + String(gs1CheckDigit(body))
}

function randomDigits(n: number): string {
  let s = ''
  for (let i = 0; i < n; i++) s += String(randomInt(10))
  return s
}

export const CARD_PREFIX = '29'

/** Random, not sequential: a card number should not reveal how many customers there are or who is next. */
export function newCardNumber(): string {
  return withCheckDigit(CARD_PREFIX + randomDigits(10))
}

export function newListBarcode(): string {
  return `LL${withCheckDigit(randomDigits(12))}`
}

export type ScannedCode =
  | { kind: 'card'; number: string }
  | { kind: 'list'; barcode: string }
  | { kind: 'mistyped'; as: 'card' | 'list' }
  | { kind: 'unknown' }

/** Tells a card from a list barcode from noise, by shape and check digit, before any lookup. */
export function classifyScannedCode(raw: string): ScannedCode {
  const code = raw.trim().toUpperCase()
  if (/^LL[0-9]{13}$/.test(code)) {
    return hasValidCheckDigit(code.slice(2)) ? { kind: 'list', barcode: code } : { kind: 'mistyped', as: 'list' }
  }
  if (/^29[0-9]{11}$/.test(code)) {
    return hasValidCheckDigit(code) ? { kind: 'card', number: code } : { kind: 'mistyped', as: 'card' }
  }
  return { kind: 'unknown' }
}

/** For receipts and service-desk screens: enough to recognise a card, not to use it. */
export function maskCard(number: string): string {
  return `•••• ${number.slice(-4)}`
}
