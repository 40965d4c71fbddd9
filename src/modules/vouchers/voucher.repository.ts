import { sql, type Kysely, type Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'

type Db = Kysely<DB> | Transaction<DB>

/** Once per sale (unique index): a replay inserts nothing and returns undefined. The sale must be the customer's. */
export async function insertAccrual(trx: Db, e: { customerId: number; saleId: number; spendCents: number; rateBp: number; units: number }) {
  const { rows } = await sql<{ id: number; day: string; units: number }>`
    insert into voucher_entry (customer_id, sale_id, kind, reference, day, spend_cents, rate_bp, units)
    select ${e.customerId}, s.id, 'accrual', 'sale', s.day, ${e.spendCents}, ${e.rateBp}, ${e.units}
    from sale s where s.id = ${e.saleId} and s.customer_id = ${e.customerId}
    on conflict do nothing
    returning id, day, units
  `.execute(trx)
  return rows[0]
}

export function saleBelongsTo(db: Db, saleId: number, customerId: number) {
  return db.selectFrom('sale').select('id').where('id', '=', saleId).where('customer_id', '=', customerId).executeTakeFirst()
}

/**
 * Locks the sale's accrual (concurrent reversals of one sale queue here) and says what is left of
 * it after earlier reversals.
 */
export async function lockAccrual(trx: Db, saleId: number, customerId: number) {
  const accrual = await trx
    .selectFrom('voucher_entry')
    .select(['id', 'rate_bp', 'units'])
    .where('sale_id', '=', saleId)
    .where('customer_id', '=', customerId)
    .where('kind', '=', 'accrual')
    .forUpdate()
    .executeTakeFirst()
  if (!accrual) return undefined
  const left = await trx
    .selectFrom('voucher_entry')
    .select((eb) => eb.fn.sum<number>('units').as('units'))
    .where('sale_id', '=', saleId)
    .executeTakeFirstOrThrow()
  return { rateBp: accrual.rate_bp, remainingUnits: Number(left.units ?? 0) }
}

export function findReversal(db: Db, saleId: number, reference: string) {
  return db
    .selectFrom('voucher_entry')
    .select(['id', 'units'])
    .where('sale_id', '=', saleId)
    .where('reference', '=', reference)
    .where('kind', '=', 'reversal')
    .executeTakeFirst()
}

/** Returns undefined when the reference was already used for this sale (a replay). */
export async function insertReversal(
  trx: Db,
  e: { customerId: number; saleId: number; reference: string | null; day: string; spendCents: number; rateBp: number; units: number },
) {
  return trx
    .insertInto('voucher_entry')
    .values({
      customer_id: e.customerId,
      sale_id: e.saleId,
      kind: 'reversal',
      reference: e.reference,
      day: e.day,
      spend_cents: e.spendCents,
      rate_bp: e.rateBp,
      units: -e.units,
    })
    .onConflict((oc) => oc.columns(['sale_id', 'reference']).where('reference', 'is not', null).doNothing())
    .returning(['id', 'units'])
    .executeTakeFirst()
}

/** The account row, created on first use and locked: one settlement at a time per customer. */
export async function lockAccount(trx: Db, customerId: number) {
  await trx.insertInto('voucher_account').values({ customer_id: customerId }).onConflict((oc) => oc.column('customer_id').doNothing()).execute()
  return trx
    .selectFrom('voucher_account')
    .select(['issued_units', 'issued_through'])
    .where('customer_id', '=', customerId)
    .forUpdate()
    .executeTakeFirstOrThrow()
}

export function updateAccount(trx: Db, customerId: number, issuedUnits: number, issuedThrough: string | null) {
  return trx
    .updateTable('voucher_account')
    .set({ issued_units: issuedUnits, issued_through: issuedThrough, updated_at: new Date() })
    .where('customer_id', '=', customerId)
    .execute()
}

/** Ledger totals per period start (periods of `months` months aligned to 1 January), through `through`. */
export async function unitsByPeriod(db: Db, customerId: number, through: string, months: number) {
  const { rows } = await sql<{ period_start: string; units: number }>`
    select make_date(extract(year from day)::int, ((extract(month from day)::int - 1) / ${months}::int) * ${months}::int + 1, 1) as period_start,
           sum(units) as units
    from voucher_entry
    where customer_id = ${customerId} and day <= ${through}::date
    group by 1
    order by 1
  `.execute(db)
  return rows.map((r) => ({ periodStart: r.period_start, units: Number(r.units) }))
}

export async function ledgerTotal(db: Db, customerId: number): Promise<number> {
  const row = await db
    .selectFrom('voucher_entry')
    .select((eb) => eb.fn.sum<number>('units').as('units'))
    .where('customer_id', '=', customerId)
    .executeTakeFirstOrThrow()
  return Number(row.units ?? 0)
}

/**
 * Whether issuing could have anything to do, without a lock: the settled-through day, and whether
 * any ledger entry exists up to `through`. issued_through only moves forward, so a stale read
 * can only send the caller to the locked path.
 */
export async function issueState(db: Db, customerId: number, through: string) {
  const { rows } = await sql<{ issued_through: string | null; any_entry: boolean }>`
    select (select issued_through from voucher_account where customer_id = ${customerId}) as issued_through,
      exists (select 1 from voucher_entry where customer_id = ${customerId} and day <= ${through}::date) as any_entry
  `.execute(db)
  return rows[0]!
}

/**
 * issueState for a batch of customers in one read, with whether each already has a voucher
 * redeemable on `day` (a list then prints it): most customers have nothing to issue or print.
 */
export async function issueStates(db: Db, customerIds: number[], through: string, day: string) {
  const { rows } = await sql<{ customer_id: number; issued_through: string | null; any_entry: boolean; any_redeemable: boolean }>`
    select u.id as customer_id,
      (select issued_through from voucher_account where customer_id = u.id) as issued_through,
      exists (select 1 from voucher_entry where customer_id = u.id and day <= ${through}::date) as any_entry,
      exists (select 1 from voucher v where v.customer_id = u.id and v.redeemed_by is null and v.issued_on <= ${day}::date
                and (v.expires_on is null or v.expires_on >= ${day}::date)) as any_redeemable
    from unnest(${customerIds}::bigint[]) as u(id)
  `.execute(db)
  return rows
}

/** Prints every redeemable voucher of each list's customer on that list: one statement for a chunk. */
export async function attachToLists(trx: Db, lists: { listId: number; customerId: number }[], day: string) {
  if (!lists.length) return
  await sql`
    insert into list_voucher (list_id, voucher_id, customer_id)
    select l.list_id, v.id, v.customer_id
    from unnest(${lists.map((l) => l.listId)}::bigint[], ${lists.map((l) => l.customerId)}::bigint[]) as l(list_id, customer_id)
    join voucher v on v.customer_id = l.customer_id
    where v.redeemed_by is null and v.issued_on <= ${day}::date and (v.expires_on is null or v.expires_on >= ${day}::date)
    on conflict do nothing
  `.execute(trx)
}

export function findAccount(db: Db, customerId: number) {
  return db.selectFrom('voucher_account').select(['issued_units', 'issued_through']).where('customer_id', '=', customerId).executeTakeFirst()
}

export function insertVoucher(
  trx: Db,
  v: { customerId: number; periodStart: string; periodEnd: string; valueCents: number; issuedOn: string; expiresOn: string | null },
) {
  return trx
    .insertInto('voucher')
    .values({
      customer_id: v.customerId,
      period_start: v.periodStart,
      period_end: v.periodEnd,
      value_cents: v.valueCents,
      issued_on: v.issuedOn,
      expires_on: v.expiresOn,
    })
    .returningAll()
    .executeTakeFirstOrThrow()
}

const voucherColumns = ['id', 'customer_id', 'period_start', 'period_end', 'value_cents', 'issued_on', 'expires_on', 'redeemed_by', 'redeemed_at'] as const

export function findVouchers(db: Db, customerId: number) {
  return db.selectFrom('voucher').select(voucherColumns).where('customer_id', '=', customerId).orderBy('period_end').execute()
}

export function findRedeemableVouchers(db: Db, customerId: number, day: string) {
  return db
    .selectFrom('voucher')
    .select(voucherColumns)
    .where('customer_id', '=', customerId)
    .where('redeemed_by', 'is', null)
    .where('issued_on', '<=', day)
    .where((eb) => eb.or([eb('expires_on', 'is', null), eb('expires_on', '>=', day)]))
    .orderBy('expires_on')
    .orderBy('id')
    .execute()
}

/** Conditional update: of two lanes redeeming one voucher at once, exactly one gets it. */
export function redeemVoucher(trx: Db, v: { voucherId: number; customerId: number; redemptionId: number; day: string }) {
  return trx
    .updateTable('voucher')
    .set({ redeemed_by: v.redemptionId, redeemed_at: new Date() })
    .where('id', '=', v.voucherId)
    .where('customer_id', '=', v.customerId)
    .where('redeemed_by', 'is', null)
    .where('issued_on', '<=', v.day)
    .where((eb) => eb.or([eb('expires_on', 'is', null), eb('expires_on', '>=', v.day)]))
    .returning(voucherColumns)
    .executeTakeFirst()
}

export function releaseVouchers(trx: Db, redemptionId: number) {
  return trx
    .updateTable('voucher')
    .set({ redeemed_by: null, redeemed_at: null })
    .where('redeemed_by', '=', redemptionId)
    .returning(['id'])
    .execute()
}

export async function attachToList(trx: Db, a: { listId: number; customerId: number; day: string }) {
  await sql`
    insert into list_voucher (list_id, voucher_id, customer_id)
    select ${a.listId}, v.id, v.customer_id
    from voucher v
    where v.customer_id = ${a.customerId} and v.redeemed_by is null and v.issued_on <= ${a.day}::date
      and (v.expires_on is null or v.expires_on >= ${a.day}::date)
    on conflict do nothing
  `.execute(trx)
}

export function findListVouchers(db: Db, listId: number) {
  return db
    .selectFrom('list_voucher as lv')
    .innerJoin('voucher as v', 'v.id', 'lv.voucher_id')
    .select(['v.id', 'v.customer_id', 'v.period_start', 'v.period_end', 'v.value_cents', 'v.issued_on', 'v.expires_on', 'v.redeemed_by', 'v.redeemed_at'])
    .where('lv.list_id', '=', listId)
    .orderBy('v.period_end')
    .execute()
}

export type VoucherRow = Awaited<ReturnType<typeof findVouchers>>[number]
