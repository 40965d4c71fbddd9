import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { z } from 'zod'
import { AppError, type FieldError } from '../lib/errors.ts'
import { maskSecrets } from './logging.ts'
import { problems, TYPE_BASE, type ProblemCode } from './problem-registry.ts'

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' })

export type Problem = z.infer<typeof problemSchema>

export function problem(code: ProblemCode, detail: string, errors?: FieldError[]): Problem {
  const { status, title } = problems[code]
  return { type: TYPE_BASE + code.replaceAll('_', '-'), title, status, detail, ...(errors ? { errors } : {}) }
}

export function sendProblem(reply: FastifyReply, p: Problem): FastifyReply {
  if (p.status === 503 || p.status === 429) reply.header('retry-after', reply.getHeader('retry-after') ?? '1')
  return reply.code(p.status).type('application/problem+json').send(p)
}

const DB_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006'])

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string }
  if (e?.code && DB_DOWN_CODES.has(e.code)) return true
  return /timeout exceeded when trying to connect|Connection terminated|connection to server|Client has encountered a connection error/i.test(
    e?.message ?? '',
  )
}

function validationErrors(err: FastifyError): FieldError[] {
  const where = err.validationContext ?? 'body'
  return (err.validation ?? []).map((v) => {
    const pointer = v.instancePath.replace(/^\//, '').replaceAll('/', '.')
    const missing = (v.params as { missingProperty?: string })?.missingProperty
    const path = [where === 'body' ? '' : where, pointer, missing ?? ''].filter(Boolean).join('.')
    return { path: path || where, message: v.message ?? 'is invalid' }
  })
}

export function toProblem(err: FastifyError | Error): { problem: Problem; unexpected: boolean } {
  if (err instanceof AppError) return { problem: problem(err.code, err.message, err.errors), unexpected: false }
  const fe = err as FastifyError
  if (fe.validation) {
    const errors = validationErrors(fe)
    return { problem: problem('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors), unexpected: false }
  }
  switch (fe.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { problem: problem('payload_too_large', fe.message), unexpected: false }
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return { problem: problem('unsupported_media_type', 'the body must be application/json (text/csv on the import routes)'), unexpected: false }
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { problem: problem('bad_request', 'the body is empty but the content type says JSON'), unexpected: false }
  }
  if (fe.statusCode === 429) return { problem: problem('rate_limited', fe.message), unexpected: false }
  if (fe.statusCode === 503) return { problem: problem('overloaded', fe.message), unexpected: false }
  // PostgreSQL refuses NUL characters (and a few others) in text, which JSON allows: the
  // client sent text the database cannot store, not a bug to answer with 500.
  if (fe.code === '22021' || fe.code === '22P05') {
    return { problem: problem('bad_request', 'a text field contains a character that cannot be stored (e.g. NUL, \\u0000)'), unexpected: false }
  }
  if (isDatabaseUnavailable(err)) {
    return { problem: problem('database_unavailable', 'the database cannot be reached; retry shortly'), unexpected: true }
  }
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    const detail = err instanceof SyntaxError ? 'the body is not valid JSON' : fe.message
    return { problem: problem('bad_request', detail), unexpected: false }
  }
  return { problem: problem('internal', 'an unexpected error occurred; it has been logged'), unexpected: true }
}

/**
 * Fastify answers a few URL errors itself, before any route or error handler (plain JSON
 * echoing the URL): bad percent-encoding and over-long path parameters. Same problem+json as
 * every other error, without echoing the URL (it may carry a card number).
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const detail =
    err.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? 'a path parameter is too long'
      : err.code === 'FST_ERR_BAD_URL'
        ? 'the URL is not valid (bad percent-encoding)'
        : 'the request could not be routed'
  request.log.info({ code: err.code }, detail)
  sendProblem(reply, problem('bad_request', detail))
}

export default fp(
  async function problemPlugin(app: FastifyInstance) {
    app.setErrorHandler((err: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const { problem: p, unexpected } = toProblem(err)
      if (unexpected) request.log.error({ err }, 'request failed')
      // A detail may quote what the client sent (a code, a name): masked like URLs are.
      else request.log.info({ code: p.type, status: p.status }, maskSecrets(p.detail))
      return sendProblem(reply, { ...p, instance: request.url.split('?')[0] })
    })
    app.setNotFoundHandler((request, reply) =>
      sendProblem(reply, { ...problem('route_not_found', `${request.method} ${request.url.split('?')[0]} is not a lanelist route`) }),
    )
  },
  { name: 'problem' },
)
