import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Role } from '../modules/api-keys/api-key.service.ts'

export interface RateLimitOptions {
  windowSeconds: number
  /** Requests per window for one key of each role; 0 = no limit for that role. */
  perRole: Record<Role, number>
}

class RateLimitedError extends Error {
  readonly statusCode = 429
}

/**
 * Per-key limits: one runaway client (a lane stuck in a retry loop, a script gone wild) must
 * not take the capacity every other store's lanes depend on. Counted per API key and
 * instance, in memory: a shared counter would cost every lane call a database round trip.
 * Requests without a principal (health, metrics, docs, and anything refused 401/403 before)
 * are not counted.
 */
export default fp<RateLimitOptions>(
  async function perKeyRateLimit(app: FastifyInstance, opts: RateLimitOptions) {
    const limitOf = (request: FastifyRequest): number => (request.principal ? opts.perRole[request.principal.role] : 0)
    await app.register(rateLimit, {
      global: true,
      // Runs as a route-level onRequest hook, after the instance's hooks: the auth hook has
      // resolved the key by then, and a limited request's body is never read.
      hook: 'onRequest',
      timeWindow: opts.windowSeconds * 1000,
      enableDraftSpec: true,
      keyGenerator: (request) => `key:${request.principal?.keyId ?? 'none'}`,
      allowList: (request) => limitOf(request) === 0,
      max: (request) => limitOf(request),
      errorResponseBuilder: (request, context) => {
        const role = request.principal?.role ?? 'anonymous'
        return new RateLimitedError(
          `this ${role} key may make ${context.max} requests per ${opts.windowSeconds} s; retry in ${Math.ceil(context.ttl / 1000)} s`,
        )
      },
    })
  },
  { name: 'rate-limit', dependencies: ['auth', 'problem'] },
)
