import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import metricsPlugin from 'fastify-metrics'
import type pg from 'pg'
import { embeddedStats } from '../db/embedded-stats.ts'
import { writeBatchStats } from '../modules/redemptions/redemption-coalescer.ts'
import { readBatchStats } from '../modules/redemptions/redemption-read-coalescer.ts'
import { onRegenerationTimings } from '../modules/lists/regeneration-timings.ts'
import { onRedemptionTimings } from '../modules/redemptions/redemption-timings.ts'

// Lane calls live in the 1-50 ms range; the plugin's default buckets start at 50 ms.
const BUCKETS = [0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export default fp<{ pool: pg.Pool }>(
  async function metrics(app: FastifyInstance, opts) {
    // Under ESM, fastify-metrics 13 exposes the plugin as .default (STACK-NOTES).
    const plugin = (metricsPlugin as unknown as { default: typeof metricsPlugin.default }).default
    await app.register(plugin, {
      endpoint: '/metrics',
      // Tests build many apps in one process; each starts from a clean registry.
      clearRegisterOnInit: true,
      routeMetrics: {
        enabled: { histogram: true, summary: false },
        registeredRoutesOnly: true,
        groupStatusCodes: false,
        overrides: { histogram: { buckets: BUCKETS } },
      },
    })
    const client = app.metrics.client
    const gauge = (name: string, help: string, read: () => number) =>
      new client.Gauge({
        name,
        help,
        collect() {
          this.set(read())
        },
      })
    gauge('lanelist_db_pool_total', 'Connections open in the database pool', () => opts.pool.totalCount)
    gauge('lanelist_db_pool_idle', 'Idle connections in the database pool', () => opts.pool.idleCount)
    gauge('lanelist_db_pool_waiting', 'Queries waiting for a pool connection', () => opts.pool.waitingCount)
    // Group commit of lane writes (modules/redemptions/redemption-coalescer.ts): process totals.
    new client.Counter({
      name: 'lanelist_redemption_write_statements_total',
      help: 'Lane write statements by kind: single (one sale), batch (several sales, committed), fallback (a batch that failed; its sales then ran alone)',
      labelNames: ['kind'],
      collect() {
        this.reset()
        this.inc({ kind: 'single' }, writeBatchStats.single)
        this.inc({ kind: 'batch' }, writeBatchStats.batches)
        this.inc({ kind: 'fallback' }, writeBatchStats.fallbacks)
      },
    })
    new client.Counter({
      name: 'lanelist_redemption_read_statements_total',
      help: 'Lane read statements by kind: single (one sale), batch (several sales), fallback (a batch that failed; its sales then ran alone), stalled (ran past the stall window, so the next started beside it)',
      labelNames: ['kind'],
      collect() {
        this.reset()
        this.inc({ kind: 'single' }, readBatchStats.single)
        this.inc({ kind: 'batch' }, readBatchStats.batches)
        this.inc({ kind: 'fallback' }, readBatchStats.fallbacks)
        this.inc({ kind: 'stalled' }, readBatchStats.stalls)
      },
    })
    new client.Counter({
      name: 'lanelist_redemption_read_batched_sales_total',
      help: 'Sales read by multi-sale read statements',
      collect() {
        this.reset()
        this.inc(readBatchStats.batchedSales)
      },
    })
    new client.Counter({
      name: 'lanelist_redemption_write_stalls_total',
      help: 'Lane write statements still running after the stall window, so the next one started beside them',
      collect() {
        this.reset()
        this.inc(writeBatchStats.stalls)
      },
    })
    const parts = new client.Histogram({
      name: 'lanelist_redemption_part_seconds',
      help: 'Per lane sale: its read (part="read"), its wait for the group-commit writer (write_wait) and its own write statement with the commit (write_statement; a failed batch not counted)',
      labelNames: ['part'],
      buckets: BUCKETS,
    })
    const stopTimings = onRedemptionTimings((part, ms) => parts.observe({ part }, ms / 1000))
    app.addHook('onClose', async () => stopTimings())
    const regeneration = new client.Histogram({
      name: 'lanelist_list_regeneration_seconds',
      help: "The worker's regeneration after a lane sale, void or return: the customer's prediction statistics brought up to date (part=\"stats\"), then the list written (list); a step that failed is not counted",
      labelNames: ['part'],
      // Finer around its 20 ms target (issue 7) than the lane's buckets.
      buckets: [0.0025, 0.005, 0.0075, 0.01, 0.0125, 0.015, 0.0175, 0.02, 0.0225, 0.025, 0.03, 0.04, 0.05, 0.1, 0.25, 1, 5],
    })
    const stopRegeneration = onRegenerationTimings((part, ms) => regeneration.observe({ part }, ms / 1000))
    app.addHook('onClose', async () => stopRegeneration())
    new client.Counter({
      name: 'lanelist_embedded_postgres_restarts_total',
      help: 'Times the embedded PostgreSQL died under the running service and was started again (0 with DATABASE_URL)',
      collect() {
        this.reset()
        this.inc(embeddedStats.restarts)
      },
    })
    new client.Counter({
      name: 'lanelist_redemption_batched_sales_total',
      help: 'Sales written by committed multi-sale statements',
      collect() {
        this.reset()
        this.inc(writeBatchStats.batchedSales)
      },
    })
  },
  { name: 'metrics' },
)
