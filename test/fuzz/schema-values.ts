// Values for the fuzzer, driven by the JSON schemas of the app's OpenAPI document: mostly
// plausible requests (so the fuzzer reaches past validation into the services), then broken
// in every way a client or an attacker breaks them.
import fc from 'fast-check'

export type Schema = Record<string, unknown>

/** Strings that have broken services elsewhere: injections, encodings, sizes, lookalikes. */
export const EVIL_STRINGS = [
  '',
  ' ',
  "' OR '1'='1",
  "'; drop table customer; --",
  '1; select pg_sleep(5)',
  '" OR ""="',
  '\\',
  '%',
  '_',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '{{7*7}}${7*7}',
  '../../../../etc/passwd',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\uffff\ufffe',
  '𝕷𝖆𝖓𝖊 🛒',
  'ＳＯ１',
  '٣٤٥',
  'null',
  'undefined',
  'NaN',
  '-1',
  '0',
  '1e309',
  '9007199254740993',
  '99999999999999999999999999',
  '2026-02-30',
  '2026-11-22T25:61:61+99:99',
  '0000-00-00',
  'x'.repeat(10_000),
  '9'.repeat(1_000),
  '__proto__',
  'constructor',
]

export const EVIL_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  -0.5,
  0.1,
  1.5,
  2 ** 31,
  2 ** 53 + 2,
  -(2 ** 53),
  1e308,
  [],
  [null],
  {},
  { __proto__: { admin: true } },
  ...EVIL_STRINGS,
]

// Plausible values for well-known fields, so a generated request can pass validation.
export function knownValues(world: { storeId: string; cardNumber: string; barcode: string; customerId: string; offerId: string; gtin: string }): Record<string, unknown[]> {
  return {
    storeId: [world.storeId, 'S02', 'S99'],
    homeStoreId: [world.storeId],
    laneId: ['07', '01'],
    posTransactionId: ['T-1', 'T-000123'],
    posReturnId: ['R-1'],
    scannedCode: [world.cardNumber, world.barcode, '2000000000008'],
    card: [world.cardNumber],
    gtin: [world.gtin, '40000000001', '00012345678905'],
    gtins: [[world.gtin]],
    occurredAt: ['2026-11-22T15:04:05-06:00', '2026-11-22T21:04:05Z'],
    asOf: ['2026-11-23'],
    validFrom: ['2026-11-01'],
    validUntil: ['2026-11-30'],
    from: ['2026-11-01'],
    to: ['2026-11-30'],
    day: ['2026-11-23'],
    timezone: ['America/Chicago', 'Europe/Berlin'],
    category: ['Dairy/Milk', 'Health'],
    customerIds: [[world.customerId]],
    offerId: [world.offerId],
    role: ['pos', 'backoffice', 'admin'],
  }
}

interface Ctx {
  components: Record<string, Schema>
  known: Record<string, unknown[]>
}

function resolve(schema: Schema, ctx: Ctx): Schema {
  let s = schema
  for (let i = 0; i < 10 && typeof s.$ref === 'string'; i++) {
    s = ctx.components[(s.$ref as string).split('/').pop()!] ?? {}
  }
  return s
}

/** A value that mostly fits the schema (some patterns cannot be generated; then a known or simple value). */
export function plausible(schema: Schema | undefined, ctx: Ctx, name = '', depth = 0): fc.Arbitrary<unknown> {
  if (!schema) return fc.constant(undefined)
  const s = resolve(schema, ctx)
  if (name && ctx.known[name]) return fc.constantFrom(...ctx.known[name]!)
  const alternatives = (s.oneOf ?? s.anyOf) as Schema[] | undefined
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => plausible(a, ctx, name, depth + 1)))
  if (Array.isArray(s.allOf) && s.allOf.length) return plausible(s.allOf[0] as Schema, ctx, name, depth + 1)
  if ('const' in s) return fc.constant(s.const)
  if (Array.isArray(s.enum) && s.enum.length) return fc.constantFrom(...(s.enum as unknown[]))
  const type = Array.isArray(s.type) ? (s.type as string[]).find((t) => t !== 'null') : (s.type as string | undefined)
  switch (type) {
    case 'integer':
    case 'number': {
      const min = typeof s.minimum === 'number' ? s.minimum : -1000
      const max = typeof s.maximum === 'number' ? s.maximum : 100_000
      const lo = Math.max(min, -1e9)
      const hi = Math.min(max, 1e9)
      return fc.oneof(fc.integer({ min: Math.ceil(lo), max: Math.floor(hi) }), fc.constantFrom(lo, hi))
    }
    case 'boolean':
      return fc.boolean()
    case 'string': {
      if (s.format === 'date') return fc.constantFrom('2026-11-23', '2026-01-01')
      if (s.format === 'date-time') return fc.constantFrom('2026-11-22T15:04:05-06:00')
      const minLength = typeof s.minLength === 'number' ? s.minLength : 0
      const maxLength = Math.min(typeof s.maxLength === 'number' ? s.maxLength : 40, 40)
      return fc.string({ minLength: Math.min(minLength, maxLength), maxLength: Math.max(minLength, maxLength) })
    }
    case 'array': {
      if (depth > 6) return fc.constant([])
      const minLength = Math.min(typeof s.minItems === 'number' ? s.minItems : 0, 3)
      return fc.array(plausible(s.items as Schema, ctx, '', depth + 1), { minLength, maxLength: Math.max(minLength, 3) })
    }
    case 'object':
    default: {
      if (depth > 6 || !s.properties) return fc.constant({})
      const props = s.properties as Record<string, Schema>
      const required = new Set((s.required as string[] | undefined) ?? [])
      const entries = Object.entries(props).map(([key, sub]) => [key, plausible(sub, ctx, key, depth + 1)] as const)
      return fc.record(Object.fromEntries(entries), { requiredKeys: Object.keys(props).filter((k) => required.has(k)) })
    }
  }
}

type Json = Record<string, unknown>

/** Every path into an object value, for mutating one field. */
function paths(value: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const p = [...prefix, Array.isArray(value) ? Number(k) : k]
      out.push(p)
      paths(v, p, out)
    }
  }
  return out
}

function setAt(value: unknown, path: (string | number)[], replace: (old: unknown) => unknown | typeof REMOVE): unknown {
  if (path.length === 0) return replace(value)
  const copy: Json | unknown[] = Array.isArray(value) ? [...value] : { ...(value as Json) }
  const [head, ...rest] = path
  const next = setAt((copy as Json)[head as string], rest, replace)
  if (next === REMOVE) {
    if (Array.isArray(copy)) copy.splice(head as number, 1)
    else delete (copy as Json)[head as string]
  } else (copy as Json)[head as string] = next
  return copy
}

const REMOVE = Symbol('remove')

/** One mutation of a plausible value: drop a field, add one, or replace one with an evil value. */
export function mutated(base: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.tuple(base, fc.nat(), fc.constantFrom('drop', 'extra', 'evil', 'evil', 'wrongType'), fc.constantFrom(...EVIL_VALUES)).map(([value, pick, how, evil]) => {
    const all = paths(value)
    if (how === 'extra' || all.length === 0) {
      return value && typeof value === 'object' && !Array.isArray(value) ? { ...(value as Json), unexpectedField: evil } : evil
    }
    const path = all[pick % all.length]!
    if (how === 'drop') return setAt(value, path, () => REMOVE)
    if (how === 'wrongType') return setAt(value, path, (old) => (typeof old === 'string' ? 12345 : typeof old === 'number' ? String(old) : typeof old === 'boolean' ? 'true' : 'x'))
    return setAt(value, path, () => evil)
  })
}

export function deepJson(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
}

export function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth)
}
