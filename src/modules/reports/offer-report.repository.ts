// Reads of the offer and manufacturer reports: the day and cycle rollups, by their indexes,
// and the offers' own rows.
import { sql, type Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'

type Db = Kysely<DB>

export function sumOfferDays(db: Db, from: string, to: string, offerId?: number) {
  const only = offerId ? sql`and offer_id = ${offerId}` : sql``
  return sql<{ offer_id: number; redemptions: number; units: number; discount_cents: number; clawback_cents: number }>`
    select offer_id, sum(redemptions)::int as redemptions, sum(units)::int as units,
           sum(discount_cents)::bigint as discount_cents, sum(clawback_cents)::bigint as clawback_cents
      from report_offer_day where day between ${from}::date and ${to}::date ${only}
     group by offer_id`
    .execute(db)
    .then((r) => r.rows)
}

export function sumOfferCycles(db: Db, from: string, to: string, offerId?: number) {
  const only = offerId ? sql`and offer_id = ${offerId}` : sql``
  return sql<{
    offer_id: number
    lists: number
    given: number
    cycles: number
    pending: number
    t_n: number
    t_sum: number
    t_sq: number
    h_n: number
    h_sum: number
    h_sq: number
  }>`
    select offer_id, sum(lists)::int as lists, sum(customers_given)::int as given,
           count(*) filter (where final)::int as cycles, count(*) filter (where not final)::int as pending,
           coalesce(sum(treated) filter (where final), 0)::int as t_n,
           coalesce(sum(treated_spend_cents) filter (where final), 0) as t_sum,
           coalesce(sum(treated_spend_sq) filter (where final), 0) as t_sq,
           coalesce(sum(holdout) filter (where final), 0)::int as h_n,
           coalesce(sum(holdout_spend_cents) filter (where final), 0) as h_sum,
           coalesce(sum(holdout_spend_sq) filter (where final), 0) as h_sq
      from report_offer_cycle where cycle_start between ${from}::date and ${to}::date ${only}
     group by offer_id`
    .execute(db)
    .then((r) => r.rows)
}

/** Offers valid at some point in the period, plus any named (they had activity in it). */
export function findOffers(db: Db, from: string, to: string, ids: number[], offerId?: number) {
  let q = db
    .selectFrom('offer')
    .select(['id', 'name', 'kind', 'status', 'targeting', 'funded_by_manufacturer', 'valid_from', 'valid_until'])
    .where((eb) => eb.or([eb.and([eb('valid_from', '<=', to), eb('valid_until', '>=', from)]), ...(ids.length ? [eb('id', 'in', ids)] : [])]))
  if (offerId) q = q.where('id', '=', offerId)
  return q.orderBy('id').execute()
}

export function sumManufacturerDays(db: Db, from: string, to: string, manufacturer?: string) {
  const only = manufacturer ? sql`and o.funded_by_manufacturer = ${manufacturer}` : sql``
  return sql<{ manufacturer: string; offer_id: number; name: string; redemptions: number; units: number; cents: number }>`
    select o.funded_by_manufacturer as manufacturer, o.id as offer_id, o.name,
           sum(d.redemptions)::int as redemptions, sum(d.units)::int as units, sum(d.discount_cents)::bigint as cents
      from report_offer_day d join offer o on o.id = d.offer_id
     where d.day between ${from}::date and ${to}::date and o.funded_by_manufacturer is not null ${only}
     group by 1, 2, 3
     order by 1, 2`
    .execute(db)
    .then((r) => r.rows)
}

export function countPendingReversals(db: Db) {
  return sql<{ n: number }>`select count(*)::int as n from report_redemption_event`.execute(db).then((r) => r.rows[0]?.n ?? 0)
}
