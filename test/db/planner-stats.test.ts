// analyzeIfStale (src/db/planner-stats.ts): a run analyses what it is about to read in full and
// what it has just rewritten, but only tables that changed past autovacuum's threshold.
import t from 'tap'
import pg from 'pg'
import { sql } from 'kysely'
import { analyzeIfStale } from '../../src/db/planner-stats.ts'
import { testDatabase } from '../helpers/database.ts'

t.test('analyses a table never analysed or changed past the threshold, and leaves a settled one', async (t) => {
  const { db } = await testDatabase(t, { max: 1 })
  // One connection: its own changes reach the statistics views once flushed and re-read.
  const flush = async () => {
    await sql`select pg_stat_force_next_flush()`.execute(db)
    await sql`select 1`.execute(db)
    await sql`select pg_stat_clear_snapshot()`.execute(db)
  }
  await sql`create table probe_a (x int)`.execute(db)
  await sql`create table probe_b (x int)`.execute(db)
  await sql`insert into probe_a select generate_series(1, 1000)`.execute(db)
  await flush()
  t.same(await analyzeIfStale(db, ['probe_a', 'probe_b', 'no_such_table']), ['probe_a', 'probe_b'], 'never analysed')
  await flush()
  t.same(await analyzeIfStale(db, ['probe_a', 'probe_b']), [], 'just analysed: nothing to do')
  await sql`insert into probe_a select generate_series(1, 200)`.execute(db)
  await sql`insert into probe_b select generate_series(1, 40)`.execute(db)
  await flush()
  // probe_a: 200 changes over 50 + 10% of 1,000; probe_b: 40 changes, under the 50-row floor.
  t.same(await analyzeIfStale(db, ['probe_a', 'probe_b']), ['probe_a'])
  const { rows } = await sql<{ reltuples: number }>`select reltuples::float8 as reltuples from pg_class where relname = 'probe_a'`.execute(db)
  t.equal(rows[0]?.reltuples, 1200, 'the planner sees the rows added')
})

t.test('an analysis of customer_profile as autovacuum runs it leaves the segment arrays out (0032)', async (t) => {
  const { db } = await testDatabase(t, { max: 1 })
  await sql`insert into customer (first_name) select 'c' || g from generate_series(1, 300) g`.execute(db)
  await sql`
    insert into customer_profile (customer_id, as_of, value_tier, segment_categories, segment_brand_groups, segment_usages,
      segment_units, segment_national_units, segment_spend_cents)
    select id, '2026-11-20', 'B', array['Dairy/Milk', 'Pantry/Rice'], array['national', 'store'], array['low', 'high'],
      array[id::int % 7, 2], array[1, 0], array[id * 100, 250]
    from customer`.execute(db)
  await sql`analyze customer_profile`.execute(db)
  const { rows } = await sql<{ attname: string }>`select attname from pg_stats where tablename = 'customer_profile' order by attname`.execute(db)
  const names = rows.map((r) => r.attname)
  t.ok(names.includes('customer_id') && names.includes('value_tier'), 'the other columns are analysed')
  t.same(names.filter((n) => n.startsWith('segment_')), [], 'no statistics for the six arrays')
})

t.test('the lists\' printed texts are left out of every analysis (0037)', async (t) => {
  const { db } = await testDatabase(t, { max: 1 })
  await sql`insert into customer (first_name) select 'c' || g from generate_series(1, 50) g`.execute(db)
  await sql`
    insert into list (customer_id, barcode, cycle_start, valid_from, valid_until, trigger, perks)
    select id, 'B' || id, '2026-11-23', '2026-11-23', '2026-12-06', 'run', jsonb_build_array(jsonb_build_object('name', 'perk ' || id % 3))
    from customer`.execute(db)
  await sql`insert into list_item (list_id, rank, customer_id, category, reason) select id, 1, customer_id, 'Dairy/Milk', 'why ' || id % 4 from list`.execute(db)
  await sql`insert into list_offer_decision (list_id, offer_id, customer_id, given, reason) select id, 1, customer_id, true, 'why ' || id % 4 from list`.execute(db)
  await sql`analyze list, list_item, list_offer_decision`.execute(db)
  const { rows } = await sql<{ col: string }>`
    select tablename || '.' || attname as col from pg_stats where tablename in ('list', 'list_item', 'list_offer_decision') order by 1`.execute(db)
  const cols = rows.map((r) => r.col)
  t.ok(cols.includes('list.customer_id') && cols.includes('list_item.list_id') && cols.includes('list_offer_decision.offer_id'), 'the keys are analysed')
  t.same(cols.filter((c) => /\.(perks|reason)$/.test(c)), [], 'perks and reasons are not')
})

t.test('from a pool, each stale table is analysed on its own connection: one waiting holds back no other', async (t) => {
  const { db, url } = await testDatabase(t, { max: 3 })
  await sql`create table probe_a (x int)`.execute(db)
  await sql`create table probe_b (x int)`.execute(db)
  await sql`insert into probe_a select generate_series(1, 100)`.execute(db)
  await sql`insert into probe_b select generate_series(1, 300)`.execute(db)
  const other = new pg.Client({ connectionString: url })
  await other.connect()
  t.teardown(() => other.end())
  // ANALYZE waits for this lock: probe_a, first in the list, cannot be analysed until it ends.
  await other.query('begin; lock table probe_a in share update exclusive mode')
  const analysed = analyzeIfStale(db, ['probe_a', 'probe_b'])
  const tuples = async (name: string) => (await sql<{ n: number }>`select reltuples::float8 as n from pg_class where relname = ${name}`.execute(db)).rows[0]!.n
  let b = -1
  for (let i = 0; i < 100 && b !== 300; i++) {
    await new Promise((r) => setTimeout(r, 50))
    b = await tuples('probe_b')
  }
  t.equal(b, 300, 'probe_b is analysed while probe_a waits')
  t.equal(await tuples('probe_a'), -1, 'probe_a is not, yet')
  await other.query('commit')
  t.same(await analysed, ['probe_a', 'probe_b'])
  t.equal(await tuples('probe_a'), 100, 'then probe_a')
})
