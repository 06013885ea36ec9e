/**
 * The files a script left in its run's artifacts folder, read one at a time
 * for sending (see ARTIFACTS in the protocol). Read like every other output:
 * never through a link, never a special file, a file with other hard links or
 * a database. Whatever is not sent is named, with the reason, for the log.
 */
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ARTIFACT_NAME, ARTIFACTS } from '../src/protocol/index.ts';
import { readOutput } from './paths.ts';

export type ArtifactFile = { name: string; bytes: Buffer; sha256: string } | { name: string; skipped: string };

/** The folder's files in name order, each either read or skipped with a reason. */
export async function* artifactFiles(dir: string): AsyncGenerator<ArtifactFile> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  let count = 0;
  let total = 0;
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const name = entry.name;
    if (entry.isDirectory()) {
      yield { name, skipped: 'is a folder; only files are kept (pack a folder with tar first)' };
      continue;
    }
    if (!ARTIFACT_NAME.test(name)) {
      yield { name, skipped: 'is not a plain file name (letters, digits, . _ -, not starting with a dot, at most 128)' };
      continue;
    }
    if (count >= ARTIFACTS.maxFiles) {
      yield { name, skipped: `is past the ${ARTIFACTS.maxFiles} files a run keeps` };
      continue;
    }
    const read = await readOutput(join(dir, name), ARTIFACTS.fileBytes);
    if (!read.ok) {
      yield { name, skipped: read.reason };
      continue;
    }
    if (read.truncated) {
      yield { name, skipped: `is ${read.size} bytes, over the ${ARTIFACTS.fileBytes} a file may have` };
      continue;
    }
    if (total + read.size > ARTIFACTS.runBytes) {
      yield { name, skipped: `would pass the ${ARTIFACTS.runBytes} bytes a run's files may have together` };
      continue;
    }
    count++;
    total += read.size;
    yield { name, bytes: read.bytes, sha256: createHash('sha256').update(read.bytes).digest('hex') };
  }
}
