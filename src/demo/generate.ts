/**
 * Deterministic demo population for Lakeside Markets, an invented eight-store chain in rural
 * Wisconsin: stores, the catalog (catalog.json, derived from real category data by
 * scripts/derive-demo-catalog.ts) and a year of loyalty-card history per customer.
 *
 * Everything is a pure function of (seed, customer index): customers and their baskets are
 * produced lazily by generators, so 50,000 customers never sit in memory at once, and any one
 * customer can be regenerated on its own. The hidden truth behind each history (household,
 * true purchase cycles, brand groups, lifecycle) is exposed so predictions can be scored.
 *
 * The population is deliberately skewed: most card holders are occasional or top-up shoppers
 * who do most of their grocery shopping elsewhere, and a small core of primary shoppers
 * brings a large share of sales (the department-store case: 2.5% of customers, 33% of sales).
 * That keeps a demo year near 1.0-1.5 million lines per 10,000 customers.
 */
import { readFileSync } from 'node:fs'

export type BrandType = 'national' | 'store'
export type BrandGroup = 'national' | 'store' | 'switcher'

export interface DemoProduct {
  gtin: string
  name: string
  /** "Department/Category", e.g. "Health/Pain relief". */
  category: string
  brand: string
  brandType: BrandType
  manufacturer: string
  size: string
  regularPriceCents: number
  typicalCycleDays: number
  typicalQuantity: number
  /** Relative weight from the real line counts of the category. */
  popularity: number
}

export interface DemoStore {
  id: string
  name: string
  town: string
  timezone: 'America/Chicago'
  lanes: string[]
}

export interface DemoHousehold {
  adults: number
  children: number
  hasPet: boolean
  hasBaby: boolean
}

/** What the generator decided; the service has to discover it from the history. */
export interface DemoSegmentTruth {
  /** primary: does most grocery shopping here; secondary: top-ups; occasional: rarely here. */
  engagement: 'primary' | 'secondary' | 'occasional'
  /** Probability that one of the household's grocery trips is made at this chain. */
  shareOfWallet: number
  /** All grocery trips per week, here or elsewhere. */
  tripsPerWeek: number
  rhythm: 'regular' | 'irregular'
  /** lapsed: declining, then no trips here at all in the last 2-4 weeks. */
  lifecycle: 'new' | 'active' | 'declining' | 'lapsed'
  /** First day the customer shops here (new customers: 1-2 months before endDate). */
  activeFrom: string
  /** Declining and lapsed customers: the day their trips here start to fall off (45-75 days back). */
  declineFrom: string | null
  /** Lapsed customers: the first day without any trips here. */
  lapsedFrom: string | null
  produceHeavy: boolean
  petTypes: ('cat' | 'dog')[]
  /** Brand group per category the household buys regularly. */
  brandGroups: Record<string, BrandGroup>
  /** Number of regularly bought items (needs). */
  regularItems: number
}

export interface DemoCustomer {
  /** Position in the population; with the seed it regenerates the customer. */
  index: number
  externalId: string
  firstName: string | null
  homeStoreId: string
  household: DemoHousehold
  segmentTruth: DemoSegmentTruth
}

export interface DemoLine {
  gtin: string
  quantity: number
  unitPriceCents: number
}

export interface DemoTransaction {
  transactionId: string
  storeId: string
  laneId: string
  /** RFC 3339 local time in America/Chicago, -06:00 (CST) or -05:00 (CDT). */
  occurredAt: string
  lines: DemoLine[]
}

/** One regularly bought item; a switcher's need alternates between a national and a store GTIN. */
export interface DemoNeed {
  category: string
  gtins: string[]
  brandGroup: BrandGroup
  cycleDays: number
  /** Mean units per purchase. */
  quantity: number
}

export interface DemoOptions {
  customers: number
  seed?: number
  /** Last day of history, YYYY-MM-DD (local date in America/Chicago). */
  endDate: string
  /** Days of history ending at endDate; default 365. */
  days?: number
}

export interface Demo {
  readonly seed: number
  readonly startDate: string
  readonly endDate: string
  readonly customerCount: number
  readonly stores: readonly DemoStore[]
  readonly products: readonly DemoProduct[]
  customers(): Generator<DemoCustomer, void, undefined>
  customer(index: number): DemoCustomer
  transactions(customer: Pick<DemoCustomer, 'index'>): Generator<DemoTransaction, void, undefined>
  /** True cycle in days per GTIN the customer buys regularly (a switcher's pair shares one). */
  trueCycles(customer: Pick<DemoCustomer, 'index'>): Record<string, number>
  trueNeeds(customer: Pick<DemoCustomer, 'index'>): DemoNeed[]
}

export const DEMO_TIMEZONE = 'America/Chicago'

const STORE_TOWNS: [string, number][] = [
  ['Baraboo', 12],
  ['Reedsburg', 10],
  ['Portage', 10],
  ['Tomah', 9],
  ['Mauston', 8],
  ['Richland Center', 8],
  ['Sauk City', 6],
  ['Spring Green', 6],
]

export const DEMO_STORES: readonly DemoStore[] = STORE_TOWNS.map(([town, lanes], i) => ({
  id: `S0${i + 1}`,
  name: `Lakeside Markets ${town}`,
  town,
  timezone: DEMO_TIMEZONE,
  lanes: Array.from({ length: lanes }, (_, l) => String(l + 1).padStart(2, '0')),
}))

let catalogCache: readonly DemoProduct[] | undefined
/** The committed demo catalog (src/demo/catalog.json). */
export function demoCatalog(): readonly DemoProduct[] {
  catalogCache ??= (
    JSON.parse(readFileSync(new URL('./catalog.json', import.meta.url), 'utf8')) as { products: DemoProduct[] }
  ).products
  return catalogCache
}

// ---------------------------------------------------------------- random numbers
type Rng = () => number

function mulberry32(seed: number): Rng {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function mix32(a: number, b: number): number {
  let h = (Math.imul(a, 0x9e3779b1) + b) | 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Standard normal, approximated by four uniforms (Irwin-Hall): cheap, and bounded at +-3.5. */
function normal(r: Rng): number {
  return (r() + r() + r() + r() - 2) * 1.7320508075688772
}

function poisson(r: Rng, mean: number): number {
  if (mean <= 0) return 0
  const limit = Math.exp(-mean)
  let k = 0
  for (let p = r(); p > limit; p *= r()) k++
  return k
}

/** Rounds up or down at random so the mean is kept. */
function randomRound(r: Rng, x: number): number {
  const floor = Math.floor(x)
  return Math.max(1, floor + (r() < x - floor ? 1 : 0))
}

/** Ends `text` with a full stop, unless it ends with one already (a manufacturer named "… Co."). */
const sentence = (text: string): string => (text.endsWith('.') ? text : `${text}.`)
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x))

/** Index into a cumulative weight array. */
function pickCumulative(cum: readonly number[], r: Rng): number {
  const target = r() * cum[cum.length - 1]!
  let lo = 0
  let hi = cum.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (cum[mid]! > target) hi = mid
    else lo = mid + 1
  }
  return lo
}

function pickWeighted<T>(items: readonly (readonly [T, number])[], r: Rng): T {
  let total = 0
  for (const [, w] of items) total += w
  let u = r() * total
  for (const [item, w] of items) {
    u -= w
    if (u < 0) return item
  }
  return items[items.length - 1]![0]
}

// ---------------------------------------------------------------- catalog index
type LifeStage = 'baby' | 'cat' | 'dog'

interface CategoryIndex {
  path: string
  lifeStage: LifeStage | null
  produce: boolean
  popularity: number
  storeShare: number
  byType: Record<BrandType, { idx: number[]; cum: number[] }>
}

interface CatalogIndex {
  products: readonly DemoProduct[]
  categories: CategoryIndex[]
  categoryOf: Int32Array
  /** The same item from the other brand type (store twin of a national item and back). */
  twin: Int32Array
  /** Categories for unplanned purchases: everything but baby and pet, by popularity. */
  fillCategories: number[]
  fillCum: number[]
  maxPopularity: number
}

// How likely a household in that life stage buys the category regularly here.
const LIFE_STAGE_PROB: Record<string, number> = {
  'Baby/Diapers': 0.95,
  'Baby/Baby food & formula': 0.85,
  'Baby/Wipes & care': 0.7,
  'Pet/Cat food': 0.92,
  'Pet/Dog food': 0.92,
  'Pet/Litter & supplies': 0.6,
}

function lifeStageOf(path: string): LifeStage | null {
  if (path.startsWith('Baby/')) return 'baby'
  if (path === 'Pet/Dog food') return 'dog'
  if (path.startsWith('Pet/')) return 'cat'
  return null
}

function indexCatalog(products: readonly DemoProduct[]): CatalogIndex {
  const byPath = new Map<string, CategoryIndex>()
  const categoryOf = new Int32Array(products.length)
  products.forEach((p, i) => {
    let c = byPath.get(p.category)
    if (!c) {
      c = {
        path: p.category,
        lifeStage: lifeStageOf(p.category),
        produce: p.category.startsWith('Produce/'),
        popularity: 0,
        storeShare: 0,
        byType: { national: { idx: [], cum: [] }, store: { idx: [], cum: [] } },
      }
      byPath.set(p.category, c)
    }
    const group = c.byType[p.brandType]
    group.idx.push(i)
    group.cum.push((group.cum[group.cum.length - 1] ?? 0) + p.popularity)
    c.popularity += p.popularity
  })
  const categories = [...byPath.values()]
  categories.forEach((c, ci) => {
    const store = c.byType.store.cum[c.byType.store.cum.length - 1] ?? 0
    c.storeShare = c.popularity > 0 ? store / c.popularity : 0
    for (const type of ['national', 'store'] as const) for (const i of c.byType[type].idx) categoryOf[i] = ci
  })
  const itemKey = (p: DemoProduct): string => `${p.category}|${p.name.slice(p.brand.length)}`
  const byKey = new Map<string, number>()
  products.forEach((p, i) => {
    const key = `${itemKey(p)}|${p.brandType}`
    if (!byKey.has(key)) byKey.set(key, i)
  })
  const twin = new Int32Array(products.length)
  products.forEach((p, i) => {
    const other: BrandType = p.brandType === 'store' ? 'national' : 'store'
    const c = categories[categoryOf[i]!]!
    twin[i] = byKey.get(`${itemKey(p)}|${other}`) ?? c.byType[other].idx[0] ?? -1
  })
  const fillCategories: number[] = []
  const fillCum: number[] = []
  categories.forEach((c, ci) => {
    if (c.lifeStage) return
    fillCategories.push(ci)
    fillCum.push((fillCum[fillCum.length - 1] ?? 0) + c.popularity)
  })
  const maxPopularity = Math.max(...categories.map((c) => c.popularity))
  return { products, categories, categoryOf, twin, fillCategories, fillCum, maxPopularity }
}

// ---------------------------------------------------------------- calendar
interface DayInfo {
  ymd: string
  compact: string
  /** UTC offset of America/Chicago during shopping hours that day. */
  offset: '-05:00' | '-06:00'
  weekday: number
  /** Weekly ad week (Wednesday to Tuesday), for temporary price reductions. */
  adWeek: number
}

const DAY_MS = 86_400_000

function parseDate(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  if (!m) throw new RangeError(`endDate must be YYYY-MM-DD, got ${JSON.stringify(text)}`)
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  if (new Date(ms).toISOString().slice(0, 10) !== text) throw new RangeError(`no such date: ${text}`)
  return ms / DAY_MS
}

const ymdOf = (day: number): string => new Date(day * DAY_MS).toISOString().slice(0, 10)

/** US rules since 2007: CDT from the second Sunday in March to the first Sunday in November. */
function isCentralDaylightTime(year: number, month: number, dayOfMonth: number): boolean {
  if (month > 3 && month < 11) return true
  if (month < 3 || month > 11) return false
  const firstSunday = (m: number): number => 1 + ((7 - new Date(Date.UTC(year, m - 1, 1)).getUTCDay()) % 7)
  return month === 3 ? dayOfMonth >= firstSunday(3) + 7 : dayOfMonth < firstSunday(11)
}

function buildCalendar(firstDay: number, days: number): DayInfo[] {
  return Array.from({ length: days }, (_, i) => {
    const day = firstDay + i
    const date = new Date(day * DAY_MS)
    const ymd = date.toISOString().slice(0, 10)
    const dst = isCentralDaylightTime(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())
    return {
      ymd,
      compact: ymd.replaceAll('-', ''),
      offset: dst ? '-05:00' : '-06:00',
      weekday: date.getUTCDay(),
      adWeek: Math.floor((day + 1) / 7),
    }
  })
}

// ---------------------------------------------------------------- customers
const FIRST_NAMES = [
  'Karen', 'Mark', 'Linda', 'Tom', 'Jennifer', 'Brian', 'Amy', 'Jason', 'Sarah', 'Mike', 'Lisa', 'Dave', 'Julie',
  'Scott', 'Heather', 'Chris', 'Angela', 'Steve', 'Kristin', 'Jeff', 'Nicole', 'Ryan', 'Melissa', 'Eric', 'Megan',
  'Matt', 'Rachel', 'Josh', 'Emily', 'Tyler', 'Hannah', 'Dan', 'Gretchen', 'Lars', 'Ingrid', 'Hans', 'Marlene',
  'Dale', 'Arlene', 'Duane', 'Bonnie', 'Gary', 'Sharon', 'Ron', 'Carol', 'Jim', 'Deb', 'Bob', 'Sue', 'Kyle',
  'Brittany', 'Cody', 'Amber', 'Derek', 'Kayla', 'Travis', 'Jessica', 'Nate', 'Ashley', 'Luis', 'Maria', 'Carlos',
  'Ana', 'Pa', 'Tou', 'Mai', 'Olivia', 'Liam', 'Emma', 'Noah', 'Ava', 'Logan',
]

// Grocery trips by weekday (Sunday first): Saturday and Friday are the big days.
const WEEKDAY_WEIGHTS = [0.13, 0.1, 0.1, 0.12, 0.13, 0.19, 0.23]

type Engagement = DemoSegmentTruth['engagement']

// Card base mix and behaviour per engagement class. Tuned so that 10,000 customers give about
// 1.0-1.5 million lines a year and the top 2.5% of customers bring roughly 30% of sales.
const ENGAGEMENT: Record<
  Engagement,
  { weight: number; share: [number, number]; trips: [number, number]; needs: number; fill: [number, number] }
> = {
  primary: { weight: 0.06, share: [0.75, 0.98], trips: [1.2, 3], needs: 1.15, fill: [4, 10] },
  secondary: { weight: 0.24, share: [0.15, 0.4], trips: [1, 2.5], needs: 0.55, fill: [1.5, 3.5] },
  occasional: { weight: 0.7, share: [0.03, 0.12], trips: [1, 2], needs: 0.3, fill: [1, 3] },
}

interface NeedState {
  product: number
  /** The other brand type's twin for a switcher, else -1. */
  alternate: number
  /** Chance that a purchase of a switcher's need takes the twin. */
  alternateProbability: number
  cycle: number
  quantity: number
  group: BrandGroup
  due: number
}

interface Plan {
  customer: DemoCustomer
  needs: NeedState[]
  groups: Map<number, BrandGroup>
  startDay: number
  tripsPerWeek: number
  regular: boolean
  weekdays: number[]
  /** Probability of the last preferred weekday's trip (fractional trips per week). */
  lastWeekdayProbability: number
  hour: number
  share: number
  declineDay: number
  lapseDay: number
  spells: [number, number][]
  fillMean: number
  storeTrait: number
  homeStore: number
}

const uniform = (r: Rng, [lo, hi]: [number, number]): number => lo + (hi - lo) * r()
const logit = (p: number): number => Math.log(p / (1 - p))
const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x))

function derivePlan(index: number, seed: number, days: number, calendar: DayInfo[], cat: CatalogIndex): Plan {
  const r = mulberry32(mix32(mix32(seed, index), 1))
  const engagement = pickWeighted<Engagement>(
    (Object.keys(ENGAGEMENT) as Engagement[]).map((e) => [e, ENGAGEMENT[e].weight]),
    r,
  )
  const eng = ENGAGEMENT[engagement]

  const adults = pickWeighted([[1, 0.28], [2, 0.6], [3, 0.12]], r)
  const children = pickWeighted([[0, 0.55], [1, 0.17], [2, 0.18], [3, 0.07], [4, 0.03]], r)
  const hasBaby = children > 0 && r() < 0.3
  const petTypes = r() < 0.42 ? pickWeighted<('cat' | 'dog')[]>([[['cat'], 0.45], [['dog'], 0.4], [['cat', 'dog'], 0.15]], r) : []
  const size = adults + 0.5 * children
  const sizeScale = clamp(0.75 + 0.12 * size, 0.8, 1.3)
  const produceHeavy = r() < 0.1 + 0.04 * children

  const tripsPerWeek = Math.round(uniform(r, eng.trips) * 10) / 10
  const regular = r() >= 0.25
  const share = Math.round(uniform(r, eng.share) * 100) / 100

  const lifecycleRoll = r()
  const isNew = lifecycleRoll < 0.08
  const declining = !isNew && lifecycleRoll < 0.18
  const startDay = isNew ? days - 30 - Math.floor(r() * 31) : 0
  const declineDay = declining ? days - 45 - Math.floor(r() * 31) : days
  const lapseDay = declining && r() < 0.35 ? days - 14 - Math.floor(r() * 15) : days
  const lifecycle: DemoSegmentTruth['lifecycle'] = isNew
    ? 'new'
    : lapseDay < days
      ? 'lapsed'
      : declining
        ? 'declining'
        : 'active'
  const spells: [number, number][] = []
  if (!isNew && r() < 0.25) {
    for (let s = 1 + Math.floor(r() * 2); s > 0; s--) {
      const from = Math.floor(r() * Math.max(1, days - 30))
      spells.push([from, from + 7 + Math.floor(r() * 22)])
    }
  }

  const weekdayPool: [number, number][] = WEEKDAY_WEIGHTS.map((w, d) => [d, w])
  const weekdays: number[] = []
  for (let k = Math.ceil(tripsPerWeek); k > 0 && weekdayPool.length > 0; k--) {
    const d = pickWeighted(weekdayPool, r)
    weekdays.push(d)
    weekdayPool.splice(weekdayPool.findIndex(([x]) => x === d), 1)
  }
  const fraction = tripsPerWeek - Math.floor(tripsPerWeek)
  const hourRoll = r()
  const hour = hourRoll < 0.35 ? 9 + 3 * r() : hourRoll < 0.6 ? 12 + 4 * r() : 16 + 3.5 * r()

  const storeTrait = normal(r)
  const homeStore = pickWeighted(DEMO_STORES.map((s, i) => [i, s.lanes.length] as const), r)
  const firstName = r() < 0.15 ? null : FIRST_NAMES[Math.floor(r() * FIRST_NAMES.length)]!

  // Regular needs, category by category.
  const meanGap = 7 / tripsPerWeek
  const needs: NeedState[] = []
  const groups = new Map<number, BrandGroup>()
  const taken = new Set<number>()
  cat.categories.forEach((c, ci) => {
    let p: number
    let items = 1
    if (c.lifeStage === 'baby') p = hasBaby ? (LIFE_STAGE_PROB[c.path] ?? 0.8) * Math.sqrt(eng.needs) : 0
    else if (c.lifeStage) p = petTypes.includes(c.lifeStage) ? (LIFE_STAGE_PROB[c.path] ?? 0.8) * Math.sqrt(eng.needs) : 0
    else if (c.produce && produceHeavy) {
      p = 1
      items = 2 + Math.floor(r() * 3)
    } else p = (0.1 + 0.75 * Math.sqrt(c.popularity / cat.maxPopularity)) * eng.needs * sizeScale
    if (r() >= p) return
    if (items === 1 && r() < 0.1 + 0.05 * size) items = 2
    const groupRoll = r()
    const group: BrandGroup =
      groupRoll < 0.2
        ? 'switcher'
        : r() < sigmoid(logit(clamp(c.storeShare, 0.05, 0.95)) + 0.9 * storeTrait)
          ? 'store'
          : 'national'
    groups.set(ci, group)
    for (let k = 0; k < items; k++) {
      const type: BrandType = group === 'switcher' ? (r() < 0.5 ? 'national' : 'store') : group
      const pool = c.byType[type]
      let product = -1
      for (let attempt = 0; attempt < 6 && product < 0; attempt++) {
        const candidate = pool.idx[pickCumulative(pool.cum, r)]!
        if (!taken.has(candidate)) product = candidate
      }
      if (product < 0) continue
      const alternate = group === 'switcher' && !taken.has(cat.twin[product]!) ? cat.twin[product]! : -1
      taken.add(product)
      if (alternate >= 0) taken.add(alternate)
      const base = cat.products[product]!
      let cycle =
        base.typicalCycleDays *
        Math.exp(0.25 * normal(r)) *
        clamp(Math.sqrt(2.4 / size), 0.65, 1.4) *
        (c.produce && produceHeavy ? 0.75 : 1)
      let quantity = base.typicalQuantity * clamp((size / 2.4) ** 0.3, 0.8, 1.3)
      // A household that shops weekly buys a week of bananas at once: the cycle cannot be
      // shorter than the gap between its trips, the quantity grows instead.
      if (cycle < meanGap) {
        const stretched = Math.max(cycle * Math.max(1, Math.round(meanGap / cycle)), meanGap)
        quantity *= stretched / cycle
        cycle = stretched
      }
      cycle = Math.round(Math.min(cycle, 180) * 10) / 10
      needs.push({
        product,
        alternate,
        alternateProbability: 0.3 + 0.3 * r(),
        cycle,
        quantity,
        group,
        due: 0,
      })
    }
  })

  const brandGroups: Record<string, BrandGroup> = {}
  for (const [ci, g] of groups) brandGroups[cat.categories[ci]!.path] = g
  const customer: DemoCustomer = {
    index,
    externalId: `C${String(index + 1).padStart(6, '0')}`,
    firstName,
    homeStoreId: DEMO_STORES[homeStore]!.id,
    household: { adults, children, hasPet: petTypes.length > 0, hasBaby },
    segmentTruth: {
      engagement,
      shareOfWallet: share,
      tripsPerWeek,
      rhythm: regular ? 'regular' : 'irregular',
      lifecycle,
      activeFrom: calendar[startDay]!.ymd,
      declineFrom: declineDay < days ? calendar[declineDay]!.ymd : null,
      lapsedFrom: lapseDay < days ? calendar[lapseDay]!.ymd : null,
      produceHeavy,
      petTypes,
      brandGroups,
      regularItems: needs.length,
    },
  }
  return {
    customer,
    needs,
    groups,
    startDay,
    tripsPerWeek,
    regular,
    weekdays,
    lastWeekdayProbability: fraction > 0 ? fraction : 1,
    hour,
    share,
    declineDay,
    lapseDay,
    spells,
    fillMean: uniform(r, eng.fill) * sizeScale,
    storeTrait,
    homeStore,
  }
}

// ---------------------------------------------------------------- baskets
/** Trip days (all grocery trips, here or elsewhere) as offsets into the calendar. */
function planTrips(plan: Plan, calendar: DayInfo[], r: Rng): number[] {
  const days = calendar.length
  const trips: number[] = []
  if (plan.regular) {
    const last = plan.weekdays.length - 1
    for (let d = plan.startDay; d < days; d++) {
      const k = plan.weekdays.indexOf(calendar[d]!.weekday)
      if (k < 0) continue
      // Missed trips: about one in twelve planned trips does not happen.
      if (r() >= (k === last ? plan.lastWeekdayProbability : 1) * 0.92) continue
      const shift = r() < 0.15 ? (r() < 0.5 ? -1 : 1) : 0
      const day = clamp(d + shift, plan.startDay, days - 1)
      if (trips[trips.length - 1] !== day) trips.push(day)
    }
    trips.sort((a, b) => a - b)
  } else {
    const gap = 7 / plan.tripsPerWeek
    for (let d = plan.startDay + Math.floor(r() * gap); d < days; ) {
      trips.push(d)
      d += Math.max(1, Math.round((gap * -(Math.log(1 - r()) + Math.log(1 - r()))) / 2))
    }
  }
  return trips
}

function hereProbability(plan: Plan, day: number): number {
  if (day >= plan.lapseDay) return 0
  for (const [from, to] of plan.spells) if (day >= from && day < to) return 0
  return day >= plan.declineDay ? plan.share * 0.3 : plan.share
}

/** Shelf price that day: about 8% of product-weeks carry a 10-30% temporary reduction. */
function shelfPrice(product: DemoProduct, productIndex: number, adWeek: number, seed: number): number {
  const h = mix32(mix32(seed, productIndex), adWeek)
  if (h % 1000 >= 80) return product.regularPriceCents
  const percent = 10 + ((h >>> 10) % 21)
  return Math.max(9, Math.round((product.regularPriceCents * (100 - percent)) / 1000) * 10 - 1)
}

interface Basket {
  lines: DemoLine[]
  /** Catalog index of each line's product. */
  products: number[]
  adWeek: number
  seed: number
  cat: CatalogIndex
}

/** Adds units to the basket, on the product's existing line if it has one. */
function addLine(basket: Basket, product: number, quantity: number): void {
  const at = basket.products.indexOf(product)
  if (at >= 0) {
    basket.lines[at]!.quantity += quantity
    return
  }
  const p = basket.cat.products[product]!
  basket.products.push(product)
  basket.lines.push({ gtin: p.gtin, quantity, unitPriceCents: shelfPrice(p, product, basket.adWeek, basket.seed) })
}

function* generateTransactions(
  plan: Plan,
  seed: number,
  calendar: DayInfo[],
  cat: CatalogIndex,
): Generator<DemoTransaction, void, undefined> {
  const r = mulberry32(mix32(mix32(seed, plan.customer.index), 2))
  const trips = planTrips(plan, calendar, r)
  const meanGap = 7 / plan.tripsPerWeek
  const needs = plan.needs.map((n) => ({ ...n, due: plan.startDay + r() * n.cycle }))
  const mainWeekday = plan.weekdays[0]
  const basket: Basket = { lines: [], products: [], adWeek: 0, seed, cat }
  let sequence = 0
  for (let j = 0; j < trips.length; j++) {
    const day = trips[j]!
    const info = calendar[day]!
    // Due items are bought on the trip nearest their due date, here or elsewhere.
    const horizon = day + ((trips[j + 1] ?? day + meanGap) - day) / 2
    const here = r() < hereProbability(plan, day)
    basket.lines = []
    basket.products.length = 0
    basket.adWeek = info.adWeek
    for (const need of needs) {
      if (need.due > horizon) continue
      if (here && r() < 0.95) {
        const product = need.alternate >= 0 && r() < need.alternateProbability ? need.alternate : need.product
        addLine(basket, product, randomRound(r, need.quantity))
      }
      need.due = day + need.cycle * clamp(1 + 0.1 * normal(r), 0.75, 1.25)
    }
    if (!here) continue

    const main = plan.regular ? info.weekday === mainWeekday : r() < Math.min(1, 1.2 / plan.tripsPerWeek)
    const fill = poisson(r, plan.fillMean * (main ? 1.25 : 0.65)) + (basket.lines.length === 0 ? 1 : 0)
    for (let k = 0; k < fill; k++) {
      const ci = cat.fillCategories[pickCumulative(cat.fillCum, r)]!
      const c = cat.categories[ci]!
      const group = plan.groups.get(ci)
      const type: BrandType =
        group === 'national' || group === 'store'
          ? group
          : r() < sigmoid(logit(clamp(c.storeShare, 0.05, 0.95)) + 0.9 * plan.storeTrait)
            ? 'store'
            : 'national'
      const pool = c.byType[type]
      const product = pool.idx[pickCumulative(pool.cum, r)]!
      addLine(basket, product, randomRound(r, cat.products[product]!.typicalQuantity))
    }

    const store =
      r() < 0.92 ? DEMO_STORES[plan.homeStore]! : DEMO_STORES[Math.floor(r() * DEMO_STORES.length)]!
    const laneId = store.lanes[Math.floor(store.lanes.length * r() ** 1.4)]!
    const hour = clamp(plan.hour + 1.2 * normal(r), 8, 20.999)
    const h = Math.floor(hour)
    const m = Math.floor((hour - h) * 60)
    const s = Math.floor(r() * 60)
    const time = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`
    sequence++
    yield {
      transactionId: `${store.id}-${laneId}-${info.compact}-${plan.customer.index}-${sequence}`,
      storeId: store.id,
      laneId,
      occurredAt: `${info.ymd}T${time}${info.offset}`,
      lines: basket.lines,
    }
  }
}

// ---------------------------------------------------------------- entry point
export function generateDemo(options: DemoOptions): Demo {
  const { customers: customerCount, seed = 1, endDate, days = 365 } = options
  if (!Number.isInteger(customerCount) || customerCount < 0) throw new RangeError('customers must be an integer >= 0')
  if (!Number.isInteger(days) || days < 60) throw new RangeError('days must be an integer >= 60')
  const lastDay = parseDate(endDate)
  const calendar = buildCalendar(lastDay - days + 1, days)
  const products = demoCatalog()
  const cat = indexCatalog(products)
  const seed32 = seed >>> 0

  let cached: Plan | undefined
  const planOf = (index: number): Plan => {
    if (!Number.isInteger(index) || index < 0 || index >= customerCount) {
      throw new RangeError(`no demo customer ${index}`)
    }
    if (cached?.customer.index !== index) cached = derivePlan(index, seed32, days, calendar, cat)
    return cached
  }
  const needsOf = (plan: Plan): DemoNeed[] =>
    plan.needs.map((n) => ({
      category: products[n.product]!.category,
      gtins: n.alternate >= 0 ? [products[n.product]!.gtin, products[n.alternate]!.gtin] : [products[n.product]!.gtin],
      brandGroup: n.group,
      cycleDays: n.cycle,
      quantity: Math.round(n.quantity * 10) / 10,
    }))

  return {
    seed: seed32,
    startDate: ymdOf(lastDay - days + 1),
    endDate,
    customerCount,
    stores: DEMO_STORES,
    products,
    *customers() {
      for (let i = 0; i < customerCount; i++) yield structuredClone(planOf(i).customer)
    },
    customer: (index) => structuredClone(planOf(index).customer),
    transactions: (customer) => generateTransactions(planOf(customer.index), seed32, calendar, cat),
    trueNeeds: (customer) => needsOf(planOf(customer.index)),
    trueCycles(customer) {
      const cycles: Record<string, number> = {}
      for (const need of needsOf(planOf(customer.index))) for (const gtin of need.gtins) cycles[gtin] = need.cycleDays
      return cycles
    },
  }
}

// ---------------------------------------------------------------- offers
export type DemoOfferScope = { gtins: string[] } | { category: string; brandType?: BrandType }
export type DemoOfferReward =
  | { type: 'amount_off'; amountCents: number }
  | { type: 'percent_off'; percent: number }
  | { type: 'fixed_price'; priceCents: number }
  | { type: 'buy_x_get_y'; buy: number; get: number; percentOff?: number }
  | { type: 'spend_threshold'; minSpendCents: number; amountCents: number }
export interface DemoPerkReward {
  type: 'perk'
  perkType: 'recipe' | 'meal_plan' | 'tip' | 'fast_lane' | 'home_delivery'
  content: string
}
export interface DemoSegmentCell {
  category: string
  brandGroup: BrandGroup
  usage: 'low' | 'medium' | 'high'
}
// The targeting words of src/modules/offers/offer.types.ts (API.md leaves them open).
export type DemoLifeStage = 'pet' | 'baby' | 'produce_heavy'
export type DemoLifecycleStage = 'new' | 'growing' | 'stable' | 'declining' | 'lapsed'
export type DemoOfferTargeting =
  | { everyone: true }
  | {
      segments?: DemoSegmentCell[]
      lifeStage?: DemoLifeStage[]
      valueTiers?: ('A' | 'B' | 'C' | 'D')[]
      lifecycle?: DemoLifecycleStage[]
    }

/** The body of POST /v1/offers. */
export interface DemoOffer {
  name: string
  description: string
  scope: DemoOfferScope
  reward: DemoOfferReward
  targeting: DemoOfferTargeting
  validFrom: string
  validUntil: string
  limits?: { unitsPerRedemption?: number; redemptionsPerCustomer?: number }
  budget?: { maxRedemptions?: number; maxDiscountCents?: number }
  fundedBy: 'store' | { manufacturer: string }
}

/**
 * A realistic set of offers for the demo catalog around `today` (YYYY-MM-DD): the pain-relief
 * store-brand trial graded by usage, manufacturer-funded life-stage deals, a produce deal, a
 * win-back offer and one offer for everyone. Offers whose category is missing are left out.
 */
export function demoOffers(products: readonly DemoProduct[], today: string): DemoOffer[] {
  const day = parseDate(today)
  const at = (delta: number): string => ymdOf(day + delta)
  const fourWeeks = { validFrom: today, validUntil: at(27) }
  const has = (prefix: string): boolean => products.some((p) => p.category === prefix || p.category.startsWith(`${prefix}/`))
  /** The leading national brand of a category and its GTINs there. */
  const leader = (category: string): { brand: string; manufacturer: string; gtins: string[] } | null => {
    const byBrand = new Map<string, number>()
    for (const p of products) {
      if (p.category === category && p.brandType === 'national') byBrand.set(p.brand, (byBrand.get(p.brand) ?? 0) + p.popularity)
    }
    const brand = [...byBrand].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0]
    if (brand === undefined) return null
    const own = products.filter((p) => p.category === category && p.brand === brand)
    return { brand, manufacturer: own[0]!.manufacturer, gtins: own.map((p) => p.gtin) }
  }

  const offers: DemoOffer[] = []
  const pain = 'Health/Pain relief'
  if (has(pain)) {
    // DOMAIN.md: the most aggressive trial offer goes to heavy national-brand users.
    offers.push(
      {
        name: 'Try Lakeside Select pain relief: $3 off',
        description: 'Same active ingredient as the national brand you buy, $3 off your first Lakeside Select pack.',
        scope: { category: pain, brandType: 'store' },
        reward: { type: 'amount_off', amountCents: 300 },
        targeting: { segments: [{ category: pain, brandGroup: 'national', usage: 'high' }] },
        ...fourWeeks,
        limits: { unitsPerRedemption: 1, redemptionsPerCustomer: 1 },
        budget: { maxRedemptions: 2000 },
        fundedBy: 'store',
      },
      {
        name: 'Try Lakeside Select pain relief: $1.50 off',
        description: 'Compare and save: $1.50 off one Lakeside Select pain reliever.',
        scope: { category: pain, brandType: 'store' },
        reward: { type: 'amount_off', amountCents: 150 },
        targeting: { segments: [{ category: pain, brandGroup: 'national', usage: 'medium' }] },
        ...fourWeeks,
        limits: { unitsPerRedemption: 1, redemptionsPerCustomer: 1 },
        budget: { maxRedemptions: 3000 },
        fundedBy: 'store',
      },
    )
  }
  const cat = leader('Pet/Cat food')
  if (cat) {
    offers.push({
      name: `${cat.brand} cat food: 25% off`,
      description: sentence(`25% off up to six ${cat.brand} cat food items, from ${cat.manufacturer}`),
      scope: { gtins: cat.gtins },
      reward: { type: 'percent_off', percent: 25 },
      targeting: { lifeStage: ['pet'] },
      ...fourWeeks,
      limits: { unitsPerRedemption: 6, redemptionsPerCustomer: 2 },
      budget: { maxDiscountCents: 500_000 },
      fundedBy: { manufacturer: cat.manufacturer },
    })
  }
  const diapers = leader('Baby/Diapers')
  if (diapers) {
    offers.push({
      name: `${diapers.brand} diapers: $2 off a pack`,
      description: `$2 off each pack of ${diapers.brand} diapers or training pants, up to two packs.`,
      scope: { gtins: diapers.gtins },
      reward: { type: 'amount_off', amountCents: 200 },
      targeting: { lifeStage: ['baby'] },
      ...fourWeeks,
      limits: { unitsPerRedemption: 2, redemptionsPerCustomer: 2 },
      budget: { maxRedemptions: 4000 },
      fundedBy: { manufacturer: diapers.manufacturer },
    })
  }
  if (has('Produce')) {
    offers.push({
      name: 'Fresh produce: 15% off',
      description: 'For our best produce customers: 15% off fresh fruit and vegetables.',
      scope: { category: 'Produce' },
      reward: { type: 'percent_off', percent: 15 },
      targeting: { lifeStage: ['produce_heavy'] },
      ...fourWeeks,
      limits: { unitsPerRedemption: 10, redemptionsPerCustomer: 2 },
      fundedBy: 'store',
    })
  }
  if (has('Meat')) {
    // API.md has no whole-basket scope; fresh meat is the traffic builder a win-back leans on.
    offers.push({
      name: 'We miss you: $5 off $25 of meat',
      description: 'Come back to Lakeside: $5 off when you buy $25 or more of fresh meat.',
      scope: { category: 'Meat' },
      reward: { type: 'spend_threshold', minSpendCents: 2500, amountCents: 500 },
      targeting: { lifecycle: ['declining', 'lapsed'] },
      ...fourWeeks,
      limits: { redemptionsPerCustomer: 1 },
      budget: { maxRedemptions: 1500 },
      fundedBy: 'store',
    })
  }
  const cheese = leader('Dairy/Cheese')
  if (cheese) {
    offers.push({
      name: `${cheese.brand} cheese: buy 2, get 1 free`,
      description: `Wisconsin cheese week: buy two ${cheese.brand} cheeses and get a third free.`,
      scope: { gtins: cheese.gtins },
      reward: { type: 'buy_x_get_y', buy: 2, get: 1 },
      targeting: { everyone: true },
      validFrom: at(-3),
      validUntil: at(11),
      limits: { unitsPerRedemption: 3, redemptionsPerCustomer: 1 },
      fundedBy: { manufacturer: cheese.manufacturer },
    })
  }
  // DOMAIN.md's nine cells beyond pain relief: in the busiest categories that have a store
  // brand, heavy national-brand buyers get the stronger trial, medium ones a smaller one.
  const byCategory = new Map<string, { national: number; store: number; popularity: number }>()
  for (const p of products) {
    const c = byCategory.get(p.category) ?? { national: 0, store: 0, popularity: 0 }
    c[p.brandType]++
    c.popularity += p.popularity
    byCategory.set(p.category, c)
  }
  const trials = [...byCategory]
    .filter(([c, v]) => v.national > 0 && v.store > 0 && c !== pain && !c.startsWith('Produce/'))
    .sort((a, b) => b[1].popularity - a[1].popularity || a[0].localeCompare(b[0]))
    .slice(0, 6)
  for (const [category] of trials) {
    const leaf = category.split('/').pop()!.toLowerCase()
    for (const [usage, cents, budget] of [['high', 150, 1500], ['medium', 75, 2500]] as const) {
      offers.push({
        name: `Try Lakeside Select ${leaf}: ${cents >= 100 ? `$${(cents / 100).toFixed(2)}` : `${cents}c`} off`,
        description: `Our own ${leaf}, made to the same standard as the brand you buy: ${usage === 'high' ? 'a bigger' : 'a'} saving on your first pack.`,
        scope: { category, brandType: 'store' },
        reward: { type: 'amount_off', amountCents: cents },
        targeting: { segments: [{ category, brandGroup: 'national', usage }] },
        ...fourWeeks,
        limits: { unitsPerRedemption: 1, redemptionsPerCustomer: 1 },
        budget: { maxRedemptions: budget },
        fundedBy: 'store',
      })
    }
  }
  // Manufacturers' deals, as a chain receives them every cycle: the leading national brand of
  // each of the busiest other categories pays for a saving on its own products, for everyone
  // with a card. The list generator attaches them to the items it predicts, up to the value
  // the customer's tier may carry, so the best customers' lists reach the $30-40 DOMAIN.md
  // describes while lighter tiers get less.
  const taken = new Set([pain, 'Pet/Cat food', 'Baby/Diapers', 'Dairy/Cheese', ...trials.map(([c]) => c)])
  const deals = [...byCategory]
    .filter(([c, v]) => v.national > 0 && !taken.has(c) && !c.startsWith('Produce/') && !c.startsWith('Meat/'))
    .sort((a, b) => b[1].popularity - a[1].popularity || a[0].localeCompare(b[0]))
    .slice(0, 24)
  for (const [category] of deals) {
    const brand = leader(category)
    if (!brand) continue
    const prices = products.filter((p) => brand.gtins.includes(p.gtin)).map((p) => p.regularPriceCents)
    const mean = prices.reduce((a, b) => a + b, 0) / prices.length
    // About 30% of the brand's usual price, in quarters of a dollar: what a coupon says.
    const cents = Math.max(75, Math.min(300, Math.round((mean * 0.3) / 25) * 25))
    const leaf = category.split('/').pop()!.toLowerCase()
    const face = cents >= 100 ? `$${(cents / 100).toFixed(2)}` : `${cents}c`
    offers.push({
      name: `${brand.brand} ${leaf}: ${face} off`,
      description: sentence(`${face} off each ${brand.brand} ${leaf} item, up to two, from ${brand.manufacturer}`),
      scope: { gtins: brand.gtins },
      reward: { type: 'amount_off', amountCents: cents },
      targeting: { everyone: true },
      ...fourWeeks,
      limits: { unitsPerRedemption: 2, redemptionsPerCustomer: 2 },
      budget: { maxDiscountCents: 1_000_000 },
      fundedBy: { manufacturer: brand.manufacturer },
    })
  }
  return offers
}

/** The body of POST /v1/offers for a perk. */
export interface DemoPerk {
  kind: 'perk'
  name: string
  description: string
  scope?: DemoOfferScope
  reward: DemoPerkReward
  targeting: DemoOfferTargeting
  validFrom: string
  validUntil: string
  fundedBy: 'store'
}

/**
 * Perks for the demo (DOMAIN.md: rewards need not all be price): a fast-lane pass for the best
 * customers, home delivery to win back valuable ones, a meal plan for produce buyers, tips for
 * pet and baby households and a recipe for cheese buyers.
 */
export function demoPerks(products: readonly DemoProduct[], today: string): DemoPerk[] {
  const day = parseDate(today)
  const fourWeeks = { validFrom: today, validUntil: ymdOf(day + 27) }
  const has = (prefix: string): boolean => products.some((p) => p.category === prefix || p.category.startsWith(`${prefix}/`))
  const perks: DemoPerk[] = []
  // Rewards that are not a price (DOMAIN.md): printed on the list with the same targeting.
  const perk = (name: string, perkType: DemoPerkReward['perkType'], content: string, targeting: DemoOfferTargeting, scope?: DemoOfferScope): DemoPerk => ({
    kind: 'perk',
    name,
    description: content,
    ...(scope ? { scope } : {}),
    reward: { type: 'perk', perkType, content },
    targeting,
    ...fourWeeks,
    fundedBy: 'store',
  })
  perks.push(perk('Fast lane pass', 'fast_lane', 'Show this list at the service desk for a fast-lane pass: lane 1 is yours whenever it is open.', { valueTiers: ['A'] }))
  perks.push(perk('Free home delivery', 'home_delivery', 'Your next order delivered free within 10 miles of your store: call the store or ask at the service desk.', { valueTiers: ['A', 'B'], lifecycle: ['declining', 'lapsed'] }))
  if (has('Produce')) {
    perks.push(perk('This week\'s meal plan', 'meal_plan', 'Five weeknight dinners built around what is in season: roasted squash soup, sheet-pan chicken with root vegetables, and more. Ask for the card at the produce stand.', { lifeStage: ['produce_heavy'] }))
  }
  if (has('Baby')) {
    perks.push(perk('Weaning tip from our dietitian', 'tip', 'Starting solids? Begin with single-ingredient purees, one new food every three days, so you can spot anything that does not agree.', { lifeStage: ['baby'] }, { category: 'Baby' }))
  }
  if (has('Pet')) {
    perks.push(perk('Pet nutrition tip', 'tip', 'Switching food? Mix the new one in over seven days, a quarter more each couple of days, to spare your pet an upset stomach.', { lifeStage: ['pet'] }, { category: 'Pet' }))
  }
  if (has('Dairy/Cheese')) {
    perks.push(perk('Recipe: Wisconsin beer-cheese soup', 'recipe', 'Melt 2 tbsp butter, soften an onion, stir in 3 tbsp flour, 2 cups broth, 1 cup beer and 2 cups milk; simmer, then melt in 3 cups shredded cheddar.', { everyone: true }, { category: 'Dairy/Cheese' }))
  }
  return perks
}
