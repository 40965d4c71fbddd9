// The fastest way to put a big demo population into an empty database, for benchmarks: COPY
// straight into customer, product, sale and sale_line with ids assigned here. It skips the
// import's validation and idempotency on purpose; the service's own loader (load-demo.ts) goes
// through the import so the demo exercises the product. Stats, profiles and offers are the
// caller's next steps.
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import type { Demo } from './generate.ts'

export interface BulkLoadResult {
  customers: number
  products: number
  sales: number
  lines: number
}

async function copyRows(client: pg.PoolClient, statement: string, rows: Iterable<string>): Promise<void> {
  function* chunks() {
    let buf = ''
    for (const row of rows) {
      buf += row
      if (buf.length > 1 << 16) {
        yield buf
        buf = ''
      }
    }
    if (buf) yield buf
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(statement)))
}

// COPY text format: backslash, tab and newline would break a row.
const text = (v: string | null | undefined) => (v === null || v === undefined ? '\\N' : v.replace(/[\\\t\n\r]/g, ' '))

/** Loads stores, lanes, products, customers and the whole history of `demo`. The database must be empty. */
export async function bulkLoadDemo(pool: pg.Pool, demo: Demo): Promise<BulkLoadResult> {
  const client = await pool.connect()
  try {
    await client.query('begin')
    await copyRows(client, 'copy store (id, name, timezone) from stdin', demo.stores.map((s) => `${text(s.id)}\t${text(s.name)}\t${text(s.timezone)}\n`))
    await copyRows(client, 'copy lane (store_id, id, name) from stdin', demo.stores.flatMap((s) => s.lanes.map((l) => `${s.id}\t${l}\tLane ${l}\n`)))
    const productId = new Map<string, number>()
    await copyRows(
      client,
      'copy product (id, gtin, name, category, brand, brand_type, manufacturer, size, regular_price_cents) from stdin',
      demo.products.map((p, i) => {
        const gtin = p.gtin.padStart(14, '0')
        productId.set(gtin, i + 1)
        return `${i + 1}\t${gtin}\t${text(p.name)}\t${text(p.category)}\t${text(p.brand)}\t${p.brandType}\t${text(p.manufacturer)}\t${text(p.size)}\t${p.regularPriceCents}\n`
      }),
    )
    function* customerRows() {
      for (const c of demo.customers()) {
        const household = JSON.stringify({ adults: c.household.adults, children: c.household.children, pets: c.household.hasPet, baby: c.household.hasBaby })
        yield `${c.index + 1}\t${text(c.externalId)}\t${text(c.firstName)}\t${household}\t${c.homeStoreId}\n`
      }
    }
    await copyRows(client, 'copy customer (id, external_id, first_name, household, home_store_id) from stdin', customerRows())
    await client.query('commit')

    let sales = 0
    let lines = 0
    const saleRows: string[] = []
    const lineRows: string[] = []
    const flush = async () => {
      await client.query('begin')
      await copyRows(client, 'copy sale (id, customer_id, store_id, lane_id, source, external_id, occurred_at, day, total_before_cents) from stdin', saleRows)
      await copyRows(client, 'copy sale_line (sale_id, line_no, customer_id, product_id, gtin, quantity, unit_price_cents) from stdin', lineRows)
      await client.query('commit')
      saleRows.length = 0
      lineRows.length = 0
    }
    for (let i = 0; i < demo.customerCount; i++) {
      for (const tx of demo.transactions({ index: i })) {
        sales++
        let total = 0
        tx.lines.forEach((l, n) => {
          const gtin = l.gtin.padStart(14, '0')
          total += l.quantity * l.unitPriceCents
          lineRows.push(`${sales}\t${n + 1}\t${i + 1}\t${productId.get(gtin) ?? '\\N'}\t${gtin}\t${l.quantity}\t${l.unitPriceCents}\n`)
        })
        lines += tx.lines.length
        // The local calendar day of the sale, as the import records it.
        saleRows.push(`${sales}\t${i + 1}\t${tx.storeId}\t${tx.laneId}\timport\t${tx.transactionId}\t${tx.occurredAt}\t${tx.occurredAt.slice(0, 10)}\t${total}\n`)
      }
      if (lineRows.length > 200_000) await flush()
    }
    await flush()
    await client.query(
      `select setval(pg_get_serial_sequence('sale', 'id'), greatest($1::bigint, 1)), setval(pg_get_serial_sequence('customer', 'id'), greatest($2::bigint, 1)),
              setval(pg_get_serial_sequence('product', 'id'), greatest($3::bigint, 1))`,
      [sales, demo.customerCount, demo.products.length],
    )
    return { customers: demo.customerCount, products: demo.products.length, sales, lines }
  } catch (err) {
    await client.query('rollback').catch(() => {})
    throw err
  } finally {
    client.release()
  }
}
