import type { Kysely, Transaction } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { invalid } from '../../lib/errors.ts'
import * as repo from './voucher.repository.ts'
import {
  accrualUnits,
  lastCompletePeriod,
  periodOf,
  periodsFrom,
  nextPeriod,
  reversalUnits,
  settle,
  splitUnits,
  voucherConfig,
  type VoucherConfig,
} from './voucher-rules.ts'

// Functions take the caller's transaction: the redemption module accrues and reverses inside the
// transaction that records the sale, void or return, so a voucher balance never disagrees with
// the history it came from.

type Db = Kysely<DB> | Transaction<DB>

export interface Voucher {
  id: number
  customerId: number
  periodStart: string
  periodEnd: string
  valueCents: number
  issuedOn: string
  expiresOn: string | null
  redeemedBy: number | null
  redeemedAt: string | null
}

export interface VoucherBalance {
  /** Accrued (net of reversals) and not yet issued, in 1/10,000 cent; negative after a late return. */
  balanceUnits: number
  /** balanceUnits in whole cents (floor) and the sub-cent rest. */
  balanceCents: number
  remainderUnits: number
  issuedThrough: string | null
}

export function toVoucher(r: repo.VoucherRow): Voucher {
  return {
    id: r.id,
    customerId: r.customer_id,
    periodStart: r.period_start,
    periodEnd: r.period_end,
    valueCents: r.value_cents,
    issuedOn: r.issued_on,
    expiresOn: r.expires_on,
    redeemedBy: r.redeemed_by,
    redeemedAt: r.redeemed_at ? r.redeemed_at.toISOString() : null,
  }
}

function checkSpend(spendCents: number) {
  if (!Number.isSafeInteger(spendCents) || spendCents < 0) throw invalid([{ path: 'spendCents', message: 'must be a whole number of cents, at least 0' }])
}

/**
 * Accrues the configured share of a sale's spend (what the customer paid) to the customer's
 * balance. Idempotent per sale: a second call for the same sale accrues nothing (accrued: false).
 */
export async function accrueVoucher(
  trx: Db,
  input: { customerId: number; saleId: number; spendCents: number },
  overrides?: Partial<VoucherConfig>,
): Promise<{ accrued: boolean; units: number }> {
  checkSpend(input.spendCents)
  const cfg = voucherConfig(overrides)
  const units = accrualUnits(input.spendCents, cfg.rateBasisPoints)
  const row = await repo.insertAccrual(trx, { ...input, rateBp: cfg.rateBasisPoints, units })
  if (row) return { accrued: true, units }
  if (!(await repo.saleBelongsTo(trx, input.saleId, input.customerId))) {
    throw invalid([{ path: 'saleId', message: `sale ${input.saleId} is not customer ${input.customerId}'s` }])
  }
  return { accrued: false, units: 0 }
}

/**
 * Takes back what `spendCents` of the sale accrued, at the rate the sale accrued at, never more
 * than the sale has left (a void passes the whole spend; a return the returned units' spend).
 * `reference` (e.g. 'void' or 'return:<posReturnId>') makes a retry take nothing twice; without
 * it each call is a new reversal. A sale that accrued nothing has nothing to take back (units 0).
 * The reversal counts in the period of `day` (default today), so if the sale's voucher was
 * already issued, the next voucher is smaller, or the balance goes below zero until it is earned back.
 */
export async function reverseVoucher(
  trx: Db,
  input: { customerId: number; saleId: number; spendCents: number; reference?: string; day?: string },
): Promise<{ units: number }> {
  checkSpend(input.spendCents)
  const reference = input.reference ?? null
  if (reference !== null) {
    const earlier = await repo.findReversal(trx, input.saleId, reference)
    if (earlier) return { units: -earlier.units }
  }
  const accrual = await repo.lockAccrual(trx, input.saleId, input.customerId)
  if (!accrual) return { units: 0 }
  const units = reversalUnits(input.spendCents, accrual.rateBp, accrual.remainingUnits)
  if (units === 0) return { units: 0 }
  const day = input.day ?? new Date().toISOString().slice(0, 10)
  // Capped by what is left, the entry records the spend it stands for (every entry is spend x
  // rate, so what is left divides exactly).
  const spendCents = units === accrualUnits(input.spendCents, accrual.rateBp) ? input.spendCents : units / accrual.rateBp
  await repo.insertReversal(trx, { ...input, spendCents, reference, day, rateBp: accrual.rateBp, units })
  return { units }
}

/**
 * Turns the balance into vouchers for every period that ended before `asOf` and is not settled
 * yet: one voucher per period whose due amount reaches the minimum (floor to whole cents, the
 * rest carried). Idempotent: a second call on the same day issues nothing new.
 */
export async function issueDueVouchers(
  trx: Db,
  customerId: number,
  asOf: string,
  overrides?: Partial<VoucherConfig>,
): Promise<Voucher[]> {
  const cfg = voucherConfig(overrides)
  const last = lastCompletePeriod(asOf, cfg.periodMonths)
  // Every list write asks; most of the time the period is settled or nothing ever accrued, which
  // one unlocked read tells (a list regenerates after every lane sale).
  const state = await repo.issueState(trx, customerId, last.end)
  if (!state.any_entry || (state.issued_through && state.issued_through >= last.end)) return []
  const account = await repo.lockAccount(trx, customerId)
  if (account.issued_through && account.issued_through >= last.end) return []
  const sums = await repo.unitsByPeriod(trx, customerId, last.end, cfg.periodMonths)
  const first = sums[0]
  if (!first) return []
  const from = account.issued_through ? nextPeriod(periodOf(account.issued_through, cfg.periodMonths), cfg.periodMonths).start : first.periodStart
  const periods = periodsFrom(from, last, cfg.periodMonths)
  const unitsThrough = (end: string) => sums.reduce((s, p) => (p.periodStart <= end ? s + p.units : s), 0)
  const result = settle(periods, unitsThrough, account.issued_units, cfg.minVoucherCents)
  const expiresOn = cfg.validDays > 0 ? new Date(Date.parse(`${asOf}T00:00:00Z`) + cfg.validDays * 86_400_000).toISOString().slice(0, 10) : null
  const issued: Voucher[] = []
  for (const v of result.vouchers) {
    const row = await repo.insertVoucher(trx, {
      customerId,
      periodStart: v.period.start,
      periodEnd: v.period.end,
      valueCents: v.valueCents,
      issuedOn: asOf,
      expiresOn,
    })
    issued.push(toVoucher(row))
  }
  await repo.updateAccount(trx, customerId, result.issuedUnits, result.issuedThrough ?? account.issued_through)
  return issued
}

export async function getVoucherBalance(db: Db, customerId: number): Promise<VoucherBalance> {
  const total = await repo.ledgerTotal(db, customerId)
  const account = await repo.findAccount(db, customerId)
  const balanceUnits = total - (account?.issued_units ?? 0)
  const { cents, remainderUnits } = splitUnits(balanceUnits)
  return { balanceUnits, balanceCents: cents, remainderUnits, issuedThrough: account?.issued_through ?? null }
}

export async function listVouchers(db: Db, customerId: number): Promise<Voucher[]> {
  return (await repo.findVouchers(db, customerId)).map(toVoucher)
}

/** Issued, unredeemed and unexpired on `day`: what the lane may take and the list prints. */
export async function findRedeemableVouchers(db: Db, customerId: number, day: string): Promise<Voucher[]> {
  return (await repo.findRedeemableVouchers(db, customerId, day)).map(toVoucher)
}

/** Marks a voucher used by a redemption; undefined when it is not the customer's, used, or expired. */
export async function redeemVoucher(
  trx: Db,
  input: { voucherId: number; customerId: number; redemptionId: number; day: string },
): Promise<Voucher | undefined> {
  const row = await repo.redeemVoucher(trx, input)
  return row ? toVoucher(row) : undefined
}

/** A voided redemption gives its vouchers back; returns how many. */
export async function releaseVouchers(trx: Db, redemptionId: number): Promise<number> {
  return (await repo.releaseVouchers(trx, redemptionId)).length
}

/** Prints every redeemable voucher on the list (the generator calls this when it writes a list). */
export async function attachVouchersToList(trx: Db, input: { listId: number; customerId: number; day: string }): Promise<Voucher[]> {
  await repo.attachToList(trx, input)
  return (await repo.findListVouchers(trx, input.listId)).map(toVoucher)
}

/** attachVouchersToList for a chunk's lists at once, without reading them back. */
export async function attachVouchersToLists(trx: Db, lists: { listId: number; customerId: number }[], day: string): Promise<void> {
  await repo.attachToLists(trx, lists, day)
}

/**
 * What a batch of new lists needs: every due voucher issued (issueDueVouchers, for the customers
 * one read says may have something due) and every redeemable voucher printed on the list. Most
 * customers have neither, so a chunk or a single regeneration costs one read.
 */
export async function settleAndAttachVouchers(
  trx: Db,
  lists: { listId: number; customerId: number }[],
  asOf: string,
  overrides?: Partial<VoucherConfig>,
  /** The customers' issueStates as of voucherStateThrough(asOf), when the caller read them already in this transaction. */
  knownStates?: VoucherState[],
): Promise<void> {
  if (!lists.length) return
  const cfg = voucherConfig(overrides)
  const last = lastCompletePeriod(asOf, cfg.periodMonths)
  const states = knownStates ?? (await repo.issueStates(trx, lists.map((l) => l.customerId), last.end, asOf))
  const printable = new Set<number>()
  for (const s of states) {
    const due = s.any_entry && !(s.issued_through && s.issued_through >= last.end)
    if (due && (await issueDueVouchers(trx, s.customer_id, asOf, overrides)).length) printable.add(s.customer_id)
    if (s.any_redeemable) printable.add(s.customer_id)
  }
  await repo.attachToLists(trx, lists.filter((l) => printable.has(l.customerId)), asOf)
}

export type VoucherState = Awaited<ReturnType<typeof repo.issueStates>>[number]

/** The `through` day settleAndAttachVouchers reads the voucher states for (the last complete period's end). */
export function voucherStateThrough(asOf: string, overrides?: Partial<VoucherConfig>): string {
  return lastCompletePeriod(asOf, voucherConfig(overrides).periodMonths).end
}

export async function findListVouchers(db: Db, listId: number): Promise<Voucher[]> {
  return (await repo.findListVouchers(db, listId)).map(toVoucher)
}
