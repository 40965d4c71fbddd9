import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'

/**
 * Programs the suite drives that npm cannot install: Debian's Chromium (the console's
 * browser tests, through playwright-core), PgBouncer (transaction-pooling test) and HAProxy
 * (checks the load balancer configuration in docker-compose.yml).
 * On a fresh CI machine we are root with apt, so `npm test` installs what is missing
 * rather than skipping the tests that need it; elsewhere it says what to install.
 */
export const SYSTEM_TOOLS = [
  { bin: '/usr/bin/chromium', pkg: 'chromium' },
  { bin: '/usr/sbin/pgbouncer', pkg: 'pgbouncer' },
  { bin: '/usr/sbin/haproxy', pkg: 'haproxy' },
] as const

export function ensureSystemTools(): void {
  const missing = SYSTEM_TOOLS.filter((tool) => !existsSync(tool.bin)).map((tool) => tool.pkg)
  if (missing.length === 0) return
  const canApt = process.getuid?.() === 0 && existsSync('/usr/bin/apt-get')
  if (!canApt) {
    throw new Error(`the test suite needs ${missing.join(' and ')}: install with \`sudo apt-get install ${missing.join(' ')}\``)
  }
  console.log(`# installing ${missing.join(', ')} with apt-get (needed by the test suite)`)
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
  const run = (args: string[]) => spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env })
  run(['update', '-qq'])
  const install = run(['install', '-y', '-qq', '--no-install-recommends', ...missing])
  const still = SYSTEM_TOOLS.filter((tool) => !existsSync(tool.bin))
  if (install.status !== 0 || still.length > 0) {
    throw new Error(`apt-get could not install ${still.map((t) => t.pkg).join(', ') || missing.join(', ')}`)
  }
}
