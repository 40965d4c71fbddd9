import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'

/**
 * The lane's POS gives up after about 2 s and takes the sale offline; an answer after that is
 * worse than none. Lane routes (tag 'checkout') therefore answer 503 problem+json with
 * Retry-After once their deadline passes, whatever the database is doing (a partition can hold
 * a query for minutes). A write that commits after its 503 is still exactly-once: the POS's
 * retry of the same transaction gets the stored response.
 *
 * Our own timer rather than Fastify's route `handlerTimeout`: Fastify 5.12 clears that timer
 * on the request's 'close' event, which Node emits as soon as a POST body has been read, so
 * a POST handler waiting on a hung query was never cut off (test/http/lane-deadline.test.ts).
 */
export class LaneDeadlineError extends Error {
  readonly statusCode = 503
  readonly code = 'LANELIST_LANE_DEADLINE'
  constructor(ms: number) {
    super(`no answer within the lane deadline of ${ms} ms; retry the same transaction, it is recorded at most once`)
    this.name = 'LaneDeadlineError'
  }
}

export default fp(
  async function deadlinePlugin(app: FastifyInstance, opts: { laneMs: number }) {
    const isLane = (request: FastifyRequest) => {
      const tags = (request.routeOptions.schema as { tags?: string[] } | undefined)?.tags ?? []
      return tags.includes('checkout')
    }
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (!isLane(request)) return
      const timer = setTimeout(() => {
        if (reply.sent || reply.raw.headersSent) return
        reply.send(new LaneDeadlineError(opts.laneMs))
      }, opts.laneMs)
      // The response, not the request: Node closes a request once its body has been read.
      reply.raw.once('close', () => clearTimeout(timer))
    })
  },
  { name: 'deadline' },
)
