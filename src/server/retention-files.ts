/**
 * The files of deleted runs on this host, below the data folder: the run's
 * own folder (app_data/runs/<id>/, its params.json) and the button's status
 * file and report, but those only while the status file still names the
 * deleted run. Every run of a button writes the same two files, so once a
 * newer run has started they are the newer run's and stay. Nothing is
 * followed through a link; what is not a plain file or folder is left alone.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir, rm, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from './db.ts';

export interface DeletedRun {
  id: number;
  statusFile: string;
  reportPath: string;
}

/** A status file holds a few fields; anything larger is not one. */
const STATUS_MAX_BYTES = 64 * 1024;

/** Where a config path below app_data/ lies on this host, or undefined for anything else. */
function onHost(dataDir: string, configPath: string): string | undefined {
  const parts = configPath.split('/');
  if (parts[0] !== 'app_data' || parts.length < 2 || parts.some((p) => p === '..' || p === '.' || p === '')) return undefined;
  return join(dataDir, ...parts.slice(1));
}

/** The run id a status file names, or undefined when it is missing, a link, too large or not one. */
async function statusRunId(path: string): Promise<number | undefined> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const info = await handle.stat();
    if (!info.isFile() || info.size > STATUS_MAX_BYTES) return undefined;
    const parsed: unknown = JSON.parse((await handle.readFile()).toString('utf8'));
    const id = parsed && typeof parsed === 'object' ? (parsed as { run_id?: unknown }).run_id : undefined;
    return typeof id === 'number' ? id : undefined;
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

async function isPlainFile(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined))?.isFile() ?? false;
}

async function isFolder(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Removes (or, on a dry run, counts) the files that go with these runs. */
export async function removeRunFiles(dataDir: string, runs: DeletedRun[], dryRun = false): Promise<{ run_folders: number; status_files: number; reports: number }> {
  const counts = { run_folders: 0, status_files: 0, reports: 0 };
  for (const run of runs) {
    const folder = join(dataDir, 'runs', String(run.id));
    if (!(await isFolder(folder))) continue;
    if (!dryRun) await rm(folder, { recursive: true, force: true });
    counts.run_folders++;
  }
  const ids = new Set(runs.map((r) => r.id));
  const outputs = new Map(runs.map((r) => [r.statusFile, r.reportPath]));
  for (const [statusFile, reportPath] of outputs) {
    const status = onHost(dataDir, statusFile);
    const report = onHost(dataDir, reportPath);
    const named = status ? await statusRunId(status) : undefined;
    if (!status || named === undefined || !ids.has(named)) continue;
    if (!dryRun) await unlink(status).catch(() => undefined);
    counts.status_files++;
    if (report && (await isPlainFile(report))) {
      if (!dryRun) await unlink(report).catch(() => undefined);
      counts.reports++;
    }
  }
  return counts;
}

/**
 * Run folders whose run is no longer in the database: left behind when a
 * sweep stopped between deleting runs and their files. Only ids below the
 * newest run count, since a folder above it may belong to a run this
 * database has not seen (one restored from a backup, say) and will be reused.
 */
export async function removeLeftoverRunFolders(db: Database, dataDir: string): Promise<number> {
  const names = await readdir(join(dataDir, 'runs')).catch(() => [] as string[]);
  const { rows } = await db.execute('SELECT max(id) AS id FROM runs');
  const newest = Number(rows[0]?.id ?? 0);
  const ids = names.filter((n) => /^[1-9]\d{0,15}$/.test(n)).map(Number).filter((id) => id < newest);
  let removed = 0;
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const known = await db.execute({ sql: `SELECT id FROM runs WHERE id IN (${chunk.map(() => '?').join(',')})`, args: chunk });
    const present = new Set(known.rows.map((r) => Number(r.id)));
    for (const id of chunk) {
      const folder = join(dataDir, 'runs', String(id));
      if (present.has(id) || !(await isFolder(folder))) continue;
      await rm(folder, { recursive: true, force: true });
      removed++;
    }
  }
  return removed;
}
