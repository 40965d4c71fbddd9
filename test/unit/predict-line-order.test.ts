// The bulk rebuild's grouping of sale lines by (customer, product, day): counting sorts over
// dense ranks, checked against a plain comparison sort.
import fc from 'fast-check'
import t from 'tap'
import { gather, orderLines } from '../../src/modules/prediction/line-order.ts'

// Ids close together (the dense path) or far apart (the distinct-values path), days around 2020.
const id = fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 2_000_000_000 }))
const line = fc.record({ customer: id, product: id, day: fc.integer({ min: 18_000, max: 18_400 }) })

t.test('lines come out in stable (customer, product, day) order, in one pass or two', async (t) => {
  let twoPass = 0
  fc.assert(
    fc.property(fc.array(line, { maxLength: 300 }), fc.boolean(), (lines, onePass) => {
      const n = lines.length
      // Room past n: the columns are grown by doubling, so only the first n slots count.
      const col = (k: 'customer' | 'product' | 'day') => Int32Array.from([...lines.map((l) => l[k]), -7, -7])
      const customer = col('customer')
      const product = col('product')
      const day = col('day')
      const { order, starts, customers, customerOf } = orderLines(customer, product, day, n, onePass ? Infinity : 0)
      if (!onePass) twoPass++
      const expected = lines
        .map((l, i) => ({ ...l, i }))
        .sort((a, b) => a.customer - b.customer || a.product - b.product || a.day - b.day || a.i - b.i)
        .map((l) => l.i)
      t.same([...order], expected)
      // Each non-empty customer slot holds exactly that customer's lines.
      t.equal(starts[customers], n)
      const seen: number[] = []
      for (let r = 0; r < customers; r++) {
        for (let k = starts[r]!; k < starts[r + 1]!; k++) t.equal(customer[order[k]!], customerOf(r))
        if (starts[r + 1]! > starts[r]!) seen.push(customerOf(r))
      }
      t.same(seen, [...new Set(lines.map((l) => l.customer))].sort((a, b) => a - b))
      t.same([...gather(day, order)], expected.map((i) => lines[i]!.day))
    }),
    { numRuns: 300 },
  )
  t.ok(twoPass > 50, 'the two-pass path ran')
})
