/** The button's status file: written atomically by the runner, read back for what the script wrote. */
import { readFile, rename, writeFile } from 'node:fs/promises';
import { statusFile, type StatusFile } from '../src/protocol/index.ts';

let counter = 0;

export async function writeStatus(path: string, status: StatusFile): Promise<void> {
  // Unique per write: runs of the same button may overlap and share the file.
  const tmp = `${path}.tmp-${process.pid}-${++counter}`;
  await writeFile(tmp, `${JSON.stringify(status, null, 2)}\n`);
  await rename(tmp, path);
}

/** The file's content if it is valid JSON of the expected shape, else undefined (a half-written or foreign file). */
export async function readStatus(path: string): Promise<StatusFile | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    if (text.length > 64 * 1024) return undefined;
    const parsed = statusFile.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
