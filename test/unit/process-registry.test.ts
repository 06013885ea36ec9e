/**
 * The runner's record of running scripts, read by the runner started after
 * it: real processes, real files, no app.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reapOrphans } from '../../runner/process-registry.ts';
import { alive } from '../helpers/processes.ts';

const startOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]);

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

/** A detached `sleep` as a recorded script, and a runner file in a fresh data folder naming it. */
async function recorded(runner: { pid: number; start: number }, runId: number): Promise<{ dir: string; script: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-registry-'));
  const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  const script = child.pid!;
  cleanup.push(() => {
    if (alive(script)) process.kill(-script, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  await new Promise((r) => setTimeout(r, 50));
  mkdirSync(join(dir, 'runner'));
  const file = { host: hostname(), runner, data_dir: dir, runs: [{ run_id: runId, lease: 'x'.repeat(16), pid: script, start: startOf(script) }] };
  writeFileSync(join(dir, 'runner', `runner-${runner.pid}.json`), JSON.stringify(file));
  return { dir, script };
}

describe('reaping the scripts of a runner that died', () => {
  it('stops them even when the new runner got the dead one’s pid (as in a restarted container)', async () => {
    // The file the dead runner left: same pid as this process, but another life of it.
    const { dir, script } = await recorded({ pid: process.pid, start: startOf(process.pid) - 1 }, 7);
    const said: string[] = [];
    const orphans = await reapOrphans(join(dir, 'runner'), dir, (m) => said.push(m));
    expect(orphans.map((o) => [o.run.run_id, o.stopped])).toEqual([[7, 1]]);
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(script)).toBe(false);
    expect(said[0]).toMatch(/^run 7: its runner \(pid \d+\) died while the script ran; stopped 1 process it left$/);
  });

  it('leaves the scripts of a runner that is still alive', async () => {
    const { dir, script } = await recorded({ pid: process.pid, start: startOf(process.pid) }, 8);
    expect(await reapOrphans(join(dir, 'runner'), dir, () => undefined)).toEqual([]);
    expect(alive(script)).toBe(true);
  });
});
