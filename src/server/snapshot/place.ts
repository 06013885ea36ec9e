/**
 * Where a snapshot is written: a temporary folder beside the target, renamed
 * into place once complete, so a reader (or a web server) never sees half of
 * one. A target that holds anything but an earlier snapshot (told by its
 * marker file) is refused: the command replaces snapshots, nothing else.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Refused } from '../refused.ts';

/** The file that marks a folder as a snapshot this command wrote (and may replace). */
export const MARKER = '.switchyard-snapshot';

/** Why `target` may not receive a snapshot, or undefined when it may (missing, empty, or an earlier snapshot). */
export function targetProblem(target: string): string | undefined {
  if (!existsSync(target)) return undefined;
  const info = lstatSync(target);
  if (!info.isDirectory()) return `${target} exists and is not a folder; a snapshot goes into a folder of its own`;
  const entries = readdirSync(target);
  if (entries.length > 0 && !entries.includes(MARKER)) {
    return `${target} is not empty and holds no earlier snapshot (no ${MARKER} file); choose an empty or new folder, so that nothing else in it is replaced`;
  }
  return undefined;
}

/**
 * Writes the files (paths relative to the snapshot's root) into a fresh
 * folder beside `target`, then puts it in place of `target`. An earlier
 * snapshot there is moved aside first and removed after: between the two
 * renames the path is briefly missing, never half-written.
 */
export function placeSnapshot(target: string, files: Map<string, string>, marker: string): void {
  const problem = targetProblem(target);
  if (problem) throw new Refused('conflict', problem);
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const tag = randomBytes(4).toString('hex');
  const temp = join(parent, `.${basename(target)}.partial-${tag}`);
  const old = join(parent, `.${basename(target)}.old-${tag}`);
  let aside = false;
  try {
    mkdirSync(temp);
    for (const [name, text] of files) {
      mkdirSync(dirname(join(temp, name)), { recursive: true });
      writeFileSync(join(temp, name), text);
    }
    // The marker last: a folder without it was never a complete snapshot.
    writeFileSync(join(temp, MARKER), marker);
    if (existsSync(target)) {
      renameSync(target, old);
      aside = true;
    }
    renameSync(temp, target);
    rmSync(old, { recursive: true, force: true });
  } catch (e) {
    // The earlier snapshot goes back where it was: a failed run leaves what was there.
    if (aside && !existsSync(target)) renameSync(old, target);
    throw e;
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
