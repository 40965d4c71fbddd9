// The program's settings come from the environment (README.md "Configuration"): a bad value
// stops the start with the variable named, and non-default values change what a run writes.
import t from 'tap'
import { ConfigError, loadConfig } from '../../src/config.ts'
import { listGenerationConfig } from '../../src/modules/lists/list-generation.config.ts'
import { isHeldOut } from '../../src/modules/lists/list-generation.service.ts'
import { regenerateCustomerList } from '../../src/modules/lists/list-run.service.ts'
import { runListJobsOnce } from '../../src/modules/lists/list-tasks.ts'
import { currentModel } from '../../src/modules/prediction/prediction.service.ts'
import { defaultConfig } from '../../src/modules/prediction/prediction.types.ts'
import { segmentConfig } from '../../src/modules/segments/segment.config.ts'
import { accrueVoucher } from '../../src/modules/vouchers/voucher.service.ts'
import { voucherConfig } from '../../src/modules/vouchers/voucher-rules.ts'
import { buildTestApp } from '../helpers/app.ts'
import { AS_OF, population } from './list-generation-fixtures.ts'

t.test('bad program settings are refused at start, naming the variable', async (t) => {
  const bad = (env: Record<string, string>, name: RegExp) => {
    t.throws(() => loadConfig(env), ConfigError)
    try {
      loadConfig(env)
    } catch (err) {
      t.match((err as Error).message, name)
    }
  }
  bad({ LANELIST_HOLDOUT_SHARE: '1' }, /LANELIST_HOLDOUT_SHARE/)
  bad({ LANELIST_HOLDOUT_SHARE: 'five percent' }, /LANELIST_HOLDOUT_SHARE/)
  bad({ LANELIST_OFFER_CAP_B_CENTS: '-1' }, /LANELIST_OFFER_CAP_B_CENTS/)
  bad({ LANELIST_OFFER_CAP_C_CENTS: '12.5' }, /LANELIST_OFFER_CAP_C_CENTS/)
  bad({ LANELIST_VOUCHER_PERIOD_MONTHS: '5' }, /LANELIST_VOUCHER_PERIOD_MONTHS: must be 1, 2, 3, 4, 6 or 12/)
  bad({ LANELIST_VOUCHER_RATE_BP: '10001' }, /LANELIST_VOUCHER_RATE_BP/)
  bad({ LANELIST_LIST_VALID_DAYS: '0' }, /LANELIST_LIST_VALID_DAYS/)
  bad({ LANELIST_ELIGIBILITY_WEEKS: '0' }, /LANELIST_ELIGIBILITY_WEEKS/)
  bad({ LANELIST_SEGMENT_STORE_LOYAL_MAX_SHARE: '0.9' }, /LANELIST_SEGMENT_STORE_LOYAL_MAX_SHARE: must be below LANELIST_SEGMENT_NATIONAL_LOYAL_MIN_SHARE/)
  bad({ LANELIST_SEGMENT_USAGE_LOW_QUANTILE: '0.7' }, /LANELIST_SEGMENT_USAGE_LOW_QUANTILE: must be below/)
  bad({ LANELIST_SEGMENT_USAGE_LOW_MAX_UNITS: '9' }, /LANELIST_SEGMENT_USAGE_LOW_MAX_UNITS: must be below/)
  // Every bad key at once, not the first only.
  try {
    loadConfig({ LANELIST_HOLDOUT_SHARE: '2', LANELIST_OFFER_CAP_A_CENTS: 'x' })
    t.fail('two bad values were accepted')
  } catch (err) {
    t.match((err as ConfigError).issues, [/LANELIST_OFFER_CAP_A_CENTS/, /LANELIST_HOLDOUT_SHARE/])
  }
})

t.test('non-default settings change segments, eligibility, caps, holdout, validity and vouchers', async (t) => {
  const { call, createKey, database } = await buildTestApp(t, {
    // Fixed usage cut-offs nobody in the fixture reaches: every cell is 'low'.
    LANELIST_SEGMENT_USAGE_MIN_BUYERS: '1000',
    LANELIST_SEGMENT_USAGE_LOW_MAX_UNITS: '500',
    LANELIST_SEGMENT_USAGE_MEDIUM_MAX_UNITS: '900',
    // $0.01 a week over 2 weeks: the small spender (milk every other week) becomes eligible.
    LANELIST_ELIGIBILITY_WEEKLY_SPEND_CENTS: '1',
    LANELIST_ELIGIBILITY_WEEKS: '2',
    LANELIST_OFFER_CAP_A_CENTS: '0',
    LANELIST_OFFER_CAP_B_CENTS: '0',
    LANELIST_OFFER_CAP_C_CENTS: '0',
    LANELIST_OFFER_CAP_D_CENTS: '0',
    LANELIST_HOLDOUT_SHARE: '0.9',
    LANELIST_LIST_VALID_DAYS: '7',
    LANELIST_VOUCHER_RATE_BP: '250',
    LANELIST_VOUCHER_PERIOD_MONTHS: '1',
  })
  const { db, pool } = database
  const key = await createKey('backoffice')
  const pop = await population(db)

  const start = await call(key, { method: 'POST', url: '/v1/list-generations', payload: { asOf: AS_OF } })
  t.equal(start.statusCode, 202)
  await runListJobsOnce(pool, db)
  const runId = Number(start.json().id)
  const status = (await call(key, { method: 'GET', url: `/v1/list-generations/${runId}` })).json()
  // With the defaults: 7 lists and the small spender below the threshold (list-generation.test.ts).
  t.match(status, { status: 'succeeded', listsCreated: 8, skipped: { notEligible: 0 } })

  const lists = await db.selectFrom('list').selectAll().where('generation_id', '=', runId).execute()
  t.ok(lists.some((l) => l.customer_id === pop.small), 'the small spender got a list')
  t.ok(lists.every((l) => l.valid_until === '2026-11-29'), 'valid 7 days, the as-of day included')
  t.equal((await currentModel(db, 'calendar'))?.config.windowDays, 7, 'the predictions were fitted for the 7 days a list is valid')
  // The run's draw is deterministic (run id, customer id): exactly the 90% draw, not the 5% one.
  const draw = (share: number) => lists.filter((l) => isHeldOut(`run:${runId}`, l.customer_id, share)).map((l) => l.id).sort()
  const held = lists.filter((l) => l.holdout).map((l) => l.id).sort()
  t.same(held, draw(0.9), `${held.length} of 8 held out at a 90% share`)
  t.not(held.length, draw(0.05).length)

  const cells = await db.selectFrom('customer_segment').select(['usage']).where('customer_id', 'in', pop.regular).execute()
  t.ok(cells.length > 0 && cells.every((c) => c.usage === 'low'), 'the usage cut-offs came from the environment')

  const items = await db.selectFrom('list_item').select(['offer_id']).where('list_id', 'in', lists.map((l) => l.id)).execute()
  t.ok(items.length > 0)
  t.ok(items.every((i) => i.offer_id === null), 'a zero cap leaves every list without offers')
  const served = lists.filter((l) => !l.holdout).map((l) => l.id)
  if (served.length) {
    const decisions = await db.selectFrom('list_offer_decision').selectAll().where('list_id', 'in', served).where('offer_id', '=', pop.offers.dairy).execute()
    t.ok(decisions.length > 0 && decisions.every((d) => !d.given && /most offer value/.test(d.reason)), 'withheld for the cap, in words')
  }

  const sale = await db.selectFrom('sale').select(['id']).where('customer_id', '=', pop.small).orderBy('id').executeTakeFirstOrThrow()
  const accrued = await db.transaction().execute((trx) => accrueVoucher(trx, { customerId: pop.small, saleId: sale.id, spendCents: 10_000 }))
  t.same(accrued, { accrued: true, units: 10_000 * 250 }, 'accrued at 2.5%')
  t.equal(voucherConfig().periodMonths, 1)
  // A monthly period: November's voucher is issued on the first list of December and printed on
  // every list while it is redeemable; a customer with nothing accrued gets none.
  const december = await regenerateCustomerList(db, pop.small, { asOf: '2026-12-01', trigger: 'manual' })
  t.same(december?.vouchers.map((v) => [v.valueCents, v.periodEnd]), [[250, '2026-11-30']])
  const again = await regenerateCustomerList(db, pop.small, { asOf: '2026-12-02', trigger: 'manual' })
  t.same(again?.vouchers.map((v) => v.valueCents), [250], 'still printed, not issued twice')
  t.equal((await db.selectFrom('voucher').select('id').where('customer_id', '=', pop.small).execute()).length, 1)
  const other = await regenerateCustomerList(db, pop.regular[0]!, { asOf: '2026-12-01', trigger: 'manual' })
  t.same(other?.vouchers, [])

  t.test('an app built with the defaults restores them', async (t) => {
    await buildTestApp(t)
    t.equal(listGenerationConfig().holdoutShare, 0.05)
    t.equal(listGenerationConfig().tierCapCents.A, 3500)
    t.equal(segmentConfig().usage.fixed.lowMax, 2)
    t.equal(segmentConfig().eligibility.windowDays, 56)
    t.equal(voucherConfig().rateBasisPoints, 100)
    t.equal(defaultConfig('calendar').windowDays, 14)
  })
})

t.test('every program setting is documented in README.md and docs/lists.md', async (t) => {
  const { readFile } = await import('node:fs/promises')
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8')
  const lists = await readFile(new URL('../../docs/lists.md', import.meta.url), 'utf8')
  const keys = Object.keys(loadConfig({})).filter((k) => /^LANELIST_(SEGMENT|ELIGIBILITY|OFFER_CAP|HOLDOUT|VOUCHER|LIST_VALID)_/.test(k))
  t.ok(keys.length >= 18)
  for (const k of keys) {
    t.ok(readme.includes(`| \`${k}\` |`), `${k} in README.md`)
    t.ok(lists.includes(`\`${k}\``), `${k} in docs/lists.md`)
  }
})
