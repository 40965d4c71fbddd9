import t from 'tap'
import { sql } from 'kysely'
import { regenerateCustomerList, regenerateList } from '../../src/modules/lists/list-run.service.ts'
import { buildTestApp } from '../helpers/app.ts'
import { AS_OF, population } from './list-generation-fixtures.ts'

// A regeneration sends the customer's profile write and allocates the list while PostgreSQL
// writes it (list-run.service.ts regenerateList). A refused profile write must fail the whole
// regeneration with its own error (not the "transaction is aborted" the list write then meets),
// and leave the old profile and list as they were.
t.test('a refused profile write fails the regeneration with its error and writes nothing', async (t) => {
  const { database } = await buildTestApp(t)
  const { db } = database
  const pop = await population(db)
  const customer = pop.regular[0]!
  const first = await regenerateCustomerList(db, customer, { asOf: AS_OF, trigger: 'manual' })
  t.ok(first, 'a first list')
  const before = async () => ({
    profile: await db.selectFrom('customer_profile').select(['computed_at', 'as_of']).where('customer_id', '=', customer).executeTakeFirstOrThrow(),
    lists: await db.selectFrom('list').select(['id', 'status']).where('customer_id', '=', customer).orderBy('id').execute(),
    events: Number((await sql<{ n: string }>`select count(*) as n from event_outbox`.execute(db)).rows[0]!.n),
  })
  const was = await before()

  await sql.raw(`
    create function refuse_profile() returns trigger language plpgsql as $$
    begin raise exception 'profile write refused for %', new.customer_id using errcode = 'P0001'; end $$;
    create trigger refuse_profile before insert or update on customer_profile
      for each row when (new.customer_id = ${customer}) execute function refuse_profile();`).execute(db)
  await t.rejects(regenerateList(db, customer, { asOf: '2026-11-24', trigger: 'redemption' }), { code: 'P0001', message: `profile write refused for ${customer}` })
  t.same(await before(), was, 'profile, lists and events as they were')

  await sql`drop trigger refuse_profile on customer_profile`.execute(db)
  const id = await regenerateList(db, customer, { asOf: '2026-11-24', trigger: 'redemption' })
  t.ok(id !== undefined && id !== Number(first!.id), 'the retry writes a new list')
  const now = await before()
  t.equal(now.profile.as_of, '2026-11-24', 'and the profile')
  t.same(now.lists.map((l) => l.status), ['superseded', 'current'])
})
