/**
 * Where a run's files may be on this host. The app checks config.yaml's
 * paths as text when it loads them; the runner checks them again here against
 * the disk, because the runner may be of another version than the app and the
 * disk can hold links that the text of a path does not show. Outputs are only
 * ever written in their own folders below app_data/ and never through a link,
 * so no run can overwrite, delete or hand out Switchyard's own files.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { OUTPUT_FOLDERS, type OutputKey } from '../src/protocol/index.ts';

export interface RunnerPaths {
  /** Where `scripts/` lives; the scripts' working directory. */
  root: string;
  /** What `app_data/` in the config means on this host. */
  dataDir: string;
}

/** A path the runner will not use; the message says why, for the run's log. */
export class PathRefused extends Error {}

/** The first bytes of every SQLite database file. */
const SQLITE_MAGIC = Buffer.from('SQLite format 3\0');

function isInside(base: string, full: string): boolean {
  const rel = relative(base, full);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !rel.includes(`${sep}..${sep}`);
}

/** Maps a config path to this host, refusing anything that leaves its folder. */
export function resolveInside(paths: RunnerPaths, configPath: string): string {
  const [head, ...rest] = configPath.split('/');
  const base = head === 'scripts' ? join(paths.root, 'scripts') : head === 'app_data' ? paths.dataDir : undefined;
  if (!base || rest.length === 0) throw new PathRefused(`path ${JSON.stringify(configPath)} is not inside scripts/ or app_data/`);
  const full = resolve(base, ...rest);
  if (!isInside(base, full)) throw new PathRefused(`path ${JSON.stringify(configPath)} leaves its folder`);
  return full;
}

/**
 * The script's real path. Links are followed but must end inside scripts/,
 * and a script that every user may change (or replace, through a folder every
 * user may write) is refused: whoever can write it could run anything as the
 * runner.
 */
export async function resolveScript(paths: RunnerPaths, configPath: string): Promise<string> {
  if (!configPath.startsWith('scripts/')) throw new PathRefused(`script ${JSON.stringify(configPath)} is not inside scripts/`);
  const full = resolveInside(paths, configPath);
  const base = await realpath(join(paths.root, 'scripts')).catch(() => undefined);
  const real = base && (await realpath(full).catch(() => undefined));
  if (!base || !real) throw new PathRefused(`script not found: ${configPath}`);
  if (!isInside(base, real)) throw new PathRefused(`script ${configPath} is a link to ${real}, outside scripts/; refusing to run it`);
  const info = await stat(real);
  if (!info.isFile()) throw new PathRefused(`script not found: ${configPath} is not a file`);
  const shown = (p: string) => (p === base ? 'scripts' : join('scripts', relative(base, p)));
  let below: { path: string; uid: number } | undefined; // the entry just below the folder being looked at
  for (let p = real; ; p = dirname(p)) {
    const s = p === real ? info : await stat(p);
    const sticky = s.isDirectory() && (s.mode & 0o1000) !== 0;
    if ((s.mode & 0o002) !== 0 && !sticky) {
      throw new PathRefused(`script ${configPath} is not run: ${shown(p)} is writable by every user (chmod o-w ${shown(p)})`);
    }
    // In a folder every user may write, the sticky bit only keeps others from replacing what is
    // not theirs: anyone could have made what lies there, so it must be the runner's or root's.
    if ((s.mode & 0o002) !== 0 && below && below.uid !== 0 && below.uid !== process.getuid?.()) {
      throw new PathRefused(`script ${configPath} is not run: ${shown(below.path)} lies in ${shown(p)}, which every user may write, and belongs to another user (uid ${below.uid})`);
    }
    if (p === base) break;
    below = { path: p, uid: s.uid };
  }
  return real;
}

/**
 * A button's status file or report on this host: inside its own folder below
 * app_data/ once every link is resolved, and not itself a link, a special
 * file or an SQLite database. Missing folders are created.
 */
export async function resolveOutput(paths: RunnerPaths, configPath: string, key: OutputKey): Promise<string> {
  const folder = OUTPUT_FOLDERS[key];
  if (!configPath.startsWith(`app_data/${folder}/`)) {
    throw new PathRefused(`${key} ${configPath} is not inside app_data/${folder}/; the rest of app_data/ is Switchyard's own`);
  }
  const full = resolveInside(paths, configPath);
  if (!(await stat(paths.dataDir).catch(() => undefined))?.isDirectory()) throw new PathRefused(`the data folder ${paths.dataDir} does not exist on this host`);
  await makeFolders(paths.dataDir, relative(paths.dataDir, dirname(full)).split(sep), key, configPath);
  const existing = await lstat(full).catch(() => undefined);
  if (existing?.isSymbolicLink()) throw new PathRefused(`${key} ${configPath} is a symbolic link; Switchyard never writes or reads outputs through links`);
  if (existing && !existing.isFile()) throw new PathRefused(`${key} ${configPath} exists and is not a regular file`);
  if (existing && (await startsWith(full, SQLITE_MAGIC))) throw new PathRefused(`${key} ${configPath} is an SQLite database; refusing to overwrite it`);
  return full;
}

/**
 * Walks from app_data/ down to the output's folder, creating what is missing
 * one level at a time; every level must be a real folder, not a link, so a
 * write can never land outside (mkdir -p would follow a link).
 */
async function makeFolders(base: string, parts: string[], key: OutputKey, configPath: string): Promise<void> {
  let p = base;
  for (const part of parts) {
    p = join(p, part);
    let info = await lstat(p).catch(() => undefined);
    if (!info) {
      await mkdir(p).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'EEXIST') throw e;
      });
      info = await lstat(p);
    }
    if (info.isSymbolicLink()) throw new PathRefused(`${key} ${configPath} is refused: ${join('app_data', relative(base, p))} is a symbolic link; outputs are never written through links`);
    if (!info.isDirectory()) throw new PathRefused(`${key} ${configPath} is refused: ${join('app_data', relative(base, p))} is not a folder`);
  }
}

async function startsWith(path: string, prefix: Buffer): Promise<boolean> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const buf = Buffer.alloc(prefix.length);
    const { bytesRead } = await handle.read(buf, 0, prefix.length, 0);
    return bytesRead === prefix.length && buf.equals(prefix);
  } finally {
    await handle.close();
  }
}

export type OutputRead = { ok: true; text: string; bytes: Buffer; size: number; truncated: boolean } | { ok: false; missing: boolean; reason: string };

/**
 * Reads at most `max` bytes of an output file without following a link and
 * without blocking on a pipe. Refused: links, special files, files with other
 * hard links (they could be any file of the host) and SQLite databases.
 */
export async function readOutput(path: string, max: number): Promise<OutputRead> {
  let handle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, missing: true, reason: 'does not exist' };
    return { ok: false, missing: false, reason: code === 'ELOOP' ? 'is a symbolic link' : `cannot be opened (${code})` };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { ok: false, missing: false, reason: 'is not a regular file' };
    if (info.nlink > 1) return { ok: false, missing: false, reason: 'has other hard links' };
    const length = Math.min(info.size, max);
    const buf = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buf, 0, length, 0);
    const bytes = buf.subarray(0, bytesRead);
    if (bytes.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) return { ok: false, missing: false, reason: 'is an SQLite database' };
    return { ok: true, text: bytes.toString('utf8'), bytes, size: info.size, truncated: info.size > max };
  } finally {
    await handle.close();
  }
}
