import t from 'tap'
import { GroupedBatches } from '../../src/modules/imports/grouped-batches.ts'
import type { CheckedRow } from '../../src/modules/imports/transaction-rows.ts'

// A grouped file is cut into batches as it is read (GroupedBatches): never inside a sale, small
// first batches, and once the file's length is known, a tail cut in halves so two writers end
// together.

const row: CheckedRow = { day: '2024-01-01', occurredAt: null, store: null, productKey: 'e1|', productSlot: undefined, quantity: 1, unitPrice: null }

/** Feeds `sales` sales of `perSale` rows each; returns the batch sizes in rows and whether a sale was split. */
function cut(batchRows: number, sales: number, perSale: number, total?: number): { sizes: number[]; split: boolean } {
  const cutter = new GroupedBatches(batchRows, () => total)
  let line = 1
  for (let s = 0; s < sales; s++) for (let r = 0; r < perSale; r++) cutter.row(++line, `c${s % 7}`, `t${s}`, row)
  cutter.finish()
  const sizes = cutter.ready.map((d) => d.goodRows)
  const split = cutter.ready.some((d) => d.writable().some((sale) => sale.rows.length !== perSale))
  return { sizes, split }
}

t.test('batches end between sales and grow from a sixteenth to the full size', async (t) => {
  const { sizes, split } = cut(1000, 1000, 10)
  t.notOk(split, 'every sale whole in one batch')
  t.same(sizes.slice(0, 5), [70, 130, 250, 500, 1000])
  t.equal(sizes.reduce((a, b) => a + b), 10_000)
  t.ok(sizes.slice(4, -1).every((n) => n === 1000))
})

t.test('with the length known, the last rows are cut in halves down to a sixteenth of a batch', async (t) => {
  const { sizes, split } = cut(1000, 1000, 10, 10_000)
  t.notOk(split)
  t.equal(sizes.reduce((a, b) => a + b), 10_000)
  // 8,950 rows in the growing and full batches leave 1,050: half (525) rounded up to whole
  // sales of 10 rows, then half of what is left each time, until a sixteenth of a batch (62.5)
  // takes the rest.
  const tail = sizes.slice(sizes.lastIndexOf(1000) + 1)
  t.same(tail, [530, 260, 130, 70, 60])
})

t.test('without the length (a first pass still reading) the last batch is whatever is left', async (t) => {
  const { sizes } = cut(1000, 1000, 10)
  t.equal(sizes.at(-1), 50)
})
