// The last server errors this instance answered, for the console's ops page. Kept in memory on
// purpose: an error log that needs the database would be empty exactly when the database is the
// problem. Each instance reports its own; the full errors (with stacks) are in the JSON log.
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { maskSecrets } from '../../plugins/logging.ts'

export interface RecentError {
  at: string
  method: string
  route: string
  status: number
  requestId: string
  message: string
}

declare module 'fastify' {
  interface FastifyInstance {
    recentErrors(): RecentError[]
  }
  interface FastifyRequest {
    failure?: Error
  }
}

export const RECENT_ERRORS_KEPT = 50

export default fp(
  async function recentErrorsPlugin(app: FastifyInstance) {
    const ring: RecentError[] = []
    app.decorate('recentErrors', () => [...ring].reverse())
    app.addHook('onError', async (request, _reply, error) => {
      request.failure = error
    })
    app.addHook('onResponse', async (request, reply) => {
      if (reply.statusCode < 500) return
      ring.push({
        at: new Date().toISOString(),
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        requestId: String(request.id),
        // Messages can quote input (a scanned code); mask like the log does, and keep them short.
        message: maskSecrets(request.failure?.message ?? 'no error message').slice(0, 300),
      })
      if (ring.length > RECENT_ERRORS_KEPT) ring.shift()
    })
  },
  { name: 'recent-errors' },
)
