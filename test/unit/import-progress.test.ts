import t from 'tap'
import { progressText } from '../../src/modules/imports/progress-text.ts'

const p = { rows: 0, imported: 0, duplicates: 0, rejected: 0, seconds: 0 }

t.test('reading: the bar follows the bytes read, with rows per second', async (t) => {
  const line = progressText({ ...p, phase: 'reading', rows: 500_000, rejected: 3, seconds: 2 }, 'transactions', 0.5)
  t.equal(line, '[############------------]  50% reading: 500,000 rows, 250,000 rows/s, 3 rejected')
})

t.test('stdin: no size, so no bar', async (t) => {
  t.equal(progressText({ ...p, phase: 'reading', rows: 10 }, 'transactions', undefined), 'reading: 10 rows, - rows/s, 0 rejected')
})

t.test('writing history: the bar counts rows written, already there and rejected against the file', async (t) => {
  const line = progressText({ ...p, phase: 'writing', rows: 1000, imported: 600, duplicates: 150, rejected: 250, seconds: 4 }, 'transactions', 1)
  t.equal(line, '[########################] 100% writing: 750 rows, 188 rows/s, 600 new, 150 already there, 250 rejected')
  const half = progressText({ ...p, phase: 'writing', rows: 1000, imported: 500, seconds: 1 }, 'transactions', 1)
  t.match(half, /^\[#{12}-{12}\]  50% writing: 500 rows/)
})

t.test('products are read and written together: the bar is the file read', async (t) => {
  const line = progressText({ ...p, phase: 'writing', rows: 2000, imported: 1000, seconds: 1 }, 'products', 0.25)
  t.equal(line, '[######------------------]  25% importing: 2,000 rows, 2,000 rows/s, 0 rejected')
})

t.test('a fraction outside 0..1 is clamped', async (t) => {
  t.match(progressText({ ...p, phase: 'reading', rows: 1 }, 'transactions', 1.2), /^\[#{24}\] 100%/)
})

t.test('history: the first pass checks the order against the bytes, a second read counts against its lines', async (t) => {
  const scan = progressText({ ...p, phase: 'scanning', rows: 250_000, seconds: 1 }, 'transactions', 0.25)
  t.equal(scan, '[######------------------]  25% checking order: 250,000 rows, 250,000 rows/s, 0 rejected')
  // The file is read to the end by the first pass: the bar of the second read is its own.
  const again = progressText({ ...p, phase: 'reading', rows: 300_000, rowsInFile: 1_000_000, seconds: 2 }, 'transactions', 1)
  t.equal(again, '[#######-----------------]  30% reading: 300,000 rows, 150,000 rows/s, 0 rejected')
})
