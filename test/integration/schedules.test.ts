/**
 * Schedules on real processes and real time: two built servers on one
 * database file, one of them killed and restarted while moments come due.
 * Every moment of the schedule is accounted for exactly once: a run, or a
 * recorded miss; none twice, none silently lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort, ROOT, startServer, stopProcess, testEnv, waitUntilServing, type TestServer } from '../helpers/server.ts';

const STEP = 2000;
const config = `toplevel_title: Scheduled
pages:
  - slug: ticks
    title: Ticks
    buttons:
      - name: tick
        label: Tick
        script_path: scripts/tick.sh
        status_file: app_data/status/tick.json
        report_path: app_data/reports/tick.log
        schedule: {cron: "*/2 * * * * *", timezone: UTC, overlap: queue}
`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: TestServer;
let second: ChildProcess | undefined;
beforeAll(async () => {
  server = await startServer({ config, env: { SWITCHYARD_SCHEDULER: '1' } });
});
afterAll(async () => {
  if (second) await stopProcess(second);
  await server?.stop();
});

describe('a schedule on two app processes, one killed and restarted', () => {
  it('fires each moment once, and records the moments of the outage as missed', async () => {
    const port = await freePort();
    let out = '';
    second = spawn(process.execPath, [join(ROOT, 'src/cli/start.ts')], { cwd: ROOT, env: testEnv(server.dir, { PORT: String(port), SWITCHYARD_SCHEDULER: '1' }), stdio: ['ignore', 'pipe', 'pipe'] });
    second.stdout!.on('data', (d) => (out += d));
    second.stderr!.on('data', (d) => (out += d));
    await waitUntilServing(second, `http://127.0.0.1:${port}`, () => out);
    await sleep(5000);
    await stopProcess(second);
    second = undefined;
    // Killed at whatever point it had reached (perhaps deciding a moment), down for several moments.
    await server.restart({ signal: 'SIGKILL', downMs: 5000 });
    await sleep(5000);

    const db = server.db();
    const runs = (await db.execute('SELECT scheduled_for FROM runs WHERE scheduled_for IS NOT NULL ORDER BY scheduled_for')).rows.map((r) => Number(r.scheduled_for));
    const misses = (await db.execute("SELECT outcome, first_at, last_at, count FROM schedule_events ORDER BY id")).rows;
    expect(misses.map((m) => m.outcome)).toEqual(misses.map(() => 'missed'));
    const missed = misses.flatMap((m) => Array.from({ length: Number(m.count) }, (_, i) => Number(m.first_at) + i * STEP));
    for (const m of misses) expect(Number(m.last_at)).toBe(Number(m.first_at) + (Number(m.count) - 1) * STEP);

    // The outage (5 s down plus a restart) must show as missed moments between runs.
    expect(missed.length).toBeGreaterThanOrEqual(2);
    expect(runs.length).toBeGreaterThanOrEqual(4);
    expect(Math.min(...missed)).toBeGreaterThan(runs[0]!);
    expect(Math.max(...missed)).toBeLessThan(runs.at(-1)!);
    // Every moment from the first run to the last is a run or a miss, exactly once.
    const all = [...runs, ...missed].sort((a, b) => a - b);
    expect(new Set(all).size).toBe(all.length);
    const grid = Array.from({ length: (runs.at(-1)! - runs[0]!) / STEP + 1 }, (_, i) => runs[0]! + i * STEP);
    expect(all).toEqual(grid);
    expect(server.output()).not.toMatch(/scheduler could not decide/);
  });
});
