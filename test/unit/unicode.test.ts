// The lone-surrogate check every JSON body passes (src/plugins/unicode.ts): it looks without
// building paths first, then names each bad string or key the way the slow walk always did.
import t from 'tap'
import { loneSurrogates } from '../../src/plugins/unicode.ts'

const lone = '\ud800'
const nested = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : { a: nested(depth - 1, leaf) })

const cases: [string, unknown, string[]][] = [
  ['a clean basket', { storeId: 'S01', items: [{ gtin: '00012345678905', quantity: 2 }, { gtin: '00012345678912', quantity: 1 }] }, []],
  ['an emoji (a paired surrogate)', { name: 'Basket deal \ud83d\uded2' }, []],
  ['a string at the top', `x${lone}`, ['body']],
  ['a field', { name: `a${lone}b` }, ['name']],
  ['a low surrogate alone', { name: '\udc00' }, ['name']],
  ['inside an array', { items: [{ gtin: 'ok' }, { gtin: lone }] }, ['items.1.gtin']],
  ['a key', { [`k${lone}`]: 1 }, [`k${lone}`]],
  ['two places, in document order', { a: lone, b: [lone] }, ['a', 'b.0']],
  ['32 levels down', nested(32, lone), [Array(32).fill('a').join('.')]],
  ['33 levels down, past what any schema takes', nested(33, lone), []],
]

for (const [name, body, paths] of cases) {
  t.test(name, async (t) => {
    t.same(loneSurrogates(body).map((e) => e.path), paths)
  })
}

t.test('at most 20 named, however many there are', async (t) => {
  t.equal(loneSurrogates(Array.from({ length: 50 }, () => lone)).length, 20)
})

t.test('a body nested 100,000 deep does not overflow the stack', async (t) => {
  let deep: unknown = lone
  for (let i = 0; i < 100_000; i++) deep = [deep]
  t.same(loneSurrogates(deep), [])
})
