import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Database } from '../../db/database.ts'

export const importRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (_app, _opts) => {}
