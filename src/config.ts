import { z } from 'zod'

// Parsed once at boot; nothing else reads process.env (STYLE.md §8).
const boolFlag = z
  .enum(['0', '1', 'true', 'false', 'yes', 'no'])
  .transform((v) => v === '1' || v === 'true' || v === 'yes')

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  // A direct (session) connection for what a transaction pooler cannot carry: migrations, the
  // job worker's LISTEN and its advisory locks (docs/operations.md "pgbouncer"). Unset = DATABASE_URL.
  LANELIST_DIRECT_DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  LANELIST_DATA_DIR: z.string().min(1).default('./.lanelist'),
  LANELIST_EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
  LANELIST_ADMIN_KEY: z
    .string()
    .min(24, 'must be at least 24 characters (it grants full access)')
    .optional(),
  LANELIST_DEMO: boolFlag.default(true),
  LANELIST_DEMO_CUSTOMERS: z.coerce.number().int().min(0).max(1_000_000).default(300),
  // Named prepared statements for the lane's statements; 0 behind PgBouncer < 1.21 in transaction mode.
  LANELIST_DB_PREPARED_STATEMENTS: boolFlag.default(true),
  LANELIST_DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
  // Group commit of lane writes (docs/redemptions.md): statements in flight before arriving writes
  // gather into one; 0 writes every sale alone. And the most sales in one statement.
  LANELIST_REDEMPTION_BATCH_IN_FLIGHT: z.coerce.number().int().min(0).max(100).default(1),
  // The same for the lane's reads: read statements in flight before arriving reads gather; 0 reads alone.
  LANELIST_REDEMPTION_READ_BATCH_IN_FLIGHT: z.coerce.number().int().min(0).max(100).default(1),
  LANELIST_REDEMPTION_BATCH_MAX: z.coerce.number().int().min(2).max(200).default(32),
  // A write statement running longer than this lets the next one start beside it.
  LANELIST_REDEMPTION_BATCH_STALL_MS: z.coerce.number().int().min(1).max(60_000).default(50),
  LANELIST_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LANELIST_WORKER: boolFlag.default(true),
  LANELIST_MODEL_REFIT_HOURS: z.coerce.number().int().min(0).max(24 * 90).default(24),
  LANELIST_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(10),
  // Below the POS's own timeout (about 2 s), so the lane gets a 503 it can act on, not silence.
  LANELIST_LANE_DEADLINE_MS: z.coerce.number().int().min(100).max(60_000).default(1_800),
  LANELIST_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  // Load shedding (src/plugins/overload.ts) and per-key rate limits (src/plugins/rate-limit.ts); README.md.
  LANELIST_MAX_IN_FLIGHT: z.coerce.number().int().min(0).max(100_000).default(256),
  LANELIST_MAX_DB_WAITING: z.coerce.number().int().min(0).max(100_000).default(64),
  LANELIST_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  LANELIST_MAX_HEAP_MB: z.coerce.number().int().min(0).max(1_000_000).default(0),
  // Old-generation growth past the live heap before V8 collects it, in percent (src/heap-policy.ts); 0 = V8's own (up to 300%).
  LANELIST_HEAP_GROWING_PERCENT: z.coerce.number().int().min(0).max(1000).default(100),
  LANELIST_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  LANELIST_RATE_LIMIT_POS: z.coerce.number().int().min(0).max(10_000_000).default(3000),
  LANELIST_RATE_LIMIT_BACKOFFICE: z.coerce.number().int().min(0).max(10_000_000).default(1200),
  LANELIST_RATE_LIMIT_ADMIN: z.coerce.number().int().min(0).max(10_000_000).default(600),
  // Webhooks (docs/webhooks.md): per-attempt timeout, attempts before a delivery is dead, poll interval.
  LANELIST_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  LANELIST_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(16),
  LANELIST_WEBHOOK_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
  // The loyalty program's settings (issue 7; docs/lists.md, README.md "Configuration").
  LANELIST_SEGMENT_NATIONAL_LOYAL_MIN_SHARE: z.coerce.number().gt(0).max(1).default(0.8),
  LANELIST_SEGMENT_STORE_LOYAL_MAX_SHARE: z.coerce.number().min(0).lt(1).default(0.2),
  LANELIST_SEGMENT_WINDOW_DAYS: z.coerce.number().int().min(7).max(3660).default(182),
  LANELIST_SEGMENT_USAGE_LOW_QUANTILE: z.coerce.number().gt(0).lt(1).default(1 / 3),
  LANELIST_SEGMENT_USAGE_HIGH_QUANTILE: z.coerce.number().gt(0).lt(1).default(2 / 3),
  LANELIST_SEGMENT_USAGE_MIN_BUYERS: z.coerce.number().int().min(1).max(1_000_000).default(20),
  LANELIST_SEGMENT_USAGE_LOW_MAX_UNITS: z.coerce.number().int().min(0).max(100_000).default(2),
  LANELIST_SEGMENT_USAGE_MEDIUM_MAX_UNITS: z.coerce.number().int().min(1).max(100_000).default(6),
  LANELIST_ELIGIBILITY_WEEKLY_SPEND_CENTS: z.coerce.number().int().min(0).max(100_000_000).default(2500),
  LANELIST_ELIGIBILITY_WEEKS: z.coerce.number().int().min(1).max(104).default(8),
  LANELIST_OFFER_CAP_A_CENTS: z.coerce.number().int().min(0).max(1_000_000).default(3500),
  LANELIST_OFFER_CAP_B_CENTS: z.coerce.number().int().min(0).max(1_000_000).default(2000),
  LANELIST_OFFER_CAP_C_CENTS: z.coerce.number().int().min(0).max(1_000_000).default(1000),
  LANELIST_OFFER_CAP_D_CENTS: z.coerce.number().int().min(0).max(1_000_000).default(500),
  LANELIST_HOLDOUT_SHARE: z.coerce.number().min(0).lt(1).default(0.05),
  LANELIST_VOUCHER_RATE_BP: z.coerce.number().int().min(0).max(10_000).default(100),
  LANELIST_VOUCHER_PERIOD_MONTHS: z.coerce
    .number()
    .refine((n) => [1, 2, 3, 4, 6, 12].includes(n), 'must be 1, 2, 3, 4, 6 or 12 (a period divides the year)')
    .default(3),
  LANELIST_LIST_VALID_DAYS: z.coerce.number().int().min(1).max(365).default(14),
}).superRefine((c, ctx) => {
  if (!(c.LANELIST_SEGMENT_STORE_LOYAL_MAX_SHARE < c.LANELIST_SEGMENT_NATIONAL_LOYAL_MIN_SHARE)) {
    ctx.addIssue({ code: 'custom', path: ['LANELIST_SEGMENT_STORE_LOYAL_MAX_SHARE'], message: 'must be below LANELIST_SEGMENT_NATIONAL_LOYAL_MIN_SHARE' })
  }
  if (!(c.LANELIST_SEGMENT_USAGE_LOW_QUANTILE < c.LANELIST_SEGMENT_USAGE_HIGH_QUANTILE)) {
    ctx.addIssue({ code: 'custom', path: ['LANELIST_SEGMENT_USAGE_LOW_QUANTILE'], message: 'must be below LANELIST_SEGMENT_USAGE_HIGH_QUANTILE' })
  }
  if (!(c.LANELIST_SEGMENT_USAGE_LOW_MAX_UNITS < c.LANELIST_SEGMENT_USAGE_MEDIUM_MAX_UNITS)) {
    ctx.addIssue({ code: 'custom', path: ['LANELIST_SEGMENT_USAGE_LOW_MAX_UNITS'], message: 'must be below LANELIST_SEGMENT_USAGE_MEDIUM_MAX_UNITS' })
  }
})

export type Config = Readonly<z.infer<typeof schema>>

export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`)
    this.name = 'ConfigError'
  }
}

/** Empty strings count as unset, the way shells and compose files usually mean them. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''))
  const result = schema.safeParse(cleaned)
  if (!result.success) {
    throw new ConfigError(result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`))
  }
  if (result.data.LANELIST_DIRECT_DATABASE_URL && !result.data.DATABASE_URL) {
    throw new ConfigError(['LANELIST_DIRECT_DATABASE_URL: only meaningful with DATABASE_URL (the embedded database needs no pooler)'])
  }
  return Object.freeze(result.data)
}
