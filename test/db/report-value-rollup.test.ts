// The value rollup runs only when customer_profile changed (migration 0020's trigger): right
// after a population refresh, at most every valueMinIntervalSeconds for single customers'
// refreshes, never on an idle pass; and a change committed while it computes is not lost.
import { sql } from 'kysely'
import t from 'tap'
import { findValueRollup } from '../../src/modules/reports/value-rollup.repository.ts'
import { runRollup, valueRollupDue } from '../../src/modules/reports/rollup.service.ts'
import { refreshAllProfiles, refreshCustomerProfile } from '../../src/modules/segments/segment.service.ts'
import { testDatabase } from '../helpers/database.ts'
import { insertCustomer, insertProduct, insertSale } from '../helpers/list-fixtures.ts'

const pending = async (db: Parameters<typeof findValueRollup>[0]) =>
  (await sql<{ n: number }>`select count(*)::int as n from report_value_change`.execute(db)).rows[0]!.n

t.test('valueRollupDue', async (t) => {
  const at = (s: string) => new Date(`2026-11-23T${s}Z`)
  const now = at('12:10:00')
  t.equal(valueRollupDue({ changes: [], rolledAt: null, refreshedAt: null }, now, 300), true, 'never computed')
  t.equal(valueRollupDue({ changes: [], rolledAt: at('10:00:00'), refreshedAt: at('11:00:00') }, now, 300), false, 'nothing changed, however old')
  t.equal(valueRollupDue({ changes: ['7'], rolledAt: at('12:09:00'), refreshedAt: at('12:09:30') }, now, 300), true, 'a population refresh since: at once')
  t.equal(valueRollupDue({ changes: ['7'], rolledAt: at('12:09:00'), refreshedAt: at('12:00:00') }, now, 300), false, 'single refreshes wait for the interval')
  t.equal(valueRollupDue({ changes: ['7'], rolledAt: at('12:05:00'), refreshedAt: null }, now, 300), true, 'interval over')
})

t.test('skips idle passes, follows profile changes, loses none', async (t) => {
  const { db } = await testDatabase(t)
  const coffee = await insertProduct(db, { category: 'Pantry/Coffee', priceCents: 500 })
  const a = await insertCustomer(db, { createdAt: '2026-01-01' })
  await insertSale(db, a, '2026-11-01', [{ product: coffee, quantity: 4, unitPriceCents: 500 }])
  await refreshAllProfiles(db, '2026-11-23')

  const first = await runRollup(db, { today: '2026-11-23' })
  t.equal(first.value, true, 'computed after the population refresh')
  const r1 = (await findValueRollup(db))!
  t.match(r1, { customers: 1, spend_cents: 2000 })
  t.equal(await pending(db), 0, 'the changes it read are cleared')

  t.equal((await runRollup(db, { today: '2026-11-23' })).value, false, 'idle pass: skipped')
  t.same((await findValueRollup(db))!.rolled_at, r1.rolled_at, 'figures untouched')

  // A single customer's refresh (a list regenerated after a redemption): waits for the interval.
  const b = await insertCustomer(db, { createdAt: '2026-01-01' })
  await insertSale(db, b, '2026-11-10', [{ product: coffee, quantity: 2, unitPriceCents: 500 }])
  await db.transaction().execute((trx) => refreshCustomerProfile(trx, b, '2026-11-23'))
  t.equal(await pending(db), 1, 'one row per transaction, however many statements')
  t.equal((await runRollup(db, { today: '2026-11-23' })).value, false, 'within the interval: later')
  t.equal(await pending(db), 1, 'the change waits')
  t.equal((await runRollup(db, { today: '2026-11-23', config: { valueMinIntervalSeconds: 0 } })).value, true, 'interval over: computed')
  t.match(await findValueRollup(db), { customers: 2, spend_cents: 3000 })

  // A change committed while the rollup computes stays for the next pass.
  const c = await insertCustomer(db, { createdAt: '2026-01-01' })
  await insertSale(db, c, '2026-11-12', [{ product: coffee, quantity: 1, unitPriceCents: 500 }])
  await db.transaction().execute(async (trx) => {
    await refreshCustomerProfile(trx, c, '2026-11-23')
    await sql`update customer_profile set opt_out = true, spend_cents = null where customer_id = ${a}`.execute(db)
    const r = await runRollup(db, { today: '2026-11-23', config: { valueMinIntervalSeconds: 0 } })
    t.equal(r.value, true)
    t.match(await findValueRollup(db), { customers: 1, spend_cents: 1000 }, 'the committed opt-out is in, the open refresh is not')
  })
  t.equal(await pending(db), 1, 'the refresh that committed meanwhile is still pending')
  t.equal((await runRollup(db, { today: '2026-11-23', config: { valueMinIntervalSeconds: 0 } })).value, true)
  t.match(await findValueRollup(db), { customers: 2, spend_cents: 1500 })

  // Deletes count too (an erased customer's profile goes).
  await sql`delete from customer_profile where customer_id = ${b}`.execute(db)
  t.equal((await runRollup(db, { today: '2026-11-23', config: { valueMinIntervalSeconds: 0 } })).value, true)
  t.match(await findValueRollup(db), { customers: 1, spend_cents: 500 })
  t.equal((await runRollup(db, { today: '2026-11-23', config: { valueMinIntervalSeconds: 0 } })).value, false, 'and idle again')
})
