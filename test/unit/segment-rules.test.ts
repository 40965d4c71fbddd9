import t from 'tap'
import { DEFAULT_SEGMENT_CONFIG as D, segmentConfig } from '../../src/modules/segments/segment.config.ts'
import {
  brandGroup,
  categoryMargin,
  lifeStageFlags,
  quantile,
  segmentsFor,
  underPrefix,
  usageCutFor,
  usageCutFromMeasures,
  usageTier,
} from '../../src/modules/segments/segment-rules.ts'
import type { CategoryFacts } from '../../src/modules/segments/segment.types.ts'

t.test('brand group: national share of units against the thresholds', async (t) => {
  const cases: [string, number, number, string | null][] = [
    ['all national', 10, 10, 'national'],
    ['exactly 80% national is national loyal', 10, 8, 'national'],
    ['just under 80% is a switcher', 1000, 799, 'switcher'],
    ['half and half', 4, 2, 'switcher'],
    ['just over 20% is a switcher', 1000, 201, 'switcher'],
    ['exactly 20% national is store loyal', 10, 2, 'store'],
    ['all store brand', 7, 0, 'store'],
    ['a single national unit', 1, 1, 'national'],
    ['nothing left after returns: no group', 0, 0, null],
  ]
  for (const [name, units, national, expected] of cases) t.equal(brandGroup(units, national, D.brandGroup), expected, name)
  t.equal(brandGroup(10, 7, { nationalLoyalMinShare: 0.7, storeLoyalMaxShare: 0.3 }), 'national', 'thresholds are configurable')
})

t.test('usage tier: low <= lowMax < medium <= mediumMax < high; ties go to the lower tier', async (t) => {
  const cut = { lowMax: 2, mediumMax: 6 }
  const cases: [number, string][] = [
    [0, 'low'],
    [1, 'low'],
    [2, 'low'],
    [2.5, 'medium'],
    [3, 'medium'],
    [6, 'medium'],
    [7, 'high'],
    [100, 'high'],
  ]
  for (const [m, expected] of cases) t.equal(usageTier(m, cut), expected, `${m} units`)
  const ones = usageCutFromMeasures([1, 1, 1, 1, 1, 1, 2, 5, 9], D.usage)
  t.equal(ones.lowMax, 1)
  t.ok(Math.abs(ones.mediumMax - 4 / 3) < 1e-9, 'interpolated between the 6th and 7th buyer')
  t.equal(usageTier(1, ones), 'low', 'the many one-unit buyers are all low')
})

t.test('usage cut-offs: terciles like percentile_cont, fixed cut-offs for thin categories', async (t) => {
  t.equal(quantile([5], 0.5), 5)
  t.equal(quantile([1, 2, 3, 4], 1 / 3), 2)
  t.equal(quantile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.5), 5.5)
  t.throws(() => quantile([], 0.5))
  const terciles = usageCutFromMeasures([9, 3, 6, 1, 2, 4, 5, 8, 7, 10], D.usage)
  t.same(terciles, { lowMax: 4, mediumMax: 7, buyers: 10 }, 'unsorted input is sorted first')
  t.same(usageCutFor({ lowMax: 4, mediumMax: 7, buyers: 25 }, D.usage), { lowMax: 4, mediumMax: 7 }, 'enough buyers: the category\'s own cut')
  t.same(usageCutFor({ lowMax: 4, mediumMax: 7, buyers: 19 }, D.usage), D.usage.fixed, 'fewer than 20 buyers: fixed cut')
  t.same(usageCutFor(undefined, D.usage), D.usage.fixed, 'never ranked: fixed cut')
})

const cat = (category: string, o: Partial<CategoryFacts> = {}): CategoryFacts => ({
  category,
  units: 1,
  nationalUnits: 1,
  spendCents: 100,
  valueSpendCents: 100,
  recentUnits: 0,
  ...o,
})

t.test('segments: one cell per bought category, none for unknown products or returned-away units', async (t) => {
  const cuts = new Map([['Health/Pain relief', { lowMax: 1, mediumMax: 3, buyers: 50 }]])
  const got = segmentsFor(
    [
      cat('Health/Pain relief', { units: 5, nationalUnits: 5 }),
      cat(''),
      cat('Dairy/Milk', { units: 0, nationalUnits: 0 }),
      cat('Baby/Diapers', { units: 4, nationalUnits: 0, spendCents: 6000 }),
    ],
    cuts,
    D,
  )
  t.same(
    got.map((s) => [s.category, s.brandGroup, s.usage]),
    [
      ['Baby/Diapers', 'store', 'medium'],
      ['Health/Pain relief', 'national', 'high'],
    ],
  )
  const bySpend = segmentsFor([cat('Baby/Diapers', { units: 4, nationalUnits: 0, spendCents: 6000 })], new Map(), segmentConfig({ usage: { measure: 'spend', fixed: { lowMax: 1000, mediumMax: 5000 } } }))
  t.equal(bySpend[0]!.usage, 'high', 'usage measured by spend when configured')
})

t.test('life stage: pet and baby from recent units under the prefixes, produce heavy by share of spend', async (t) => {
  const L = D.lifeStage
  const cases: [string, CategoryFacts[], { pets?: boolean; baby?: boolean }, string[]][] = [
    ['nothing special', [cat('Dairy/Milk', { spendCents: 10_000 })], {}, []],
    ['cat food bought recently', [cat('Pet/Cat food', { recentUnits: 1 })], {}, ['pet']],
    ['pet food only long ago', [cat('Pet/Dog food', { recentUnits: 0 })], {}, []],
    ['declared pets count too', [], { pets: true }, ['pet']],
    ['diapers', [cat('Baby/Diapers', { recentUnits: 2 })], {}, ['baby']],
    ['declared baby', [], { baby: true }, ['baby']],
    ['"Petrol" is not under "Pet/"', [cat('Petrol/Gas', { recentUnits: 9 })], {}, []],
    [
      'produce 20% of a big basket',
      [cat('Produce/Fruit', { spendCents: 2_000 }), cat('Dairy/Milk', { spendCents: 8_000 })],
      {},
      ['produce_heavy'],
    ],
    [
      'produce exactly at 15%',
      [cat('Produce/Fruit', { spendCents: 1_500 }), cat('Pantry', { spendCents: 8_500 })],
      {},
      ['produce_heavy'],
    ],
    ['produce 10%', [cat('Produce/Fruit', { spendCents: 1_000 }), cat('Pantry', { spendCents: 9_000 })], {}, []],
    ['all produce but a tiny basket', [cat('Produce/Fruit', { spendCents: 4_999 })], {}, []],
    [
      'everything at once',
      [cat('Pet/Litter', { recentUnits: 1 }), cat('Baby/Wipes', { recentUnits: 1 }), cat('Produce/Salads', { spendCents: 9_000 })],
      {},
      ['pet', 'baby', 'produce_heavy'],
    ],
  ]
  for (const [name, cats, household, expected] of cases) t.same(lifeStageFlags(cats, household, L), expected, name)
  t.same(lifeStageFlags([], { pets: true }, { ...L, useDeclaredHousehold: false }), [], 'declared facts can be ignored')
  t.same(lifeStageFlags([cat('Animals/Food', { recentUnits: 1 })], {}, { ...L, pet: { prefixes: ['Animals/'], minUnits: 1 } }), ['pet'], 'prefixes are configurable')
})

t.test('category prefixes and margins', async (t) => {
  t.ok(underPrefix('Pet/Cat food', 'Pet/'))
  t.ok(underPrefix('Pet', 'Pet/'))
  t.ok(underPrefix('Pet/Cat food', 'Pet'))
  t.notOk(underPrefix('Petrol', 'Pet/'))
  t.notOk(underPrefix('Produce', 'Produce/Fruit'))
  const value = { ...D.value, categoryMargins: { Produce: 0.35, 'Produce/Salads': 0.4, Health: 0.3 } }
  t.equal(categoryMargin('Dairy/Milk', value), 0.25, 'default 25%')
  t.equal(categoryMargin('Produce/Fruit', value), 0.35)
  t.equal(categoryMargin('Produce/Salads', value), 0.4, 'longest prefix wins')
  t.equal(categoryMargin('', value), 0.25, 'unknown products use the default')
})

t.test('configuration: defaults, deep overrides, refusal of nonsense', async (t) => {
  const c = segmentConfig({ brandGroup: { nationalLoyalMinShare: 0.9 }, value: { categoryMargins: { Health: 0.3 } } })
  t.equal(c.brandGroup.nationalLoyalMinShare, 0.9)
  t.equal(c.brandGroup.storeLoyalMaxShare, 0.2, 'siblings keep their defaults')
  t.same(c.value.categoryMargins, { Health: 0.3 })
  t.equal(c.value.defaultMargin, 0.25)
  t.same(segmentConfig(), D)
  t.throws(() => segmentConfig({ brandGroup: { storeLoyalMaxShare: 0.85 } }), /storeLoyalMaxShare/)
  t.throws(() => segmentConfig({ usage: { lowQuantile: 0.7 } }), /lowQuantile/)
  t.throws(() => segmentConfig({ value: { tierShares: { A: 0.5, B: 0.5, C: 0.5 } } }), /tierShares/)
  t.throws(() => segmentConfig({ chunkSize: 0 }), /chunkSize/)
  t.throws(() => segmentConfig({ trend: { risingRatio: 0.9 } }), /trend/)
})
