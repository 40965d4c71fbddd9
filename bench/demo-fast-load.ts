// Loads the demo generator's chain straight into the tables with COPY, for benchmarks that need
// millions of lines: the history import (the product path, ~100k lines/s) would take longer
// than what it measures. Ids are assigned here (COPY writes identity columns as given) and the
// sequences are moved past them. Not for stores: it skips every check the import makes.
import { sql } from 'kysely'
import type { Database } from '../src/db/database.ts'
import { generateDemo } from '../src/demo/generate.ts'
import { copyIn } from '../src/modules/imports/import-db.ts'
import { productInput } from '../src/modules/products/product.schemas.ts'
import { upsertProducts } from '../src/modules/products/product.service.ts'


export async function fastLoadDemo(db: Database, opts: { customers: number; days: number; endDate: string }): Promise<{ customers: number; sales: number; lines: number }> {
  const demo = generateDemo({ customers: opts.customers, days: opts.days, endDate: opts.endDate, seed: 1 })
  await db.insertInto('store').values(demo.stores.map((s) => ({ id: s.id, name: s.name, timezone: s.timezone }))).execute()
  const products = demo.products.map(({ typicalCycleDays: _c, typicalQuantity: _q, popularity: _p, ...p }) => productInput.parse(p))
  await upsertProducts(db, products, 'bench')
  const ids = new Map((await db.selectFrom('product').select(['id', 'gtin']).execute()).map((r) => [(r.gtin ?? '').trim(), r.id]))
  let sales = 0
  let lines = 0
  await db.transaction().execute(async (trx) => {
    await copyIn(
      trx,
      'copy customer (id, external_id, first_name, home_store_id) from stdin',
      (function* () {
        for (const c of demo.customers()) yield `${c.index + 1}\t${c.externalId}\t${c.firstName ?? '\\N'}\t${c.homeStoreId}\n`
      })(),
    )
    // Lines are written to a spool string per customer while sales stream: two COPYs cannot
    // share a connection, so the lines go second, regenerated (the generator is deterministic).
    await copyIn(
      trx,
      'copy sale (id, customer_id, store_id, lane_id, source, external_id, occurred_at, day) from stdin',
      (function* () {
        for (let i = 0; i < demo.customerCount; i++) {
          for (const t of demo.transactions({ index: i })) {
            sales++
            yield `${sales}\t${i + 1}\t${t.storeId}\t${t.laneId}\timport\t${t.transactionId}\t${t.occurredAt}\t${t.occurredAt.slice(0, 10)}\n`
          }
        }
      })(),
    )
    let sale = 0
    await copyIn(
      trx,
      'copy sale_line (sale_id, line_no, customer_id, product_id, gtin, quantity, unit_price_cents) from stdin',
      (function* () {
        for (let i = 0; i < demo.customerCount; i++) {
          let chunk = ''
          for (const t of demo.transactions({ index: i })) {
            sale++
            t.lines.forEach((l, n) => {
              lines++
              chunk += `${sale}\t${n + 1}\t${i + 1}\t${ids.get(l.gtin) ?? '\\N'}\t${l.gtin}\t${l.quantity}\t${l.unitPriceCents}\n`
            })
          }
          yield chunk
        }
      })(),
    )
    await sql`select setval(pg_get_serial_sequence('customer', 'id'), ${demo.customerCount + 1}), setval(pg_get_serial_sequence('sale', 'id'), ${sales + 1})`.execute(trx)
  })
  return { customers: demo.customerCount, sales, lines }
}
