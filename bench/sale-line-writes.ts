// What writing sale_line costs PostgreSQL, by index on sale_id and by number of writers: the
// measurements behind docs/architecture.md ("Why sale_line had only BRIN indexes"). Run:
//   node --import tsx bench/sale-line-writes.ts [--rows 1000000] [--reps 2] [--variants base,base1,none,...]
// Lines shaped like an import's (sales of 5-25 lines, ids ascending) are COPYed in ten chunks
// into a table like sale_line (its constraints and customer_id BRIN) with the variant's index:
// on one connection in turn, or two chunks at a time on two connections as the import's two
// writers do (the lower chunk then inserts below the other's, never at the btree's right
// edge). It prints the backends' CPU seconds, the WAL written and the index's size and leaf
// density (pgstattuple). `none` (no index on sale_id) is the reference in the same run.
import { createReadStream, readFileSync } from 'node:fs'
import { spawn } from 'node:child_process'
import { chmod, mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { pipeline } from 'node:stream/promises'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'
import pino from 'pino'
import { freePort, loadAverage, startBenchPostgres } from './support.ts'
import { prepareDatabase } from '../src/db/prepare.ts'

const { values } = parseArgs({ options: { variants: { type: 'string', default: 'none,base,base1,pair,pair1' }, rows: { type: 'string', default: '1000000' }, reps: { type: 'string', default: '1' } } })
const ROWS = Number(values.rows)
const CHUNKS = 10

const INDEXES: Record<string, string> = {
  base: 'create index on t (sale_id)',
  nodedup: 'create index on t (sale_id) with (deduplicate_items = off)',
  pair: 'create index on t (sale_id, line_no)',
  pairnodedup: 'create index on t (sale_id, line_no) with (deduplicate_items = off)',
  hash: 'create index on t using hash (sale_id)',
  none: '',
}
/** A variant: an index name, then 1 for one writer (two otherwise), e.g. base1, pair. */
function variant(name: string): { index: string; writers: number } {
  const one = name.endsWith('1')
  const index = INDEXES[one ? name.slice(0, -1) : name]
  if (index === undefined) throw new Error(`unknown variant ${name}: one of ${Object.keys(INDEXES).join(', ')}, optionally followed by 1`)
  return { index, writers: one ? 1 : 2 }
}

function cpuOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(f[11]) + Number(f[12])) / 100
}

const dir = await mkdtemp(path.join(tmpdir(), 'lanelist-sale-line-writes-'))
await chmod(dir, 0o755)
// The server writes the chunks (COPY ... TO a file); as root it runs as the postgres user.
await mkdir(path.join(dir, 'c'))
await chmod(path.join(dir, 'c'), 0o777)
const log = pino({ level: 'warn' }, pino.destination(2))
const db = await startBenchPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort(), log })
try {
  const pool = new pg.Pool({ connectionString: db.url, max: 3 })
  pool.on('error', () => {})
  await prepareDatabase(pool)
  const admin = await pool.connect()
  await admin.query('create extension if not exists pgstattuple')
  // Sales of 5-25 lines, about 10k customers, 5k products; the import's shape.
  await admin.query(`create table src as
    with s as (select g as sale_id, 1 + (hashint4(g) & 2147483647) % 10000 as customer_id, 5 + (hashint4(g * 7) & 2147483647) % 21 as n from generate_series(1, ${Math.ceil(ROWS / 10)}) g)
    select s.sale_id::bigint, l as line_no, s.customer_id::bigint, (1 + (hashint4(s.sale_id * 31 + l) & 2147483647) % 5000)::bigint as product_id, 1 + l % 3 as quantity
    from s, generate_series(1, s.n) l order by 1, 2 limit ${ROWS}`)
  const { rows: bounds } = await admin.query(`select min(sale_id) lo, max(sale_id) hi, ntile from (select sale_id, ntile(${CHUNKS}) over (order by sale_id, line_no) from src) x group by ntile order by ntile`)
  const files: string[] = []
  for (const b of bounds) {
    const f = path.join(dir, 'c', `chunk${b.ntile}.txt`)
    await admin.query(`copy (select sale_id, line_no, customer_id, product_id, null, quantity, null from src where sale_id between ${b.lo} and ${b.hi} order by 1, 2) to '${f}'`)
    files.push(f)
  }
  admin.release()
  const conns = [await pool.connect(), await pool.connect()]
  const pids = await Promise.all(conns.map(async (c) => (await c.query('select pg_backend_pid() p')).rows[0].p as number))
  const copy = (c: pg.PoolClient, f: string) => pipeline(createReadStream(f), c.query(copyFrom('copy t (sale_id, line_no, customer_id, product_id, gtin, quantity, unit_price_cents) from stdin')))
  for (let rep = 0; rep < Number(values.reps); rep++) {
    let none: number | undefined
    for (const name of values.variants!.split(',')) {
      const v = variant(name)
      await conns[0]!.query('drop table if exists t; create table t (like sale_line including defaults including constraints); create index on t using brin (customer_id) with (pages_per_range = 16)')
      if (v.index) await conns[0]!.query(v.index)
      await conns[0]!.query('checkpoint')
      const wal0 = (await conns[0]!.query('select pg_current_wal_lsn() l')).rows[0].l
      const cpu0 = pids.map(cpuOf)
      // PERF=1: a perf profile of the two backends per variant, in the temp folder.
      const perf = process.env.PERF ? spawn('perf', ['record', '-F', '2000', '-g', '-o', path.join(tmpdir(), `sale-line-writes-${name}.perf`), '-p', pids.join(',')], { stdio: 'ignore' }) : undefined
      if (perf) await new Promise((r) => setTimeout(r, 300))
      const t0 = performance.now()
      if (v.writers === 1) {
        for (const f of files) await copy(conns[0]!, f)
      } else {
        for (let c = 0; c < CHUNKS; c += 2) await Promise.all([copy(conns[0]!, files[c]!), copy(conns[1]!, files[c + 1]!)])
      }
      const wall = (performance.now() - t0) / 1000
      if (perf) {
        perf.kill('SIGINT')
        await new Promise((r) => perf.on('exit', r))
      }
      const cpu = pids.map((p, i) => cpuOf(p) - cpu0[i]!)
      const r = (
        await conns[0]!.query(`select pg_wal_lsn_diff(pg_current_wal_lsn(), '${wal0}') wal, pg_relation_size('t') heap,
          (select string_agg(c.relname || ' ' || round(pg_relation_size(c.oid) / 1048576.0, 1) || ' MB' || coalesce(' ' || (select round(avg_leaf_density::numeric, 1) || '% full' from pgstatindex(c.oid::regclass) where c.relam = (select oid from pg_am where amname = 'btree')), ''), ', ') from pg_index i join pg_class c on c.oid = i.indexrelid where i.indrelid = 't'::regclass and c.relam <> (select oid from pg_am where amname = 'brin')) idx`)
      ).rows[0]
      const cpuSum = cpu[0]! + cpu[1]!
      if (name === 'none') none = cpuSum
      const ratio = none === undefined ? undefined : (cpuSum / none).toFixed(2)
      console.log(JSON.stringify({ name, wall: wall.toFixed(2), cpu: cpu.map((x) => x.toFixed(2)).join('+'), cpuSum: cpuSum.toFixed(2), cpuToNone: ratio, walMB: (r.wal / 1048576).toFixed(0), idx: r.idx, load: loadAverage() }))
    }
  }
  for (const c of conns) c.release()
  await pool.end()
} finally {
  await db.stop()
  await rm(dir, { recursive: true, force: true })
}
process.exit(0)
