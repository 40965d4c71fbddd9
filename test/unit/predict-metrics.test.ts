import t from 'tap'
import { evaluateRankings, ndcgAtK, recallAtK } from '../../scripts/eval/metrics.ts'

const truth = new Set(['a', 'b', 'c'])
const ranked = ['a', 'x', 'b', 'y']

t.test('Recall@K divides the hits in the top K by the target size', async (t) => {
  t.equal(recallAtK(truth, ranked, 1), 1 / 3)
  t.equal(recallAtK(truth, ranked, 2), 1 / 3)
  t.equal(recallAtK(truth, ranked, 4), 2 / 3)
  t.equal(recallAtK(truth, ranked, 20), 2 / 3, 'a short list is not padded')
  t.equal(recallAtK(new Set(), ranked, 4), 0)
})

t.test('NDCG@K uses binary gains and the ideal DCG over the whole target', async (t) => {
  const idcg = 1 + 1 / Math.log2(3) + 1 / Math.log2(4) // 2.1309
  t.ok(Math.abs(ndcgAtK(truth, ranked, 2) - 1 / idcg) < 1e-12)
  t.ok(Math.abs(ndcgAtK(truth, ranked, 4) - (1 + 1 / Math.log2(4)) / idcg) < 1e-12)
  t.ok(Math.abs(ndcgAtK(truth, ranked, 4) - 0.70391) < 1e-5, 'hand-computed 1.5 / 2.1309')
  t.equal(ndcgAtK(new Set(['a']), ['a'], 10), 1)
  // The ideal DCG counts all 3 target items even at K = 1 (as the Reality Check code does).
  t.ok(Math.abs(ndcgAtK(truth, ['a'], 1) - 1 / idcg) < 1e-12)
})

t.test('averages over customers with a target; missing predictions score zero', async (t) => {
  const targets = new Map([
    ['c1', new Set(['a', 'b'])],
    ['c2', new Set(['z'])],
    ['c3', new Set<string>()],
  ])
  const predictions = new Map([['c1', ['a', 'q']]])
  const s = evaluateRankings(targets, predictions, [1, 2])
  t.equal(s.customers, 2)
  t.equal(s.recall[1], (0.5 + 0) / 2)
  t.equal(s.recall[2], 0.25)
  t.ok(Math.abs((s.ndcg[2] ?? 0) - 1 / (1 + 1 / Math.log2(3)) / 2) < 1e-12)
})
