/**
 * `npm run bench`: every benchmark, each in a process of its own (so none
 * runs in a load generator grown by the one before), then the one table of
 * goals.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printGoals, type GoalRow } from './goals.ts';

const BENCHES = ['http', 'history', 'runs', 'git', 'memory'];
const dir = mkdtempSync(join(tmpdir(), 'switchyard-bench-goals-'));
const rows: GoalRow[] = [];
try {
  for (const name of BENCHES) {
    const file = join(dir, `${name}.json`);
    const run = spawnSync(process.execPath, [join(import.meta.dirname, `${name}.ts`)], { stdio: 'inherit', env: { ...process.env, BENCH_GOALS_FILE: file } });
    if (run.status !== 0) throw new Error(`bench/${name}.ts failed (${run.signal ?? `exit code ${run.status}`})`);
    rows.push(...(JSON.parse(readFileSync(file, 'utf8')) as GoalRow[]));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
printGoals(rows);
