import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import fp from 'fastify-plugin'
import type { Database } from '../db/database.ts'
import { AppError } from '../lib/errors.ts'
import { hashApiKey, sameKey } from '../modules/api-keys/api-key.crypto.ts'
import { findActiveKeyByHash } from '../modules/api-keys/api-key.repository.ts'
import type { Role } from '../modules/api-keys/api-key.service.ts'

export interface Principal {
  keyId: string
  name: string
  role: Role
  storeId: string | null
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null
  }
  interface FastifyInstance {
    /** onRequest hook allowing only the given roles; admin may do everything backoffice may. */
    requireRole(...roles: Role[]): onRequestHookHandler
    forgetApiKey(hash: Buffer): void
  }
}

// Admin keys manage the installation; they can also do back-office work, never lane work.
const implied: Record<Role, Role[]> = { admin: ['admin', 'backoffice'], backoffice: ['backoffice'], pos: ['pos'] }

export interface AuthOptions {
  db: Database
  adminKey: string | undefined
  cacheSeconds: number
}

export default fp<AuthOptions>(
  async function authPlugin(app: FastifyInstance, opts: AuthOptions) {
    // A lane call must not pay a database round trip for its key; revocations reach other
    // instances within cacheSeconds (documented in the README).
    const cache = new Map<string, { principal: Principal | null; expires: number }>()

    async function resolve(key: string): Promise<Principal | null> {
      if (opts.adminKey && sameKey(key, opts.adminKey)) {
        return { keyId: 'bootstrap', name: 'bootstrap admin', role: 'admin', storeId: null }
      }
      const hash = hashApiKey(key)
      const cacheKey = hash.toString('hex')
      const hit = cache.get(cacheKey)
      if (hit && hit.expires > Date.now()) return hit.principal
      const row = await findActiveKeyByHash(opts.db, hash)
      const principal = row ? { keyId: String(row.id), name: row.name, role: row.role, storeId: row.store_id } : null
      if (opts.cacheSeconds > 0) {
        if (cache.size > 10_000) cache.clear()
        cache.set(cacheKey, { principal, expires: Date.now() + opts.cacheSeconds * 1000 })
      }
      return principal
    }

    app.decorateRequest('principal', null)
    app.decorate('forgetApiKey', (hash: Buffer) => {
      cache.delete(hash.toString('hex'))
    })
    app.decorate('requireRole', (...roles: Role[]) => {
      return async function authorise(request: FastifyRequest, _reply: FastifyReply) {
        const header = request.headers.authorization
        const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null
        if (!match) throw new AppError('unauthorized', 'send Authorization: Bearer <api key>')
        const principal = await resolve(match[1]!)
        if (!principal) throw new AppError('unauthorized', 'the API key is unknown or revoked')
        if (!roles.some((r) => implied[principal.role].includes(r))) {
          throw new AppError('forbidden', `this route needs a ${roles.join(' or ')} key; this key is ${principal.role}`)
        }
        request.principal = principal
      }
    })
  },
  { name: 'auth' },
)

/** A pos key acts for its own store only. */
export function assertStoreAccess(principal: Principal | null, storeId: string): void {
  if (principal?.role === 'pos' && principal.storeId !== storeId) {
    throw new AppError('forbidden', `this key is bound to store ${principal.storeId}, not ${storeId}`)
  }
}

export function actorOf(request: FastifyRequest): string {
  return request.principal ? `key:${request.principal.keyId}` : 'anonymous'
}
