// JSON may spell a lone UTF-16 surrogate ("\ud800"), which is no character at all: PostgreSQL
// refuses it in json (a 500 the OpenAPI fuzzer found) and silently turns it into U+FFFD in text.
// Every JSON body is checked once here, before the route's schema, and such a string is a 400
// naming the field, like any other bad value.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { invalid, type FieldError } from '../lib/errors.ts'

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/** Deeper than any schema of the API: the route's schema refuses such a body anyway. */
const MAX_DEPTH = 32

/**
 * Paths (zod's dotted form) of the strings, keys included, that hold a lone surrogate. Walks
 * with its own stack, never recursion: a body nested 100,000 deep must not overflow it.
 */
export function loneSurrogates(body: unknown): FieldError[] {
  // Every lane sale passes here (a 30-line basket is some 150 values): building each value's
  // path cost 40 of the service's 361 kB allocated per sale (bench:redeem, BENCH_ALLOC), so
  // look first without paths and build them only for a body that has one.
  return anyLoneSurrogate(body) ? withPaths(body) : []
}

function anyLoneSurrogate(body: unknown): boolean {
  const values: unknown[] = [body]
  const depths: number[] = [0]
  while (values.length) {
    const value = values.pop()
    const depth = depths.pop()!
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) return true
    } else if (value !== null && typeof value === 'object' && depth < MAX_DEPTH) {
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          values.push(value[i])
          depths.push(depth + 1)
        }
      } else {
        for (const k of Object.keys(value)) {
          if (LONE_SURROGATE.test(k)) return true
          values.push((value as Record<string, unknown>)[k])
          depths.push(depth + 1)
        }
      }
    }
  }
  return false
}

function withPaths(body: unknown): FieldError[] {
  const out: FieldError[] = []
  const stack: { value: unknown; path: string[] }[] = [{ value: body, path: [] }]
  while (stack.length && out.length < 20) {
    const { value, path } = stack.pop()!
    if (typeof value === 'string') {
      if (LONE_SURROGATE.test(value)) out.push({ path: path.join('.') || 'body', message: 'is not valid Unicode text (an unpaired surrogate)' })
    } else if (value !== null && typeof value === 'object' && path.length < MAX_DEPTH) {
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value)
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, v] = entries[i]!
        if (!Array.isArray(value) && LONE_SURROGATE.test(k)) out.push({ path: [...path, k].join('.'), message: 'is not a valid Unicode name (an unpaired surrogate)' })
        stack.push({ value: v, path: [...path, k] })
      }
    }
  }
  return out
}

function isPlainJson(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false
  const proto = Object.getPrototypeOf(value)
  return Array.isArray(value) || proto === Object.prototype || proto === null
}

export default fp(async function unicode(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    // Only JSON can spell one: raw UTF-8 has no lone surrogates (a decoder replaces them). A
    // CSV import's body is a stream, whose object graph must never be walked.
    const body = request.body
    if (!/json/i.test(request.headers['content-type'] ?? '') || !isPlainJson(body)) return
    const bad = loneSurrogates(body)
    if (bad.length) throw invalid(bad)
  })
})
