/**
 * Derives src/demo/catalog.json, the demo catalog of an eight-store rural Wisconsin chain.
 *
 *   node --import tsx scripts/derive-demo-catalog.ts [DATA_DIR]
 *   (DATA_DIR defaults to ../shared/data/dunnhumby_cj_sample)
 *
 * The output is committed: the service never reads ../shared at run time. Re-running it
 * on the same data gives a byte-identical file.
 *
 * What comes from the data (dunnhumby / 84.51° "The Complete Journey" 2.0, via the R package
 * completejourney 1.1.1: products.csv and transactions_detail.csv, a uniform 5.1% sample of
 * the year's receipt lines):
 * - popularity: sampled lines of the source categories (COMMODITY_DESC) behind each demo
 *   category, split by the real national/store line share (kept within 12-85% so both brand
 *   types exist everywhere, e.g. fresh produce has almost no own label in the data) and spread
 *   over the items with a rank decay. A relative weight: the sum is the lines in the mapped
 *   categories.
 * - prices: unit price = (sales_value + retail_disc) / quantity, i.e. the shelf price before
 *   the retailer's own discount (coupons excluded). A national item sits at a chosen quantile
 *   of its category's national price distribution (a 5.5 oz can low, a 16 lb bag high); the
 *   store-brand twin costs the real store/national median ratio of the category, clamped to
 *   0.65-0.80 (20-35% cheaper), since the raw medians compare different pack sizes.
 * - typicalQuantity: the category's mean units per line, unless an item says otherwise.
 * - typicalCycleDays: where at least 150 sample households bought the category, the
 *   per-household count of distinct purchase days k is zero-truncated Poisson with
 *   lambda = 0.051 * 365 / cycle (the 5.1% thinning), solved from mean(k | k >= 1). That
 *   measures the cycle *at this retailer*, which share of wallet stretches, so all estimates
 *   are divided by the milk estimate / 7 days (milk is bought weekly) and clamped to 0.5-2x the
 *   default below. Smaller categories keep the default. Items scale it (a 16 lb bag lasts longer).
 * What is invented: brand names, manufacturers, item names and sizes, GTINs (valid GS1 check
 * digits, made-up company prefixes; the store brand "Lakeside Select" shares the chain's).
 *
 * Licence and attribution: the completejourney package is CC0; the upstream 84.51°/dunnhumby
 * terms still apply (research use, with attribution). Source data: "The Complete Journey",
 * dunnhumby / 84.51°. The derived file holds only category-level aggregates, no household rows.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'csv-parse/sync'
import { withCheckDigit } from '../src/lib/codes.ts'

const CHAIN = 'Lakeside Markets'
const STORE_BRAND = 'Lakeside Select'
const CATEGORY_SPECS = categorySpecs()

const here = dirname(fileURLToPath(import.meta.url))
const dataDir = resolve(process.argv[2] ?? join(here, '../../shared/data/dunnhumby_cj_sample'))
const outFile = join(here, '../src/demo/catalog.json')

const SAMPLE_RATE = 0.051 // transactions_sample = sample_n(75000) of 1,469,307 lines
const MIN_BUYERS_FOR_CYCLE = 150

type Row = Record<string, string>
const readCsv = (file: string): Row[] =>
  parse(readFileSync(join(dataDir, file)), { columns: true, skip_empty_lines: true }) as Row[]

const productCategory = new Map<string, { commodity: string; brandType: 'national' | 'store' }>()
for (const r of readCsv('products.csv')) {
  productCategory.set(r.product_id!, {
    commodity: r.category!,
    brandType: r.brand_type === 'store' ? 'store' : 'national',
  })
}

interface CatStats {
  lines: { national: number; store: number }
  prices: { national: number[]; store: number[] }
  qtySum: number
  daysByHousehold: Map<string, Set<string>>
}
const commodityToPath = new Map<string, string>()
for (const spec of CATEGORY_SPECS) for (const c of spec.source) commodityToPath.set(c, spec.path)
const stats = new Map<string, CatStats>()
for (const spec of CATEGORY_SPECS) {
  stats.set(spec.path, {
    lines: { national: 0, store: 0 },
    prices: { national: [], store: [] },
    qtySum: 0,
    daysByHousehold: new Map(),
  })
}

for (const r of readCsv('transactions_detail.csv')) {
  const product = productCategory.get(r.product_id!)
  if (!product) continue
  const path = commodityToPath.get(product.commodity)
  if (!path) continue
  const quantity = Number(r.quantity)
  if (!(quantity > 0)) continue // 416 source rows have quantity 0
  const s = stats.get(path)!
  const unit = (Number(r.sales_value) + Number(r.retail_disc)) / quantity
  s.lines[product.brandType] += 1
  if (unit > 0.05) s.prices[product.brandType].push(unit)
  s.qtySum += Math.min(quantity, 24) // a few lines carry bulk or weight-like quantities
  const day = r.timestamp!.slice(0, 10)
  let days = s.daysByHousehold.get(r.customer_id!)
  if (!days) s.daysByHousehold.set(r.customer_id!, (days = new Set()))
  days.add(day)
}

for (const list of [...stats.values()].flatMap((s) => [s.prices.national, s.prices.store])) {
  list.sort((a, b) => a - b)
}
const quantile = (sorted: number[], q: number): number => {
  const pos = Math.min(sorted.length - 1, Math.max(0, q * (sorted.length - 1)))
  const lo = Math.floor(pos)
  const hi = Math.min(sorted.length - 1, lo + 1)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo)
}

/** Cycle at this retailer from the zero-truncated Poisson mean of sampled purchase days. */
function dataCycle(s: CatStats): { buyers: number; days: number | null } {
  const counts = [...s.daysByHousehold.values()].map((d) => d.size)
  const mean = counts.reduce((a, b) => a + b, 0) / Math.max(1, counts.length)
  if (counts.length < MIN_BUYERS_FOR_CYCLE || mean <= 1.0001) return { buyers: counts.length, days: null }
  let lo = 1e-6
  let hi = 50
  for (let i = 0; i < 100; i++) {
    const mid = (lo + hi) / 2
    if (mid / (1 - Math.exp(-mid)) < mean) lo = mid
    else hi = mid
  }
  return { buyers: counts.length, days: (SAMPLE_RATE * 365) / lo }
}

const milk = dataCycle(stats.get('Dairy/Milk')!)
const calibration = (milk.days ?? 7) / 7

function fnv1a(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0
  return h
}
const prefixes = new Map<string, { prefix: string; next: number }>()
const usedPrefixes = new Set<string>()
function nextGtin(manufacturer: string): string {
  let entry = prefixes.get(manufacturer)
  if (!entry) {
    let n = 10000 + (fnv1a(manufacturer) % 89000) // UPC-A number system 0: 0 + 5 digits
    while (usedPrefixes.has(String(n))) n = n === 98999 ? 10000 : n + 1
    usedPrefixes.add(String(n))
    entry = { prefix: `0${n}`, next: 100 + (fnv1a(`${manufacturer}#items`) % 500) * 10 }
    prefixes.set(manufacturer, entry)
  }
  const body = `00${entry.prefix}${String(entry.next).padStart(5, '0')}`
  entry.next += 1 + (fnv1a(body) % 7)
  return withCheckDigit(body)
}

/** Shelf price in cents ending in 9. */
const shelfCents = (dollars: number): number => Math.max(19, Math.round(dollars * 10) * 10 - 1)
const round1 = (x: number): number => Math.round(x * 10) / 10

interface CatalogProduct {
  gtin: string
  name: string
  category: string
  brand: string
  brandType: 'national' | 'store'
  manufacturer: string
  size: string
  regularPriceCents: number
  typicalCycleDays: number
  typicalQuantity: number
  popularity: number
}
const products: CatalogProduct[] = []
const categories: unknown[] = []

for (const spec of CATEGORY_SPECS) {
  const s = stats.get(spec.path)!
  const lines = s.lines.national + s.lines.store
  if (s.prices.national.length < 20) throw new Error(`${spec.path}: too few national prices in the sample`)
  const realStoreShare = lines > 0 ? s.lines.store / lines : 0
  // Categories where the chain sells almost no own label in the data (fresh produce) still get
  // one, at a modest share, so every category can be targeted by brand group.
  const storeShare = Math.min(0.85, Math.max(0.12, realStoreShare))
  const storeRatio =
    s.prices.store.length >= 30
      ? Math.min(0.8, Math.max(0.65, quantile(s.prices.store, 0.5) / quantile(s.prices.national, 0.5)))
      : 0.72
  const cyc = dataCycle(s)
  const cycleDays =
    cyc.days === null
      ? spec.cycle
      : Math.min(spec.cycle * 2, Math.max(spec.cycle / 2, cyc.days / calibration))
  const meanQty = lines > 0 ? s.qtySum / lines : 1

  const items = spec.items.map(parseItem)
  const storeItems = Math.ceil(items.length / 2)
  type Draft = Omit<CatalogProduct, 'gtin' | 'popularity'> & { weight: number }
  const drafts: Draft[] = []
  items.forEach((item, i) => {
    const nationalPrice = quantile(s.prices.national, item.q)
    const makers = item.brands
      ? item.brands.map((b) => spec.brands[b]!)
      : i === 0
        ? spec.brands
        : [spec.brands[i % spec.brands.length]!]
    makers.forEach(([brand, manufacturer], b) => {
      // The second national brand of the staple item is priced a little apart.
      const premium = b === 0 ? 1 : 0.94 + (fnv1a(brand) % 9) / 100
      drafts.push({
        name: `${brand} ${item.name} ${item.size}`,
        category: spec.path,
        brand,
        brandType: 'national',
        manufacturer,
        size: item.size,
        regularPriceCents: shelfCents(nationalPrice * premium),
        typicalCycleDays: Math.max(2, Math.round(cycleDays * item.cycleFactor)),
        typicalQuantity: round1(Math.max(1, item.qty ?? meanQty)),
        weight: (1 - storeShare) * (1 / (1 + 0.4 * i)) * (b === 0 ? 1 : 0.6),
      })
    })
    if (i < storeItems) {
      const jitter = 1 + ((fnv1a(item.name) % 7) - 3) / 100
      drafts.push({
        name: `${STORE_BRAND} ${item.name} ${item.size}`,
        category: spec.path,
        brand: STORE_BRAND,
        brandType: 'store',
        manufacturer: CHAIN,
        size: item.size,
        regularPriceCents: shelfCents(nationalPrice * storeRatio * jitter),
        typicalCycleDays: Math.max(2, Math.round(cycleDays * item.cycleFactor)),
        typicalQuantity: round1(Math.max(1, item.qty ?? meanQty)),
        weight: storeShare * (1 / (1 + 0.4 * i)),
      })
    }
  })
  // Normalise within each brand type so the real national/store line split holds.
  for (const type of ['national', 'store'] as const) {
    const group = drafts.filter((d) => d.brandType === type)
    const total = group.reduce((a, d) => a + d.weight, 0)
    const share = type === 'store' ? storeShare : 1 - storeShare
    for (const { weight, ...d } of group) {
      products.push({ gtin: nextGtin(d.manufacturer), ...d, popularity: round1((lines * share * weight) / total) })
    }
  }
  categories.push({
    category: spec.path,
    sourceCategories: spec.source,
    sampleLines: lines,
    storeLineShare: Math.round(realStoreShare * 1000) / 1000,
    storePriceRatio: Math.round(storeRatio * 100) / 100,
    cycleDays: round1(cycleDays),
    cycleSource: cyc.days === null ? 'default' : 'data',
    sampleBuyers: cyc.buyers,
  })
}

interface ItemSpec {
  name: string
  size: string
  q: number
  cycleFactor: number
  qty?: number
  brands?: number[]
}
function parseItem(text: string): ItemSpec {
  const [name, size, q, cycleFactor, qty, brands] = text.split('|')
  if (!name || !size || !q) throw new Error(`bad item spec: ${text}`)
  return {
    name,
    size,
    q: Number(q),
    cycleFactor: cycleFactor ? Number(cycleFactor) : 1,
    ...(qty ? { qty: Number(qty) } : {}),
    ...(brands ? { brands: brands.split('+').map(Number) } : {}),
  }
}

const gtins = new Set(products.map((p) => p.gtin))
if (gtins.size !== products.length) throw new Error('duplicate GTIN')

const catalog = {
  description:
    'Demo catalog of Lakeside Markets, an invented eight-store chain in rural Wisconsin. Generated by scripts/derive-demo-catalog.ts; do not edit by hand.',
  source:
    'Category mix, national/store split, unit prices, quantities and purchase cycles derived from "The Complete Journey" 2.0 (dunnhumby / 84.51°), 5.1% line sample in the CC0 R package completejourney 1.1.1. Upstream terms: research use with attribution. Brands, names and GTINs are invented.',
  chain: CHAIN,
  storeBrand: STORE_BRAND,
  cycleCalibration: { referenceCategory: 'Dairy/Milk', referenceDays: 7, dataDays: milk.days && round1(milk.days) },
  categories,
  products,
}
mkdirSync(dirname(outFile), { recursive: true })
writeFileSync(outFile, `${JSON.stringify(catalog, null, 1)}\n`)
process.stdout.write(`${products.length} products in ${categories.length} categories -> ${outFile}\n`)

interface CategorySpec {
  /** "Department/Category" as the API takes it. */
  path: string
  /** dunnhumby COMMODITY_DESC values pooled into this category. */
  source: string[]
  /** Default repurchase cycle in days, used where the sample is too thin. */
  cycle: number
  /** National brands as [brand, manufacturer]; item i goes to brand i mod n, item 0 to all. */
  brands: [string, string][]
  /** "name|size|price quantile|cycle factor|units per purchase|national brand indexes (0+2)",
   *  staples first; the store brand carries the first half. */
  items: string[]
}

// Invented brands and manufacturers; any resemblance to real trademarks is unintended.
function categorySpecs(): CategorySpec[] {
  const dairyCoop = 'Badger Valley Dairy Cooperative'
  const greatLakes = 'Great Lakes Foods Co.'
  const harvestTable = 'Harvest Table Brands'
  const northfield = 'Northfield Consumer Health'
  const harbor = 'Harbor Pharma Consumer Products'
  const northstarPet = 'Northstar Pet Nutrition'
  const pawsCo = 'Paws & Co. Pet Foods'
  const wellbrook = 'Wellbrook Baby Products'
  const sprout = 'Little Sprout Baby Care'
  const pinePaper = 'Northern Pine Paper Co.'
  const clearwater = 'Clearwater Household Products'
  const kettleRiver = 'Kettle River Meats'
  const riverbend = 'Riverbend Mills'
  const valleyHarvest = 'Valley Harvest Canning'
  return [
    // Dairy
    { path: 'Dairy/Milk', source: ['FLUID MILK PRODUCTS'], cycle: 7,
      brands: [['Badger Valley', dairyCoop], ['Prairie Meadow', 'Prairie Meadow Foods']],
      items: ['2% reduced fat milk|1 gal|0.6', 'Whole milk|1 gal|0.65', '1% lowfat milk|1/2 gal|0.3',
        'Skim milk|1 gal|0.55', 'Chocolate milk|1/2 gal|0.4|1.5', 'Lactose free 2% milk|1/2 gal|0.95|1.2'] },
    { path: 'Dairy/Cheese', source: ['CHEESE'], cycle: 10,
      brands: [['Badger Valley', dairyCoop], ['Kasestube', 'Kasestube Cheese Makers']],
      items: ['Shredded mozzarella|8 oz|0.5', 'Mild cheddar block|8 oz|0.45', 'American cheese singles|12 oz|0.6',
        'Colby jack block|16 oz|0.9|1.5', 'Mozzarella string cheese|12 ct|0.85'] },
    { path: 'Dairy/Yogurt', source: ['YOGURT'], cycle: 7,
      brands: [['Cultura', 'Alpenglow Dairy Inc.'], ['Prairie Meadow', 'Prairie Meadow Foods']],
      items: ['Strawberry lowfat yogurt|6 oz|0.35||3', 'Vanilla Greek yogurt|5.3 oz|0.55||3',
        'Plain whole milk yogurt|32 oz|0.95|1.5|1', 'Kids yogurt tubes|8 ct|0.9||1'] },
    { path: 'Dairy/Eggs', source: ['EGGS'], cycle: 10,
      brands: [['Sunny Acres', 'Sunny Acres Farms'], ['Golden Hen', 'Golden Hen Egg Co.']],
      items: ['Grade A large eggs|12 ct|0.5', 'Grade A large eggs|18 ct|0.8|1.5', 'Cage free brown eggs|12 ct|0.95'] },
    { path: 'Dairy/Butter & margarine', source: ['BUTTER', 'MARGARINES'], cycle: 21,
      brands: [['Badger Valley', dairyCoop], ['Meadowspread', harvestTable]],
      items: ['Salted butter quarters|1 lb|0.85', 'Vegetable oil spread|15 oz|0.4', 'Unsalted butter quarters|1 lb|0.85',
        'Light buttery spread|45 oz|0.95|2'] },
    { path: 'Dairy/Sour cream & cream', source: ['MILK BY-PRODUCTS'], cycle: 14,
      brands: [['Badger Valley', dairyCoop], ['Prairie Meadow', 'Prairie Meadow Foods']],
      items: ['Sour cream|16 oz|0.4', 'Half & half|1 qt|0.55', 'Small curd cottage cheese|24 oz|0.8', 'Heavy whipping cream|1 pt|0.7'] },
    // Bakery
    { path: 'Bakery/Bread', source: ['BAKED BREAD/BUNS/ROLLS', 'BREAD'], cycle: 7,
      brands: [['Hearthstone', 'Hearthstone Baking Co.'], ['Golden Crust', 'Midwest Bakeries Inc.']],
      items: ['White sandwich bread|20 oz|0.35', '100% whole wheat bread|20 oz|0.6', 'Hamburger buns|8 ct|0.4|1.5',
        'Honey wheat bread|20 oz|0.55', 'Hot dog buns|8 ct|0.4|2'] },
    { path: 'Bakery/Sweet goods', source: ['BAKED SWEET GOODS', 'BREAKFAST SWEETS', 'CAKES', 'COOKIES', 'ROLLS'], cycle: 14,
      brands: [['Sugarbell', 'Sugarbell Bakeries'], ['Golden Crust', 'Midwest Bakeries Inc.']],
      items: ['Glazed donuts|6 ct|0.5', 'Mini blueberry muffins|10 ct|0.6', 'Cinnamon rolls|4 ct|0.7', 'Chocolate snack cakes|8 ct|0.4'] },
    // Meat
    { path: 'Meat/Beef', source: ['BEEF'], cycle: 10,
      brands: [['Northwoods Farms', 'Northwoods Protein Co.'], ['Heartland Ranch', 'Heartland Packing Co.']],
      items: ['Ground beef 80/20|1 lb|0.3', 'Lean ground beef 93/7|1 lb|0.5', 'Boneless chuck roast|2.5 lb|0.85|2',
        'Sirloin steak|1 lb|0.75|1.5', 'Ribeye steak|12 oz|0.92|2'] },
    { path: 'Meat/Chicken', source: ['CHICKEN'], cycle: 14,
      brands: [['Prairie Roost', 'Prairie Roost Poultry'], ['Northwoods Farms', 'Northwoods Protein Co.']],
      items: ['Boneless skinless chicken breasts|2 lb|0.75', 'Chicken thighs|2.5 lb|0.45', 'Whole fryer chicken|4.5 lb|0.6|1.5',
        'Chicken drumsticks|3 lb|0.35'] },
    { path: 'Meat/Pork', source: ['PORK', 'SMOKED MEATS'], cycle: 21,
      brands: [['Heartland Ranch', 'Heartland Packing Co.'], ['Northwoods Farms', 'Northwoods Protein Co.']],
      items: ['Boneless pork chops|1.5 lb|0.5', 'Pork tenderloin|1.25 lb|0.65', 'Pork shoulder roast|3 lb|0.85|1.5',
        'Spiral sliced ham|2 lb|0.9|2|1'] },
    { path: 'Meat/Lunchmeat', source: ['LUNCHMEAT'], cycle: 10,
      brands: [['Smokehouse Lane', kettleRiver], ['Deli Fresh', 'Cedar Creek Provisions']],
      items: ['Oven roasted turkey breast|9 oz|0.55', 'Smoked ham slices|16 oz|0.7', 'Bologna|16 oz|0.3', 'Hard salami|8 oz|0.8'] },
    { path: 'Meat/Bacon & sausage', source: ['BACON', 'BREAKFAST SAUSAGE/SANDWICHES', 'DINNER SAUSAGE', 'HOT DOGS'], cycle: 14,
      brands: [['Lakeshore', 'Lakeshore Sausage Works'], ['Smokehouse Lane', kettleRiver]],
      items: ['Hickory smoked bacon|16 oz|0.6', 'Fresh bratwurst|19 oz|0.55', 'Beef franks|8 ct|0.4',
        'Breakfast sausage links|12 oz|0.45', 'Smoked sausage|14 oz|0.35', 'Thick cut bacon|24 oz|0.9|1.5'] },
    // Produce
    { path: 'Produce/Fruit', source: ['TROPICAL FRUIT', 'APPLES', 'BERRIES', 'CITRUS', 'GRAPES', 'STONE FRUIT', 'MELONS'], cycle: 7,
      brands: [['Sunridge', 'Sunridge Growers'], ['Orchard Crest', 'Orchard Crest Fruit Co.']],
      items: ['Bananas|1 lb|0.12|1|3', 'Gala apples|3 lb bag|0.8|1.5', 'Strawberries|1 lb|0.7', 'Navel oranges|4 lb bag|0.85|2',
        'Red seedless grapes|2 lb|0.85', 'Blueberries|1 pt|0.75'] },
    { path: 'Produce/Vegetables', source: ['VEGETABLES - ALL OTHERS', 'ONIONS', 'POTATOES', 'TOMATOES', 'CARROTS',
      'PEPPERS-ALL', 'BROCCOLI/CAULIFLOWER', 'MUSHROOMS', 'ORGANICS FRUIT & VEGETABLES'], cycle: 7,
      brands: [['Harvest Field', 'Harvest Field Produce'], ['Sunridge', 'Sunridge Growers']],
      items: ['Russet potatoes|5 lb bag|0.9|2', 'Yellow onions|3 lb bag|0.75|2', 'Baby carrots|1 lb|0.45', 'Roma tomatoes|1 lb|0.5',
        'Broccoli crowns|1 lb|0.6', 'Green bell pepper|each|0.35||2', 'Sliced white mushrooms|8 oz|0.65'] },
    { path: 'Produce/Salads', source: ['SALAD MIX', 'VEGETABLES SALAD', 'HERBS'], cycle: 7,
      brands: [['Crispleaf', 'Crispleaf Farms'], ['Harvest Field', 'Harvest Field Produce']],
      items: ['Classic garden salad|12 oz|0.45', 'Spring mix|5 oz|0.75', 'Romaine hearts|3 ct|0.7', 'Coleslaw mix|14 oz|0.35'] },
    // Beverages
    { path: 'Beverages/Soft drinks', source: ['SOFT DRINKS'], cycle: 7,
      brands: [['Fizzco', 'Fizzco Beverage Co.'], ['Ridgeline', 'Ridgeline Bottling']],
      items: ['Cola|12 pk 12 oz cans|0.82', 'Diet cola|12 pk 12 oz cans|0.82', 'Cola|2 L|0.35', 'Lemon-lime soda|2 L|0.35',
        'Root beer|2 L|0.35'] },
    { path: 'Beverages/Juice', source: ['REFRGRATD JUICES/DRNKS', 'CANNED JUICES', 'FRZN JCE CONC/DRNKS'], cycle: 10,
      brands: [['Sunsplash', 'Citrus Grove Beverages'], ['Orchard Crest', 'Orchard Crest Fruit Co.']],
      items: ['Orange juice no pulp|52 oz|0.6', 'Apple juice|64 oz|0.4', 'Cranberry juice cocktail|64 oz|0.55', 'Lemonade|52 oz|0.35'] },
    { path: 'Beverages/Coffee & tea', source: ['COFFEE', 'TEAS', 'COCOA MIXES'], cycle: 21,
      brands: [['Morning Harbor', 'Morning Harbor Roasters'], ['Highland Leaf', 'Highland Leaf Tea Co.']],
      items: ['Medium roast ground coffee|30.5 oz|0.9|2', 'Breakfast blend ground coffee|12 oz|0.55', 'Single serve coffee pods|12 ct|0.75',
        'Black tea bags|100 ct|0.5|2'] },
    { path: 'Beverages/Water', source: ['WATER - CARBONATED/FLVRD DRINK'], cycle: 10,
      brands: [['Clearbrook', 'Clearbrook Waters'], ['Ridgeline', 'Ridgeline Bottling']],
      items: ['Purified drinking water|24 pk 16.9 oz|0.8', 'Lime sparkling water|8 pk 12 oz|0.6', 'Sparkling water variety|12 pk 12 oz|0.9'] },
    // Pantry
    { path: 'Pantry/Cereal', source: ['COLD CEREAL', 'HOT CEREAL'], cycle: 14,
      brands: [['Sunrise Mills', 'Sunrise Mills Cereal Co.'], ['Goldengrain', 'Goldengrain Foods']],
      items: ['Toasted oat cereal|12 oz|0.5', 'Frosted corn flakes|13.5 oz|0.5', 'Honey nut toasted oats|15.4 oz|0.7',
        'Raisin bran|18.7 oz|0.6', 'Old fashioned oats|42 oz|0.8|2'] },
    { path: 'Pantry/Soup', source: ['SOUP'], cycle: 14,
      brands: [['Kettle Bowl', greatLakes], ['Homestead', harvestTable]],
      items: ['Chicken noodle soup|10.75 oz|0.3||2', 'Tomato soup|10.75 oz|0.25||2', 'Cream of mushroom soup|10.5 oz|0.3',
        'Chicken broth|32 oz|0.7'] },
    { path: 'Pantry/Canned vegetables', source: ['VEGETABLES - SHELF STABLE', 'BEANS - CANNED GLASS & MW'], cycle: 14,
      brands: [['Valley Harvest', valleyHarvest], ['Garden Row', greatLakes]],
      items: ['Cut green beans|14.5 oz|0.35||2', 'Whole kernel sweet corn|15.25 oz|0.35||2', 'Diced tomatoes|14.5 oz|0.45||2',
        'Black beans|15 oz|0.4', 'Sweet peas|15 oz|0.35'] },
    { path: 'Pantry/Pasta & rice', source: ['DRY NOODLES/PASTA', 'DRY BN/VEG/POTATO/RICE'], cycle: 14,
      brands: [['Bella Nonna', 'Bella Nonna Pasta Co.'], ['Riverbend', riverbend]],
      items: ['Spaghetti|16 oz|0.4', 'Long grain white rice|2 lb|0.75|2', 'Elbow macaroni|16 oz|0.4', 'Penne rigate|16 oz|0.45'] },
    { path: 'Pantry/Pasta sauce & dinners', source: ['PASTA SAUCE', 'DINNER MXS:DRY'], cycle: 14,
      brands: [['Bella Nonna', 'Bella Nonna Pasta Co.'], ['Cozy Kitchen', greatLakes]],
      items: ['Traditional pasta sauce|24 oz|0.6', 'Macaroni & cheese dinner|7.25 oz|0.2||3', 'Marinara sauce|24 oz|0.65',
        'Cheeseburger skillet dinner|6.4 oz|0.5'] },
    { path: 'Pantry/Condiments & dressings', source: ['CONDIMENTS/SAUCES', 'SALD DRSNG/SNDWCH SPRD', 'PICKLE/RELISH/PKLD VEG'], cycle: 30,
      brands: [['Red Barn', 'Red Barn Condiment Co.'], ['Prairie Table', harvestTable]],
      items: ['Tomato ketchup|32 oz|0.5', 'Real mayonnaise|30 oz|0.9', 'Ranch dressing|16 oz|0.7', 'Yellow mustard|14 oz|0.25',
        'Kosher dill pickles|24 oz|0.6'] },
    { path: 'Pantry/Peanut butter & jelly', source: ['PNT BTR/JELLY/JAMS'], cycle: 21,
      brands: [['Nutty Acres', 'Nutty Acres Inc.'], ['Berry Lane', 'Berry Lane Preserves']],
      items: ['Creamy peanut butter|16 oz|0.45', 'Grape jelly|30 oz|0.55', 'Crunchy peanut butter|16 oz|0.45', 'Strawberry preserves|18 oz|0.7'] },
    { path: 'Pantry/Baking', source: ['BAKING MIXES', 'BAKING NEEDS', 'FLOUR & MEALS', 'SUGARS/SWEETNERS', 'SHORTENING/OIL'], cycle: 30,
      brands: [["Miller's Pride", riverbend], ['Sweet Meadow', 'Sweet Meadow Sugar Co.']],
      items: ['All purpose flour|5 lb|0.55|2', 'Granulated sugar|4 lb|0.7|1.5', 'Vegetable oil|48 oz|0.75', 'Yellow cake mix|15.25 oz|0.25',
        'Semi-sweet chocolate chips|12 oz|0.65'] },
    // Snacks
    { path: 'Snacks/Chips', source: ['BAG SNACKS', 'WAREHOUSE SNACKS', 'POPCORN'], cycle: 10,
      brands: [['Crunch Valley', 'Crunch Valley Snacks'], ['Golden Kettle', 'Golden Kettle Foods']],
      items: ['Classic potato chips|8 oz|0.6', 'Restaurant style tortilla chips|11 oz|0.6', 'Cheese puffs|8 oz|0.45',
        'Butter microwave popcorn|3 ct|0.5', 'Mini pretzel twists|16 oz|0.55'] },
    { path: 'Snacks/Crackers & cookies', source: ['CRACKERS/MISC BKD FD', 'COOKIES/CONES'], cycle: 14,
      brands: [['Crispworth', 'Crispworth Baking Co.'], ["Grandma Hattie's", "Hattie's Cookie Co."]],
      items: ['Saltine crackers|16 oz|0.35', 'Chocolate sandwich cookies|14.3 oz|0.65', 'Buttery round crackers|13.7 oz|0.6',
        'Chocolate chip cookies|13 oz|0.6', 'Cheddar cheese crackers|12.4 oz|0.55'] },
    // Frozen
    { path: 'Frozen/Pizza', source: ['FROZEN PIZZA'], cycle: 14,
      brands: [['Tavern Crust', 'Tavern Crust Pizza Co.'], ['Brick Oven Bros', greatLakes]],
      items: ['Pepperoni pizza 12 in|19 oz|0.6', 'Supreme pizza 12 in|21 oz|0.65', 'Four cheese rising crust pizza|28 oz|0.9',
        'Pepperoni pizza rolls|40 ct|0.55'] },
    { path: 'Frozen/Vegetables & potatoes', source: ['FRZN VEGETABLE/VEG DSH', 'FRZN POTATOES'], cycle: 14,
      brands: [['Frost Valley', valleyHarvest], ['Garden Row', greatLakes]],
      items: ['Mixed vegetables|16 oz|0.35', 'Crinkle cut french fries|32 oz|0.75', 'Broccoli florets|12 oz|0.45',
        'Shredded hash browns|30 oz|0.7', 'Steam in bag sweet corn|12 oz|0.5'] },
    { path: 'Frozen/Meals', source: ['FRZN MEAT/MEAT DINNERS', 'FRZN BREAKFAST FOODS', 'FROZEN PIE/DESSERTS'], cycle: 10,
      brands: [['Supper Club', harvestTable], ['Quick Plate', greatLakes]],
      items: ['Breaded chicken nuggets|29 oz|0.9|1.5', 'Salisbury steak dinner|11 oz|0.3||2', 'Homestyle waffles|10 ct|0.5',
        'Family size lasagna|38 oz|0.95|2'] },
    { path: 'Frozen/Ice cream', source: ['ICE CREAM/MILK/SHERBTS', 'FRZN NOVELTIES/WTR ICE'], cycle: 14,
      brands: [['Udder Delight', dairyCoop], ['Polar Scoop', 'Polar Scoop Creamery']],
      items: ['Vanilla ice cream|48 oz|0.55', 'Chocolate ice cream|48 oz|0.55', 'Ice cream sandwiches|12 ct|0.6'] },
    // Health & personal care
    { path: 'Health/Pain relief', source: ['ANALGESICS'], cycle: 45,
      // Brands follow the active ingredient, so each store-brand item has national twins.
      brands: [['Relivia', northfield], ['Calmadol', harbor], ['Naprel', northfield], ['Cardisal', harbor]],
      items: ['Ibuprofen 200mg tablets|100 ct|0.55|||0', 'Acetaminophen 500mg caplets|100 ct|0.6|||1',
        'Naproxen sodium 220mg tablets|50 ct|0.5|||2', 'Ibuprofen 200mg liquid gels|80 ct|0.85|||0',
        'Low dose aspirin 81mg|120 ct|0.25|2||3', "Children's acetaminophen suspension|4 fl oz|0.5|||1",
        'Extra strength acetaminophen rapid release gels|24 ct|0.3|0.5||1'] },
    { path: 'Health/Cold & allergy', source: ['COLD AND FLU'], cycle: 60,
      brands: [['Vapora', harbor], ['ClearDay', northfield]],
      items: ['Daytime cold & flu liquid caps|16 ct|0.6', 'Loratadine 10mg allergy tablets|30 ct|0.85',
        'Nighttime cold & flu liquid|12 fl oz|0.7', 'Honey lemon cough drops|30 ct|0.2'] },
    { path: 'Health/Oral care', source: ['ORAL HYGIENE PRODUCTS'], cycle: 30,
      brands: [['Pearlcrest', 'Pearlcrest Oral Care'], ['Mintwell', harbor]],
      items: ['Whitening fluoride toothpaste|4.8 oz|0.5', 'Cool mint mouthwash|1 L|0.75|1.5', 'Soft toothbrushes|2 ct|0.55|2'] },
    { path: 'Personal care/Soap & hair care', source: ['SOAP - LIQUID & BAR', 'HAIR CARE PRODUCTS'], cycle: 30,
      brands: [['Softwater', 'Softwater Personal Care'], ['Lustra', 'Lustra Labs']],
      items: ['Moisturizing body wash|22 fl oz|0.6', 'Daily moisture shampoo|12.6 fl oz|0.55', 'Deodorant bar soap|8 ct|0.7',
        'Daily moisture conditioner|12 fl oz|0.55', 'Antibacterial hand soap|7.5 fl oz|0.25'] },
    // Baby
    { path: 'Baby/Diapers', source: ['DIAPERS & DISPOSABLES'], cycle: 10,
      brands: [['Cuddlebug', wellbrook], ['Dreamdry', sprout]],
      items: ['Diapers size 3|31 ct|0.45', 'Diapers size 4|27 ct|0.45', 'Diapers size 1|40 ct|0.45', 'Diapers size 5 big pack|100 ct|0.95|3|1',
        'Training pants 2T-3T|25 ct|0.6'] },
    { path: 'Baby/Baby food & formula', source: ['BABY FOODS', 'INFANT FORMULA', 'BABYFOOD'], cycle: 7,
      brands: [['Little Sprout', sprout], ['Tiny Harvest', 'Tiny Harvest Organics']],
      items: ['Stage 2 apple banana puree|2x4 oz|0.25||4', 'Infant formula powder|12.4 oz|0.93|1.5|1.3', 'Stage 2 sweet potato puree|2x4 oz|0.25||4',
        'Baby oatmeal cereal|8 oz|0.75|3|1', 'Sensitive infant formula powder|22 oz|0.98|2.5|1', 'Strawberry apple puffs|1.48 oz|0.6'] },
    { path: 'Baby/Wipes & care', source: ['BABY HBC', 'INFANT CARE PRODUCTS'], cycle: 21,
      brands: [['Cuddlebug', wellbrook], ['Little Sprout', sprout]],
      items: ['Unscented baby wipes|3x72 ct|0.6', 'Diaper rash cream|4 oz|0.5|2', 'Gentle baby wash|15 fl oz|0.55|2'] },
    // Pet
    { path: 'Pet/Cat food', source: ['CAT FOOD'], cycle: 14,
      brands: [['Whisker Feast', pawsCo], ['Kitty Banquet', northstarPet]],
      // Cycle factors are relative to the category's typical purchase, a few cans (about a week).
      items: ['Indoor formula dry cat food|3.15 lb|0.83|3|1', 'Salmon pate wet cat food|5.5 oz can|0.3|1|6',
        'Chicken recipe dry cat food|16 lb|0.98|10|1', 'Seafood variety wet cat food|12x3 oz|0.9|1.5|1', 'Crunchy cat treats|3 oz|0.7|3|1'] },
    { path: 'Pet/Dog food', source: ['DOG FOODS'], cycle: 14,
      brands: [['Trailhound', northstarPet], ["Barkley's", pawsCo]],
      items: ['Adult complete dry dog food|15 lb|0.93|2.5|1', 'Beef stew wet dog food|13.2 oz can|0.3|0.6|4',
        'Small breed dry dog food|4 lb|0.75|2|1', 'Peanut butter dog biscuits|24 oz|0.65|2|1', 'Rawhide chew sticks|10 ct|0.6|2|1'] },
    { path: 'Pet/Litter & supplies', source: ['CAT LITTER', 'PET CARE SUPPLIES'], cycle: 21,
      brands: [['Fresh Paws', northstarPet], ['ClumpRight', pawsCo]],
      items: ['Clumping cat litter|20 lb|0.8', 'Scented clumping cat litter|14 lb|0.65', 'Flea & tick collar for dogs|1 ct|0.95|4|1'] },
    // Household
    { path: 'Household/Paper towels & napkins', source: ['PAPER TOWELS', 'FACIAL TISS/DNR NAPKIN', 'PAPER HOUSEWARES'], cycle: 21,
      brands: [['Absorba', pinePaper], ['Softleaf', 'Great Bear Paper']],
      items: ['Paper towels|6 big rolls|0.85', 'Facial tissue|3 boxes|0.6', 'Paper plates 9 in|100 ct|0.7|2', 'Dinner napkins|250 ct|0.45|2'] },
    { path: 'Household/Bath tissue', source: ['BATH TISSUES'], cycle: 21,
      brands: [['Cloudsoft', pinePaper], ['Softleaf', 'Great Bear Paper']],
      items: ['Bath tissue|12 double rolls|0.7', 'Bath tissue|24 double rolls|0.95|2', 'Bath tissue|4 rolls|0.45|0.4'] },
    { path: 'Household/Laundry', source: ['LAUNDRY DETERGENTS', 'LAUNDRY ADDITIVES', 'BLEACH'], cycle: 30,
      brands: [['Brightwash', 'Brightwash Home Care'], ['FreshFold', clearwater]],
      items: ['Liquid laundry detergent|100 fl oz|0.8', 'Laundry detergent pacs|42 ct|0.9', 'Fabric softener sheets|120 ct|0.5|2',
        'Regular bleach|121 fl oz|0.4|2'] },
    { path: 'Household/Cleaning & dish', source: ['HOUSEHOLD CLEANG NEEDS', 'DISHWASH DETERGENTS', 'AIR CARE'], cycle: 30,
      brands: [['Sparkline', clearwater], ['Brightwash', 'Brightwash Home Care']],
      items: ['Dish soap|19.4 fl oz|0.5', 'Disinfecting wipes|75 ct|0.7', 'Dishwasher detergent pacs|45 ct|0.9',
        'All purpose cleaner spray|32 fl oz|0.5'] },
    { path: 'Household/Bags & wraps', source: ['FD WRAPS/BAGS/TRSH BG'], cycle: 30,
      brands: [['Toughpak', 'Toughpak Plastics'], ['Sealwell', 'Sealwell Home']],
      items: ['Tall kitchen trash bags 13 gal|45 ct|0.8', 'Gallon zipper storage bags|30 ct|0.5', 'Aluminum foil|75 sq ft|0.5'] },
  ]
}

