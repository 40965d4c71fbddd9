import { Logger, runOnce } from 'graphile-worker'
import { sql } from 'kysely'
import t from 'tap'
import { predictionTasks } from '../../src/modules/prediction/prediction-tasks.ts'
import { predictCustomerItems, refreshCustomerStats } from '../../src/modules/prediction/prediction.service.ts'
import { buildTestApp, type TestApp } from '../helpers/app.ts'

// A history import leaves the imported customers with statistics that include it: each batch
// queues their rebuild in its own transaction and the worker runs it, so a list run right
// after an import predicts from the imported history, not from nothing.

/** Two customers buying milk weekly and bread fortnightly for three months. */
function history(): string {
  const rows = ['customer_id,transaction_id,day,product_id,quantity']
  for (let week = 0; week < 13; week++) {
    const day = new Date(Date.UTC(2026, 7, 3 + week * 7)).toISOString().slice(0, 10)
    for (const c of ['C1', 'C2']) {
      rows.push(`${c},${c}-${week},${day},MILK,1`)
      if (week % 2 === 0) rows.push(`${c},${c}-${week},${day},BREAD,1`)
    }
  }
  return rows.join('\n')
}

const post = (ctx: TestApp, key: string, body: string) =>
  ctx.call(key, { method: 'POST', url: '/v1/imports/transactions', headers: { 'content-type': 'text/csv' }, payload: body })

const jobs = async (ctx: TestApp) =>
  (await sql<{ n: number }>`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'rebuild_customer_stats'`.execute(ctx.database.db)).rows[0]!.n

const runJobs = (ctx: TestApp) =>
  runOnce({ pgPool: ctx.database.pool, taskList: predictionTasks(ctx.database.db, { refitEveryHours: 24, reschedule: false }), concurrency: 1, noHandleSignals: true, logger: new Logger(() => () => {}) })

t.test('an import queues its customers\' statistics with each batch; the worker builds them', async (t) => {
  const ctx = await buildTestApp(t)
  const key = await ctx.createKey('backoffice')
  const res = await post(ctx, key, history())
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { imported: 40, salesCreated: 26 })
  t.equal(await jobs(ctx), 1, 'one job for the one batch')
  t.equal((await ctx.database.db.selectFrom('customer_stats').select('customer_id').execute()).length, 0, 'nothing built inside the import')

  await runJobs(ctx)
  t.equal(await jobs(ctx), 0, 'the job ran')
  const stats = await sql<{ external_id: string; through: number; last: number; counted: number; sales: number }>`
    select c.external_id, s.through_sale_id::int as through, (select max(id) from sale where customer_id = c.id)::int as last,
      s.sales_counted::int as counted, (select count(*) from sale where customer_id = c.id)::int as sales
    from customer c join customer_stats s on s.customer_id = c.id order by 1`.execute(ctx.database.db)
  t.same(stats.rows.map((r) => [r.external_id, r.through === r.last, r.counted === r.sales]), [['C1', true, true], ['C2', true, true]], 'each up to its last imported sale')

  const c1 = (await ctx.database.db.selectFrom('customer').select('id').where('external_id', '=', 'C1').executeTakeFirstOrThrow()).id
  t.same(await refreshCustomerStats(ctx.database.db, c1), { mode: 'unchanged', changes: 0 }, 'a later refresh finds nothing to add')
  const items = await predictCustomerItems(ctx.database.db, c1, { asOf: '2026-11-01' })
  t.same(items.map((i) => i.reason).sort(), ['You buy this about every 14 days; last on 26 Oct.', 'You buy this about every 7 days; last on 26 Oct.'], 'both cycles come from the imported history')

  const again = await post(ctx, key, history())
  t.match(again.json(), { imported: 0, duplicates: 40 })
  t.equal(await jobs(ctx), 0, 'a re-import that adds nothing queues nothing')
})

t.test('a failed batch queues no job', async (t) => {
  const ctx = await buildTestApp(t)
  const key = await ctx.createKey('backoffice')
  // An unknown store fails the rows, not the batch; a bad quantity is reported by line.
  const res = await post(ctx, key, 'customer_id,transaction_id,day,product_id,quantity\nC9,T1,2026-08-03,MILK,-1')
  t.equal(res.statusCode, 200, res.body)
  t.match(res.json(), { imported: 0, rejected: 1 })
  t.equal(await jobs(ctx), 0)
})
