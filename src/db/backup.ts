import { existsSync, readFileSync } from 'node:fs'
import { chmod, chown, copyFile, mkdir, readdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import path from 'node:path'
import pg from 'pg'

/**
 * Backup and restore of the embedded default's PostgreSQL as a physical base backup taken
 * online with PostgreSQL's low-level API (pg_backup_start / pg_backup_stop). The embedded
 * package ships no pg_dump, and Debian's pg_dump 15 refuses an 18 server, so a logical dump
 * needs a PostgreSQL 18 client (docs/operations.md "Backups and restore"); a file copy of a
 * running cluster plus the WAL written meanwhile needs nothing but the server itself.
 *
 * What a backup folder holds: pg/ (the data directory with backup_label and the WAL from the
 * backup's start to its end, so PostgreSQL recovers to a consistent state on its first
 * start), credentials.json (the password of the cluster's role, which the backup carries)
 * and lanelist-backup.json (what, when, which WAL positions).
 */

export class BackupError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BackupError'
  }
}

export interface BackupManifest {
  format: 'lanelist-physical-1'
  createdAt: string
  serverVersion: string
  startLsn: string
  stopLsn: string
  files: number
  bytes: number
}

/**
 * Not copied, as pg_basebackup leaves them out: the server recreates them, and a copied
 * postmaster.pid or replication slot would confuse the restored server. Directories stay (empty).
 */
const SKIP_FILES = new Set(['postmaster.pid', 'postmaster.opts', 'backup_label.old', 'postgresql.auto.conf.tmp'])
const EMPTY_DIRS = new Set(['pg_wal', 'pg_replslot', 'pg_dynshmem', 'pg_notify', 'pg_serial', 'pg_snapshots', 'pg_stat_tmp', 'pg_subtrans'])
const WAL_FILE = /^[0-9A-F]{24}(\.history)?$|^[0-9A-F]{8}\.history$/

interface Owner {
  uid: number
  gid: number
}

interface CopyStats {
  files: number
  bytes: number
}

/**
 * Copies `from` into `to`, giving every entry `owner` (as root the server runs as postgres and
 * must own its files). A file that vanishes meanwhile was dropped by the running server; the
 * WAL replay at restore accounts for it, so it is skipped.
 */
async function copyTree(from: string, to: string, owner: Owner | undefined, stats: CopyStats, skip?: (rel: string, dir: boolean) => boolean, rel = ''): Promise<void> {
  const mode = (await stat(from)).mode & 0o777
  await mkdir(to, { recursive: true, mode })
  await chmod(to, mode)
  if (owner) await chown(to, owner.uid, owner.gid)
  let entries
  try {
    entries = await readdir(from, { withFileTypes: true })
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
    throw err
  }
  for (const entry of entries) {
    const childRel = rel ? `${rel}/${entry.name}` : entry.name
    const src = path.join(from, entry.name)
    const dst = path.join(to, entry.name)
    if (entry.isDirectory()) {
      if (skip?.(childRel, true)) {
        await mkdir(dst, { recursive: true, mode: 0o700 })
        if (owner) await chown(dst, owner.uid, owner.gid)
        continue
      }
      await copyTree(src, dst, owner, stats, skip, childRel)
    } else if (entry.isFile()) {
      if (skip?.(childRel, false)) continue
      try {
        await copyFile(src, dst)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue
        throw err
      }
      if (owner) await chown(dst, owner.uid, owner.gid)
      stats.files++
      stats.bytes += (await stat(dst)).size
    }
  }
}

function skipInBaseCopy(rel: string, dir: boolean): boolean {
  if (dir) return EMPTY_DIRS.has(rel)
  return SKIP_FILES.has(rel) || path.basename(rel).startsWith('pgsql_tmp')
}

async function ownerOf(dir: string): Promise<Owner | undefined> {
  if (process.getuid?.() !== 0) return undefined
  const s = await stat(dir)
  return { uid: s.uid, gid: s.gid }
}

/**
 * Takes a backup of the running embedded server at `url` whose data directory is `<dataDir>/pg`
 * into the folder `to` (which must not exist). The server keeps serving meanwhile.
 */
export async function backupEmbedded(opts: { dataDir: string; url: string; to: string; log?: (msg: string) => void }): Promise<BackupManifest> {
  const root = path.resolve(opts.dataDir)
  const pgDir = path.join(root, 'pg')
  const to = path.resolve(opts.to)
  if (existsSync(to)) throw new BackupError(`${to} exists; a backup goes into a new folder`)
  const client = new pg.Client({ connectionString: opts.url, application_name: 'lanelist-backup' })
  client.on('error', () => {})
  await client.connect()
  try {
    const { rows } = await client.query<{ dir: string; version: string }>(
      `select current_setting('data_directory') as dir, current_setting('server_version') as version`,
    )
    if (path.resolve(rows[0]!.dir) !== pgDir) {
      throw new BackupError(`the server at that port keeps its data in ${rows[0]!.dir}, not in ${pgDir}: wrong LANELIST_EMBEDDED_PG_PORT?`)
    }
    // A temporary slot keeps every WAL segment from here on until this session ends, so no
    // checkpoint during a long copy can recycle WAL the restore will need.
    await client.query('select pg_create_physical_replication_slot($1, true, true)', [`lanelist_backup_${process.pid}`])
    const start = await client.query<{ lsn: string }>(`select pg_backup_start($1, true)::text as lsn`, [`lanelist ${new Date().toISOString()}`])
    opts.log?.(`backup started at WAL ${start.rows[0]!.lsn}; copying ${pgDir}`)
    const owner = await ownerOf(pgDir)
    const stats = { files: 0, bytes: 0 }
    await mkdir(to, { recursive: true, mode: 0o700 })
    await copyTree(pgDir, path.join(to, 'pg'), owner, stats, skipInBaseCopy)
    const stop = await client.query<{ lsn: string; labelfile: string; spcmapfile: string }>(
      'select lsn::text, labelfile, spcmapfile from pg_backup_stop(false)',
    )
    const { lsn: stopLsn, labelfile, spcmapfile } = stop.rows[0]!
    await writeFile(path.join(to, 'pg', 'backup_label'), labelfile, { mode: 0o600 })
    if (spcmapfile) await writeFile(path.join(to, 'pg', 'tablespace_map'), spcmapfile, { mode: 0o600 })
    // pg_backup_stop switched to a new segment, so the segments present now hold the WAL
    // from the backup's start through its end.
    const wal = path.join(pgDir, 'pg_wal')
    for (const name of (await readdir(wal)).filter((n) => WAL_FILE.test(n))) {
      await copyFile(path.join(wal, name), path.join(to, 'pg', 'pg_wal', name))
      stats.files++
      stats.bytes += (await stat(path.join(wal, name))).size
    }
    await mkdir(path.join(to, 'pg', 'pg_wal', 'archive_status'), { recursive: true, mode: 0o700 })
    if (owner) await chownTree(path.join(to, 'pg', 'pg_wal'), owner)
    for (const f of ['backup_label', 'tablespace_map']) {
      if (owner && existsSync(path.join(to, 'pg', f))) await chown(path.join(to, 'pg', f), owner.uid, owner.gid)
    }
    await copyFile(path.join(root, 'credentials.json'), path.join(to, 'credentials.json'))
    await chmod(path.join(to, 'credentials.json'), 0o600)
    const manifest: BackupManifest = {
      format: 'lanelist-physical-1',
      createdAt: new Date().toISOString(),
      serverVersion: rows[0]!.version,
      startLsn: start.rows[0]!.lsn,
      stopLsn,
      files: stats.files,
      bytes: stats.bytes,
    }
    await writeFile(path.join(to, 'lanelist-backup.json'), `${JSON.stringify(manifest, null, 2)}\n`)
    return manifest
  } catch (err) {
    // A failed backup leaves the server in backup mode only while this session lives.
    throw err instanceof BackupError ? err : new BackupError(`backup failed: ${(err as Error).message}`)
  } finally {
    await client.end().catch(() => {})
  }
}

async function chownTree(dir: string, owner: Owner): Promise<void> {
  await chown(dir, owner.uid, owner.gid)
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    if (entry.isDirectory()) await chownTree(p, owner)
    else await chown(p, owner.uid, owner.gid)
  }
}

export function readManifest(from: string): BackupManifest {
  const file = path.join(path.resolve(from), 'lanelist-backup.json')
  if (!existsSync(file) || !existsSync(path.join(path.resolve(from), 'pg', 'backup_label'))) {
    throw new BackupError(`${from} is not a lanelist backup (no lanelist-backup.json or pg/backup_label)`)
  }
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as BackupManifest
  if (manifest.format !== 'lanelist-physical-1') throw new BackupError(`${from}: unknown backup format ${String(manifest.format)}`)
  return manifest
}

/**
 * Puts the backup `from` in place as `<dataDir>/pg`, with lanelist stopped. The current data
 * directory is moved aside (pg.before-restore-<time>), never deleted: a restore of the wrong
 * backup can be undone. PostgreSQL replays the backup's WAL when lanelist next starts.
 */
export async function restoreEmbedded(opts: { dataDir: string; from: string; log?: (msg: string) => void }): Promise<{ manifest: BackupManifest; movedAside?: string }> {
  const root = path.resolve(opts.dataDir)
  const pgDir = path.join(root, 'pg')
  const from = path.resolve(opts.from)
  const manifest = readManifest(from)
  const running = runningProcess(path.join(root, 'lanelist.pid'), 'node') ?? runningProcess(path.join(pgDir, 'postmaster.pid'), 'postgres')
  if (running) throw new BackupError(`lanelist or its PostgreSQL (pid ${running}) is running on ${root}; stop it before a restore`)
  await mkdir(root, { recursive: true })
  const owner = await ownerOf(existsSync(pgDir) ? pgDir : path.join(from, 'pg'))
  let movedAside: string | undefined
  if (existsSync(pgDir)) {
    movedAside = path.join(root, `pg.before-restore-${new Date().toISOString().replace(/[:.]/g, '-')}`)
    await rename(pgDir, movedAside)
    opts.log?.(`moved the current data directory aside to ${movedAside}`)
  }
  const stats = { files: 0, bytes: 0 }
  await copyTree(path.join(from, 'pg'), pgDir, owner, stats)
  await chmod(pgDir, 0o700)
  await copyFile(path.join(from, 'credentials.json'), path.join(root, 'credentials.json'))
  await chmod(path.join(root, 'credentials.json'), 0o600)
  opts.log?.(`restored ${stats.files} files (${Math.round(stats.bytes / 1048576)} MB) from the backup of ${manifest.createdAt}`)
  return { manifest, movedAside }
}

/** The pid in a pid file when that process is alive and its command line names `what`. */
function runningProcess(pidFile: string, what: string): number | undefined {
  if (!existsSync(pidFile)) return undefined
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10)
  if (!pid || pid === process.pid) return undefined
  try {
    process.kill(pid, 0)
  } catch {
    return undefined
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(what) ? pid : undefined
  } catch {
    return pid
  }
}

export async function readCredentialsUrl(dataDir: string, port: number): Promise<string> {
  const file = path.join(path.resolve(dataDir), 'credentials.json')
  if (!existsSync(file)) throw new BackupError(`no ${file}: is ${dataDir} lanelist's data folder (LANELIST_DATA_DIR)?`)
  const c = JSON.parse(await readFile(file, 'utf8')) as { user: string; password: string }
  return `postgres://${encodeURIComponent(c.user)}:${encodeURIComponent(c.password)}@127.0.0.1:${port}/postgres`
}
