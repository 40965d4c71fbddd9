import t from 'tap'
import { classifyScannedCode, gs1CheckDigit, maskCard, newCardNumber, newListBarcode, normaliseGtin } from '../../src/lib/codes.ts'

t.test('GS1 check digits match published examples', async (t) => {
  // EAN-13 4006381333931, UPC-A 036000291452, EAN-8 96385074, GTIN-14 10012345678902
  t.equal(gs1CheckDigit('400638133393'), 1)
  t.equal(gs1CheckDigit('03600029145'), 2)
  t.equal(gs1CheckDigit('9638507'), 4)
  t.equal(gs1CheckDigit('1001234567890'), 2)
})

t.test('GTIN normalisation: every length becomes 14 digits; one product, one code', async (t) => {
  const cases: [string, string][] = [
    ['96385074', '00000096385074'],
    ['036000291452', '00036000291452'],
    ['4006381333931', '04006381333931'],
    ['04006381333931', '04006381333931'],
    [' 4006381333931 ', '04006381333931'],
  ]
  for (const [raw, expected] of cases) t.same(normaliseGtin(raw), { gtin: expected }, raw)
  t.same(normaliseGtin('036000291452'), normaliseGtin('00036000291452'), 'UPC-A and its GTIN-14 agree')
})

t.test('GTIN problems are named', async (t) => {
  t.same(normaliseGtin('4006381333932'), { problem: 'bad_check_digit' })
  t.same(normaliseGtin('40063813339'), { problem: 'bad_length' })
  t.same(normaliseGtin('400638133393X'), { problem: 'not_digits' })
  t.same(normaliseGtin(''), { problem: 'not_digits' })
  t.same(normaliseGtin('123456789012345'), { problem: 'bad_length' })
})

t.test('card numbers and list barcodes are told apart, and mistypes are caught', async (t) => {
  for (let i = 0; i < 200; i++) {
    const card = newCardNumber()
    t.match(card, /^29[0-9]{11}$/)
    t.same(classifyScannedCode(card), { kind: 'card', number: card })
    const list = newListBarcode()
    t.same(classifyScannedCode(list), { kind: 'list', barcode: list })
    // Any single-digit substitution breaks the mod-10 check.
    const pos = 2 + (i % 11)
    const wrong = card.slice(0, pos) + String((Number(card[pos]) + 1 + (i % 9)) % 10) + card.slice(pos + 1)
    if (wrong !== card) t.same(classifyScannedCode(wrong), { kind: 'mistyped', as: 'card' })
  }
  t.same(classifyScannedCode('ll' + newListBarcode().slice(2)).kind, 'list', 'lower-case prefix from a keyboard wedge')
  t.same(classifyScannedCode('4006381333931'), { kind: 'unknown' }, 'a product code is not a card')
  t.same(classifyScannedCode('hello'), { kind: 'unknown' })
  t.same(classifyScannedCode(''), { kind: 'unknown' })
})

t.test('masked cards keep only the last four digits', async (t) => {
  t.equal(maskCard('2912345678904'), '•••• 8904')
})
