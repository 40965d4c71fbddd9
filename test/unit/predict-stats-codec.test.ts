// The stored encoding of customer statistics and the rebuild's fold straight into it.
import fc from 'fast-check'
import t from 'tap'
import { recordReturn, rebuildCustomerStats, voidTransaction } from '../../src/modules/prediction/customer-stats.ts'
import { defaultConfig, type CustomerStats, type PurchaseTransaction } from '../../src/modules/prediction/prediction.types.ts'
import { ByteWriter, decodeStats, encodeStats, STATS_VERSION } from '../../src/modules/prediction/stats-codec.ts'
import { EncodingFolder, foldCustomerLines } from '../../src/modules/prediction/stats-fold.ts'

const config = defaultConfig('calendar')
const categoryOf = (p: number): string | undefined => (p % 3 === 0 ? undefined : p % 3 === 1 ? `Dairy/Milk ${p % 2}` : 'Épicerie')

// Equal including key order and decay bit for bit (JSON writes a double's shortest exact form).
const exact = (s: CustomerStats): string => JSON.stringify(s)

const tx = fc.record({
  day: fc.integer({ min: 18_000, max: 18_400 }),
  lines: fc.array(
    fc.record({ productId: fc.integer({ min: 1, max: 40 }).map(String), quantity: fc.integer({ min: 1, max: 5 }) }).map((l) => ({
      ...l,
      category: categoryOf(Number(l.productId)),
    })),
    { minLength: 1, maxLength: 6 },
  ),
})

t.test('encode then decode gives the statistics back exactly, smaller than JSON', async (t) => {
  let binary = 0
  let json = 0
  fc.assert(
    fc.property(fc.array(tx, { maxLength: 50 }), fc.nat(), (history: PurchaseTransaction[], pick) => {
      let stats = rebuildCustomerStats('42', history, config)
      // Voids and returns leave decays and kept days a fresh rebuild never has.
      if (history.length > 0) {
        const h = history[pick % history.length]!
        stats = pick % 2 === 0 ? voidTransaction(stats, h, config) : recordReturn(stats, h, config)
      }
      const bytes = encodeStats(stats)
      t.equal(bytes[0], STATS_VERSION)
      t.equal(exact(decodeStats('42', bytes)), exact(stats))
      binary += bytes.length
      json += JSON.stringify(stats).length
      return true
    }),
    { numRuns: 200 },
  )
  t.ok(binary * 3 < json, `binary ${binary} bytes vs JSON ${json}`)
})

t.test('values the compact form cannot hold fall back to JSON (version 0), still exact', async (t) => {
  const stats: CustomerStats = {
    customerId: '7',
    trips: 2,
    firstDay: 100,
    lastDay: 110,
    recentTrips: [
      [100, 1],
      [110, 1],
    ],
    products: {
      '12': { days: 2, quantity: 1.5, firstDay: 100, lastDay: 110, recent: [[100, 0.5], [110, 1]], decay: 1.7 },
      'sku-9': { days: 1, quantity: 2 ** 60, firstDay: 100, lastDay: 100, recent: [[100, 2 ** 60]], decay: 1 },
    },
    categories: { '3': { days: 1, quantity: 1, firstDay: 110, lastDay: 110, recent: [[110, 1]], decay: 1 } },
  }
  const bytes = encodeStats(stats)
  t.equal(bytes[0], 0)
  t.equal(exact(decodeStats('7', bytes)), exact(stats))
  // Odd keys alone stay compact.
  const keyed = { ...stats, products: { 'sku-9': { ...stats.products['12']!, quantity: 3, recent: [[100, 1], [110, 2]] as Array<[number, number]> }, '007': stats.categories['3']! } }
  const compact = encodeStats(keyed)
  t.equal(compact[0], STATS_VERSION)
  t.equal(exact(decodeStats('7', compact)), exact(keyed))
})

t.test('rows written before migration 0017 (a zero byte, then JSON) still decode', async (t) => {
  const stats = rebuildCustomerStats('5', [{ day: 20_000, lines: [{ productId: '3', quantity: 2, category: 'Bakery' }] }], config)
  const { customerId: _c, ...json } = stats
  const legacy = Buffer.concat([Buffer.from([0]), Buffer.from(JSON.stringify(json))])
  t.same(decodeStats('5', legacy), stats)
})

t.test('damaged bytes are refused, not misread', async (t) => {
  const bytes = encodeStats(rebuildCustomerStats('5', [{ day: 20_000, lines: [{ productId: '3', quantity: 2 }] }], config))
  t.throws(() => decodeStats('5', bytes.subarray(0, bytes.length - 2)), RangeError)
  t.throws(() => decodeStats('5', Buffer.concat([bytes, Buffer.from([1])])), RangeError)
  t.throws(() => decodeStats('5', Buffer.from([9, 1, 2])), /unknown version 9/)
  t.throws(() => decodeStats('5', Buffer.alloc(0)), RangeError)
})

// Lines as the rebuild holds them: (product, day, net quantity > 0), any order.
const line = fc.record({ p: fc.integer({ min: 1, max: 12 }), d: fc.integer({ min: 0, max: 200 }), q: fc.integer({ min: 1, max: 4 }) })

t.test('the rebuild fold encodes exactly what the general fold gives', async (t) => {
  const folder = new EncodingFolder(categoryOf, config)
  const out = new ByteWriter(16)
  fc.assert(
    fc.property(fc.array(line, { maxLength: 120 }), fc.integer({ min: 0, max: 3 }), (ls, pad) => {
      const reference = foldCustomerLines('9', { product: ls.map((l) => l.p), day: ls.map((l) => l.d), quantity: ls.map((l) => l.q) }, 0, ls.length, categoryOf, config)
      // Sorted by product then day, placed at an offset as in the shared columns of a rebuild.
      const sorted = [...ls].sort((a, b) => a.p - b.p || a.d - b.d)
      const cols = {
        product: [...Array(pad).fill(99), ...sorted.map((l) => l.p)],
        day: [...Array(pad).fill(5), ...sorted.map((l) => l.d)],
        quantity: [...Array(pad).fill(1), ...sorted.map((l) => l.q)],
      }
      out.at = 0
      const row = folder.fold(out, cols, pad, pad + sorted.length)
      if (reference === undefined) return row === undefined && out.at === 0
      t.same(row, { trips: reference.trips, firstDay: reference.firstDay, lastDay: reference.lastDay })
      t.same(decodeStats('9', out.buf.subarray(0, out.at)), reference)
      return true
    }),
    { numRuns: 400 },
  )
})

t.test('the rebuild fold falls back to the general fold for quantities too large to encode', async (t) => {
  const folder = new EncodingFolder(categoryOf, config)
  const out = new ByteWriter(16)
  const cols = { product: [1, 1, 2], day: [10, 12, 12], quantity: [2 ** 52, 2 ** 52, 1] }
  const row = folder.fold(out, cols, 0, 3)
  const reference = foldCustomerLines('1', cols, 0, 3, categoryOf, config)!
  t.same(row, { trips: 2, firstDay: 10, lastDay: 12 })
  t.equal(out.buf[0], 0)
  t.same(decodeStats('1', out.buf.subarray(0, out.at)), reference)
})
