import type { FastifyBaseLogger, FastifyInstance, FastifyServerOptions } from 'fastify'
import fp from 'fastify-plugin'

// Card numbers (13 digits from prefix 2) and list barcodes (LL + digits) can appear in URLs
// (customer lookup, list routes). They identify a person at the lane: never log them in clear.
const SECRETS_IN_TEXT = [/\b2\d{12}\b/g, /\bLL\d{8,}\b/gi, /\bll_[A-Za-z0-9_-]{20,}/g]

export function maskSecrets(text: string): string {
  return SECRETS_IN_TEXT.reduce((acc, re) => acc.replace(re, (m) => `${m.slice(0, 2)}…${m.slice(-2)}`), text)
}

export function loggerOptions(level: string): FastifyServerOptions['logger'] {
  return {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.scannedCode',
        '*.cardNumber',
        '*.barcode',
        '*.key',
        '*.password',
        'DATABASE_URL',
        'LANELIST_DIRECT_DATABASE_URL',
        'LANELIST_ADMIN_KEY',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req: (req: { method: string; url: string; id?: string }) => ({ method: req.method, url: maskSecrets(req.url) }),
    },
  }
}

/**
 * One line per request with route, status and duration, instead of Fastify's two lines
 * (which would also print the raw URL before we could mask it).
 */
export default fp(
  async function requestLog(app: FastifyInstance) {
    app.addHook('onResponse', async (request, reply) => {
      const log: FastifyBaseLogger = request.log
      log.info(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          url: maskSecrets(request.url),
          status: reply.statusCode,
          ms: Math.round(reply.elapsedTime * 10) / 10,
          key: request.principal?.keyId,
        },
        'request',
      )
    })
  },
  { name: 'request-log' },
)
