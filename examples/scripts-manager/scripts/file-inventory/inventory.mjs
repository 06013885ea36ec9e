#!/usr/bin/env node
// Lists every file the script groups wrote under <data dir>/files/script-groups/, with its size
// and checksum, into files/script-groups/file-inventory/inventory.json and a text report.
// Parameter: SWITCHYARD_PARAM_ALGORITHM (sha256, sha1 or md5). Plain ESM and node: modules only,
// so any Node from 18 on runs it, the project's own or the machine's.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

const ALGORITHMS = ['sha256', 'sha1', 'md5'];

function fail(message) {
  console.error(`error: ${message}`);
  process.exit(2);
}

/** Status written to a temporary file and renamed, so the runner never reads half of it. */
async function progress(pct, message) {
  const file = process.env.SWITCHYARD_STATUS_FILE;
  if (!file) return;
  await writeFile(`${file}.tmp.${process.pid}`, JSON.stringify({ progress: pct, message }));
  await rename(`${file}.tmp.${process.pid}`, file);
}

/** Regular files below `dir`, links left out: an inventory never follows one out of the folder. */
async function* files(dir) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* files(path);
    else if (entry.isFile()) yield path;
  }
}

function checksum(path, algorithm) {
  return new Promise((ok, bad) => {
    const hash = createHash(algorithm);
    createReadStream(path).on('data', (c) => hash.update(c)).on('error', bad).on('end', () => ok(hash.digest('hex')));
  });
}

/** A temporary file in the same folder, renamed over the target. */
async function writeAtomically(path, text) {
  const tmp = `${path}.partial-${process.pid}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

const algorithm = process.env.SWITCHYARD_PARAM_ALGORITHM || 'sha256';
if (!ALGORITHMS.includes(algorithm)) fail(`algorithm must be one of ${ALGORITHMS.join(', ')}, got "${algorithm}"`);
// files/ of the data folder is the scripts' own: Switchyard never writes, moves or deletes there.
const base = join(process.env.SWITCHYARD_DATA_DIR || 'app_data', 'files', 'script-groups');
const outDir = join(base, 'file-inventory');
const target = join(outDir, 'inventory.json');
await mkdir(outDir, { recursive: true });

await progress(5, 'Looking for files');
const found = [];
for await (const path of files(base)) if (path !== target && !path.includes('.partial')) found.push(path);
found.sort();
console.log(`${found.length} file(s) under ${base}`);

const entries = [];
for (const [i, path] of found.entries()) {
  const { size, mtime } = await stat(path);
  const sum = await checksum(path, algorithm);
  entries.push({ path: relative(base, path), size, modified: mtime.toISOString(), [algorithm]: sum });
  console.log(`${sum}  ${relative(base, path)} (${size} bytes)`);
  await progress(5 + Math.round((90 * (i + 1)) / found.length), `${i + 1} of ${found.length} files`);
}

const inventory = { created: new Date().toISOString(), algorithm, files: entries };
await writeAtomically(target, `${JSON.stringify(inventory, null, 2)}\n`);
console.log(`Wrote ${target}`);
const report = process.env.SWITCHYARD_REPORT_PATH;
if (report) {
  const lines = entries.map((e) => `${e[algorithm]}  ${e.path}  ${e.size} bytes`);
  await writeFile(report, `Inventory of ${base} (${algorithm}), ${entries.length} file(s)\n\n${lines.join('\n')}\n`);
}
await progress(100, `${entries.length} file(s) listed`);
