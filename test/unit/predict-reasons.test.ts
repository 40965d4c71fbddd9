import t from 'tap'
import { describeReason, formatCycle, formatDay } from '../../src/modules/prediction/reasons.ts'

const nov10 = Math.round(Date.parse('2026-11-10T00:00:00Z') / 86_400_000)

t.test('calendar reasons', async (t) => {
  t.equal(formatDay(nov10), '10 Nov')
  t.equal(
    describeReason({ kind: 'cycle', timeMode: 'calendar', cycleDays: 12.2, lastDay: nov10, timesBought: 6, lastQuantity: 1 }),
    'You buy this about every 12 days; last on 10 Nov.',
  )
  t.equal(
    describeReason({ kind: 'cycle', timeMode: 'calendar', cycleDays: 28, lastDay: nov10, timesBought: 4, lastQuantity: 2 }),
    'You buy this about every 4 weeks; last on 10 Nov (2 packs).',
  )
  t.equal(describeReason({ kind: 'frequent', timeMode: 'calendar', lastDay: nov10, timesBought: 1 }), 'You bought this on 10 Nov.')
  t.equal(
    describeReason({ kind: 'frequent', timeMode: 'calendar', lastDay: nov10, timesBought: 3 }),
    'You have bought this 3 times; last on 10 Nov.',
  )
})

t.test('sequence (visit-count) reasons', async (t) => {
  t.equal(
    describeReason({ kind: 'cycle', timeMode: 'sequence', cycleDays: 3, lastDay: 7, timesBought: 3 }, { asOf: 9 }),
    'You buy this about every 3 visits; last 2 visits ago.',
  )
  t.equal(
    describeReason({ kind: 'cycle', timeMode: 'sequence', cycleDays: 1, lastDay: 9, timesBought: 5 }, { asOf: 9 }),
    'You buy this on almost every visit; last on your latest visit.',
  )
})

t.test('population reasons', async (t) => {
  t.equal(describeReason({ kind: 'neighbours', timeMode: 'calendar' }), 'Customers who buy what you buy often buy this.')
  t.equal(
    describeReason({ kind: 'neighbours', timeMode: 'calendar', becauseOf: ['p1'] }, { productName: (p) => (p === 'p1' ? 'jasmine rice' : undefined) }),
    'Customers who buy jasmine rice often buy this too.',
  )
  t.equal(describeReason({ kind: 'popular', timeMode: 'sequence' }), 'Popular with shoppers right now.')
})

t.test('cycle wording', async (t) => {
  t.equal(formatCycle(1), 'day')
  t.equal(formatCycle(7), '7 days')
  t.equal(formatCycle(21), '3 weeks')
  t.equal(formatCycle(91), '3 months')
})
