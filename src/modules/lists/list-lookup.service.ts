// Service desk and console look-ups: whose list is this printed barcode, and the latest runs.
import type { Kysely } from 'kysely'
import type { DB } from '../../db/schema.ts'
import { notFound } from '../../lib/errors.ts'
import { toGeneration, type ListGeneration } from './list-run.service.ts'
import * as repo from './list-lookup.repository.ts'

export interface ListLookup {
  listId: string
  customerId: string
  status: 'current' | 'superseded'
  validFrom: string
  validUntil: string
}

export async function lookupListBarcode(db: Kysely<DB>, barcode: string): Promise<ListLookup> {
  const row = await repo.findListByBarcode(db, barcode)
  // The barcode itself stays out of the message: problem details end up in logs.
  if (!row) throw notFound('list with that barcode', 'given')
  return { listId: String(row.id), customerId: String(row.customer_id), status: row.status, validFrom: row.valid_from, validUntil: row.valid_until }
}

export async function listRecentRuns(db: Kysely<DB>, input: { limit: number; cursor?: string | undefined }): Promise<{ items: ListGeneration[]; nextCursor: string | null }> {
  const rows = await repo.findRecentRuns(db, input.cursor ? Number(input.cursor) : undefined, input.limit + 1)
  const page = rows.slice(0, input.limit)
  return { items: page.map(toGeneration), nextCursor: rows.length > input.limit ? String(page.at(-1)!.id) : null }
}
