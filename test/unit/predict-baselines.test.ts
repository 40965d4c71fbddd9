import t from 'tap'
import { globalPopularity, gpTopFreq, pTopFreq } from '../../scripts/eval/baselines.ts'
import type { EvalBasket } from '../../scripts/eval/dataset.ts'
import { tifuKnn } from '../../scripts/eval/tifu-knn.ts'

const basket = (day: number, ...products: string[]): EvalBasket => ({
  transactionId: `t${day}`,
  day,
  lines: products.map((productId) => ({ productId, quantity: 1 })),
})

const alice = [basket(1, 'milk', 'bread'), basket(2, 'eggs', 'milk', 'milk'), basket(3, 'tea', 'bread')]

t.test('P-TopFreq counts baskets, ties by first appearance', async (t) => {
  t.same(pTopFreq(alice, 10), ['milk', 'bread', 'eggs', 'tea'], 'milk twice (once per basket), then bread, eggs before tea')
  t.same(pTopFreq(alice, 2), ['milk', 'bread'])
  t.same(pTopFreq([], 5), [])
})

t.test('GP-TopFreq pads with the most popular products not already listed', async (t) => {
  const bob = [basket(1, 'beer', 'chips'), basket(2, 'beer', 'nuts')]
  const carol = [basket(1, 'chips', 'beer'), basket(2, 'chips')]
  const popular = globalPopularity([alice, bob, carol])
  t.same(popular.slice(0, 3), ['beer', 'chips', 'milk'], 'beer and chips in 3 baskets (beer seen first), milk in 2')
  t.same(gpTopFreq(alice, popular, 6), ['milk', 'bread', 'eggs', 'tea', 'beer', 'chips'])
  t.same(gpTopFreq(alice, popular, 2), ['milk', 'bread'])
})

t.test('TIFU-KNN mixes the own decayed vector with the nearest customers', async (t) => {
  const histories = new Map<string, EvalBasket[]>([
    ['u1', [basket(1, 'a', 'b'), basket(2, 'a')]],
    ['u2', [basket(1, 'a', 'b', 'c'), basket(2, 'a', 'c')]],
    ['u3', [basket(1, 'x', 'y', 'z'), basket(2, 'x', 'y', 'z'), basket(3, 'y')]],
  ])
  const params = { neighbours: 1, withinDecay: 0.9, groupDecay: 0.7, alpha: 0.7, groupSize: 7 }
  const out = tifuKnn(histories, ['u1', 'u3'], 3, params)
  // u1's vector (a, b) is closest to u2's (a, b, c), so u2's c fills u1's third place.
  t.same(out.get('u1'), ['a', 'b', 'c'])
  t.equal(out.get('u3')?.[0], 'y', 'y is in all three of u3 baskets, the latest with no decay')
  const own = tifuKnn(histories, ['u1'], 3, { ...params, alpha: 1 })
  t.same(own.get('u1'), ['a', 'b'], 'alpha 1: the personal vector only')
  t.equal(tifuKnn(histories, ['nobody'], 3, params).size, 0)
})
