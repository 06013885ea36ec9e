/**
 * Backups of the database and their restore.
 *
 * A backup is two files: the snapshot (an SQLite file written by VACUUM INTO,
 * gzip-compressed when its name ends in .gz) and `<file>.manifest.json`
 * beside it (format, Switchyard version, schema version, time, row counts per
 * table, size and SHA-256 of the snapshot as stored). VACUUM INTO reads in
 * one transaction, so the snapshot is consistent while the app goes on
 * writing; both files are written under temporary names and linked into
 * place only when complete, never over an existing file, so a half-written
 * backup is never taken for a good one.
 *
 * A restore checks the manifest and the checksum, refuses a snapshot of a
 * newer schema and a database that an app process is serving, keeps the
 * current database aside, puts the snapshot in its place and migrates it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, createReadStream, createWriteStream, existsSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGunzip, createGzip } from 'node:zlib';
import { createClient, type Client } from '@libsql/client';
import { migrate, openDatabase } from './db.ts';
import { liveInstances } from './instances.ts';
import { migrations } from './migrations.ts';
import { Refused } from './refused.ts';
import type { Settings } from './settings.ts';

export const BACKUP_FORMAT = 'switchyard-backup/1';
const KNOWN_VERSIONS = new Set(migrations.map((m) => m.version));
export const KNOWN_SCHEMA = Math.max(...KNOWN_VERSIONS);

export interface Manifest {
  format: typeof BACKUP_FORMAT;
  switchyard_version: string;
  /** The highest migration applied in the snapshot. */
  schema_version: number;
  created: string;
  /** Rows per table in the snapshot. */
  tables: Record<string, number>;
  /** Of the snapshot file as stored (compressed, if it is). */
  sha256: string;
  bytes: number;
  gzip: boolean;
}

export const manifestPath = (file: string) => `${file}.manifest.json`;

function switchyardVersion(): string {
  return (JSON.parse(readFileSync(resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }).version;
}

/** `20261126T010203Z`: sorts by time, safe in file names. */
export function stamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/** The database's file, or a refusal for a database served over the network. */
export function databaseFile(settings: Pick<Settings, 'dbUrl'>): string {
  const url = settings.dbUrl;
  if (!url.startsWith('file:')) {
    throw new Refused('conflict', `the database is not a local file (SWITCHYARD_DB_URL is ${url.split('?')[0]}): back up and restore a libSQL server with its own tools (sqld or Turso snapshots), not with this command`);
  }
  return url.startsWith('file://') ? fileURLToPath(url.split('?')[0]!) : resolve(url.slice('file:'.length).split('?')[0]!);
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

const local = (file: string) => createClient({ url: `file:${file}`, timeout: 5000 });

/** Applied migrations of a database file, or [] for a file without the table. */
async function appliedVersions(db: Client): Promise<number[]> {
  const table = await db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'");
  if (table.rows.length === 0) return [];
  return (await db.execute('SELECT version FROM schema_migrations ORDER BY version')).rows.map((r) => Number(r.version));
}

async function rowCounts(db: Client): Promise<Record<string, number>> {
  const { rows } = await db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name");
  const counts: Record<string, number> = {};
  for (const r of rows) {
    const name = String(r.name);
    counts[name] = Number((await db.execute(`SELECT count(*) AS n FROM "${name.replaceAll('"', '""')}"`)).rows[0]!.n);
  }
  return counts;
}

/**
 * Makes a snapshot file self-contained and free of what describes processes
 * rather than data: the app processes serving the source at the time would
 * otherwise come back with it. Returns its schema and row counts.
 */
async function prepareSnapshot(file: string): Promise<{ versions: number[]; tables: Record<string, number> }> {
  const db = local(file);
  try {
    await db.execute('PRAGMA journal_mode = DELETE');
    const check = String((await db.execute('PRAGMA quick_check')).rows[0]?.[0]);
    if (check !== 'ok') throw new Refused('conflict', `the snapshot ${file} is damaged (SQLite says: ${check})`);
    if ((await db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'app_instances'")).rows.length) await db.execute('DELETE FROM app_instances');
    return { versions: await appliedVersions(db), tables: await rowCounts(db) };
  } finally {
    db.close();
  }
}

/**
 * Links `from` to `to` and drops `from`: like rename, but never replaces an
 * existing `to`. The bytes reach the disk first, so a backup that has its
 * name is whole even after a power cut.
 */
function placeNew(from: string, to: string): void {
  const fd = openSync(from, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new Refused('conflict', `${to} already exists; backups never overwrite a file: choose another name or remove it first`);
    throw e;
  }
  rmSync(from);
}

export interface BackupResult {
  file: string;
  manifestFile: string;
  manifest: Manifest;
  source: string;
}

/** Writes a snapshot of the database and its manifest; `target` defaults to `<data dir>/backups/switchyard-<stamp>.db`. */
export async function backupDatabase(settings: Pick<Settings, 'dbUrl' | 'dbAuthToken' | 'dbBusyMs' | 'dataDir'>, opts: { target?: string; now?: Date } = {}): Promise<BackupResult> {
  const source = databaseFile(settings);
  if (!existsSync(source)) throw new Refused('not_found', `there is no database at ${source} on this host (SWITCHYARD_DATA_DIR / SWITCHYARD_DB_URL): nothing to back up`);
  const now = opts.now ?? new Date();
  const file = resolve(opts.target ?? join(settings.dataDir, 'backups', `switchyard-${stamp(now)}.db`));
  for (const f of [file, manifestPath(file)]) {
    if (existsSync(f)) throw new Refused('conflict', `${f} already exists; backups never overwrite a file: choose another name or remove it first`);
  }
  mkdirSync(dirname(file), { recursive: true });
  const gzip = file.endsWith('.gz');
  const temp = join(dirname(file), `.${basename(file)}.partial-${randomBytes(4).toString('hex')}`);
  const raw = gzip ? `${temp}.db` : temp;
  try {
    const db = await openDatabase(settings.dbUrl, settings.dbAuthToken, settings.dbBusyMs);
    try {
      await db.execute({ sql: 'VACUUM INTO ?', args: [raw] });
    } finally {
      db.close();
    }
    const { versions, tables } = await prepareSnapshot(raw);
    if (gzip) await pipeline(createReadStream(raw), createGzip(), createWriteStream(temp));
    const manifest: Manifest = {
      format: BACKUP_FORMAT,
      switchyard_version: switchyardVersion(),
      schema_version: Math.max(0, ...versions),
      created: now.toISOString(),
      tables,
      sha256: await sha256(temp),
      bytes: statSync(temp).size,
      gzip,
    };
    writeFileSync(`${temp}.manifest`, `${JSON.stringify(manifest, null, 2)}\n`);
    // The snapshot first, the manifest last: a backup without its manifest is never restored.
    placeNew(temp, file);
    placeNew(`${temp}.manifest`, manifestPath(file));
    return { file, manifestFile: manifestPath(file), manifest, source };
  } finally {
    for (const f of new Set([raw, temp, `${temp}.manifest`])) rmSync(f, { force: true });
  }
}

function readManifest(file: string): Manifest {
  const path = manifestPath(file);
  if (!existsSync(path)) throw new Refused('not_found', `${path} is missing: without its manifest the snapshot's checksum cannot be checked, so it is not restored (npm run backup writes both)`);
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
  } catch (e) {
    throw new Refused('malformed', `${path} is not valid JSON (${(e as Error).message})`);
  }
  if (m?.format !== BACKUP_FORMAT || typeof m.sha256 !== 'string' || typeof m.bytes !== 'number' || typeof m.gzip !== 'boolean' || !Number.isSafeInteger(m.schema_version)) {
    throw new Refused('malformed', `${path} is not a Switchyard backup manifest (format ${JSON.stringify(m?.format)}, expected "${BACKUP_FORMAT}")`);
  }
  return m;
}

function newerSchema(where: string, versions: number[]): Refused {
  return new Refused('conflict', `${where} is at schema ${Math.max(...versions)} (migration${versions.length > 1 ? 's' : ''} ${versions.join(', ')} unknown here) but this Switchyard knows schemas up to ${KNOWN_SCHEMA}: restore it with the Switchyard version that made it (or a newer one)`);
}

/** The snapshot's manifest, once its size, checksum and schema have been checked. */
export async function verifyBackup(file: string): Promise<Manifest> {
  const path = resolve(file);
  if (!existsSync(path)) throw new Refused('not_found', `there is no backup at ${path}`);
  const m = readManifest(path);
  const size = statSync(path).size;
  const sum = await sha256(path);
  if (size !== m.bytes || sum !== m.sha256) {
    throw new Refused('conflict', `${path} does not match its manifest (sha256 ${sum.slice(0, 12)}…, ${size} bytes; expected ${m.sha256.slice(0, 12)}…, ${m.bytes} bytes): the file is damaged or was changed, so it is not restored`);
  }
  if (m.schema_version > KNOWN_SCHEMA) throw newerSchema(`the backup ${path} (its manifest)`, [m.schema_version]);
  return m;
}

/**
 * Refuses while an app process renews its row in the database at `dbFile`.
 * A database that cannot be read (damaged: often the reason to restore) is
 * no reason to refuse; the answer is then a warning to pass on.
 */
async function refuseWhileServed(dbFile: string, now: number): Promise<string | undefined> {
  if (!existsSync(dbFile)) return undefined;
  const db = local(dbFile);
  try {
    let live;
    try {
      if ((await db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'app_instances'")).rows.length === 0) return undefined;
      live = await liveInstances(db, now);
    } catch (e) {
      return `the current database could not be read (${(e as Error).message}), so whether an app serves it was not checked: make sure the app is stopped before starting it again`;
    }
    if (live.length === 0) return undefined;
    const who = live.map((i) => `pid ${i.pid} on ${i.host} (seen ${Math.max(0, Math.round((now - i.seenAt) / 1000))} s ago)`).join(', ');
    throw new Refused('conflict', `Switchyard is serving this database: ${who}. Stop the app first (systemctl stop switchyard, or Ctrl-C on npm start), then restore; a process killed without stopping counts as gone 15 s after it was last seen`);
  } finally {
    db.close();
  }
}

/** Copies (or unpacks) the snapshot next to the database and checks what it holds. */
async function stage(file: string, m: Manifest, dbFile: string): Promise<string> {
  const staging = `${dbFile}.restoring-${randomBytes(4).toString('hex')}`;
  try {
    if (m.gzip) await pipeline(createReadStream(file), createGunzip(), createWriteStream(staging));
    else copyFileSync(file, staging);
    const { versions } = await prepareSnapshot(staging);
    const unknown = versions.filter((v) => !KNOWN_VERSIONS.has(v));
    if (unknown.length) throw newerSchema(`the database in ${file}`, unknown);
    return staging;
  } catch (e) {
    rmSync(staging, { force: true });
    throw e;
  }
}

const SIDE_FILES = ['', '-wal', '-shm'];

/** Folds the WAL into the database file, so the copy kept aside is one file that opens on its own. */
async function checkpoint(dbFile: string): Promise<void> {
  const db = local(dbFile);
  try {
    await db.execute('PRAGMA wal_checkpoint(TRUNCATE)');
  } catch {
    /* the WAL moves aside with it and is read from there */
  } finally {
    db.close();
  }
}

/** Moves the database and its WAL/SHM files to `aside`; returns what it moved, to undo. */
function moveAside(dbFile: string, aside: string): [string, string][] {
  const moved: [string, string][] = [];
  for (const suffix of SIDE_FILES) {
    if (!existsSync(dbFile + suffix)) continue;
    renameSync(dbFile + suffix, aside + suffix);
    moved.push([dbFile + suffix, aside + suffix]);
  }
  return moved;
}

export interface RestoreResult {
  database: string;
  /** Where the database that was replaced now lies; undefined when there was none. */
  aside?: string;
  manifest: Manifest;
  /** Migrations applied after the snapshot was put in place. */
  migrated: number[];
  /** What the operator should know although the restore went through. */
  warnings: string[];
}

export async function restoreDatabase(settings: Pick<Settings, 'dbUrl' | 'dbAuthToken' | 'dbBusyMs'>, file: string, opts: { now?: Date } = {}): Promise<RestoreResult> {
  const dbFile = databaseFile(settings);
  const now = opts.now ?? new Date();
  const manifest = await verifyBackup(file);
  const unchecked = await refuseWhileServed(dbFile, now.getTime());
  mkdirSync(dirname(dbFile), { recursive: true });
  const staging = await stage(resolve(file), manifest, dbFile);
  let aside: string | undefined;
  let moved: [string, string][] = [];
  try {
    if (existsSync(dbFile)) {
      aside = `${dbFile}.before-restore-${stamp(now)}`;
      if (SIDE_FILES.some((s) => existsSync(aside + s))) throw new Refused('conflict', `${aside} already exists; try again in a second`);
      await checkpoint(dbFile);
      moved = moveAside(dbFile, aside);
    }
    renameSync(staging, dbFile);
  } catch (e) {
    // Put back what was moved: the database must never be left missing.
    for (const [from, to] of moved.reverse()) renameSync(to, from);
    rmSync(staging, { force: true });
    throw e;
  }
  const db = await openDatabase(settings.dbUrl, settings.dbAuthToken, settings.dbBusyMs);
  try {
    return { database: dbFile, aside, manifest, migrated: await migrate(db), warnings: unchecked ? [unchecked] : [] };
  } finally {
    db.close();
  }
}
