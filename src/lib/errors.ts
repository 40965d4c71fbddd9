/**
 * Domain errors: services throw these and never think about HTTP. The problem plugin maps
 * each code to a status, a type URI and a title (src/plugins/problem-registry.ts).
 */
export type ErrorCode =
  | 'validation_failed'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'idempotency_conflict'
  | 'unknown_code'
  | 'card_replaced'
  | 'unprocessable'
  | 'database_unavailable'

export interface FieldError {
  path: string
  message: string
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    detail: string,
    readonly errors?: FieldError[],
  ) {
    super(detail)
    this.name = 'AppError'
  }
}

export const notFound = (what: string, id: string | number) => new AppError('not_found', `${what} ${id} does not exist`)

export const invalid = (errors: FieldError[]) =>
  new AppError('validation_failed', errors.map((e) => `${e.path}: ${e.message}`).join('; '), errors)
