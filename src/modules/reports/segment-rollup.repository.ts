// Segment snapshots: the nine cells per category as the last population refresh left them,
// and who moved between cells since the snapshot before. Reads customer_segment (the profiles'
// cell arrays as rows, a view since 0029), never sales; the "after an offer" check reads the movers' own
// redemptions by customer.
import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

type Db = Kysely<DB> | Transaction<DB>

export interface SnapshotRow {
  id: number
  as_of: string
  profiles_computed_at: Date | null
  taken_at: Date
  previous_id: number | null
  customers: number
}

export async function findLatestSnapshot(db: Db): Promise<SnapshotRow | undefined> {
  const { rows } = await sql<SnapshotRow>`select * from report_segment_snapshot order by id desc limit 1`.execute(db)
  return rows[0]
}

export async function findSnapshot(db: Db, id: number): Promise<SnapshotRow | undefined> {
  const { rows } = await sql<SnapshotRow>`select * from report_segment_snapshot where id = ${id}`.execute(db)
  return rows[0]
}

/** The last whole-population ranking (refreshAllProfiles ends with it): one row or none. */
export async function findPopulationRefresh(db: Db): Promise<{ asOf: string; computedAt: Date } | undefined> {
  const row = await db.selectFrom('value_tier_cutoff').select(['as_of', 'computed_at']).executeTakeFirst()
  return row ? { asOf: row.as_of, computedAt: row.computed_at } : undefined
}

/** Takes a snapshot: cells, moves against the previous snapshot's members, then the new members. */
export async function takeSnapshot(trx: Transaction<DB>, asOf: string, profilesComputedAt: Date | null, previous: SnapshotRow | undefined): Promise<number> {
  const { rows } = await sql<{ id: number }>`
    insert into report_segment_snapshot (as_of, profiles_computed_at, previous_id, customers)
    select ${asOf}::date, ${profilesComputedAt}::timestamptz, ${previous?.id ?? null}::bigint, count(distinct customer_id)
      from customer_segment
    returning id`.execute(trx)
  const id = rows[0]!.id
  await sql`
    insert into report_segment_cell (snapshot_id, category, brand_group, usage, customers, units, spend_cents)
    select ${id}, category, brand_group, usage, count(*), sum(units), sum(spend_cents)
      from customer_segment group by category, brand_group, usage`.execute(trx)
  if (previous) {
    await sql`
      with moved as (
        select coalesce(c.customer_id, m.customer_id) as customer_id, coalesce(c.category, m.category) as category,
               coalesce(m.brand_group, 'none') as from_group, coalesce(m.usage, 'none') as from_usage,
               coalesce(c.brand_group, 'none') as to_group, coalesce(c.usage, 'none') as to_usage
          from customer_segment c full join report_segment_member m on m.customer_id = c.customer_id and m.category = c.category
         where c.brand_group is distinct from m.brand_group or c.usage is distinct from m.usage
      ),
      offered as (
        select distinct r.customer_id, p.category
          from (select distinct customer_id from moved) mv
          join redemption r on r.customer_id = mv.customer_id and r.status = 'recorded' and r.created_at > ${previous.taken_at}
          join redemption_discount d on d.redemption_id = r.id
          join product p on p.gtin = d.gtin
      )
      insert into report_segment_move (snapshot_id, category, from_group, from_usage, to_group, to_usage, customers, after_offer)
      select ${id}, mv.category, from_group, from_usage, to_group, to_usage, count(*),
             count(*) filter (where o.customer_id is not null)
        from moved mv left join offered o on o.customer_id = mv.customer_id and o.category = mv.category
       group by 2, 3, 4, 5, 6`.execute(trx)
  }
  await sql`truncate report_segment_member`.execute(trx)
  await sql`
    insert into report_segment_member (customer_id, category, brand_group, usage)
    select customer_id, category, brand_group, usage from customer_segment`.execute(trx)
  await sql`update report_rollup_state set segments_rolled_at = now() where id`.execute(trx)
  return id
}

export function findCells(db: Db, snapshotId: number, category: string | undefined) {
  const filter = category ? sql`and (category = ${category} or starts_with(category, ${`${category}/`}))` : sql``
  return sql<{ category: string; brand_group: string; usage: string; customers: number; units: number; spend_cents: number }>`
    select category, brand_group, usage, customers, units, spend_cents from report_segment_cell
     where snapshot_id = ${snapshotId} ${filter}
     order by category collate "C", brand_group, usage`
    .execute(db)
    .then((r) => r.rows)
}

export function findMoves(db: Db, snapshotId: number, category: string | undefined) {
  const filter = category ? sql`and (category = ${category} or starts_with(category, ${`${category}/`}))` : sql``
  return sql<{ category: string; from_group: string; from_usage: string; to_group: string; to_usage: string; customers: number; after_offer: number }>`
    select category, from_group, from_usage, to_group, to_usage, customers, after_offer from report_segment_move
     where snapshot_id = ${snapshotId} ${filter}
     order by category collate "C", customers desc, from_group, from_usage, to_group, to_usage`
    .execute(db)
    .then((r) => r.rows)
}
