/** The button's status file: written atomically by the runner, read back (bounded) for what the script wrote. */
import { rename, writeFile } from 'node:fs/promises';
import { statusFile, type StatusFile } from '../src/protocol/index.ts';
import { readOutput } from './paths.ts';

/** A status file holds a few fields; anything larger is not one and is not read. */
export const STATUS_MAX_BYTES = 64 * 1024;

let counter = 0;

export async function writeStatus(path: string, status: StatusFile): Promise<void> {
  // Unique per write: runs of the same button may overlap and share the file.
  // 'wx' creates it afresh and never follows a link someone left at that name.
  const tmp = `${path}.tmp-${process.pid}-${++counter}`;
  await writeFile(tmp, `${JSON.stringify(status, null, 2)}\n`, { flag: 'wx' });
  await rename(tmp, path);
}

/**
 * The file's content if it is valid JSON of the expected shape, else
 * undefined: a half-written, foreign, linked or oversized file. Read with a
 * bound, so a script that writes gigabytes there costs the runner nothing.
 */
export async function readStatus(path: string): Promise<StatusFile | undefined> {
  try {
    const read = await readOutput(path, STATUS_MAX_BYTES);
    if (!read.ok || read.truncated) return undefined;
    const parsed = statusFile.safeParse(JSON.parse(read.text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
