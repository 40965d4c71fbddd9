// The redemption side of the offer rollup: new redemptions past the watermark are counted in
// their current state (voids and returns so far included), and voids and returns of
// redemptions counted earlier arrive as events (migration 0012's triggers) and are applied as
// deltas. Reads are by primary key ranges and keys only; nothing here is on the lane's path.
import { sql, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

type Trx = Transaction<DB>

export interface RollupState {
  redemption_watermark: number
  redemptions_through: Date | null
  offers_rolled_at: Date | null
  value_rolled_at: Date | null
  segments_rolled_at: Date | null
  cycles_rolled_at: Date | null
  last_error: string | null
  last_error_at: Date | null
}

/** Locks the state row: two rollups (two instances) never run the same pass at once. */
export async function lockState(trx: Trx): Promise<RollupState> {
  const { rows } = await sql<RollupState>`select * from report_rollup_state where id for update`.execute(trx)
  const row = rows[0]
  if (!row) throw new Error('report_rollup_state has no row (migration 0012)')
  return row
}

/** The newest redemption old enough to count, past the watermark (a primary-key range read). */
export async function findRedemptionHorizon(trx: Trx, watermark: number, lagSeconds: number): Promise<{ id: number; createdAt: Date } | null> {
  const { rows } = await sql<{ id: number; created_at: Date }>`
    select id, created_at from redemption
     where id > ${watermark} and created_at <= now() - make_interval(secs => ${lagSeconds})
     order by id desc limit 1`.execute(trx)
  const r = rows[0]
  return r ? { id: r.id, createdAt: r.created_at } : null
}

// A return's shares name engine offer ids: a list offer's own id, or "rc:<rain check>" whose
// offer is the rain check's.
const shareOffer = sql`case when s->>'offerId' like 'rc:%'
  then (select rc.offer_id from rain_check rc where rc.id = substr(s->>'offerId', 4)::bigint)
  else (s->>'offerId')::bigint end`

/** Adds the redemptions in (lo, hi] as they stand now: recorded ones only, net of their returns. */
export async function addNewRedemptions(trx: Trx, lo: number, hi: number): Promise<number> {
  const res = await sql`
    with fresh as (
      select r.id, s.day from redemption r join sale s on s.id = r.sale_id
       where r.id > ${lo} and r.id <= ${hi} and r.status = 'recorded'
    ),
    given as (
      select d.offer_id, f.day, count(distinct d.redemption_id)::int as redemptions, sum(d.quantity)::int as units,
             sum(d.amount_cents)::bigint as cents
        from fresh f join redemption_discount d on d.redemption_id = f.id
       group by 1, 2
    ),
    clawed as (
      select ${shareOffer} as offer_id, f.day, sum((s->>'amountCents')::bigint)::bigint as cents
        from fresh f join redemption_return x on x.redemption_id = f.id
        cross join jsonb_array_elements(x.shares) s
       group by 1, 2
    ),
    delta as (
      select coalesce(g.offer_id, c.offer_id) as offer_id, coalesce(g.day, c.day) as day,
             coalesce(g.redemptions, 0) as redemptions, coalesce(g.units, 0) as units,
             coalesce(g.cents, 0) - coalesce(c.cents, 0) as discount, coalesce(c.cents, 0) as clawback
        from given g full join clawed c on c.offer_id = g.offer_id and c.day = g.day
    )
    insert into report_offer_day as o (offer_id, day, redemptions, units, discount_cents, clawback_cents)
    select offer_id, day, redemptions, units, discount, clawback from delta where offer_id is not null
    on conflict (offer_id, day) do update set
      redemptions = o.redemptions + excluded.redemptions, units = o.units + excluded.units,
      discount_cents = o.discount_cents + excluded.discount_cents, clawback_cents = o.clawback_cents + excluded.clawback_cents
  `.execute(trx)
  return Number(res.numAffectedRows ?? 0)
}

/**
 * Applies the queued voids and returns of redemptions counted before (id <= watermark) and
 * drops the events of redemptions counted in their current state in this pass (up to hi).
 * Events of redemptions past hi stay queued. Returns how many events were applied.
 */
export async function applyReversalEvents(trx: Trx, watermark: number, hi: number): Promise<number> {
  const { rows } = await sql<{ applied: number }>`
    with ev as (
      delete from report_redemption_event where redemption_id <= ${hi} returning redemption_id, kind, pos_return_id
    ),
    old_ev as (select * from ev where redemption_id <= ${watermark}),
    -- A void takes out the redemption and what its discounts still stood at (less every return).
    voids as (
      select d.offer_id, s.day, -count(distinct d.redemption_id)::int as redemptions, -sum(d.quantity)::int as units,
             -sum(d.amount_cents)::bigint as cents
        from old_ev e join redemption r on r.id = e.redemption_id join sale s on s.id = r.sale_id
        join redemption_discount d on d.redemption_id = r.id
       where e.kind = 'void'
       group by 1, 2
    ),
    void_claws as (
      select ${shareOffer} as offer_id, s2.day, sum((s->>'amountCents')::bigint)::bigint as cents
        from old_ev e join redemption r on r.id = e.redemption_id join sale s2 on s2.id = r.sale_id
        join redemption_return x on x.redemption_id = r.id cross join jsonb_array_elements(x.shares) s
       where e.kind = 'void'
       group by 1, 2
    ),
    returns as (
      select ${shareOffer} as offer_id, s2.day, sum((s->>'amountCents')::bigint)::bigint as cents
        from old_ev e join redemption r on r.id = e.redemption_id join sale s2 on s2.id = r.sale_id
        join redemption_return x on x.redemption_id = e.redemption_id and x.pos_return_id = e.pos_return_id
        cross join jsonb_array_elements(x.shares) s
       where e.kind = 'return'
       group by 1, 2
    ),
    -- Returns before the void already left the discount: give their clawback back to the void
    -- so the void takes out exactly what was left, and the clawback column nets to zero.
    delta as (
      select offer_id, day, redemptions, units, cents as discount, 0::bigint as clawback from voids
      union all select offer_id, day, 0, 0, cents, -cents from void_claws
      union all select offer_id, day, 0, 0, -cents, cents from returns
    ),
    summed as (
      select offer_id, day, sum(redemptions)::int as redemptions, sum(units)::int as units,
             sum(discount)::bigint as discount, sum(clawback)::bigint as clawback
        from delta where offer_id is not null group by 1, 2
    ),
    upserted as (
      insert into report_offer_day as o (offer_id, day, redemptions, units, discount_cents, clawback_cents)
      select offer_id, day, redemptions, units, discount, clawback from summed
      on conflict (offer_id, day) do update set
        redemptions = o.redemptions + excluded.redemptions, units = o.units + excluded.units,
        discount_cents = o.discount_cents + excluded.discount_cents, clawback_cents = o.clawback_cents + excluded.clawback_cents
      returning 1
    )
    select (select count(*)::int from old_ev) as applied, (select count(*) from upserted) as written
  `.execute(trx)
  return rows[0]?.applied ?? 0
}

export async function saveOffersProgress(trx: Trx, watermark: number, through: Date | null): Promise<void> {
  await sql`
    update report_rollup_state set redemption_watermark = ${watermark},
      redemptions_through = coalesce(${through}::timestamptz, redemptions_through), offers_rolled_at = now()
     where id`.execute(trx)
}

export async function findState(db: Trx | import('kysely').Kysely<DB>): Promise<RollupState> {
  const { rows } = await sql<RollupState>`select * from report_rollup_state where id`.execute(db)
  return rows[0]!
}

export async function recordRollupError(db: import('kysely').Kysely<DB>, message: string): Promise<void> {
  await sql`update report_rollup_state set last_error = ${message}, last_error_at = now() where id`.execute(db)
}

export async function clearRollupError(trx: Trx): Promise<void> {
  await sql`update report_rollup_state set last_error = null, last_error_at = null where id`.execute(trx)
}

export async function touchCyclesRolledAt(trx: Trx): Promise<void> {
  await sql`update report_rollup_state set cycles_rolled_at = now() where id`.execute(trx)
}
