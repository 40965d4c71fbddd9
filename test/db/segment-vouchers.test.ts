import t from 'tap'
import type { Kysely } from 'kysely'
import type { DB } from '../../src/db/schema.ts'
import {
  accrueVoucher,
  attachVouchersToList,
  findListVouchers,
  findRedeemableVouchers,
  getVoucherBalance,
  issueDueVouchers,
  listVouchers,
  redeemVoucher,
  releaseVouchers,
  reverseVoucher,
} from '../../src/modules/vouchers/voucher.service.ts'
import { testDatabase } from '../helpers/database.ts'
import { insertCustomer, insertList, insertProduct, insertSale } from '../helpers/list-fixtures.ts'

const trx = <T>(db: Kysely<DB>, fn: (trx: Kysely<DB>) => Promise<T>) => db.transaction().execute(fn)

async function setup(t: Parameters<typeof testDatabase>[0]) {
  const { db } = await testDatabase(t)
  const product = await insertProduct(db, { category: 'Pantry/Soup', priceCents: 199 })
  const customer = await insertCustomer(db)
  const sale = (day: string) => insertSale(db, customer, day, [{ product }])
  return { db, customer, sale }
}

t.test('accrual: 1% of spend per sale, exact to the sub-cent, once per sale', async (t) => {
  const { db, customer, sale } = await setup(t)
  const s1 = await sale('2026-05-02')
  const s2 = await sale('2026-05-09')
  const s3 = await sale('2026-05-16')
  for (const s of [s1, s2, s3]) t.same(await trx(db, (x) => accrueVoucher(x, { customerId: customer, saleId: s, spendCents: 1_234 })), { accrued: true, units: 123_400 })
  t.same(await trx(db, (x) => accrueVoucher(x, { customerId: customer, saleId: s1, spendCents: 1_234 })), { accrued: false, units: 0 }, 'a replay accrues nothing')
  t.same(await getVoucherBalance(db, customer), { balanceUnits: 370_200, balanceCents: 37, remainderUnits: 200, issuedThrough: null }, '37.02 cents, not 3 x 12')

  const other = await insertCustomer(db)
  await t.rejects(trx(db, (x) => accrueVoucher(x, { customerId: other, saleId: s1, spendCents: 100 })), { code: 'validation_failed' }, 'not their sale')
  await t.rejects(trx(db, (x) => accrueVoucher(x, { customerId: customer, saleId: s1, spendCents: -5 })), { code: 'validation_failed' })
  const s4 = await sale('2026-05-20')
  t.same(await trx(db, (x) => accrueVoucher(x, { customerId: customer, saleId: s4, spendCents: 1_000 }, { rateBasisPoints: 200 })), { accrued: true, units: 200_000 }, 'configurable rate')
})

t.test('voids and returns take back what the sale accrued, once per reference, never more', async (t) => {
  const { db, customer, sale } = await setup(t)
  const s1 = await sale('2026-05-02')
  await trx(db, (x) => accrueVoucher(x, { customerId: customer, saleId: s1, spendCents: 10_000 }))
  const ret = (spendCents: number, reference?: string) => trx(db, (x) => reverseVoucher(x, { customerId: customer, saleId: s1, spendCents, day: '2026-05-03', ...(reference ? { reference } : {}) }))
  t.same(await ret(2_500, 'return:R1'), { units: 250_000 })
  t.same(await ret(2_500, 'return:R1'), { units: 250_000 }, 'a retried return reports the same reversal')
  t.equal((await getVoucherBalance(db, customer)).balanceUnits, 750_000, 'and takes nothing twice')
  t.same(await ret(99_999, 'void'), { units: 750_000 }, 'a void takes back what is left, no more')
  t.same(await ret(100), { units: 0 }, 'nothing left to take')
  t.equal((await getVoucherBalance(db, customer)).balanceUnits, 0)

  const never = await sale('2026-05-04')
  t.same(await trx(db, (x) => reverseVoucher(x, { customerId: customer, saleId: never, spendCents: 500, reference: 'void' })), { units: 0 }, 'a sale that accrued nothing gives nothing back')

  const rate = await sale('2026-05-05')
  await trx(db, (x) => accrueVoucher(x, { customerId: customer, saleId: rate, spendCents: 1_000 }, { rateBasisPoints: 150 }))
  t.same(await trx(db, (x) => reverseVoucher(x, { customerId: customer, saleId: rate, spendCents: 400, reference: 'r' })), { units: 60_000 }, 'at the 1.5% the sale accrued at')
  const kinds = await db.selectFrom('voucher_entry').select(['kind', 'units']).where('sale_id', '=', rate).orderBy('id').execute()
  t.same(kinds, [{ kind: 'accrual', units: 150_000 }, { kind: 'reversal', units: -60_000 }])
})

t.test('issueDueVouchers: quarterly, floor to cents with the rest carried, idempotent', async (t) => {
  const { db, customer, sale } = await setup(t)
  // Q2: 3 x 12.34 cents = 37.02 cents; Q3: one sale of $123.45 -> 123.45 cents; Q4: $500 -> 500 cents.
  for (const day of ['2026-04-10', '2026-05-10', '2026-06-10']) {
    const s = await sale(day)
    await trx(db, (x) => accrueVoucher(x, { customerId: customer, saleId: s, spendCents: 1_234 }))
  }
  const big = await sale('2026-08-01')
  await trx(db, (x) => accrueVoucher(x, { customerId: customer, saleId: big, spendCents: 12_345 }))
  const late = await sale('2026-10-05')
  await trx(db, (x) => accrueVoucher(x, { customerId: customer, saleId: late, spendCents: 50_000 }))

  t.same(await trx(db, (x) => issueDueVouchers(x, customer, '2026-06-30')), [], 'Q2 is not over on its last day; Q1 had nothing')
  const issued = await trx(db, (x) => issueDueVouchers(x, customer, '2026-11-23'))
  // Q2's 37.02 cents are under the $1 minimum: carried into Q3, 37.02 + 123.45 = 160.47 -> 160 cents.
  t.match(issued, [{ customerId: customer, periodStart: '2026-07-01', periodEnd: '2026-09-30', valueCents: 160, issuedOn: '2026-11-23', expiresOn: '2027-11-23', redeemedBy: null }])
  t.same(await trx(db, (x) => issueDueVouchers(x, customer, '2026-11-23')), [], 'a second call issues nothing')
  t.same(await getVoucherBalance(db, customer), { balanceUnits: 4_700 + 5_000_000, balanceCents: 500, remainderUnits: 4_700, issuedThrough: '2026-09-30' }, 'Q4 so far (500 cents) and the 0.47 cent rest')

  // A return in Q4 of the Q3 sale whose accrual was already paid out lowers the next voucher.
  await trx(db, (x) => reverseVoucher(x, { customerId: customer, saleId: big, spendCents: 12_345, reference: 'void', day: '2026-11-30' }))
  const q4 = await trx(db, (x) => issueDueVouchers(x, customer, '2027-01-02'))
  t.match(q4, [{ periodStart: '2026-10-01', periodEnd: '2026-12-31', valueCents: 377 }], '500 + 0.47 - 123.45 = 377.02 -> 377')
  t.same((await listVouchers(db, customer)).map((v) => v.valueCents), [160, 377])
})

t.test('vouchers at the lane and on the list: redeem once, release on void, print on a list', async (t) => {
  const { db, customer, sale } = await setup(t)
  const s = await sale('2026-08-01')
  await trx(db, (x) => accrueVoucher(x, { customerId: customer, saleId: s, spendCents: 50_000 }))
  const [voucher] = await trx(db, (x) => issueDueVouchers(x, customer, '2026-10-01', { validDays: 30 }))
  t.match(voucher, { valueCents: 500, expiresOn: '2026-10-31' })

  const list = await insertList(db, { customerId: customer })
  const printed = await trx(db, (x) => attachVouchersToList(x, { listId: list.id, customerId: customer, day: '2026-10-02' }))
  t.same(printed.map((v) => v.id), [voucher!.id])
  t.same((await findListVouchers(db, list.id)).map((v) => v.valueCents), [500])

  await db.insertInto('store').values({ id: 'S1', name: 'One', timezone: 'America/Chicago' }).execute()
  const redemption = async (tx: string) =>
    (
      await db
        .insertInto('redemption')
        .values({ store_id: 'S1', pos_transaction_id: tx, request_hash: 'h', customer_id: customer, sale_id: s, response: '{}' })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id
  const r1 = await redemption('T1')
  const r2 = await redemption('T2')
  t.same((await findRedeemableVouchers(db, customer, '2026-10-15')).map((v) => v.id), [voucher!.id])
  t.equal((await findRedeemableVouchers(db, customer, '2026-11-01')).length, 0, 'expired')
  t.notOk(await trx(db, (x) => redeemVoucher(x, { voucherId: voucher!.id, customerId: customer, redemptionId: r1, day: '2026-11-01' })), 'expired vouchers are refused')
  const [a, b] = await Promise.all([
    trx(db, (x) => redeemVoucher(x, { voucherId: voucher!.id, customerId: customer, redemptionId: r1, day: '2026-10-15' })),
    trx(db, (x) => redeemVoucher(x, { voucherId: voucher!.id, customerId: customer, redemptionId: r2, day: '2026-10-15' })),
  ])
  t.equal([a, b].filter(Boolean).length, 1, 'two lanes at once: exactly one gets it')
  const winner = (a ?? b)!.redeemedBy!
  t.equal((await findRedeemableVouchers(db, customer, '2026-10-15')).length, 0)
  t.equal(await trx(db, (x) => releaseVouchers(x, winner)), 1, 'a void gives it back')
  t.equal((await findRedeemableVouchers(db, customer, '2026-10-15')).length, 1)
})
