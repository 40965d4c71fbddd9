// Simulated lanes for the fault tests: real HTTP to a real service process, every request
// and its outcome recorded, and the checks that turn those records into the exactly-once
// promise (acknowledged sales present once with their stored response, nothing half-written).
import { randomInt } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import pg from 'pg'

export interface DemoKeys {
  backoffice: string
  pos: Record<string, string>
}

export interface LaneFixture {
  keys: DemoKeys
  stores: string[]
  cards: { number: string; customerId: string }[]
  products: { gtin: string; priceCents: number }[]
}

/** The embedded default's own database, from the credentials the service keeps in its data folder. */
export function embeddedUrl(dataDir: string, port: string | number): string {
  const c = JSON.parse(readFileSync(path.join(dataDir, 'credentials.json'), 'utf8')) as { user: string; password: string }
  return `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@127.0.0.1:${port}/lanelist`
}

export function readDemoKeys(dataDir: string): DemoKeys {
  return JSON.parse(readFileSync(path.join(dataDir, 'demo-keys.json'), 'utf8')) as DemoKeys
}

export async function withPool<T>(url: string, fn: (pool: pg.Pool) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  pool.on('error', () => {})
  try {
    return await fn(pool)
  } finally {
    await pool.end()
  }
}

/**
 * The lanes scan the cards of the `customers` biggest recent spenders: eligible for a list, so
 * each of their sales promises a regeneration; few, so the regenerations stay few.
 */
export async function laneFixture(dbUrl: string, keys: DemoKeys, customers: number): Promise<LaneFixture> {
  return withPool(dbUrl, async (pool) => {
    const cards = await pool.query<{ number: string; customer_id: string }>(
      `select number, customer_id::text from card where status = 'active'
       order by (select coalesce(sum(s.total_before_cents), 0) from sale s where s.customer_id = card.customer_id and s.day > current_date - 56) desc, customer_id
       limit $1`,
      [customers],
    )
    const products = await pool.query<{ gtin: string; regular_price_cents: number }>(
      'select gtin, regular_price_cents from product where active order by id limit 200',
    )
    return {
      keys,
      stores: Object.keys(keys.pos).sort(),
      cards: cards.rows.map((r) => ({ number: r.number, customerId: r.customer_id })),
      products: products.rows.map((r) => ({ gtin: r.gtin, priceCents: r.regular_price_cents })),
    }
  })
}

export interface Sent {
  storeId: string
  posTransactionId: string
  customerId: string
  body: string
  itemCount: number
  /** HTTP status, or 0 when no answer came (connection refused or reset, timeout). */
  status: number
  response?: unknown
  ms: number
}

export const acknowledged = (s: Sent) => s.status === 201 || s.status === 200

export function basket(fx: LaneFixture, lane: number, tx: string): Omit<Sent, 'status' | 'ms'> {
  const storeId = fx.stores[lane % fx.stores.length]!
  const card = fx.cards[randomInt(fx.cards.length)]!
  const count = 3 + randomInt(8)
  const gtins = new Set<string>()
  while (gtins.size < count) gtins.add(fx.products[randomInt(fx.products.length)]!.gtin)
  const price = new Map(fx.products.map((p) => [p.gtin, p.priceCents]))
  const items = [...gtins].map((gtin) => ({ gtin, quantity: 1 + randomInt(3), unitPriceCents: price.get(gtin)! }))
  const body = JSON.stringify({
    storeId,
    laneId: String(1 + (lane % 4)).padStart(2, '0'),
    posTransactionId: tx,
    scannedCode: card.number,
    occurredAt: new Date().toISOString(),
    items,
  })
  return { storeId, posTransactionId: tx, customerId: card.customerId, body, itemCount: items.length }
}

export async function postRedemption(baseUrl: string, key: string, body: string, timeoutMs = 5_000): Promise<{ status: number; response?: unknown; ms: number }> {
  const started = performance.now()
  try {
    const res = await fetch(`${baseUrl}/v1/redemptions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    })
    const text = await res.text()
    let response: unknown = text
    try {
      response = JSON.parse(text)
    } catch {
      // kept as text: the check that needs JSON will say so
    }
    return { status: res.status, response, ms: performance.now() - started }
  } catch {
    return { status: 0, ms: performance.now() - started }
  }
}

/**
 * `lanes` lanes each send one sale after another until `stop()` says so. A lane that got no
 * answer moves on to a new transaction, as a POS does after its timeout (the sale is then
 * taken offline); the record says which sales were never acknowledged.
 */
export async function driveLanes(opts: {
  baseUrl: () => string
  fixture: LaneFixture
  lanes: number
  tag: string
  stop: (sent: Sent[]) => boolean
  timeoutMs?: number
  pauseMs?: number
  /** Send a sale that got no answer or a 503 once more, identical, as README's POS procedure says. */
  retryOnce?: boolean
}): Promise<Sent[]> {
  const sent: Sent[] = []
  await Promise.all(
    Array.from({ length: opts.lanes }, async (_, lane) => {
      for (let n = 1; !opts.stop(sent); n++) {
        const b = basket(opts.fixture, lane, `${opts.tag}-L${lane}-${n}`)
        const post = () => postRedemption(opts.baseUrl(), opts.fixture.keys.pos[b.storeId]!, b.body, opts.timeoutMs)
        let r = await post()
        if (opts.retryOnce && (r.status === 0 || r.status === 503)) r = await post()
        sent.push({ ...b, ...r })
        if (r.status === 0 || opts.pauseMs) await new Promise((res) => setTimeout(res, opts.pauseMs ?? 20))
      }
    }),
  )
  return sent
}

export interface LedgerCheck {
  acknowledged: number
  unacknowledged: number
  unacknowledgedButCommitted: number
  problems: string[]
}

/**
 * Every acknowledged sale is in the database exactly once, whole; every unacknowledged one is
 * either whole or absent; no lane sale exists without its redemption or with missing lines.
 */
export async function checkLedger(dbUrl: string, sent: Sent[]): Promise<LedgerCheck> {
  return withPool(dbUrl, async (pool) => {
    const problems: string[] = []
    const { rows } = await pool.query<{ store_id: string; pos_transaction_id: string; redemptions: number; sales: number; lines: number }>(
      `select k.store_id, k.pos_transaction_id,
              (select count(*)::int from redemption r where r.store_id = k.store_id and r.pos_transaction_id = k.pos_transaction_id) as redemptions,
              (select count(*)::int from sale s where s.store_id = k.store_id and s.external_id = k.pos_transaction_id and s.source = 'lane') as sales,
              (select count(*)::int from sale_line l join sale s on s.id = l.sale_id
                where s.store_id = k.store_id and s.external_id = k.pos_transaction_id and s.source = 'lane') as lines
       from unnest($1::text[], $2::text[]) as k(store_id, pos_transaction_id)`,
      [sent.map((s) => s.storeId), sent.map((s) => s.posTransactionId)],
    )
    let committedUnacked = 0
    rows.forEach((row, i) => {
      const s = sent[i]!
      const whole = row.redemptions === 1 && row.sales === 1 && row.lines === s.itemCount
      const absent = row.redemptions === 0 && row.sales === 0 && row.lines === 0
      if (acknowledged(s) && !whole) problems.push(`acknowledged ${s.posTransactionId}: ${JSON.stringify(row)}`)
      if (!acknowledged(s)) {
        if (!whole && !absent) problems.push(`unacknowledged ${s.posTransactionId} is half-written: ${JSON.stringify(row)}`)
        if (whole) committedUnacked++
      }
    })
    const orphans = await pool.query<{ n: number }>(
      `select count(*)::int as n from sale s where s.source = 'lane'
         and (not exists (select 1 from redemption r where r.sale_id = s.id)
              or not exists (select 1 from sale_line l where l.sale_id = s.id))`,
    )
    if (orphans.rows[0]!.n > 0) problems.push(`${orphans.rows[0]!.n} lane sales without their redemption or lines`)
    const acked = sent.filter(acknowledged).length
    return { acknowledged: acked, unacknowledged: sent.length - acked, unacknowledgedButCommitted: committedUnacked, problems }
  })
}

/** A replay of every acknowledged request answers 200 with the very response the lane got. */
export async function checkReplays(baseUrl: string, fx: LaneFixture, sent: Sent[]): Promise<string[]> {
  const problems: string[] = []
  const acked = sent.filter(acknowledged)
  for (let i = 0; i < acked.length; i += 8) {
    await Promise.all(
      acked.slice(i, i + 8).map(async (s) => {
        const r = await postRedemption(baseUrl, fx.keys.pos[s.storeId]!, s.body)
        if (r.status !== 200) problems.push(`replay of ${s.posTransactionId}: ${r.status} ${JSON.stringify(r.response)}`)
        else if (JSON.stringify(r.response) !== JSON.stringify(s.response)) problems.push(`replay of ${s.posTransactionId} answered differently`)
      }),
    )
  }
  return problems
}

/**
 * Every customer with a list whose sale was acknowledged gets a list regenerated after that
 * sale (the promise the redemption made when it committed its regeneration request); a
 * customer without a list who is not eligible gets none by design. Waits for it.
 */
export async function waitForRegenerations(dbUrl: string, sent: Sent[], timeoutMs: number): Promise<{ customers: number; missing: string[]; ms: number }> {
  const started = Date.now()
  return withPool(dbUrl, async (pool) => {
    const all = [...new Set(sent.filter(acknowledged).map((s) => s.customerId))]
    const withList = await pool.query<{ id: string }>(
      `select c.id::text from unnest($1::bigint[]) as c(id) where exists (select 1 from list l where l.customer_id = c.id and l.trigger = 'run')`,
      [all],
    )
    const customers = withList.rows.map((r) => r.id)
    for (;;) {
      const { rows } = await pool.query<{ customer_id: string }>(
        `select c.id::text as customer_id from unnest($1::bigint[]) as c(id)
         where not exists (
           select 1 from list l where l.customer_id = c.id and l.trigger = 'redemption'
             and l.created_at >= (select max(s.created_at) from sale s where s.customer_id = c.id and s.source = 'lane'))`,
        [customers],
      )
      if (rows.length === 0 || Date.now() - started > timeoutMs) {
        return { customers: customers.length, missing: rows.map((r) => r.customer_id), ms: Date.now() - started }
      }
      await new Promise((r) => setTimeout(r, 250))
    }
  })
}

export async function json<T>(res: Response): Promise<T> {
  return (await res.json()) as T
}

export async function startListRun(baseUrl: string, key: string, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${baseUrl}/v1/list-generations`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  if (res.status !== 202) throw new Error(`list generation: ${res.status} ${await res.text()}`)
  return (await json<{ id: string }>(res)).id
}

export interface RunStatus {
  status: string
  total: number
  done: number
  listsCreated: number
  error: string | null
}

export async function runStatus(baseUrl: string, key: string, id: string): Promise<RunStatus | undefined> {
  try {
    const res = await fetch(`${baseUrl}/v1/list-generations/${id}`, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(3_000) })
    return res.ok ? await json<RunStatus>(res) : undefined
  } catch {
    return undefined
  }
}

export async function waitForRun(baseUrl: string, key: string, id: string, timeoutMs: number, until = (r: RunStatus) => r.status === 'succeeded' || r.status === 'failed'): Promise<RunStatus | undefined> {
  const deadline = Date.now() + timeoutMs
  let last: RunStatus | undefined
  while (Date.now() < deadline) {
    last = (await runStatus(baseUrl, key, id)) ?? last
    if (last && until(last)) return last
    await new Promise((r) => setTimeout(r, 50))
  }
  return last
}

export const today = () => new Date().toISOString().slice(0, 10)

export function addDays(day: string, n: number): string {
  const d = new Date(`${day}T12:00:00Z`)
  d.setUTCDate(d.getUTCDate() + n)
  return d.toISOString().slice(0, 10)
}
