// The list side of the offer rollup: per list cycle (lists sharing cycle_start), which lists
// carried each offer and, for lift, which customers the offer was in play for, treated or held
// out, with their in-scope spend over the cycle's window once it has ended. Every read goes
// through the cycle index (migration 0012) and the customers' own sales (sale_customer_day_idx).
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

type Db = Kysely<DB> | Transaction<DB>

/** Every distinct cycle_start, by skipping through the index (a handful of rows per year). */
export async function findCycleStarts(db: Db, since: string): Promise<{ cycleStart: string; final: boolean; maxListId: number | null }[]> {
  const { rows } = await sql<{ cycle_start: string; final: boolean | null; max_list_id: number | null }>`
    with recursive cs as (
      (select cycle_start from list where cycle_start >= ${since}::date order by cycle_start limit 1)
      union all
      select (select l.cycle_start from list l where l.cycle_start > cs.cycle_start order by l.cycle_start limit 1)
        from cs where cs.cycle_start is not null
    )
    select cs.cycle_start, rc.final, rc.max_list_id from cs left join report_cycle rc using (cycle_start)
     where cs.cycle_start is not null order by cs.cycle_start`.execute(db)
  return rows.map((r) => ({ cycleStart: r.cycle_start, final: r.final ?? false, maxListId: r.max_list_id }))
}

export async function findCycleExtent(db: Db, cycleStart: string): Promise<{ maxListId: number; windowEnd: string }> {
  const { rows } = await sql<{ max_id: number; window_end: string }>`
    select max(id) as max_id, max(valid_until) as window_end from list where cycle_start = ${cycleStart}::date`.execute(db)
  return { maxListId: rows[0]!.max_id, windowEnd: rows[0]!.window_end }
}

// A decision whose reason is a targeting refusal (segments/profile-targeting.ts) means the
// offer was not meant for the customer; every other decision means it was (given, held out,
// or withheld for budget, cap or timing). The two refusal sentences are matched by prefix.
const matched = sql`(d.reason not like 'This offer is for customers %' and d.reason not like 'You asked us not to personalise%')`

/**
 * Per offer in the cycle: lists carrying it, customers given it, and the customers it was in
 * play for: treated (no held-out list in the cycle) and held out (every list held out, and the
 * offer withheld for the holdout). With `outcome`, also the sums of their in-scope spend from
 * cycle_start to windowEnd (sale lines at the price rung up, net of returns, recorded sales).
 */
export async function computeCycle(trx: Db, cycleStart: string, windowEnd: string, holdoutReason: string, outcome: boolean) {
  const spend = outcome
    ? sql`,
    scopes as (
      select o.id as offer_id, o.scope->'gtins' as gtins, o.scope->>'category' as category, o.scope->>'brandType' as brand_type
        from offer o where o.kind = 'offer' and o.id in (select offer_id from units where grp is not null)
    ),
    lines as materialized (
      select s.customer_id, p.gtin, p.category, p.brand_type,
             (sl.quantity - sl.returned_quantity)::bigint * coalesce(sl.unit_price_cents, p.regular_price_cents, 0) as cents
        from (select distinct customer_id from units where grp is not null) c
        join sale s on s.customer_id = c.customer_id and s.day between ${cycleStart}::date and ${windowEnd}::date and s.status = 'recorded'
        join sale_line sl on sl.sale_id = s.id
        join product p on p.id = sl.product_id
    ),
    outcome as (
      select u.offer_id, u.customer_id, u.grp,
             coalesce(sum(l.cents) filter (where case when sc.gtins is not null then sc.gtins ? l.gtin::text
                   else (l.category = sc.category or starts_with(l.category, sc.category || '/'))
                        and (sc.brand_type is null or sc.brand_type = l.brand_type) end), 0)::numeric as cents
        from units u join scopes sc on sc.offer_id = u.offer_id
        left join lines l on l.customer_id = u.customer_id
       where u.grp is not null
       group by u.offer_id, u.customer_id, u.grp
    ),
    sums as (
      select offer_id,
             sum(cents) filter (where grp = 'treated') as t_sum, sum(cents * cents) filter (where grp = 'treated') as t_sq,
             sum(cents) filter (where grp = 'holdout') as h_sum, sum(cents * cents) filter (where grp = 'holdout') as h_sq
        from outcome group by offer_id
    )`
    : sql`, sums as (select null::bigint as offer_id, null::numeric as t_sum, null::numeric as t_sq, null::numeric as h_sum, null::numeric as h_sq where false)`
  const { rows } = await sql<{
    offer_id: number
    lists: number
    given: number
    treated: number
    holdout: number
    t_sum: number | null
    t_sq: number | null
    h_sum: number | null
    h_sq: number | null
  }>`
    with d as (
      select d.list_id, d.offer_id, d.customer_id, d.given, d.reason, l.holdout, ${matched} as matched
        from list l join list_offer_decision d on d.list_id = l.id
       where l.cycle_start = ${cycleStart}::date
    ),
    -- A list carries an offer it prices (an item with the offer) or a perk it was given.
    carried as (
      select i.list_id, i.offer_id, l.customer_id
        from list l join list_item i on i.list_id = l.id
       where l.cycle_start = ${cycleStart}::date and i.offer_id is not null
      union
      select list_id, offer_id, customer_id from d where given
    ),
    per_offer as (
      select offer_id, count(distinct list_id)::int as lists, count(distinct customer_id)::int as given
        from carried group by offer_id
    ),
    units as (
      select customer_id, offer_id,
             case when not bool_or(holdout) and bool_or(matched) then 'treated'
                  when bool_and(holdout) and bool_or(reason = ${holdoutReason}) then 'holdout' end as grp
        from d group by customer_id, offer_id
    )
    ${spend}
    select o.offer_id, coalesce(po.lists, 0) as lists, coalesce(po.given, 0) as given,
           (select count(*)::int from units u where u.offer_id = o.offer_id and u.grp = 'treated') as treated,
           (select count(*)::int from units u where u.offer_id = o.offer_id and u.grp = 'holdout') as holdout,
           s.t_sum, s.t_sq, s.h_sum, s.h_sq
      from (select offer_id from per_offer union select offer_id from units where grp is not null) o
      left join per_offer po on po.offer_id = o.offer_id
      left join sums s on s.offer_id = o.offer_id
  `.execute(trx)
  return rows
}

export type CycleRow = Awaited<ReturnType<typeof computeCycle>>[number]

export async function replaceCycle(
  trx: Transaction<DB>,
  c: { cycleStart: string; windowEnd: string; maxListId: number; final: boolean; rows: CycleRow[] },
): Promise<void> {
  await sql`delete from report_offer_cycle where cycle_start = ${c.cycleStart}::date`.execute(trx)
  const r = c.rows
  if (r.length) {
    await sql`
      insert into report_offer_cycle (offer_id, cycle_start, window_end, lists, customers_given, treated, holdout, final,
        treated_spend_cents, treated_spend_sq, holdout_spend_cents, holdout_spend_sq)
      select u.offer_id, ${c.cycleStart}::date, ${c.windowEnd}::date, u.lists, u.given, u.treated, u.holdout, ${c.final},
             u.t_sum, u.t_sq, u.h_sum, u.h_sq
        from unnest(${r.map((x) => x.offer_id)}::bigint[], ${r.map((x) => x.lists)}::int[], ${r.map((x) => x.given)}::int[],
                    ${r.map((x) => x.treated)}::int[], ${r.map((x) => x.holdout)}::int[],
                    ${r.map((x) => x.t_sum)}::bigint[], ${r.map((x) => (x.t_sq === null ? null : String(x.t_sq)))}::numeric[],
                    ${r.map((x) => x.h_sum)}::bigint[], ${r.map((x) => (x.h_sq === null ? null : String(x.h_sq)))}::numeric[])
          as u(offer_id, lists, given, treated, holdout, t_sum, t_sq, h_sum, h_sq)`.execute(trx)
  }
  await sql`
    insert into report_cycle (cycle_start, max_list_id, window_end, final, computed_at)
    values (${c.cycleStart}::date, ${c.maxListId}, ${c.windowEnd}::date, ${c.final}, now())
    on conflict (cycle_start) do update set max_list_id = excluded.max_list_id, window_end = excluded.window_end,
      final = excluded.final, computed_at = excluded.computed_at`.execute(trx)
}
