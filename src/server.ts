import closeWithGrace from 'close-with-grace'
import { startService, createLogger } from './boot.ts'
import { ConfigError, loadConfig } from './config.ts'

let config
try {
  config = loadConfig()
} catch (err) {
  if (!(err instanceof ConfigError)) throw err
  process.stderr.write(`lanelist: ${err.message}\n`)
  process.exit(78) // EX_CONFIG
}

const log = createLogger(config)
try {
  const service = await startService(config, log)
  const base = service.url.replace('0.0.0.0', 'localhost').replace('127.0.0.1', 'localhost')
  log.info({ url: base, docs: `${base}/docs` }, `lanelist listening on ${base}; API docs at ${base}/docs`)
  if (service.demo) {
    log.info(
      { stores: service.demo.stores, customers: service.demo.customers, sales: service.demo.sales },
      `demo data loaded; cards to scan: ${service.demo.sampleCards.join(', ')}`,
    )
    // Keys never go to the log; the demo writes them to a file only this machine's operator can read.
    if (service.demo.keysFile) log.info(`demo API keys (a back-office key and a pos key per store) are in ${service.demo.keysFile}`)
  }

  closeWithGrace({ delay: config.LANELIST_SHUTDOWN_GRACE_MS }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an uncaught error')
    else log.info({ signal }, 'shutting down')
    await service.stop()
    log.info('stopped')
  })
} catch (err) {
  log.fatal({ err }, `lanelist could not start: ${(err as Error).message}`)
  // Exit now: a half-started service (a pool, a child process) must not linger without serving.
  process.exit(1)
}
