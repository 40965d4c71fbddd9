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
  LANELIST_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LANELIST_WORKER: boolFlag.default(true),
  LANELIST_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(10),
  // Below the POS's own timeout (about 2 s), so the lane gets a 503 it can act on, not silence.
  LANELIST_LANE_DEADLINE_MS: z.coerce.number().int().min(100).max(60_000).default(1_800),
  LANELIST_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(100).max(600_000).default(10_000),
  // Load shedding (src/plugins/overload.ts) and per-key rate limits (src/plugins/rate-limit.ts); README.md.
  LANELIST_MAX_IN_FLIGHT: z.coerce.number().int().min(0).max(100_000).default(256),
  LANELIST_MAX_DB_WAITING: z.coerce.number().int().min(0).max(100_000).default(64),
  LANELIST_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  LANELIST_MAX_HEAP_MB: z.coerce.number().int().min(0).max(1_000_000).default(0),
  LANELIST_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  LANELIST_RATE_LIMIT_POS: z.coerce.number().int().min(0).max(10_000_000).default(3000),
  LANELIST_RATE_LIMIT_BACKOFFICE: z.coerce.number().int().min(0).max(10_000_000).default(1200),
  LANELIST_RATE_LIMIT_ADMIN: z.coerce.number().int().min(0).max(10_000_000).default(600),
  // Webhooks (docs/webhooks.md): per-attempt timeout, attempts before a delivery is dead, poll interval.
  LANELIST_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  LANELIST_WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(16),
  LANELIST_WEBHOOK_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
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
