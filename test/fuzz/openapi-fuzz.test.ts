// Fuzzes every route of the app's OpenAPI document: plausible requests, the same with one
// field dropped, added or replaced (wrong types, boundaries, SQL and HTML injection), bodies
// that are not objects, huge, deeply nested, wrongly typed or wrongly encoded, and bad path
// and query values. Whatever comes in: never a 5xx, never a stack trace or an internal
// message, errors always problem+json, successes in the documented content type.
// FUZZ_RUNS (default 12) scales the random requests per route; FUZZ_SEED replays a run.
import { gzipSync } from 'node:zlib'
import fc from 'fast-check'
import t from 'tap'
import { ADMIN_KEY } from '../helpers/app.ts'
import { item } from '../helpers/checkout-fixtures.ts'
import { documentOf, operations, paramValue, routeKey, seedWorld, urlOf, type Operation, type World } from '../security/route-catalog.ts'
import { deepArray, deepJson, EVIL_STRINGS, knownValues, mutated, plausible, type Schema } from './schema-values.ts'

const RUNS = Number(process.env.FUZZ_RUNS ?? 12)
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000)

// Internal detail that must never reach a client.
const LEAK = /\n\s+at |node_modules|\.ts:\d+|\.js:\d+|TypeError|ReferenceError|RangeError|Cannot read prop|is not a function|kysely|postgres|relation "|violates|duplicate key|syntax error at|invalid input syntax|pg_catalog|SQLSTATE|undefined is not/i

const BAD_PATH_VALUES = ['0', '-1', '1.5', '9'.repeat(40), "1' OR '1'='1", '<svg onload=alert(1)>', '..%2F..%2Fetc%2Fpasswd', '%00', '%E2%82', '%', 'null', '__proto__', 'x'.repeat(2000), '🛒']

interface Sent {
  method: string
  url: string
  headers?: Record<string, string>
  payload?: string | Buffer
}

t.test('every route, fuzzed from the OpenAPI document: no 5xx, no leaks, always problem+json', async (t) => {
  const world = await seedWorld(t, { LANELIST_RATE_LIMIT_POS: '0', LANELIST_RATE_LIMIT_BACKOFFICE: '0', LANELIST_RATE_LIMIT_ADMIN: '0' })
  const doc = documentOf(world.app)
  const ctx = {
    components: (doc.components?.schemas ?? {}) as Record<string, Schema>,
    known: knownValues({ ...world, gtin: item('milk').gtin }),
  }
  // Destructive routes last, so the others see the seeded world.
  const ops = operations(world.app).sort((a, b) => Number(isDestructive(a)) - Number(isDestructive(b)))
  t.comment(`fuzz seed ${SEED} (FUZZ_SEED=${SEED} replays it), ${RUNS} random requests per route and kind`)

  const failures: string[] = []
  const byStatus = new Map<number, number>()
  let tried = 0

  async function send(op: Operation, req: Sent): Promise<void> {
    const key = op.tags.includes('checkout') ? world.posKey : op.needsKey ? ADMIN_KEY : null
    const res = await world.call(key, { method: req.method as 'GET', url: req.url, headers: req.headers, payload: req.payload })
    tried++
    byStatus.set(res.statusCode, (byStatus.get(res.statusCode) ?? 0) + 1)
    const problems = check(op, res.statusCode, String(res.headers['content-type'] ?? ''), res.body)
    if (problems.length && failures.length < 40) {
      const shown = typeof req.payload === 'string' ? req.payload.slice(0, 300) : req.payload ? `<${req.payload.length} bytes>` : ''
      failures.push(`${req.method} ${req.url.slice(0, 200)} ${JSON.stringify(req.headers ?? {})} ${shown}\n  -> ${res.statusCode} ${problems.join('; ')}: ${res.body.slice(0, 300)}`)
    }
  }

  for (const op of ops) {
    const url = urlOf(op, (name) => paramValue(world, op, name))
    const json = (body: unknown): Sent => ({ method: op.method, url, headers: { 'content-type': 'application/json' }, payload: JSON.stringify(body) })
    const queryArb = queryOf(op, ctx)
    const rnd = (arb: fc.Arbitrary<unknown>, n: number) => fc.sample(arb, { numRuns: n, seed: SEED + tried })

    // Query strings: plausible, then each parameter broken.
    for (const q of rnd(queryArb, RUNS)) await send(op, { method: op.method, url: url + toQuery(q as Record<string, unknown>), ...bodyFor(op) })
    for (const name of [...op.querySchema.map((p) => p.name), 'unknown']) {
      for (const evil of EVIL_STRINGS.slice(0, 12)) await send(op, { method: op.method, url: `${url}?${name}=${enc(evil)}`, ...bodyFor(op) })
      await send(op, { method: op.method, url: `${url}?${name}=1&${name}=2`, ...bodyFor(op) })
    }

    // Path parameters: each replaced by hostile values (already encoded, as a client would send them).
    for (const param of op.params) {
      for (const bad of BAD_PATH_VALUES) {
        const badUrl = op.path.replace(/\{([^}]+)\}/g, (_, n: string) => (n === param ? bad : encodeURIComponent(paramValue(world, op, n))))
        await send(op, { method: op.method, url: badUrl, ...bodyFor(op) })
      }
    }

    if (op.bodyTypes[0] === 'application/json') {
      const base = plausible(op.bodySchema as Schema, ctx)
      for (const body of rnd(base, RUNS)) await send(op, json(body))
      for (const body of rnd(mutated(base), RUNS * 3)) await send(op, json(body))
      for (const body of [null, [], 'text', 42, true, {}, [{}], { __proto__: { isAdmin: true } }]) await send(op, json(body))
      const raw = (payload: string | Buffer, headers: Record<string, string>) => send(op, { method: op.method, url, headers, payload })
      const ct = { 'content-type': 'application/json' }
      await raw('{"a":', ct)
      await raw('', ct)
      await raw('{"constructor":{"prototype":{"x":1}}}', ct)
      await raw('{"__proto__":{"x":1}}', ct)
      await raw(deepJson(20_000), ct)
      await raw(deepArray(100_000), ct)
      await raw(`{"x":"${'a'.repeat(2 * 1024 * 1024)}"}`, ct)
      await raw(Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]), ct)
      await raw(Buffer.from('\ufeff{}', 'utf8'), ct)
      await raw(Buffer.from(JSON.stringify({ name: 'x' }), 'utf16le'), { 'content-type': 'application/json; charset=utf-16' })
      await raw('{}', { 'content-type': 'application/json; charset=latin1' })
      await raw('{}', { 'content-type': 'text/plain' })
      await raw('<x/>', { 'content-type': 'application/xml' })
      await raw('a=1&b=2', { 'content-type': 'application/x-www-form-urlencoded' })
      await raw('--b\r\n\r\n--b--', { 'content-type': 'multipart/form-data; boundary=b' })
      await raw('{}', { 'content-type': 'application/json', 'content-encoding': 'gzip' })
      await raw(gzipSync('{}'), { 'content-type': 'application/json', 'content-encoding': 'gzip' })
      await raw('{}', { 'content-type': 'application/json', 'content-length': '999999' }).catch(() => undefined)
      await send(op, { method: op.method, url })
    } else if (op.bodyTypes[0] === 'text/csv') {
      const csv = { 'content-type': 'text/csv' }
      const rows = fc.array(fc.array(fc.oneof(fc.constantFrom(...EVIL_STRINGS.slice(0, 30)), fc.string()), { maxLength: 8 }), { maxLength: 6 })
      for (const table of rnd(rows, RUNS)) {
        const text = (table as string[][]).map((r) => r.map((c) => `"${c.replaceAll('"', '""')}"`).join(',')).join('\n')
        await send(op, { method: op.method, url, headers: csv, payload: `gtin,name,category,brand,brand_type,regular_price_cents,customer_id,transaction_id,day,product_id,quantity\n${text}` })
      }
      for (const payload of ['', '\n\n', '"unterminated', 'a,b\n1', '\u0000\u0001', 'x'.repeat(100_000)]) await send(op, { method: op.method, url, headers: csv, payload })
      await send(op, { method: op.method, url, headers: { ...csv, 'content-encoding': 'gzip' }, payload: 'not gzip at all' })
      await send(op, { method: op.method, url, headers: { ...csv, 'content-encoding': 'br' }, payload: 'x' })
      await send(op, { method: op.method, url, headers: { 'content-type': 'application/json' }, payload: '{}' })
      await send(op, { method: op.method, url, headers: csv, payload: Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28]) })
    }

    // A method the path does not have.
    const other = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].find((m) => !ops.some((o) => o.path === op.path && o.method === m))
    if (other) await send(op, { method: other, url })
  }

  const statuses = Object.fromEntries([...byStatus].sort((a, b) => a[0] - b[0]))
  t.comment(`fuzzed ${ops.length} routes with ${tried} requests; statuses ${JSON.stringify(statuses)}`)
  process.stdout.write(`# fuzz: ${tried} requests over ${ops.length} routes (seed ${SEED})\n`)
  const errorLogs = world.logs.filter((l) => l.includes('"level":50'))
  t.same(failures, [], `${tried} requests: none answered wrongly`)
  t.same(errorLogs.map((l) => l.slice(0, 600)), [], 'no request failed with an unexpected error in the log')
  t.ok(tried > ops.length * 40, `${tried} requests tried`)
})

function isDestructive(op: Operation): boolean {
  return op.method === 'DELETE' || /\/(erase|opt-out|replace|end|pause)$/.test(op.path)
}

function bodyFor(op: Operation): Partial<Sent> {
  if (op.bodyTypes[0] === 'application/json') return { headers: { 'content-type': 'application/json' }, payload: '{}' }
  if (op.bodyTypes[0] === 'text/csv') return { headers: { 'content-type': 'text/csv' }, payload: 'gtin\n' }
  return {}
}

function queryOf(op: Operation, ctx: Parameters<typeof plausible>[1]): fc.Arbitrary<unknown> {
  const entries = op.querySchema.map((p) => [p.name, fc.oneof(plausible(p.schema as Schema, ctx, p.name), fc.constantFrom(...EVIL_STRINGS))] as const)
  return entries.length ? fc.record(Object.fromEntries(entries), { requiredKeys: [] }) : fc.constant({})
}

/** encodeURIComponent, except that lone surrogates become the invalid UTF-8 a sloppy client sends. */
function enc(value: string): string {
  try {
    return encodeURIComponent(value)
  } catch {
    return encodeURIComponent(value.replace(/[\ud800-\udfff]/g, 'x')) + '%ED%A0%80'
  }
}

function toQuery(q: Record<string, unknown>): string {
  const parts = Object.entries(q)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${enc(k)}=${enc(typeof v === 'string' ? v : JSON.stringify(v))}`)
  return parts.length ? `?${parts.join('&')}` : ''
}

function check(op: Operation, status: number, contentType: string, body: string): string[] {
  const problems: string[] = []
  if (status >= 500) problems.push('5xx')
  if (LEAK.test(body) && !/^image\//.test(contentType)) problems.push('internal detail in the body')
  if (status >= 400) {
    if (!/^application\/problem\+json/.test(contentType)) problems.push(`error as ${contentType}`)
    else {
      try {
        const p = JSON.parse(body)
        if (p.status !== status || typeof p.type !== 'string' || typeof p.title !== 'string' || typeof p.detail !== 'string') problems.push('malformed problem')
      } catch {
        problems.push('problem is not JSON')
      }
    }
  } else {
    const documented = op.responses[String(status)]
    if (!documented) problems.push(`undocumented status ${status}`)
    else if (documented.length && !documented.some((type) => contentType.startsWith(type))) problems.push(`content type ${contentType}, documented ${documented.join(', ')}`)
  }
  return problems
}

export type { World }
