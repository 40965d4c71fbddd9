import { createHash } from 'node:crypto'
import t from 'tap'
import { hasValidCheckDigit } from '../../src/lib/codes.ts'
import {
  DEMO_STORES,
  demoCatalog,
  demoOffers,
  demoPerks,
  generateDemo,
  type DemoCustomer,
} from '../../src/demo/generate.ts'

const END = '2025-06-30'
const DAY_MS = 86_400_000

/** Digest of the first `take` customers and their histories (tap's deep compare is slow on MBs). */
function digest(customers: number, seed: number, take: number): string {
  const demo = generateDemo({ customers, seed, endDate: END })
  const hash = createHash('sha256')
  let n = 0
  for (const c of demo.customers()) {
    if (n++ === take) break
    hash.update(JSON.stringify(c))
    for (const tx of demo.transactions(c)) hash.update(JSON.stringify(tx))
  }
  return hash.digest('hex')
}

t.test('same seed, same population; another seed, another one', async (t) => {
  const a = digest(500, 42, 60)
  t.equal(digest(500, 42, 60), a)
  t.not(digest(500, 43, 60), a)
  // A customer regenerated on its own matches the one met while iterating.
  const demo = generateDemo({ customers: 500, seed: 42, endDate: END })
  let met: DemoCustomer | undefined
  let metTxs = ''
  for (const c of demo.customers()) {
    if (c.index === 17) {
      met = c
      metTxs = JSON.stringify([...demo.transactions(c)])
      break
    }
  }
  t.same(demo.customer(17), met)
  t.equal(JSON.stringify([...demo.transactions({ index: 17 })]), metTxs)
})

t.test('catalog: valid GTINs, both brand types everywhere, required categories', async (t) => {
  const products = demoCatalog()
  t.ok(products.length >= 300 && products.length <= 400, `${products.length} products`)
  t.equal(new Set(products.map((p) => p.gtin)).size, products.length, 'GTINs are unique')
  for (const p of products) {
    if (!/^\d{14}$/.test(p.gtin) || !hasValidCheckDigit(p.gtin)) t.fail(`bad GTIN ${p.gtin}`)
    if (!Number.isInteger(p.regularPriceCents) || p.regularPriceCents <= 0) t.fail(`bad price ${p.gtin}`)
    if (!(p.typicalCycleDays > 0 && p.popularity > 0 && p.typicalQuantity >= 1)) t.fail(`bad weights ${p.gtin}`)
    if (!/^[A-Z][^/]*\/[A-Z][^/]*$/.test(p.category)) t.fail(`bad category path ${p.category}`)
  }
  t.notOk(hasValidCheckDigit('00012345678906'), 'a wrong check digit is caught')
  t.ok(hasValidCheckDigit('00012345678905'))

  const types = new Map<string, Set<string>>()
  for (const p of products) types.set(p.category, (types.get(p.category) ?? new Set()).add(p.brandType))
  for (const [category, set] of types) t.equal(set.size, 2, `${category} has national and store brands`)
  for (const required of ['Health/Pain relief', 'Pet/Cat food', 'Pet/Dog food', 'Baby/Diapers', 'Baby/Baby food & formula',
    'Produce/Fruit', 'Produce/Vegetables']) {
    t.ok(types.has(required), required)
  }
  for (const dept of ['Dairy', 'Bakery', 'Meat', 'Beverages', 'Household']) {
    t.ok([...types.keys()].some((c) => c.startsWith(`${dept}/`)), dept)
  }

  // Store brands are 20-35% cheaper than their national twin (same item and size).
  const national = new Map(products.filter((p) => p.brandType === 'national').map((p) => [`${p.category}|${p.name.slice(p.brand.length)}`, p]))
  let twins = 0
  for (const p of products.filter((x) => x.brandType === 'store')) {
    const n = national.get(`${p.category}|${p.name.slice(p.brand.length)}`)
    if (!n) continue
    twins++
    const ratio = p.regularPriceCents / n.regularPriceCents
    if (ratio < 0.55 || ratio > 0.9) t.fail(`${p.name}: ${ratio.toFixed(2)} of ${n.name}`)
  }
  t.ok(twins > 100, `${twins} store items have a national twin`)
})

t.test('stores: eight Wisconsin stores on Central time', async (t) => {
  t.same(DEMO_STORES.map((s) => s.id), ['S01', 'S02', 'S03', 'S04', 'S05', 'S06', 'S07', 'S08'])
  for (const s of DEMO_STORES) {
    t.equal(s.timezone, 'America/Chicago')
    t.ok(s.lanes.length >= 6 && s.lanes.length <= 12)
    t.equal(s.lanes[0], '01')
  }
})

t.test('transactions: shape, local time with the right offset, plausible baskets', async (t) => {
  const demo = generateDemo({ customers: 400, seed: 3, endDate: END })
  const gtins = new Set(demo.products.map((p) => p.gtin))
  const lanes = new Map(demo.stores.map((s) => [s.id, new Set(s.lanes)]))
  const chicago = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'America/Chicago', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23',
  })
  const ids = new Set<string>()
  let trips = 0
  let mid = 0
  let offsets = new Set<string>()
  for (const c of demo.customers()) {
    for (const tx of demo.transactions(c)) {
      trips++
      ids.add(tx.transactionId)
      const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})(-0[56]:00)$/.exec(tx.occurredAt)
      if (!m) {
        t.fail(`bad occurredAt ${tx.occurredAt}`)
        continue
      }
      offsets.add(m[5]!)
      const p = Object.fromEntries(chicago.formatToParts(new Date(tx.occurredAt)).map((x) => [x.type, x.value]))
      if (`${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}:${p.second}` !== tx.occurredAt.slice(0, 19)) {
        t.fail(`${tx.occurredAt} is not Chicago local time`)
      }
      const hour = Number(m[2])
      if (hour < 8 || hour > 20) t.fail(`trip at ${tx.occurredAt}`)
      if (m[1]! < c.segmentTruth.activeFrom || m[1]! > END) t.fail(`trip outside window ${tx.occurredAt}`)
      if (!lanes.get(tx.storeId)?.has(tx.laneId)) t.fail(`unknown lane ${tx.storeId}/${tx.laneId}`)
      if (tx.lines.length >= 5 && tx.lines.length <= 40) mid++
      if (tx.lines.length === 0) t.fail('empty basket')
      for (const line of tx.lines) {
        if (!gtins.has(line.gtin)) t.fail(`unknown gtin ${line.gtin}`)
        if (!Number.isInteger(line.quantity) || line.quantity < 1) t.fail(`bad quantity ${line.quantity}`)
        if (!Number.isInteger(line.unitPriceCents) || line.unitPriceCents <= 0) t.fail('bad price')
      }
    }
  }
  t.equal(ids.size, trips, 'transaction ids are unique')
  t.same([...offsets].sort(), ['-05:00', '-06:00'], 'both CST and CDT occur')
  t.ok(mid / trips > 0.7, `${((100 * mid) / trips).toFixed(0)}% of baskets have 5-40 lines`)
})

t.test('spend concentration: the top 2.5% bring 20-45% of sales', async (t) => {
  const demo = generateDemo({ customers: 2000, seed: 11, endDate: END })
  const spend: number[] = []
  for (const c of demo.customers()) {
    let cents = 0
    for (const tx of demo.transactions(c)) for (const l of tx.lines) cents += l.quantity * l.unitPriceCents
    spend.push(cents)
  }
  spend.sort((a, b) => b - a)
  const total = spend.reduce((a, b) => a + b, 0)
  const top = spend.slice(0, 50).reduce((a, b) => a + b, 0) / total
  t.ok(top >= 0.2 && top <= 0.45, `top 2.5% share ${(100 * top).toFixed(1)}%`)
})

t.test('true cycles are recoverable from regular buyers', async (t) => {
  const demo = generateDemo({ customers: 2000, seed: 5, endDate: END })
  const ratios: number[] = []
  let mismatches = 0
  for (const c of demo.customers()) {
    const truth = c.segmentTruth
    if (truth.engagement !== 'primary' || truth.lifecycle !== 'active') continue
    const cycles = demo.trueCycles(c)
    const days = new Map<string, number[]>()
    for (const tx of demo.transactions(c)) {
      const day = Date.parse(tx.occurredAt.slice(0, 10)) / DAY_MS
      for (const l of tx.lines) days.set(l.gtin, [...(days.get(l.gtin) ?? []), day])
    }
    for (const need of demo.trueNeeds(c)) {
      if (need.gtins.some((g) => cycles[g] !== need.cycleDays)) mismatches++
      if (need.gtins.length !== 1) continue
      const d = days.get(need.gtins[0]!) ?? []
      if (d.length < 6) continue
      const gaps = d.slice(1).map((x, i) => x - d[i]!).sort((a, b) => a - b)
      ratios.push(gaps[Math.floor(gaps.length / 2)]! / need.cycleDays)
    }
  }
  t.equal(mismatches, 0, 'trueCycles agrees with trueNeeds')
  ratios.sort((a, b) => a - b)
  t.ok(ratios.length > 300, `${ratios.length} regular items`)
  const median = ratios[Math.floor(ratios.length / 2)]!
  t.ok(median > 0.9 && median < 1.1, `median observed/true interval ${median.toFixed(2)}`)
  const close = ratios.filter((r) => r > 0.75 && r < 1.25).length / ratios.length
  t.ok(close > 0.7, `${(100 * close).toFixed(0)}% within 25%`)
})

t.test('life stages, new and declining customers', async (t) => {
  const demo = generateDemo({ customers: 3000, seed: 9, endDate: END })
  const category = new Map(demo.products.map((p) => [p.gtin, p.category]))
  const end = Date.parse(END) / DAY_MS
  let catOwners = 0
  let catOwnersBuying = 0
  const decline = { before: 0, after: 0 }
  for (const c of demo.customers()) {
    const { household, segmentTruth: truth } = c
    let catFood = false
    const tripsByDay: number[] = []
    for (const tx of demo.transactions(c)) {
      tripsByDay.push(Date.parse(tx.occurredAt.slice(0, 10)) / DAY_MS)
      for (const l of tx.lines) {
        const path = category.get(l.gtin)!
        if (path.startsWith('Baby/') && !household.hasBaby) t.fail(`${c.externalId} buys ${path} without a baby`)
        if (path.startsWith('Pet/') && !household.hasPet) t.fail(`${c.externalId} buys ${path} without a pet`)
        if (path === 'Pet/Cat food') catFood = true
      }
    }
    if (truth.petTypes.includes('cat') && truth.engagement === 'primary') {
      catOwners++
      if (catFood) catOwnersBuying++
    }
    if (truth.lifecycle === 'new') {
      const from = Date.parse(truth.activeFrom) / DAY_MS
      if (end - from < 29 || end - from > 61) t.fail(`${c.externalId} is new since ${truth.activeFrom}`)
      if (tripsByDay.some((d) => d < from)) t.fail(`${c.externalId} is new but has older history`)
    }
    if (truth.lapsedFrom && tripsByDay.some((d) => d >= Date.parse(truth.lapsedFrom!) / DAY_MS)) {
      t.fail(`${c.externalId} lapsed but still shops`)
    }
    if ((truth.lifecycle === 'declining' || truth.lifecycle === 'lapsed') && truth.engagement !== 'occasional') {
      const from = Date.parse(truth.declineFrom!) / DAY_MS
      decline.before += tripsByDay.filter((d) => d < from).length / (from - (end - 364))
      decline.after += tripsByDay.filter((d) => d >= from).length / (end - from + 1)
    }
  }
  t.ok(catOwners > 20 && catOwnersBuying / catOwners > 0.75, `${catOwnersBuying}/${catOwners} primary cat owners buy cat food`)
  t.ok(decline.after < 0.5 * decline.before, 'declining customers come far less often at the end')
})

t.test('lazy: 20,000 customers stream through without piling up', async (t) => {
  const demo = generateDemo({ customers: 20_000, seed: 1, endDate: END })
  const customers = demo.customers()
  t.notOk(Array.isArray(customers))
  t.type(customers.next, 'function')
  const started = Date.now()
  t.ok(demo.transactions({ index: 19_999 }).next().value, 'any customer is reachable at once')
  // 13 ms here; generating the 19,999 customers before it takes about 3 s. The bound leaves
  // room for a saturated CI machine.
  t.ok(Date.now() - started < 1_000, 'without generating the others first')

  const heapBefore = process.memoryUsage().heapUsed
  let peak = heapBefore
  let lines = 0
  let n = 0
  for (const c of customers) {
    for (const tx of demo.transactions(c)) lines += tx.lines.length
    if (++n % 2000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed)
  }
  t.equal(n, 20_000, 'every customer')
  t.ok(lines > 1_500_000, `${lines} lines`)
  // Held at once, that many line objects would take several hundred MB.
  t.ok(peak - heapBefore < 200e6, `heap grew ${Math.round((peak - heapBefore) / 1e6)} MB`)
})

t.test('demo offers fit the API shape and the catalog', async (t) => {
  const products = demoCatalog()
  const offers = demoOffers(products, '2025-07-01')
  t.ok(offers.length >= 4 && offers.length <= 56, `${offers.length} offers`)
  const gtins = new Set(products.map((p) => p.gtin))
  const categories = new Set(products.map((p) => p.category))
  for (const o of offers) {
    t.ok(o.validFrom <= '2025-07-01' && o.validUntil >= '2025-07-01', `${o.name} runs today`)
    if ('gtins' in o.scope) t.ok(o.scope.gtins.length > 0 && o.scope.gtins.every((g) => gtins.has(g)), o.name)
    else {
      const { category } = o.scope
      t.ok([...categories].some((c) => c === category || c.startsWith(`${category}/`)), `${o.name} scope ${category}`)
    }
  }
  const trial = offers.find((o) => 'category' in o.scope && o.scope.category === 'Health/Pain relief')
  t.same(trial?.targeting, { segments: [{ category: 'Health/Pain relief', brandGroup: 'national', usage: 'high' }] })
  t.ok(offers.some((o) => 'everyone' in o.targeting))
  t.ok(offers.some((o) => o.reward.type === 'spend_threshold'))
  t.ok(offers.some((o) => typeof o.fundedBy === 'object'))
  // Store-brand trials beyond pain relief: heavy national-brand buyers get the bigger saving.
  const trials = offers.filter((o) => 'segments' in o.targeting && 'category' in o.scope && o.scope.brandType === 'store')
  t.ok(trials.length >= 6, `${trials.length} trials`)
  // Manufacturers' deals for everyone on leading national brands: what fills a best customer's list.
  const deals = offers.filter((o) => 'everyone' in o.targeting && typeof o.fundedBy === 'object' && o.reward.type === 'amount_off')
  t.ok(deals.length >= 10, `${deals.length} manufacturer deals`)
  t.equal(new Set(deals.map((o) => o.name)).size, deals.length, 'deal names are distinct')
  for (const d of deals) {
    t.ok(d.reward.type === 'amount_off' && d.reward.amountCents >= 75 && d.reward.amountCents <= 300 && d.reward.amountCents % 25 === 0, `${d.name}: face value`)
  }
  const perks = demoPerks(products, '2025-07-01')
  t.ok(perks.length >= 4, `${perks.length} perks`)
  t.ok(perks.every((p) => p.kind === 'perk' && p.reward.content.length > 0))
  t.ok(perks.some((p) => p.reward.perkType === 'fast_lane') && perks.some((p) => p.reward.perkType === 'meal_plan'))
})
