import closeWithGrace from 'close-with-grace'
import { startService, createLogger } from './boot.ts'
import { ConfigError, loadConfig } from './config.ts'
import { applyHeapPolicy } from './heap-policy.ts'

let config
try {
  config = loadConfig()
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  process.stderr.write(`lanelist: ${err.message}\n`)
  process.exit(78) // EX_CONFIG
}

// Before the service allocates: a list run's peak memory stays near its live heap (docs/lists.md, "Memory").
applyHeapPolicy(config.LANELIST_HEAP_GROWING_PERCENT)
const log = createLogger(config)
try {
  const service = await startService(config, log)
  const base = service.url.replace('0.0.0.0', 'localhost').replace('127.0.0.1', 'localhost')
  log.info({ url: base, docs: `${base}/docs` }, `lanelist listening on ${base}; API docs at ${base}/docs`)
  if (service.demo) {
    log.info({ stores: service.demo.stores, customers: service.demo.customers, sales: service.demo.sales }, 'demo data loaded')
    // A banner for the person trying the demo, outside the JSON log: card numbers never go to the log.
    process.stdout.write(
      [
        '',
        `  lanelist demo: ${service.demo.stores} stores, ${service.demo.customers} customers, ${service.demo.sales} sales of history`,
        `  API docs:      ${base}/docs`,
        `  console:       ${base}/console (sign in with the back-office key)`,
        `  cards to scan: ${service.demo.sampleCards.join(', ')}`,
        service.demo.keysFile ? `  API keys:      ${service.demo.keysFile} (a back-office key and a pos key per store)` : '',
        '',
      ].join('\n') + '\n',
    )
  }

  // close-with-grace exits the process when its delay is over; the service's own grace ends
  // first, leaving time to stop the embedded PostgreSQL rather than orphan it.
  const graceMs = config.LANELIST_SHUTDOWN_GRACE_MS
  closeWithGrace({ delay: graceMs + 15_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an uncaught error')
    else log.info({ signal }, 'shutting down')
    await service.stop({ graceMs })
    log.info('stopped')
  })
} catch (err) {
  log.fatal({ err }, `lanelist could not start: ${(err as Error).message}`)
  // Exit now: a half-started service (a pool, a child process) must not linger without serving.
  process.exit(1)
}
