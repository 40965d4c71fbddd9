import { Readable } from 'node:stream'
import t from 'tap'
import { openCsvWithColumns, RowErrors } from '../../src/modules/imports/csv-input.ts'
import { GroupedReader } from '../../src/modules/imports/grouped-reader.ts'
import { TRANSACTION_REQUIRED_COLUMNS, TransactionRowEncoder, type CheckedRow, type RowSink } from '../../src/modules/imports/transaction-rows.ts'

// A grouped file's lines are checked on their bytes (TransactionRowEncoder.line); every other
// row by encode(), as CsvReader splits it. Both must accept the same rows with the same fields
// and reject the same rows with the same messages: this feeds one file through each.

class Recorder implements RowSink {
  readonly calls: unknown[] = []
  row(line: number, customer: string, transaction: string, row: CheckedRow): void {
    // The slot is the encoder's cache entry for the key (the byte check has one for numeric
    // ids): it must name the same key, and is otherwise no part of what is compared.
    const { productSlot, ...fields } = row
    if (productSlot !== undefined && productSlot.key !== row.productKey) throw new Error(`slot ${productSlot.key} for key ${row.productKey}`)
    this.calls.push(['row', line, customer, transaction, fields])
  }
  marker(line: number, customer: string, transaction: string): void {
    this.calls.push(['marker', line, customer, transaction])
  }
}

async function throughBytes(text: string, piece: number) {
  const bytes = Buffer.from(text)
  const chunks: Buffer[] = []
  for (let i = 0; i < bytes.length; i += piece) chunks.push(bytes.subarray(i, i + piece))
  const reader = await GroupedReader.open(Readable.from(chunks), TRANSACTION_REQUIRED_COLUMNS)
  const errors = new RowErrors()
  const sink = new Recorder()
  const encoder = new TransactionRowEncoder(reader.columns, new Set(['S1']), errors, sink)
  while (await reader.pump(encoder));
  return { calls: sink.calls, errors: errors.sorted(), rejected: errors.rejected, rows: encoder.rows }
}

async function throughRecords(text: string) {
  const errors = new RowErrors()
  const csv = await openCsvWithColumns(Readable.from([text]), errors, TRANSACTION_REQUIRED_COLUMNS)
  const sink = new Recorder()
  const encoder = new TransactionRowEncoder(csv.columns, new Set(['S1']), errors, sink)
  for await (const records of csv.records) encoder.encode(records)
  return { calls: sink.calls, errors: errors.sorted(), rejected: errors.rejected, rows: encoder.rows }
}

/** Field values the byte check takes, and ones it must hand to encode(). */
const VALUES = {
  id: ['1', '42', '007', 'C-9', ' 5', '5 ', '', 'x'.repeat(100), 'x'.repeat(101), 'a\\b', 'é', '\t7', '0', '12345678901234567890'],
  day: ['2024-03-01', '2024-02-30', '8800', '73001', '', ' 2024-03-01', '2024-3-1', 'x', '0'],
  product: ['7', '07', '0', 'A1', 'a\\b', '', ' 8', '1234567890123456', 'x'.repeat(101), 'ü'],
  quantity: ['1', '3', '0', '1000000', '1000001', '0000003', '', '-2', '1.5', ' 2', 'x'],
  price: ['', '0', '250', '2147483647', '2147483648', '99999999999', '-1', ' 3', 'x'],
}

function file(columns: string[], lines: number, seed: number): string {
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0
    return Math.floor((seed / 2 ** 32) * n)
  }
  const pick = (xs: string[]) => (rand(3) === 0 ? xs[rand(xs.length)]! : xs[rand(3)]!)
  const out = [columns.join(',')]
  let customer = '1'
  let transaction = '1'
  for (let i = 0; i < lines; i++) {
    if (rand(4) === 0) {
      customer = pick(VALUES.id)
      transaction = pick(VALUES.id)
    }
    const fields = columns.map((c) =>
      c === 'customer_id' ? customer : c === 'transaction_id' ? transaction : c === 'day' ? pick(VALUES.day)
        : c === 'product_id' ? pick(VALUES.product) : c === 'quantity' ? pick(VALUES.quantity)
        : c === 'unit_price_cents' ? pick(VALUES.price) : c === 'store_id' ? (rand(2) ? 'S1' : 'S2') : 'extra',
    )
    if (rand(40) === 0) fields.pop() // a column short
    if (rand(40) === 0) fields.push('9') // a column too many
    out.push(rand(30) === 0 ? '' : fields.join(','))
  }
  return `${out.join(rand(2) ? '\n' : '\r\n')}${rand(2) ? '\n' : ''}`
}

t.test('the byte check accepts and rejects exactly what the record check does', async (t) => {
  const layouts = [
    ['customer_id', 'transaction_id', 'day', 'product_id', 'quantity'],
    ['transaction_id', 'quantity', 'customer_id', 'product_id', 'day', 'unit_price_cents'],
    ['customer_id', 'transaction_id', 'day', 'product_id', 'quantity', 'note'],
    ['customer_id', 'transaction_id', 'day', 'product_id', 'quantity', 'store_id'],
  ]
  for (const [i, columns] of layouts.entries()) {
    for (const seed of [1, 2, 3]) {
      const text = file(columns, 400, seed * 31 + i)
      const want = await throughRecords(text)
      const got = await throughBytes(text, 1 + ((seed * 97) % 200))
      t.same(got, want, `layout ${i}, seed ${seed}`)
      t.ok(want.rejected > 0 && want.calls.length > want.rejected, 'the file has good and bad rows')
    }
  }
})

t.test('header: a byte order mark, empty lines before it, CRLF, no final line break', async (t) => {
  const text = '\ufeff\r\n\nCustomer_ID, transaction_id ,day,product_id,quantity\r\n7,1,2024-01-02,5,2\r\n\r\n7,1,2024-01-02,6,1'
  t.same(await throughBytes(text, 3), await throughRecords(text))
  t.same((await throughBytes(text, 3)).calls.map((c) => (c as unknown[])[1]), [4, 6], 'lines counted as the reader counts them')
  const refusal = (p: Promise<unknown>) => p.then(() => undefined, (err: { code?: string; errors?: unknown }) => [err.code, err.errors])
  for (const [text, why] of [
    ['customer_id,day,product_id,quantity\n1,1,a,1\n', 'a missing column'],
    ['customer_id,transaction_id,day,product_id,quantity,day\n1,1,1,a,1,1\n', 'a column twice'],
    ['\n\r\n', 'no header'],
  ]) {
    const want = await refusal(throughRecords(text!))
    t.ok(want?.[0] === 'validation_failed', `${why} refuses the file`)
    t.same(await refusal(throughBytes(text!, 5)), want, `${why}: the same refusal`)
  }
})
