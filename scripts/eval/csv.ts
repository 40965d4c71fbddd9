// Minimal readers for the evaluation CSVs. The files are machine-written, unquoted and small
// (under 10 MB), so a split-based reader is faster than a general CSV parser and good enough.
import { readFileSync } from 'node:fs'

export interface TransactionRow {
  customerId: string
  transactionId: string
  /** Basket index (sequence data) or ISO date string (calendar data), as written in the file. */
  day: string
  productId: string
  quantity: number
}

export interface TargetRow {
  customerId: string
  targetTransactionId: string
  split: string
}

function readRows(path: string, expectedHeader: readonly string[]): string[][] {
  const text = readFileSync(path, 'utf8')
  const lines = text.split(/\r?\n/)
  const header = (lines[0] ?? '').split(',')
  const missing = expectedHeader.filter((h) => !header.includes(h))
  if (missing.length > 0) throw new Error(`${path}: missing columns ${missing.join(', ')}`)
  const index = expectedHeader.map((h) => header.indexOf(h))
  const rows: string[][] = []
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]
    if (line === undefined || line === '') continue
    const cells = line.split(',')
    rows.push(index.map((j) => cells[j] ?? ''))
  }
  return rows
}

export function readTransactions(path: string): TransactionRow[] {
  const rows = readRows(path, ['customer_id', 'transaction_id', 'day', 'product_id', 'quantity'])
  return rows.map(([customerId = '', transactionId = '', day = '', productId = '', quantity = '']) => ({
    customerId,
    transactionId,
    day,
    productId,
    quantity: Number(quantity),
  }))
}

export function readTargets(path: string): TargetRow[] {
  const rows = readRows(path, ['customer_id', 'target_transaction_id', 'split'])
  return rows.map(([customerId = '', targetTransactionId = '', split = '']) => ({
    customerId,
    targetTransactionId,
    split,
  }))
}

/** product_id -> category, for files shaped like dunnhumby's products.csv. Empty categories are skipped. */
export function readProductCategories(path: string): Map<string, string> {
  const rows = readRows(path, ['product_id', 'category'])
  const out = new Map<string, string>()
  for (const [productId = '', category = ''] of rows) {
    if (category !== '') out.set(productId, category)
  }
  return out
}
