/**
 * Writes what a list generation run produced, in a stable order and without ids, barcodes or
 * timestamps, so two runs of different code on the same population can be compared with diff:
 * every profile, the usage and tier cut-offs, a digest of all segment cells, and every list with
 * its items (probabilities, reasons, offers), offer decisions, perks and vouchers.
 *
 *   node --import tsx scripts/lists-dump.ts <database-url> [out-file]
 *
 * Used before and after changing how runs write (docs/lists.md, "Benchmark"): load the demo
 * (10,000 customers, seed 1), run a generation, dump; change the code, same again, diff.
 */
import { createWriteStream } from 'node:fs'
import { sql } from 'kysely'
import { connectDatabase } from '../src/db/database.ts'

const url = process.argv[2]
if (!url) {
  process.stderr.write('usage: lists-dump.ts <database-url> [out-file]\n')
  process.exit(2)
}
const out = process.argv[3] ? createWriteStream(process.argv[3]) : process.stdout
const write = (line: string) => new Promise<void>((resolve) => (out.write(`${line}\n`) ? resolve() : out.once('drain', resolve)))

const handle = connectDatabase(url, { max: 1 })
try {
  const db = handle.db
  const profiles = await sql<Record<string, unknown>>`
    select customer_id, as_of, opt_out, weekly_spend_cents, eligible, spend_cents, margin_cents, rewards_cents,
      value_cents, value_tier, negative_value, trend, recent_spend_cents, previous_spend_cents, lifecycle,
      life_stage, first_purchase_day, last_purchase_day, median_gap_days, trips, regular_cycle, wallet_share
    from customer_profile order by customer_id`.execute(db)
  for (const p of profiles.rows) await write(`profile ${JSON.stringify(p)}`)
  const cells = await sql<{ n: number; digest: string }>`
    select count(*)::int as n, md5(coalesce(string_agg(concat_ws('|', customer_id, category, brand_group, usage, units, national_units, spend_cents), E'\n'
      order by customer_id, category collate "C"), '')) as digest
    from customer_segment`.execute(db)
  await write(`cells ${JSON.stringify(cells.rows[0])}`)
  const cuts = await sql`select category, as_of, buyers, low_max, medium_max from category_usage_cutoff order by category collate "C"`.execute(db)
  for (const c of cuts.rows) await write(`usage-cut ${JSON.stringify(c)}`)
  const tier = await sql`select as_of, customers, a_min_cents, b_min_cents, c_min_cents from value_tier_cutoff`.execute(db)
  await write(`tier-cut ${JSON.stringify(tier.rows[0] ?? null)}`)
  const lists = await sql<Record<string, unknown> & { id: number }>`
    select id, customer_id, generation_id, cycle_start, valid_from, valid_until, status, trigger, holdout, total_coupon_cents, perks
    from list order by customer_id, id`.execute(db)
  for (const l of lists.rows) {
    const { id, ...rest } = l
    const items = await sql`
      select rank, product_id, category, expected_date, probability, reason, offer_id, offer_value_cents
      from list_item where list_id = ${id} order by rank`.execute(db)
    const decisions = await sql`
      select offer_id, given, reason from list_offer_decision where list_id = ${id} order by offer_id, given, reason`.execute(db)
    const vouchers = await sql`
      select v.value_cents, v.period_end, v.expires_on from list_voucher lv join voucher v on v.id = lv.voucher_id
      where lv.list_id = ${id} order by v.period_end`.execute(db)
    await write(`list ${JSON.stringify({ ...rest, items: items.rows, decisions: decisions.rows, vouchers: vouchers.rows })}`)
  }
  const events = await sql`select type, count(*)::int as n from event_outbox group by type order by type`.execute(db)
  for (const e of events.rows) await write(`events ${JSON.stringify(e)}`)
} finally {
  await handle.close()
  if (out !== process.stdout) await new Promise<void>((resolve) => out.end(resolve))
}
