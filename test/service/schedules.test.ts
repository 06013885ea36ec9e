/**
 * Schedules on a real database: moments decided once by several app
 * processes, missed and caught-up moments after a stop, the overlap rules,
 * an admin's pause, and config changes taken without a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createApp, type App } from '../../src/server/app.ts';
import { readSettings } from '../../src/server/settings.ts';
import { look, startScheduler } from '../../src/server/schedules/scheduler.ts';
import { setSchedulePaused, scheduleViews } from '../../src/server/schedules/service.ts';
import { savePage } from '../../src/server/pages/actions.ts';
import { listAudit } from '../../src/server/audit.ts';
import { localApp, type LocalApp } from '../helpers/in-process.ts';

function siteWith(schedule: string, extraPage = true): string {
  return `toplevel_title: Scheduled
pages:
  - slug: nightly
    title: Nightly
    parameters:
      - name: depth
        type: integer
        default: 1
    buttons:
      - name: sweep
        label: Sweep
        script_path: scripts/sweep.sh
        status_file: app_data/status/sweep.json
        report_path: app_data/reports/sweep.log
        schedule: ${schedule}
${extraPage ? `  - slug: other
    title: Other
` : ''}`;
}

let opened: LocalApp[] = [];
const extra: App[] = [];
afterEach(() => {
  for (const a of extra.splice(0)) a.db.close();
  for (const o of opened.splice(0)) o.close();
});

async function open(schedule: string): Promise<LocalApp> {
  const o = await localApp(siteWith(schedule));
  opened.push(o);
  return o;
}

/** A second app process's services on the same config and database file. */
async function secondProcess(o: LocalApp): Promise<App> {
  const app = await createApp(readSettings({ SWITCHYARD_CONFIG: join(o.dir, 'config.yaml'), SWITCHYARD_DATA_DIR: join(o.dir, 'data') }));
  extra.push(app);
  return app;
}

async function scheduledRuns(app: App) {
  const { rows } = await app.db.execute("SELECT id, state, scheduled_for, params, requested_by, user_id FROM runs WHERE scheduled_for IS NOT NULL ORDER BY scheduled_for");
  return rows.map((r) => ({ id: Number(r.id), state: String(r.state), at: Number(r.scheduled_for), params: JSON.parse(String(r.params)), by: String(r.requested_by), userId: r.user_id }));
}

async function events(app: App) {
  const { rows } = await app.db.execute('SELECT outcome, first_at, last_at, count, reason FROM schedule_events ORDER BY id');
  return rows.map((r) => ({ outcome: String(r.outcome), first: Number(r.first_at), last: Number(r.last_at), count: Number(r.count), reason: String(r.reason) }));
}

const T0 = Date.parse('2026-01-01T02:00:00Z');
const hour = 3_600_000;
const day = 24 * hour;

describe('firing', () => {
  it('starts an ordinary run for the moment, with the values in force then and no person as its starter', async () => {
    const o = await open('{cron: "0 3 * * *", timezone: UTC}');
    const editor = await o.as('editor');
    const form = new FormData();
    form.set('depth', '7');
    await savePage(o.app, 'nightly', editor, form);
    expect(await look(o.app, T0)).toBe(T0 + hour);
    expect(await scheduledRuns(o.app)).toEqual([]);
    await look(o.app, T0 + hour + 20);
    const runs = await scheduledRuns(o.app);
    expect(runs).toEqual([{ id: runs[0]!.id, state: 'queued', at: T0 + hour, params: { depth: 7 }, by: 'schedule', userId: null }]);
    await look(o.app, T0 + hour + 500);
    expect(await scheduledRuns(o.app)).toHaveLength(1);
  });

  it('several app processes on one database decide each moment once, in real time', async () => {
    const o = await open('{cron: "* * * * * *", overlap: queue}');
    const apps = [o.app, await secondProcess(o), await secondProcess(o)];
    const errors: unknown[] = [];
    const stops = apps.map((app) => startScheduler(app, { onError: (e) => errors.push(e) }));
    await new Promise((r) => setTimeout(r, 4500));
    stops.forEach((stop) => stop());
    await new Promise((r) => setTimeout(r, 300));
    expect(errors).toEqual([]);
    const moments = (await scheduledRuns(o.app)).map((r) => r.at);
    expect(moments.length).toBeGreaterThanOrEqual(3);
    expect(new Set(moments).size).toBe(moments.length);
    // Every second from the first to the last, none missed.
    expect(moments.at(-1)! - moments[0]!).toBe((moments.length - 1) * 1000);
    expect(await events(o.app)).toEqual([]);
  });
});

describe('after a stop', () => {
  it('records the moments missed while no process ran, and runs none of them by default', async () => {
    const o = await open('{cron: "0 3 * * *", timezone: UTC}');
    await look(o.app, T0);
    await look(o.app, T0 + 3 * day);
    expect(await scheduledRuns(o.app)).toEqual([]);
    expect(await events(o.app)).toEqual([{ outcome: 'missed', first: T0 + hour, last: T0 + 2 * day + hour, count: 3, reason: 'Switchyard was not running, or could not reach its database, at that moment' }]);
  });

  it('under catch_up, runs the latest missed moment once on start and records the others', async () => {
    const o = await open('{cron: "0 3 * * *", timezone: UTC, catch_up: true}');
    const other = await secondProcess(o);
    await look(o.app, T0);
    // Both processes come back at once.
    await Promise.all([look(o.app, T0 + 3 * day), look(other, T0 + 3 * day)]);
    expect((await scheduledRuns(o.app)).map((r) => r.at)).toEqual([T0 + 2 * day + hour]);
    expect(await events(o.app)).toMatchObject([{ outcome: 'missed', first: T0 + hour, last: T0 + day + hour, count: 2 }]);
  });

  it('a catch-up window that has passed records the moment as missed', async () => {
    const o = await open('{cron: "0 3 * * *", timezone: UTC, catch_up: 2h}');
    await look(o.app, T0);
    await look(o.app, T0 + 4 * hour);
    expect(await scheduledRuns(o.app)).toEqual([]);
    expect(await events(o.app)).toMatchObject([{ outcome: 'missed', count: 1, first: T0 + hour }]);
  });
});

describe('overlap', () => {
  it('skip: a moment that comes while the last run waits is skipped, and a streak is one record', async () => {
    const o = await open('{cron: "0 * * * *", timezone: UTC}');
    await look(o.app, T0 - 1);
    await look(o.app, T0 + 10);
    await look(o.app, T0 + hour + 10);
    await look(o.app, T0 + 2 * hour + 10);
    const runs = await scheduledRuns(o.app);
    expect(runs.map((r) => r.at)).toEqual([T0]);
    expect(await events(o.app)).toEqual([{ outcome: 'skipped', first: T0 + hour, last: T0 + 2 * hour, count: 2, reason: `run ${runs[0]!.id} was still queued (overlap: skip)` }]);
  });

  it('cancel-previous: the waiting run is cancelled and the new one queued', async () => {
    const o = await open('{cron: "0 * * * *", timezone: UTC, overlap: cancel-previous}');
    await look(o.app, T0 - 1);
    await look(o.app, T0 + 10);
    await look(o.app, T0 + hour + 10);
    const runs = await scheduledRuns(o.app);
    expect(runs.map((r) => [r.at, r.state])).toEqual([[T0, 'cancelled'], [T0 + hour, 'queued']]);
  });
});

describe('pause and resume', () => {
  it('an admin pauses (audited); no moment fires while paused, and none counts as missed after resuming', async () => {
    const o = await open('{cron: "0 * * * *", timezone: UTC}');
    const admin = await o.as('admin');
    await look(o.app, T0 - 1);
    expect(await setSchedulePaused(o.app, 'nightly', 'sweep', true, admin)).toBe(true);
    expect(await setSchedulePaused(o.app, 'nightly', 'sweep', true, admin)).toBe(false);
    await look(o.app, T0 + 10);
    await look(o.app, T0 + 5 * hour);
    expect(await scheduledRuns(o.app)).toEqual([]);
    const view = (await scheduleViews(o.app, (await o.app.config.page('nightly'))!, admin)).get('sweep')!;
    expect(view).toMatchObject({ paused: { by: 'admin-1' }, next: [], canPause: true });
    expect(await setSchedulePaused(o.app, 'nightly', 'sweep', false, admin)).toBe(true);
    // Resuming starts from the real now; the next moment after it fires.
    const next = (await scheduleViews(o.app, (await o.app.config.page('nightly'))!, admin)).get('sweep')!.next.map(Date.parse)[0]!;
    await look(o.app, next + 10);
    expect((await scheduledRuns(o.app)).map((r) => r.at)).toEqual([next]);
    expect(await events(o.app)).toEqual([]);
    const actions = (await listAudit(o.app.db)).entries.map((e) => [e.action, e.username, e.detail]);
    expect(actions).toEqual(expect.arrayContaining([['schedule_paused', 'admin-1', { page: 'nightly', button: 'sweep' }], ['schedule_resumed', 'admin-1', { page: 'nightly', button: 'sweep' }]]));
  });

  it('only admins may pause', async () => {
    const o = await open('"0 * * * *"');
    await expect(setSchedulePaused(o.app, 'nightly', 'sweep', true, await o.as('operator'))).rejects.toMatchObject({ kind: 'forbidden' });
    await expect(setSchedulePaused(o.app, 'nightly', 'sweep', true, await o.as('anonymous'))).rejects.toMatchObject({ kind: 'login' });
    await expect(setSchedulePaused(o.app, 'nightly', 'nothing', true, await o.as('admin'))).rejects.toMatchObject({ kind: 'not_found' });
  });
});

describe('config changes, without a restart', () => {
  it('a schedule whose page the config removes fires no more, and one put back starts afresh', async () => {
    const o = await open('{cron: "0 * * * *", timezone: UTC}');
    await look(o.app, T0 - 1);
    await look(o.app, T0 + 10);
    const path = join(o.dir, 'config.yaml');
    writeFileSync(path, 'toplevel_title: Scheduled\npages:\n  - slug: other\n    title: Other\n');
    await new Promise((r) => setTimeout(r, 250));
    expect((await o.app.config.current()).config.pages.map((p) => p.slug)).toEqual(['other']);
    await look(o.app, T0 + 3 * hour + 10);
    expect((await scheduledRuns(o.app)).map((r) => r.at)).toEqual([T0]);
    expect((await o.app.db.execute('SELECT count(*) AS n FROM schedules')).rows[0]!.n).toBe(0);
    writeFileSync(path, siteWith('{cron: "0 * * * *", timezone: UTC, overlap: queue}'));
    await new Promise((r) => setTimeout(r, 250));
    await look(o.app, T0 + 5 * hour + 10);
    await look(o.app, T0 + 6 * hour + 10);
    expect((await scheduledRuns(o.app)).map((r) => r.at)).toEqual([T0, T0 + 6 * hour]);
    expect(await events(o.app)).toEqual([]);
  });
});
