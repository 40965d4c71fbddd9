// Report latency at 10,000 and 100,000 customers (issue 8). Run:
//   npm run bench:reports -- [--customers 10000,100000] [--requests 30]
// For each size: a fresh database in an embedded PostgreSQL (or DATABASE_URL's server), the
// demo generator's population with a year of history COPYed in (src/demo/bulk-load.ts), every
// profile refreshed (refreshAllProfiles, as a list run does), offers, a run's lists with a 5% holdout and decisions, and redemptions on a fifth of the last
// four weeks' sales. Then the rollup (timed), each report and each console page's API calls
// through app.inject, next to a primary-key read measured the same way in the same run:
// GET /v1/products/{gtin}. The ratio is what to compare across machines. Figures: docs/reports.md.
import { rmSync } from 'node:fs'
import { parseArgs } from 'node:util'
import pg from 'pg'
import pino from 'pino'
import { buildApp } from '../src/app.ts'
import { loadConfig } from '../src/config.ts'
import { connectDatabase } from '../src/db/database.ts'
import { readMigrations } from '../src/db/migrate.ts'
import { prepareDatabase } from '../src/db/prepare.ts'
import { bulkLoadDemo } from '../src/demo/bulk-load.ts'
import { CARD_PREFIX, withCheckDigit } from '../src/lib/codes.ts'
import { generateDemo } from '../src/demo/generate.ts'
import { REASONS } from '../src/modules/lists/list-allocation.ts'
import { runRollup } from '../src/modules/reports/rollup.service.ts'
import { refreshAllProfiles } from '../src/modules/segments/segment.service.ts'
import { freePort, say, startBenchPostgres } from './support.ts'

const { values: opt } = parseArgs({
  options: {
    customers: { type: 'string', default: '10000,100000' },
    requests: { type: 'string', default: '30' },
    // 'refresh' (refreshAllProfiles, as a list run does) or 'sql' (a set-based approximation of
    // it, for a shared machine where the real refresh of 100,000 customers takes too long).
    profiles: { type: 'string', default: 'refresh' },
  },
})
const SIZES = opt.customers.split(',').map(Number)
const REQUESTS = Number(opt.requests)
const ADMIN_KEY = 'bench-admin-key-0123456789abcdef'
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10)

async function loadPopulation(pool: pg.Pool, customers: number, today: string): Promise<{ gtin: string }> {
  const demo = generateDemo({ customers, endDate: today })
  const loaded = await bulkLoadDemo(pool, demo)
  // Everyone enrolled before the year of history, so none counts as a new customer.
  await pool.query(`update customer set created_at = $1::date - 400`, [today])
  say(`history: ${loaded.sales} sales, ${loaded.lines} lines`)
  return { gtin: demo.products[0]!.gtin.padStart(14, '0') }
}

/**
 * Offers, a run's lists with decisions (5% held out), and redemptions, written set-based: the
 * shapes the list generator and the lane write, at the population's scale.
 */
async function loadProgram(pool: pg.Pool, today: string): Promise<void> {
  const cycle = addDays(today, -30)
  // One offer per popular category, every other one funded by the category's top manufacturer;
  // odd ones targeted (held out), even ones for everyone.
  await pool.query(`
    insert into offer (name, scope, reward, targeting, valid_from, valid_until, funded_by_manufacturer)
    select c.category || ' deal', jsonb_build_object('category', c.category), '{"type":"amount_off","amountCents":50}',
           case when c.rn % 2 = 1 then jsonb_build_object('valueTiers', jsonb_build_array('A','B','C','D')) else '{"everyone":true}' end,
           $1::date, $2::date, case when c.rn % 2 = 0 then c.maker end
      from (select category, max(manufacturer) as maker, row_number() over (order by count(*) desc) as rn
              from product group by category order by count(*) desc limit 40) c`, [addDays(today, -60), addDays(today, 30)])
  // Every customer a card and a list with scannable codes, so the service desk's lookups run
  // against full-size unique indexes. Derived from the id, as the demo's are random.
  const ids = (await pool.query<{ id: string | number }>('select id from customer order by id')).rows.map((r) => String(r.id))
  const card = (id: string) => withCheckDigit(CARD_PREFIX + id.padStart(10, '0'))
  const barcode = (id: string) => `LL${withCheckDigit(id.padStart(12, '0'))}`
  await pool.query(`insert into card (number, customer_id) select * from unnest($1::text[], $2::bigint[])`, [ids.map(card), ids])
  await pool.query(`
    insert into list (customer_id, barcode, cycle_start, valid_from, valid_until, status, trigger, holdout)
    select id, code, $1::date, $1::date, $1::date + 13, 'current', 'run', (hashint4(id::int) % 20 = 0)
      from unnest($2::bigint[], $3::text[]) as c (id, code)`, [cycle, ids, ids.map(barcode)])
  // Six offers in play per customer; held-out lists withhold the targeted ones.
  await pool.query(`
    with picks as (
      select l.id as list_id, l.customer_id, l.holdout, o.id as offer_id, o.targeting
        from list l
        cross join lateral (select id, targeting from offer order by hashint4((id * 7919 + l.customer_id)::int) limit 6) o
    )
    insert into list_offer_decision (list_id, offer_id, customer_id, given, reason)
    select list_id, offer_id, customer_id, not (holdout and targeting ? 'valueTiers'),
           case when holdout and targeting ? 'valueTiers' then $1 else 'It saves you about $0.50.' end
      from picks`, [REASONS.holdout])
  await pool.query(`
    insert into list_item (list_id, rank, customer_id, reason, offer_id, offer_value_cents)
    select list_id, row_number() over (partition by list_id order by offer_id), customer_id, 'bench', offer_id, 50
      from list_offer_decision where given`)
  // A fifth of the last four weeks' sales redeemed an offer on one of their lines.
  await pool.query(`
    with s as (
      select s.id, s.customer_id, s.store_id,
             (select o.id from offer o order by hashint4((o.id + s.id)::int) limit 1) as offer_id
        from sale s where s.day > $1::date - 28 and hashint4(s.id::int) % 5 = 0
    ), r as (
      insert into redemption (store_id, pos_transaction_id, request_hash, customer_id, sale_id, response)
      select store_id, 'B' || id, 'bench', customer_id, id, '{}' from s
      returning id, sale_id
    )
    insert into redemption_discount (redemption_id, offer_id, gtin, quantity, amount_cents, unit_cents)
    select r.id, s.offer_id, sl.gtin, 1, 50, '{50}'
      from r join s on s.id = r.sale_id join sale_line sl on sl.sale_id = r.sale_id and sl.line_no = 1`, [today])
  await pool.query(`update redemption set created_at = now() - interval '1 hour'`)
  await pool.query('vacuum analyze')
}

/**
 * The profiles and segment cells refreshAllProfiles would write, approximated in three
 * set-based statements: the same windows (182 days for cells, 364 for value), brand-group
 * thresholds and fixed usage cut-offs, value = 25% of spend, tiers by rank (10/20/30/40%),
 * lifecycle from days since the last trip against the mean gap. Only for timing the reports,
 * which read these tables and never the sales.
 */
async function approximateProfiles(pool: pg.Pool, today: string): Promise<void> {
  await pool.query(`
    insert into customer_profile (customer_id, as_of, weekly_spend_cents, eligible, spend_cents, margin_cents, rewards_cents,
      value_cents, negative_value, lifecycle, first_purchase_day, last_purchase_day, median_gap_days, trips)
    select customer_id, $1::date, recent / 8, recent >= 20000, spend, spend / 4, 0, spend / 4, false,
           case when $1::date - last > 56 then 'lapsed' when $1::date - last > greatest(2 * gap, 14) then 'declining'
                when first > $1::date - 56 then 'new' else 'stable' end,
           first, last, gap, trips
      from (select customer_id, sum(total_before_cents) as spend, min(day) as first, max(day) as last,
                   count(distinct day)::int as trips, greatest(1, (max(day) - min(day))::real / greatest(1, count(distinct day) - 1)) as gap,
                   coalesce(sum(total_before_cents) filter (where day > $1::date - 56), 0) as recent
              from sale where day > $1::date - 364 and day <= $1::date group by customer_id) x`, [today])
  // The cells as the profile row's arrays (migration 0029), in code-point order of category.
  await pool.query(`
    update customer_profile p
       set segment_categories = c.categories, segment_brand_groups = c.brand_groups, segment_usages = c.usages,
           segment_units = c.units, segment_national_units = c.nats, segment_spend_cents = c.spends
      from (select customer_id, array_agg(category order by category collate "C") as categories,
                   array_agg(brand_group order by category collate "C") as brand_groups, array_agg(usage order by category collate "C") as usages,
                   array_agg(units order by category collate "C") as units, array_agg(nat order by category collate "C") as nats,
                   array_agg(spend order by category collate "C") as spends
              from (select customer_id, category,
                           case when nat * 5 >= units * 4 then 'national' when nat * 5 <= units then 'store' else 'switcher' end as brand_group,
                           case when units <= 2 then 'low' when units <= 6 then 'medium' else 'high' end as usage, units, nat, spend
                      from (select sl.customer_id, p.category, sum(sl.quantity)::int as units,
                                   coalesce(sum(sl.quantity) filter (where p.brand_type = 'national'), 0)::int as nat,
                                   sum(sl.quantity::bigint * sl.unit_price_cents)::bigint as spend
                              from sale s join sale_line sl on sl.sale_id = s.id join product p on p.id = sl.product_id
                             where s.day > $1::date - 182 group by 1, 2) c0
                     where units > 0) c1
             group by customer_id) c
     where c.customer_id = p.customer_id`, [today])
  await pool.query(`
    update customer_profile p set value_tier = t.tier
      from (select customer_id, case when r <= 0.1 then 'A' when r <= 0.3 then 'B' when r <= 0.6 then 'C' else 'D' end as tier
              from (select customer_id, cume_dist() over (order by value_cents desc) as r from customer_profile) q) t
     where t.customer_id = p.customer_id`)
  await pool.query(`
    insert into value_tier_cutoff (id, as_of, customers, a_min_cents, b_min_cents, c_min_cents)
    select true, $1::date, count(*), min(value_cents) filter (where value_tier = 'A'), min(value_cents) filter (where value_tier = 'B'),
           min(value_cents) filter (where value_tier = 'C') from customer_profile`, [today])
}

interface Timing {
  median: number
  p95: number
}

async function time(n: number, fn: () => Promise<void>): Promise<Timing> {
  for (let i = 0; i < 3; i++) await fn()
  const ms: number[] = []
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    await fn()
    ms.push(performance.now() - t0)
  }
  ms.sort((a, b) => a - b)
  return { median: ms[Math.floor(ms.length / 2)]!, p95: ms[Math.min(ms.length - 1, Math.ceil(ms.length * 0.95) - 1)]! }
}

async function benchSize(adminUrl: string, customers: number): Promise<void> {
  const today = new Date().toISOString().slice(0, 10)
  const name = `bench_reports_${customers}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${name} with (force)`)
  await admin.query(`create database ${name}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  const database = connectDatabase(url.toString(), { max: 4 })
  try {
    await prepareDatabase(database.pool)
    say(`${customers} customers: loading`)
    const { gtin } = await loadPopulation(database.pool, customers, today)
    // As a list run does before its refresh (list-run.service.ts): a freshly loaded history
    // without statistics gets plans that scan it once per chunk.
    await database.pool.query('analyze customer, product, sale, sale_line')
    let t0 = performance.now()
    if (opt.profiles === 'sql') await approximateProfiles(database.pool, today)
    else await refreshAllProfiles(database.db, today)
    say(`profiles (${opt.profiles}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    await loadProgram(database.pool, today)
    t0 = performance.now()
    const first = await runRollup(database.db, { today, forceSnapshot: true })
    const firstMs = performance.now() - t0
    t0 = performance.now()
    const again = await runRollup(database.db, { today })
    const againMs = performance.now() - t0
    say(`rollup: first ${firstMs.toFixed(0)} ms (${JSON.stringify(first)}), idle pass ${againMs.toFixed(0)} ms`)

    const config = loadConfig({ LANELIST_ADMIN_KEY: ADMIN_KEY, LANELIST_LOG_LEVEL: 'warn', LANELIST_RATE_LIMIT_BACKOFFICE: '0' })
    const app = await buildApp({ config, database, migrationVersions: (await readMigrations()).map((m) => m.version) })
    await app.ready()
    const get = (url: string, accept = 'application/json') => async () => {
      const res = await app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN_KEY}`, accept } })
      if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body.slice(0, 300)}`)
    }
    const from = addDays(today, -59)
    const rows: [string, Timing][] = []
    const reference = await time(REQUESTS, get(`/v1/products/${gtin}`))
    rows.push(['reference: GET /v1/products/{gtin} (primary key)', reference])
    for (const [label, url, accept] of [
      ['segments', '/v1/reports/segments', undefined],
      ['segments (one category)', '/v1/reports/segments?category=Dairy', undefined],
      ['value', '/v1/reports/value', undefined],
      ['offers (60 days)', `/v1/reports/offers?from=${from}&to=${today}`, undefined],
      ['manufacturers (60 days)', `/v1/reports/manufacturers?from=${from}&to=${today}`, undefined],
      ['manufacturers CSV', `/v1/reports/manufacturers?from=${from}&to=${today}`, 'text/csv'],
    ] as const) {
      rows.push([label, await time(REQUESTS, get(url, accept))])
    }
    // The service desk's and the other console pages' calls, as the browser makes them
    // (src/console/js/pages): a page's time is all of its calls, awaited as the page does.
    const sample = (await database.pool.query<{ id: string; card: string; barcode: string; list_id: string }>(`
      select c.id, k.number as card, l.barcode, l.id as list_id
        from customer c join card k on k.customer_id = c.id join list l on l.customer_id = c.id and l.status = 'current'
       order by hashint4(c.id::int) limit $1`, [REQUESTS + 3])).rows
    let next = 0
    const someone = () => sample[next++ % sample.length]!
    const pages: [string, () => Promise<void>][] = [
      ['console: desk, find by card', async () => get(`/v1/customers/lookup?card=${someone().card}`)()],
      ['console: desk, find by list barcode', async () => get(`/v1/lists/lookup?barcode=${someone().barcode}`)()],
      ['console: customer page (customer, then profile, sales, list)', async () => {
        const c = someone()
        await get(`/v1/customers/${c.id}`)()
        await Promise.all([get(`/v1/customers/${c.id}/profile`)(), get(`/v1/customers/${c.id}/sales?limit=10`)(), get(`/v1/customers/${c.id}/lists/current`)()])
      }],
      ['console: print a list', async () => get(`/v1/lists/${someone().list_id}/print`, 'text/html')()],
      ['console: offers page', get('/v1/offers?limit=200')],
      ['console: list runs page', get('/v1/list-generations?limit=20')],
      ['console: ops page (readiness, status)', async () => {
        await Promise.all([get('/health/ready')(), get('/v1/ops/status')()])
      }],
    ]
    for (const [label, fn] of pages) rows.push([label, await time(REQUESTS, fn)])
    const raw = await time(REQUESTS, async () => {
      await database.pool.query('select * from customer where id = $1', [1 + Math.floor(Math.random() * customers)])
    })
    await app.close()
    console.log(`\n${customers} customers (${REQUESTS} requests each, in-process app.inject; SQL primary-key read ${raw.median.toFixed(2)} ms)`)
    console.log('report'.padEnd(62), 'median ms'.padStart(10), 'p95 ms'.padStart(10), 'x reference'.padStart(12))
    for (const [label, t] of rows) {
      console.log(label.padEnd(62), t.median.toFixed(2).padStart(10), t.p95.toFixed(2).padStart(10), (t.median / reference.median).toFixed(1).padStart(12))
    }
    console.log(`rollup: first pass ${(firstMs / 1000).toFixed(1)} s (lift of one finished cycle, snapshot, value), idle pass ${againMs.toFixed(0)} ms`)
  } finally {
    await database.close()
  }
}

async function main(): Promise<void> {
  const log = pino({ level: 'warn' })
  let url = process.env.DATABASE_URL
  let stop = async () => {}
  if (!url) {
    const dataDir = '.lanelist-bench-reports'
    rmSync(dataDir, { recursive: true, force: true })
    const embedded = await startBenchPostgres({ dataDir, port: await freePort(), log })
    url = embedded.url
    stop = async () => {
      await embedded.stop()
      rmSync(dataDir, { recursive: true, force: true })
    }
  }
  try {
    for (const n of SIZES) await benchSize(url, n)
  } finally {
    await stop()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
