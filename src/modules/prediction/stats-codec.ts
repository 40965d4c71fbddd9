// The stored form of one customer's statistics (customer_stats.stats, bytea). A full rebuild
// writes every customer's row and a list reads one; as JSON the rows were ~60 bytes per history
// line, and writing, checking and logging that text was half the rebuild. This encoding is about
// six times smaller and needs no parsing:
//
//   version 1: byte 1, then varints (unsigned LEB128; "zz" = zigzag-signed):
//     trips, zz firstDay, zz (lastDay - firstDay),
//     recentTrips.length, per entry zz (day - previous day, from firstDay), zz count,
//     products.length, per item: key, item; categories.length, per item: key, item
//   key:  an integer-like key n as 2n, any other key as 2 * (UTF-8 length) + 1 then its bytes
//   item: 2 * days + (decay === 1), zz quantity, zz (firstDay - stats.firstDay),
//         zz (lastDay - item.firstDay), recent.length, per entry zz (day - previous day, from
//         item.firstDay), zz quantity; then decay as float64 little-endian unless it is 1
//   version 0: byte 0, then the statistics as JSON text (UTF-8). Rows written before migration
//     0017 were converted to it, and the encoder falls back to it for any value that is not an
//     integer of at most 2^51 (never seen from sale lines; kept exact rather than rounded).
//
// Decoding gives back exactly what was encoded (decay bit for bit, key order as JSON gives it).
import type { CustomerStats, ItemStats } from './prediction.types.ts'

export const STATS_VERSION = 1
const JSON_VERSION = 0
const MAX_INT = 2 ** 51
const INTEGER_KEY = /^(0|[1-9][0-9]{0,14})$/

// A RangeError, so callers that handle "does not fit" see one kind of error.
class NotCompact extends RangeError {}

/** A growing byte buffer the encoder writes into; reused between rows by the bulk rebuild. */
export class ByteWriter {
  buf: Uint8Array
  view: DataView
  at = 0
  constructor(size = 1 << 16) {
    this.buf = new Uint8Array(size)
    this.view = new DataView(this.buf.buffer)
  }
  ensure(n: number): void {
    if (this.at + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.at + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.at))
    this.buf = next
    this.view = new DataView(next.buffer)
  }
  byte(b: number): void {
    this.ensure(1)
    this.buf[this.at++] = b
  }
  uint(v: number): void {
    if (!(v >= 0 && v <= MAX_INT * 2 && Number.isInteger(v))) throw new NotCompact()
    this.ensure(8)
    const buf = this.buf
    let at = this.at
    while (v >= 128) {
      buf[at++] = (v % 128) | 128
      v = Math.floor(v / 128)
    }
    buf[at++] = v
    this.at = at
  }
  int(v: number): void {
    if (!(v >= -MAX_INT && v <= MAX_INT && Number.isInteger(v))) throw new NotCompact()
    this.uint(v >= 0 ? v * 2 : -v * 2 - 1)
  }
  float(v: number): void {
    this.ensure(8)
    this.view.setFloat64(this.at, v, true)
    this.at += 8
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length)
    this.buf.set(b, this.at)
    this.at += b.length
  }
  key(k: string): void {
    if (INTEGER_KEY.test(k)) this.uint(Number(k) * 2)
    else {
      const b = textEncoder.encode(k)
      this.uint(b.length * 2 + 1)
      this.bytes(b)
    }
  }
}
const textEncoder = new TextEncoder()
const textDecoder = new TextDecoder()

/** [day, count] pairs in day order: their number, then each day as a step from the one before (the first from `fromDay`). */
function writeDayPairs(w: ByteWriter, pairs: ReadonlyArray<readonly [number, number]>, fromDay: number): void {
  w.uint(pairs.length)
  let prev = fromDay
  for (const [d, q] of pairs) {
    w.int(d - prev)
    w.int(q)
    prev = d
  }
}

function writeItem(w: ByteWriter, item: ItemStats, baseDay: number): void {
  w.uint(item.days * 2 + (item.decay === 1 ? 1 : 0))
  w.int(item.quantity)
  w.int(item.firstDay - baseDay)
  w.int(item.lastDay - item.firstDay)
  writeDayPairs(w, item.recent, item.firstDay)
  if (item.decay !== 1) w.float(item.decay)
}

function writeItems(w: ByteWriter, items: Record<string, ItemStats>, baseDay: number): void {
  const keys = Object.keys(items)
  w.uint(keys.length)
  for (const k of keys) {
    w.key(k)
    writeItem(w, items[k]!, baseDay)
  }
}

/** Appends the encoded statistics to `w` (version 1, or version 0 when a value does not fit). */
export function writeStats(w: ByteWriter, stats: CustomerStats): void {
  const start = w.at
  try {
    w.byte(STATS_VERSION)
    w.uint(stats.trips)
    w.int(stats.firstDay)
    w.int(stats.lastDay - stats.firstDay)
    writeDayPairs(w, stats.recentTrips, stats.firstDay)
    writeItems(w, stats.products, stats.firstDay)
    writeItems(w, stats.categories, stats.firstDay)
  } catch (e) {
    if (!(e instanceof NotCompact)) throw e
    w.at = start
    w.byte(JSON_VERSION)
    w.bytes(textEncoder.encode(statsJsonText(stats)))
  }
}

const statsJsonText = (stats: CustomerStats): string => {
  const { customerId: _id, ...json } = stats
  return JSON.stringify(json)
}

/** The stored bytes of one customer's statistics. */
export function encodeStats(stats: CustomerStats): Buffer {
  const w = new ByteWriter(1024)
  writeStats(w, stats)
  return Buffer.from(w.buf.subarray(0, w.at))
}

class Reader {
  at = 1
  private readonly view: DataView
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  }
  uint(): number {
    const buf = this.buf
    if (this.at >= buf.length) throw new RangeError('customer statistics: truncated')
    let b = buf[this.at++]!
    if (b < 128) return b
    let v = b & 127
    let scale = 128
    for (;;) {
      if (this.at >= buf.length) throw new RangeError('customer statistics: truncated')
      b = buf[this.at++]!
      v += (b & 127) * scale
      if (b < 128) return v
      scale *= 128
    }
  }
  int(): number {
    const z = this.uint()
    return z % 2 === 0 ? z / 2 : -(z + 1) / 2
  }
  float(): number {
    const v = this.view.getFloat64(this.at, true)
    this.at += 8
    return v
  }
  take(len: number): Uint8Array {
    if (this.at + len > this.buf.length) throw new RangeError('customer statistics: truncated')
    const b = this.buf.subarray(this.at, this.at + len)
    this.at += len
    return b
  }
  key(): string {
    const k = this.uint()
    if (k % 2 === 0) return String(k / 2)
    const len = (k - 1) / 2
    const s = textDecoder.decode(this.buf.subarray(this.at, this.at + len))
    this.at += len
    return s
  }
}

/** What writeDayPairs wrote. */
function readDayPairs(r: Reader, fromDay: number): Array<[number, number]> {
  const n = r.uint()
  const pairs: Array<[number, number]> = new Array(n)
  let prev = fromDay
  for (let j = 0; j < n; j++) {
    prev += r.int()
    pairs[j] = [prev, r.int()]
  }
  return pairs
}

/** The part of a binary row before its items: trips, first and last day, recent trips. */
function readHeader(r: Reader): Pick<CustomerStats, 'trips' | 'firstDay' | 'lastDay' | 'recentTrips'> {
  const trips = r.uint()
  const firstDay = r.int()
  const lastDay = firstDay + r.int()
  return { trips, firstDay, lastDay, recentTrips: readDayPairs(r, firstDay) }
}

function readItems(r: Reader, baseDay: number): Record<string, ItemStats> {
  const out: Record<string, ItemStats> = {}
  const n = r.uint()
  for (let i = 0; i < n; i++) {
    const key = r.key()
    const head = r.uint()
    const quantity = r.int()
    const firstDay = baseDay + r.int()
    const lastDay = firstDay + r.int()
    const recent = readDayPairs(r, firstDay)
    const decay = head % 2 === 1 ? 1 : r.float()
    out[key] = { days: Math.floor(head / 2), quantity, firstDay, lastDay, recent, decay }
  }
  return out
}

/**
 * One customer's products (or categories) as columns, in the order their object's keys would
 * enumerate: what the ranking reads, without an object and a pair array per purchase day.
 */
export interface ItemColumns {
  keys: string[]
  days: Float64Array
  lastDay: Float64Array
  decay: Float64Array
  /** Item n's recent purchases are recentDays/recentQuantities[recentStart[n]..recentStart[n + 1]). */
  recentStart: Int32Array
  recentDays: Float64Array
  recentQuantities: Float64Array
}

/** Columns of decoded items (the ranking's view of a CustomerStats that was not read from bytes). */
export function columnsOfItems(items: Record<string, ItemStats>): ItemColumns {
  const keys = Object.keys(items)
  const n = keys.length
  let total = 0
  for (const k of keys) total += items[k]!.recent.length
  const c = emptyColumns(keys, total)
  let at = 0
  for (let i = 0; i < n; i++) {
    const item = items[keys[i]!]!
    c.days[i] = item.days
    c.lastDay[i] = item.lastDay
    c.decay[i] = item.decay
    c.recentStart[i] = at
    for (const [d, q] of item.recent) {
      c.recentDays[at] = d
      c.recentQuantities[at++] = q
    }
  }
  c.recentStart[n] = at
  return c
}

// One buffer for all of a section's columns: typed arrays of this size live off the JavaScript
// heap, and each costs an allocation and garbage collector bookkeeping.
function emptyColumns(keys: string[], recent: number): ItemColumns {
  const n = keys.length
  const buffer = new ArrayBuffer(8 * (3 * n + 2 * recent) + 4 * (n + 1))
  return {
    keys,
    days: new Float64Array(buffer, 0, n),
    lastDay: new Float64Array(buffer, 8 * n, n),
    decay: new Float64Array(buffer, 16 * n, n),
    recentDays: new Float64Array(buffer, 24 * n, recent),
    recentQuantities: new Float64Array(buffer, 24 * n + 8 * recent, recent),
    recentStart: new Int32Array(buffer, 24 * n + 16 * recent, n + 1),
  }
}

// Array-index keys (integers up to 2^32 - 2) enumerate first and ascending in an object, other
// keys after them in insertion order. Columns in any other order than their object's are not
// used (the ranking then decodes the object), so both views always list items alike.
const MAX_ARRAY_INDEX = 2 ** 32 - 2

/** Reads one section of items as columns; undefined if their order is not their object's. */
function readItemColumns(r: Reader, baseDay: number): ItemColumns | undefined {
  const n = r.uint()
  const keys: string[] = new Array(n)
  let c = emptyColumns(keys, n * 10)
  let at = 0
  let lastIndex = -1
  let named: Set<string> | undefined
  let inOrder = true
  for (let i = 0; i < n; i++) {
    const tag = r.uint()
    let key: string
    if (tag % 2 === 0) {
      const v = tag / 2
      key = String(v)
      if (v <= MAX_ARRAY_INDEX) {
        if (named !== undefined || v <= lastIndex) inOrder = false
        lastIndex = v
      } else if (!(named ??= new Set()).add(key)) inOrder = false
    } else {
      const len = (tag - 1) / 2
      key = textDecoder.decode(r.take(len))
      if (named?.has(key)) inOrder = false
      ;(named ??= new Set()).add(key)
    }
    keys[i] = key
    const head = r.uint()
    r.int() // quantity
    const firstDay = baseDay + r.int()
    c.lastDay[i] = firstDay + r.int()
    const len = r.uint()
    if (at + len > c.recentDays.length) c = grownRecent(c, Math.max(2 * c.recentDays.length, at + len))
    c.recentStart[i] = at
    let prev = firstDay
    for (let j = 0; j < len; j++) {
      prev += r.int()
      c.recentDays[at] = prev
      c.recentQuantities[at++] = r.int()
    }
    c.days[i] = Math.floor(head / 2)
    c.decay[i] = head % 2 === 1 ? 1 : r.float()
  }
  c.recentStart[n] = at
  return inOrder ? c : undefined
}

function grownRecent(c: ItemColumns, size: number): ItemColumns {
  const days = new Float64Array(size)
  const quantities = new Float64Array(size)
  days.set(c.recentDays)
  quantities.set(c.recentQuantities)
  return { ...c, recentDays: days, recentQuantities: quantities }
}

const ENCODED = Symbol('encoded customer statistics')
interface Encoded {
  bytes: Uint8Array
  /** Where the products start, after the customer's header. */
  itemsAt: number
  /** Whether products and categories were decoded into objects (they may have changed since). */
  materialised: boolean
}

/**
 * decodeStats that decodes the header now and products and categories only when first read.
 * The ranking never reads them: it takes columns straight from the bytes (encodedColumns), so a
 * list's statistics cost no object per item and purchase day. Anything else reading `products`
 * or `categories` gets exactly decodeStats' objects.
 */
export function decodeStatsLazily(customerId: string, bytes: Uint8Array): CustomerStats {
  if (bytes.length === 0 || bytes[0] !== STATS_VERSION) return decodeStats(customerId, bytes)
  const r = new Reader(bytes)
  const { trips, firstDay, lastDay, recentTrips } = readHeader(r)
  const encoded: Encoded = { bytes, itemsAt: r.at, materialised: false }
  const stats = { customerId, trips, firstDay, lastDay, recentTrips } as CustomerStats
  const materialise = (): CustomerStats => {
    const full = decodeStats(customerId, bytes)
    // From here on the objects are the statistics (they may be changed): the bytes go.
    encoded.materialised = true
    encoded.bytes = new Uint8Array(0)
    Object.defineProperty(stats, 'products', { value: full.products, writable: true, enumerable: true, configurable: true })
    Object.defineProperty(stats, 'categories', { value: full.categories, writable: true, enumerable: true, configurable: true })
    return stats
  }
  for (const key of ['products', 'categories'] as const) {
    Object.defineProperty(stats, key, {
      get: () => materialise()[key],
      set: (v: Record<string, ItemStats>) => {
        materialise()[key] = v
      },
      enumerable: true,
      configurable: true,
    })
  }
  Object.defineProperty(stats, ENCODED, { value: encoded })
  return stats
}

/**
 * The products and categories of statistics from decodeStatsLazily, as columns, if they were not
 * decoded into objects yet (and their keys come in their objects' order); else undefined.
 */
export function encodedColumns(stats: CustomerStats): { products: ItemColumns; categories: ItemColumns } | undefined {
  const encoded = (stats as { [ENCODED]?: Encoded })[ENCODED]
  if (encoded === undefined || encoded.materialised) return undefined
  const r = new Reader(encoded.bytes)
  r.at = encoded.itemsAt
  const products = readItemColumns(r, stats.firstDay)
  const categories = readItemColumns(r, stats.firstDay)
  if (r.at !== encoded.bytes.length) throw new RangeError('customer statistics: trailing bytes')
  return products === undefined || categories === undefined ? undefined : { products, categories }
}

/** The statistics stored in `bytes` (any version). */
export function decodeStats(customerId: string, bytes: Uint8Array): CustomerStats {
  if (bytes.length === 0) throw new RangeError('customer statistics: empty')
  const version = bytes[0]
  if (version === JSON_VERSION) {
    return { customerId, ...(JSON.parse(textDecoder.decode(bytes.subarray(1))) as Omit<CustomerStats, 'customerId'>) }
  }
  if (version !== STATS_VERSION) throw new RangeError(`customer statistics: unknown version ${version}`)
  const r = new Reader(bytes)
  const { trips, firstDay, lastDay, recentTrips } = readHeader(r)
  const products = readItems(r, firstDay)
  const categories = readItems(r, firstDay)
  if (r.at !== bytes.length) throw new RangeError('customer statistics: trailing bytes')
  return { customerId, trips, firstDay, lastDay, recentTrips, products, categories }
}
