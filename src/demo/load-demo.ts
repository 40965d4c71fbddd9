import type { Logger } from 'pino'
import type { Database } from '../db/database.ts'

export interface DemoSummary {
  stores: number
  customers: number
  sales: number
  sampleCards: string[]
  keysFile: string | null
}

export async function loadDemoIfEmpty(_db: Database, _opts: { customers: number; log: Logger }): Promise<DemoSummary | null> {
  return null
}
