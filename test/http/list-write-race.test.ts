import t from 'tap'
import { regenerateCustomerList, runGeneration, startGeneration } from '../../src/modules/lists/list-run.service.ts'
import { buildTestApp } from '../helpers/app.ts'
import { AS_OF, population } from './list-generation-fixtures.ts'

// A lane sale's regeneration and a generation run may write the same customer's list at the
// same moment. Before the per-customer list lock, the one that lost the race failed on the
// one-current-list index (seen in the soak: a run's chunk failed and was retried whole).
t.test('a regeneration during a run chunk writing the same customer waits, then supersedes it', async (t) => {
  const { database } = await buildTestApp(t)
  const { db } = database
  const pop = await population(db)
  const customer = pop.regular[0]!
  await regenerateCustomerList(db, customer, { asOf: AS_OF, trigger: 'manual' })

  const run = await startGeneration(db, { asOf: AS_OF, force: true, customerIds: [customer] }, 'test')
  let regen: Promise<unknown> | undefined
  let regenDoneInside = false
  await runGeneration(db, Number(run.id), {
    hooks: {
      // The chunk has superseded the customer's list and written its own, not committed yet.
      beforeChunkCommit: async () => {
        regen = regenerateCustomerList(db, customer, { asOf: AS_OF, trigger: 'redemption' }).then((r) => {
          regenDoneInside = true
          return r
        })
        await new Promise((r) => setTimeout(r, 300))
      },
    },
  })
  t.notOk(regenDoneInside, 'the regeneration waited for the chunk to commit')
  const list = (await regen) as { id: string } | undefined
  t.ok(list, 'and then wrote its list')
  const current = await db.selectFrom('list').select(['id', 'trigger']).where('customer_id', '=', customer).where('status', '=', 'current').execute()
  t.same(current, [{ id: Number(list!.id), trigger: 'redemption' }], 'one current list: the later one')
  const row = await db.selectFrom('list_generation').select(['status', 'lists_created']).where('id', '=', Number(run.id)).executeTakeFirstOrThrow()
  t.same(row, { status: 'succeeded', lists_created: 1 })
})
