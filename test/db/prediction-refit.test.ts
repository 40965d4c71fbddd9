import { Readable } from 'node:stream'
import { Logger, runOnce } from 'graphile-worker'
import { sql } from 'kysely'
import t from 'tap'
import { importTransactions } from '../../src/modules/imports/import.service.ts'
import { predictionTasks, REFIT_TASK, scheduleRefit } from '../../src/modules/prediction/prediction-tasks.ts'
import { currentModel, modelFitsProgramWindow, rebuildStats, refitModelIfStale } from '../../src/modules/prediction/prediction.service.ts'
import { installPredictionWindow } from '../../src/modules/prediction/prediction.types.ts'
import { testDatabase } from '../helpers/database.ts'

// The prediction model is refitted by a self-rescheduling job once it is a refit period old,
// and only the newest few fits are kept.

function history(): string {
  const rows = ['customer_id,transaction_id,day,product_id,quantity']
  for (let week = 0; week < 10; week++) {
    const day = new Date(Date.UTC(2026, 8, 1 + week * 7)).toISOString().slice(0, 10)
    for (const c of ['C1', 'C2', 'C3']) rows.push(`${c},${c}-${week},${day},MILK,1`, `${c},${c}-${week},${day},${week % 2 ? 'EGGS' : 'BREAD'},1`)
  }
  return rows.join('\n')
}

const models = async (db: Parameters<typeof rebuildStats>[0]) =>
  (await sql<{ id: number }>`select id::int from prediction_model order by id`.execute(db)).rows.map((r) => r.id)

t.test('refit only when stale, keep the newest three, nothing to fit is not an error', async (t) => {
  const { db } = await testDatabase(t)
  t.equal(await refitModelIfStale(db, 3_600_000), 'no_history', 'an empty chain has nothing to fit')
  await importTransactions(db, Readable.from([history()]), { statsJobs: false })
  await rebuildStats(db)

  t.equal(await refitModelIfStale(db, 3_600_000), 'fitted', 'no model yet')
  t.equal(await refitModelIfStale(db, 3_600_000), 'fresh', 'a model fitted just now is kept')
  t.equal((await models(db)).length, 1)

  for (let i = 0; i < 4; i++) {
    await sql`update prediction_model set fitted_at = now() - interval '2 days'`.execute(db)
    t.equal(await refitModelIfStale(db, 3_600_000), 'fitted', `a two-day-old model is refitted (${i + 1})`)
  }
  const kept = await models(db)
  t.equal(kept.length, 3, 'the newest three fits are kept')
  t.equal(Math.max(...kept), kept[kept.length - 1])
})

t.test('the refit job reschedules itself one period later', async (t) => {
  const { db, pool } = await testDatabase(t)
  await importTransactions(db, Readable.from([history()]), { statsJobs: false })
  await rebuildStats(db)
  await scheduleRefit(db, new Date(), 'replace')
  await runOnce({ pgPool: pool, taskList: predictionTasks(db, { refitEveryHours: 24 }), concurrency: 1, noHandleSignals: true, logger: new Logger(() => () => {}) })
  t.equal((await models(db)).length, 1, 'the job fitted a model')
  const { rows } = await sql<{ hours: number }>`
    select extract(epoch from run_at - now()) / 3600 as hours from graphile_worker.jobs where task_identifier = ${REFIT_TASK}`.execute(db)
  t.equal(rows.length, 1, 'one job waits')
  t.ok(rows[0]!.hours > 23.5 && rows[0]!.hours <= 24, `next in ${rows[0]!.hours.toFixed(2)} h`)

  // Start-up keeps the waiting job instead of pulling it forward.
  await scheduleRefit(db, new Date(Date.now() + 60_000), 'preserve_run_at')
  const again = await sql<{ hours: number }>`
    select extract(epoch from run_at - now()) / 3600 as hours from graphile_worker.jobs where task_identifier = ${REFIT_TASK}`.execute(db)
  t.ok(again.rows[0]!.hours > 23.5, 'a restart does not refit early')
})

t.test('a model fitted for another list window is refitted for the program\'s window', async (t) => {
  const { db } = await testDatabase(t)
  await importTransactions(db, Readable.from([history()]), { statsJobs: false })
  await rebuildStats(db)
  t.equal(await refitModelIfStale(db, 3_600_000), 'fitted')
  t.equal((await currentModel(db, 'calendar'))?.config.windowDays, 14, 'the default window: lists valid 14 days')

  t.ok(await modelFitsProgramWindow(db))
  installPredictionWindow(7)
  t.teardown(() => installPredictionWindow(14))
  t.notOk(await modelFitsProgramWindow(db), 'a service starting now replaces the waiting refit with one in a minute')
  t.equal(await refitModelIfStale(db, 3_600_000), 'fitted', 'fresh, but for a 14-day window: refitted')
  t.ok(await modelFitsProgramWindow(db))
  t.equal((await currentModel(db, 'calendar'))?.config.windowDays, 7, 'the new model predicts the 7 days a list is valid')
  t.equal(await refitModelIfStale(db, 3_600_000), 'fresh', 'then kept')
  t.throws(() => installPredictionWindow(0), /positive number of days/)
})
