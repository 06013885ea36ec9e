/**
 * The dashboard's read model on a real libSQL file, with a second app on the
 * same database standing in for another app process: what one does, the
 * other's dashboard shows, since every part of it is read from the database.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server/app.ts';
import { dashboard } from '../../src/server/dashboard.ts';
import { finishRun, recordEvents } from '../../src/server/runs/lease.ts';
import { claimNext } from '../../src/server/runs/queue.ts';
import { startRun } from '../../src/server/runs/service.ts';
import { readSettings } from '../../src/server/settings.ts';
import { authenticateRunner, createRunnerToken, touchRunner } from '../../src/server/runners.ts';
import { localApp, type LocalApp } from '../helpers/in-process.ts';

const CONFIG = `toplevel_title: Board
pages:
  - slug: jobs
    title: Jobs
    buttons:
      - {name: go, label: Go, script_path: scripts/go.sh, status_file: app_data/status/go.json, report_path: app_data/reports/go.log}
  - slug: secret
    title: Secret
    access: {view: admin}
    buttons:
      - {name: hush, label: Hush, script_path: scripts/go.sh, status_file: app_data/status/hush.json, report_path: app_data/reports/hush.log}
`;

let t: LocalApp;
let other: App;
beforeEach(async () => {
  t = await localApp(CONFIG);
  other = await createApp(readSettings({ SWITCHYARD_CONFIG: join(t.dir, 'config.yaml'), SWITCHYARD_DATA_DIR: join(t.dir, 'data') }));
});
afterEach(() => {
  other.db.close();
  t.close();
});

describe('the dashboard', () => {
  it('shows what another app process did: runs queued, running, failed, with durations, and runners', async () => {
    const operator = await t.as('operator');
    const admin = await t.as('admin');
    const token = await createRunnerToken(t.app.db, 'r1');
    const runner = (await authenticateRunner(t.app.db, token))!;
    await touchRunner(t.app.db, runner, { hostname: 'host-1', version: 'test' });
    const done = await startRun(t.app, 'jobs', 'go', operator);
    const failed = await startRun(t.app, 'jobs', 'go', operator);
    for (const [run, state] of [[done, 'succeeded'], [failed, 'failed']] as const) {
      const { lease } = (await claimNext(t.app.db, t.app.runs, runner))!;
      await recordEvents(t.app.db, t.app.runs, runner, run.id, { lease, events: [{ seq: 1, type: 'started', at: new Date().toISOString(), pid: 4242 }] });
      const end = { lease, state, exit_code: state === 'failed' ? 3 : 0, signal: null, finished_at: new Date(Date.now() + 1500).toISOString(), error: state === 'failed' ? 'exit 3' : null, report: null };
      await finishRun(t.app.db, t.app.runs, runner, run.id, end);
    }
    const running = await startRun(t.app, 'jobs', 'go', operator);
    await claimNext(t.app.db, t.app.runs, runner);
    const queued = await startRun(t.app, 'jobs', 'go', operator);
    const hidden = await startRun(t.app, 'secret', 'hush', admin);

    const { config } = await other.config.current();
    const seen = await dashboard(other.db, config, await t.as('operator'));
    expect(seen.active.map((r) => [r.id, r.state])).toEqual([[queued.id, 'queued'], [running.id, 'running']]);
    expect(seen.failures.map((r) => r.id)).toEqual([failed.id]);
    expect(seen.buttons.map((b) => `${b.page}/${b.button}`)).toEqual(['jobs/go']);
    expect(seen.buttons[0]!.latest?.id).toBe(queued.id);
    expect(seen.buttons[0]!.durations.map((d) => [d.id, d.ok])).toEqual([[done.id, true], [failed.id, false]]);
    expect(seen.buttons[0]!.durations[0]!.seconds).toBeGreaterThan(1);
    expect(seen.runners).toEqual({ active: 1, online: 1 });
    expect(seen.notifications).toEqual({ pending: 0, failed: 0 });
    expect(seen.active.some((r) => r.id === hidden.id)).toBe(false);

    const asAdmin = await dashboard(other.db, config, admin);
    expect(asAdmin.active.map((r) => r.id)).toContain(hidden.id);
    expect(asAdmin.buttons.map((b) => `${b.page}/${b.button}`)).toEqual(['jobs/go', 'secret/hush']);
  });
});
