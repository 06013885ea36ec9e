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

const startOf = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19]);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

describe('reaping the scripts of a runner that died', () => {
  it('stops them even when the new runner got the dead one’s pid (as in a restarted container)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-registry-'));
    const script = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    cleanup.push(() => {
      if (alive(script.pid!)) process.kill(-script.pid!, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    await new Promise((r) => setTimeout(r, 50));
    mkdirSync(join(dir, 'runner'));
    // The file the dead runner left: same pid as this process, but another life of it.
    const file = {
      host: hostname(),
      runner: { pid: process.pid, start: startOf(process.pid) - 1 },
      data_dir: dir,
      runs: [{ run_id: 7, lease: 'x'.repeat(16), pid: script.pid!, start: startOf(script.pid!) }],
    };
    writeFileSync(join(dir, 'runner', `runner-${process.pid}.json`), JSON.stringify(file));
    const said: string[] = [];
    const orphans = await reapOrphans(join(dir, 'runner'), dir, (m) => said.push(m));
    expect(orphans.map((o) => [o.run.run_id, o.stopped])).toEqual([[7, 1]]);
    await new Promise((r) => setTimeout(r, 200));
    expect(alive(script.pid!)).toBe(false);
    expect(said[0]).toMatch(/^run 7: its runner \(pid \d+\) died while the script ran; stopped 1 process it left$/);
  });

  it('leaves the scripts of a runner that is still alive', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-registry-'));
    const script = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    cleanup.push(() => {
      if (alive(script.pid!)) process.kill(-script.pid!, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });
    await new Promise((r) => setTimeout(r, 50));
    mkdirSync(join(dir, 'runner'));
    const file = { host: hostname(), runner: { pid: process.pid, start: startOf(process.pid) }, data_dir: dir, runs: [{ run_id: 8, lease: 'y'.repeat(16), pid: script.pid!, start: startOf(script.pid!) }] };
    writeFileSync(join(dir, 'runner', `runner-${process.pid}.json`), JSON.stringify(file));
    expect(await reapOrphans(join(dir, 'runner'), dir, () => undefined)).toEqual([]);
    expect(alive(script.pid!)).toBe(true);
  });
});
