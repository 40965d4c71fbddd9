import type { SpoolSink } from './transaction-rows.ts'

/**
 * The rows of a grouped file (input-scan.ts) cut into batches as they are read, in the spool's
 * text format, for BatchDraft. A batch ends only where the transaction changes, so it holds
 * every row of each of its sales (the file is grouped). Like bucketBatches, the first batches
 * are smaller (a quarter, then a half) so that PostgreSQL starts working sooner. Rows are
 * gathered per chunk of input (endChunk), so the row strings die young.
 */
export class GroupedBatches implements SpoolSink {
  /** Batches complete and not yet taken, each as its texts. */
  readonly ready: string[][] = []
  private texts: string[] = []
  private text = ''
  private rows = 0
  private key = ''
  private target: number

  constructor(private readonly batchRows: number) {
    this.target = Math.max(1, Math.floor(batchRows / 4))
  }

  add(bucket: number, line: number, row: string): void {
    if (!this.sameKey(row)) {
      if (this.rows >= this.target) this.cut()
      const tab = row.indexOf('\t', row.indexOf('\t') + 1)
      this.key = tab === -1 ? row : row.slice(0, tab)
    }
    this.text += `${bucket}\t${line}\t${row}\n`
    this.rows++
  }

  endChunk(): void {
    if (!this.text) return
    this.texts.push(this.text)
    this.text = ''
  }

  /** The end of the file: the last batch is complete. */
  finish(): void {
    this.endChunk()
    if (this.texts.length) this.ready.push(this.texts)
    this.texts = []
    this.rows = 0
  }

  /** Whether the row (customer, transaction, then more fields or none) belongs to the current sale. */
  private sameKey(row: string): boolean {
    const key = this.key
    return key !== '' && row.startsWith(key) && (row.length === key.length || row.charCodeAt(key.length) === 9)
  }

  private cut(): void {
    this.endChunk()
    this.ready.push(this.texts)
    this.texts = []
    this.rows = 0
    this.target = Math.min(this.batchRows, this.target * 2)
  }
}
