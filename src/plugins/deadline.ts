import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

/**
 * The lane's POS gives up after about 2 s and takes the sale offline; an answer after that is
 * worse than none. Lane routes (tag 'checkout') therefore answer 503 problem+json with
 * Retry-After once their deadline passes, whatever the database is doing (a partition can hold
 * a query for minutes). A write that commits after its 503 is still exactly-once: the POS's
 * retry of the same transaction gets the stored response.
 */
export default fp(
  async function deadlinePlugin(app: FastifyInstance, opts: { laneMs: number }) {
    app.addHook('onRoute', (route) => {
      const tags = (route.schema as { tags?: string[] } | undefined)?.tags ?? []
      if (route.handlerTimeout === undefined && tags.includes('checkout')) route.handlerTimeout = opts.laneMs
    })
  },
  { name: 'deadline' },
)
