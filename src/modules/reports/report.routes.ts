import type { FastifyReply, FastifyRequest } from 'fastify'
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod'
import type { Database } from '../../db/database.ts'
import { errorResponses } from '../../plugins/openapi-helpers.ts'
import { getManufacturerReport, getOfferReport, getRollupStatus, manufacturerReportCsv, offerReportCsv } from './offer-report.service.ts'
import { wantsCsv } from './report-csv.ts'
import {
  csvResponse,
  manufacturerReport,
  manufacturersQuery,
  offerReport,
  offersQuery,
  rollupStatus,
  segmentReport,
  segmentsQuery,
  valueQuery,
  valueReport,
} from './report.schemas.ts'
import { scheduleRollupJob } from './rollup.repository.ts'
import { getSegmentReport, segmentReportCsv } from './segment-report.service.ts'
import { getValueReport, valueReportCsv } from './value-report.service.ts'

const common = { tags: ['backoffice'], security: [{ bearer: [] }] }
const errors = errorResponses(400, 401, 403)

/** JSON by default; the CSV table when Accept names text/csv (a file name for the download). */
function answer<T>(request: FastifyRequest, reply: FastifyReply, report: T, csv: (r: T) => string, file: string) {
  reply.header('vary', 'accept').header('cache-control', 'private, no-cache')
  if (!wantsCsv(request.headers.accept)) return report
  return reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${file}.csv"`).send(csv(report))
}

export const reportRoutes: FastifyPluginAsyncZod<{ db: Database }> = async (app, { db }) => {
  app.addHook('onRequest', app.requireRole('backoffice'))

  app.get(
    '/v1/reports/segments',
    {
      schema: {
        ...common,
        summary: 'The nine segment cells per category, and how customers moved between them since the last run',
        querystring: segmentsQuery,
        response: { 200: csvResponse(segmentReport, 'Segment cells and moves (CSV: one table, `table=cells|moves`)'), ...errors },
      },
    },
    async (request, reply) => {
      const r = await getSegmentReport(db, request.query)
      return answer(request, reply, r, (x) => segmentReportCsv(x, request.query.table), `segments-${request.query.table}-${r.snapshot?.asOf ?? 'none'}`)
    },
  )

  app.get(
    '/v1/reports/value',
    {
      schema: {
        ...common,
        summary: 'Value concentration, tiers and lifecycle stages, the early-warning list and negative-value customers',
        querystring: valueQuery,
        response: { 200: csvResponse(valueReport, 'Customer value (CSV: one table, `table=concentration|grid|early-warning|negative-value`)'), ...errors },
      },
    },
    async (request, reply) => {
      const r = await getValueReport(db, request.query)
      return answer(request, reply, r, (x) => valueReportCsv(x, request.query.table), `value-${request.query.table}`)
    },
  )

  app.get(
    '/v1/reports/offers',
    {
      schema: {
        ...common,
        summary: 'Per offer: lists carrying it, redemptions, discount, and lift against the holdout with its interval',
        querystring: offersQuery,
        response: { 200: csvResponse(offerReport, 'Offer results for the period'), ...errors },
      },
    },
    async (request, reply) => {
      const r = await getOfferReport(db, request.query)
      return answer(request, reply, r, offerReportCsv, `offers-${r.from}-${r.to}`)
    },
  )

  app.get(
    '/v1/reports/manufacturers',
    {
      schema: {
        ...common,
        summary: 'Per manufacturer and offer: redemptions and face value to bill for the period (CSV for the claim)',
        querystring: manufacturersQuery,
        response: { 200: csvResponse(manufacturerReport, 'Manufacturer claims for the period'), ...errors },
      },
    },
    async (request, reply) => {
      const r = await getManufacturerReport(db, request.query)
      return answer(request, reply, r, manufacturerReportCsv, `manufacturer-claims-${r.from}-${r.to}`)
    },
  )

  app.get(
    '/v1/reports/rollup',
    {
      schema: {
        ...common,
        summary: 'How fresh the report rollups are',
        response: { 200: rollupStatus, ...errorResponses(401, 403) },
      },
    },
    async () => getRollupStatus(db, false),
  )

  app.post(
    '/v1/reports/rollup',
    {
      schema: {
        ...common,
        summary: 'Bring the reports up to date now (queues the rollup job; it runs within seconds)',
        response: { 202: rollupStatus, ...errorResponses(401, 403) },
      },
    },
    async (_request, reply) => {
      await scheduleRollupJob(db, new Date(), 'replace')
      return reply.code(202).send(await getRollupStatus(db, true))
    },
  )
}
