import type { ErrorCode } from '../lib/errors.ts'

/** Every code a client can see: status, a stable type URI and a title. Documented in docs/errors.md. */
export type ProblemCode =
  | ErrorCode
  | 'bad_request'
  | 'route_not_found'
  | 'method_not_allowed'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'overloaded'
  | 'not_ready'
  | 'internal'

export const TYPE_BASE = 'https://lanelist.dev/problems/'

export const problems: Record<ProblemCode, { status: number; title: string }> = {
  validation_failed: { status: 400, title: 'The request has invalid fields' },
  bad_request: { status: 400, title: 'The request could not be read' },
  unauthorized: { status: 401, title: 'An API key is required' },
  forbidden: { status: 403, title: 'This API key may not do that' },
  not_found: { status: 404, title: 'No such resource' },
  route_not_found: { status: 404, title: 'No such route' },
  method_not_allowed: { status: 405, title: 'Method not allowed on this route' },
  conflict: { status: 409, title: 'The change conflicts with the current state' },
  idempotency_conflict: { status: 409, title: 'This idempotency key was used with a different request' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  unknown_code: { status: 422, title: 'The scanned code is no known card or list' },
  card_replaced: { status: 422, title: 'This card was replaced and no longer works' },
  unprocessable: { status: 422, title: 'The request cannot be carried out' },
  rate_limited: { status: 429, title: 'Too many requests' },
  internal: { status: 500, title: 'Internal error' },
  database_unavailable: { status: 503, title: 'The database is unavailable' },
  overloaded: { status: 503, title: 'The service is overloaded' },
  not_ready: { status: 503, title: 'The service is not ready' },
}
