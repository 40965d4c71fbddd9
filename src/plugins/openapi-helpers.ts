import { problemSchema } from './problem.ts'

/** Response entries for the error statuses a route can answer, all problem+json. */
export function errorResponses(...statuses: number[]): Record<number, typeof problemSchema> {
  return Object.fromEntries(statuses.map((s) => [s, problemSchema]))
}
