/**
 * The files people gave a run (a button's file inputs): fetched from the app
 * before the script starts, checked against the SHA-256 the claim named, and
 * written to <run folder>/inputs/<name>. The script's parameter for the input
 * then holds that absolute path. Any failure fails the run before its script starts.
 */
import { createHash } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INPUT_FILE_NAME, type RunAssignment } from '../src/protocol/index.ts';
import { withRetry, type AppApi } from './api.ts';

/** Fetches the run's files into `runDir`/inputs; returns the parameters to use instead of their names (input → absolute path). */
export async function fetchInputFiles(api: AppApi, run: RunAssignment, runDir: string, log: (m: string) => void): Promise<Record<string, string>> {
  const dir = join(runDir, 'inputs');
  // Empty at the start: only this run's files are there.
  await rm(dir, { recursive: true, force: true });
  const files = Object.entries(run.input_files ?? {});
  if (!files.length) return {};
  await mkdir(dir);
  const paths: Record<string, string> = {};
  for (const [input, file] of files) {
    // The protocol checked the name already; a name with a folder in it must never reach the disk.
    if (!INPUT_FILE_NAME.test(file.name)) throw new Error(`the file of input ${input} has a name that is not plain: ${JSON.stringify(file.name)}`);
    if (Object.values(paths).includes(join(dir, file.name))) throw new Error(`two inputs give a file named ${file.name}; each needs its own name`);
    let bytes: Buffer;
    try {
      bytes = await withRetry((fresh) => api.inputFile(run.id, run.lease, input, file.size, fresh), log, `fetching the file of input ${input} of run ${run.id}`);
    } catch (e) {
      throw new Error(`could not fetch the file ${file.name} given for input ${input}: ${(e as Error).message}`, { cause: e });
    }
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== file.sha256 || bytes.length !== file.size) throw new Error(`the file ${file.name} given for input ${input} arrived damaged (${bytes.length} bytes, SHA-256 ${sha.slice(0, 12)}…; expected ${file.size} bytes, ${file.sha256.slice(0, 12)}…)`);
    const path = join(dir, file.name);
    await writeFile(path, bytes, { flag: 'wx' });
    paths[input] = path;
  }
  return paths;
}
