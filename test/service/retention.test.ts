/**
 * The retention sweep on a real libSQL file: which runs, logs, files, audit
 * entries and saves go, what always stays, how the work is split into short
 * transactions, and that the daily sweep runs once across app processes.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/server/app.ts';
import { listAudit } from '../../src/server/audit.ts';
import { saveValues } from '../../src/server/history.ts';
import { sweepRetention } from '../../src/server/retention.ts';
import { claimSlot, runDueRetention, STALE_MS, startRetention } from '../../src/server/retention-schedule.ts';
import { readSettings } from '../../src/server/settings.ts';
import { createUser } from '../../src/server/users.ts';
import { localApp, type LocalApp } from '../helpers/in-process.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DAY = 86_400_000;
const NOW = Date.parse('2026-03-10T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();

const button = (name: string, extra = '') =>
  `      - {name: ${name}, label: ${name}, script_path: scripts/${name}.sh, status_file: app_data/status/${name}.json, report_path: app_data/reports/${name}.txt${extra}}\n`;

function config(retention: string, pageRetention = '', buttonRetention = '') {
  return `toplevel_title: T
${retention}
pages:
  - slug: ops
    title: Ops
${pageRetention}
    parameters:
      - {name: level, type: integer, default: 1}
    buttons:
${button('build', buttonRetention)}${button('deploy')}  - slug: other
    title: Other
    parameters:
      - {name: note, type: text}
`;
}

let local: LocalApp | undefined;
const others: App[] = [];
afterEach(() => {
  for (const a of others.splice(0)) a.db.close();
  local?.close();
  local = undefined;
});

async function start(yaml: string): Promise<LocalApp> {
  local = await localApp(yaml);
  return local;
}

/** A run inserted as it would be after running: `state`, finished `age` ago, with `lines` log lines. */
async function addRun(app: App, o: { button?: string; slug?: string; state?: string; age: number; lines?: number }): Promise<number> {
  const b = o.button ?? 'build';
  const finished = ['queued', 'running'].includes(o.state ?? 'succeeded') ? null : ago(o.age);
  const { rows } = await app.db.write({
    sql: `INSERT INTO runs (page_slug, button_name, state, params, config_revision, script_path, status_file, report_path, requested_by, created_at, finished_at)
          VALUES (?, ?, ?, '{}', 'r', ?, ?, ?, 'olivia', ?, ?) RETURNING id`,
    args: [o.slug ?? 'ops', b, o.state ?? 'succeeded', `scripts/${b}.sh`, `app_data/status/${b}.json`, `app_data/reports/${b}.txt`, ago(o.age + 60_000), finished],
  });
  const id = Number(rows[0]!.id);
  const lines = o.lines ?? 0;
  for (let i = 0; i < lines; i += 1000) {
    const n = Math.min(1000, lines - i);
    await app.db.write({
      sql: `WITH RECURSIVE s(k) AS (SELECT ? UNION ALL SELECT k + 1 FROM s WHERE k < ?)
            INSERT INTO run_logs (run_id, seq, at, stream, text) SELECT ?, k, ?, 'stdout', 'a line of output ' || k FROM s`,
      args: [i + 1, i + n, id, ago(o.age)],
    });
  }
  return id;
}

const ids = async (app: App) => (await app.db.execute('SELECT id FROM runs ORDER BY id')).rows.map((r) => Number(r.id));
const count = async (app: App, sql: string) => Number((await app.db.execute(sql)).rows[0]!.n);

describe('runs', () => {
  it('go by age and by count, nearest level first, never while queued or running, with their logs and files', async () => {
    const { app } = await start(config('retention:\n  runs: {max_age: 30d}', '    retention:\n      runs: {max_count: 3}', ', retention: {runs: {max_age: 2d}}'));
    const oldBuild = await addRun(app, { age: 40 * DAY, lines: 5 });
    const queued = await addRun(app, { age: 40 * DAY, state: 'queued' });
    const running = await addRun(app, { age: 40 * DAY, state: 'running', lines: 2 });
    const build3d = await addRun(app, { age: 3 * DAY, lines: 5 });
    const build1d = await addRun(app, { age: 1 * DAY, lines: 5 });
    // deploy: no rule of its own; page says 3 at most, top level 30 days.
    const deploys = [];
    for (const age of [20, 10, 5, 4, 3]) deploys.push(await addRun(app, { button: 'deploy', age: age * DAY, lines: 1 }));
    const gone = await addRun(app, { slug: 'removed', button: 'old', age: 31 * DAY, lines: 1 });
    const recentGone = await addRun(app, { slug: 'removed', button: 'old', age: 29 * DAY });

    // Files the runs left: they go with their run, and stay with a running one.
    for (const id of [oldBuild, running, build1d]) {
      await app.db.write({ sql: `INSERT INTO run_artifacts (run_id, name, size, sha256, body, created_at) VALUES (?, 'out.csv', 1, 'x', X'41', ?)`, args: [id, ago(DAY)] });
    }

    const { removed } = await sweepRetention(app, NOW);

    expect(await ids(app)).toEqual([queued, running, build1d, deploys[2], deploys[3], deploys[4], recentGone]);
    expect(removed).toMatchObject({ runs: 5, run_logs: 5 + 5 + 1 + 1 + 1 });
    expect(await count(app, 'SELECT count(*) AS n FROM run_logs')).toBe(2 + 5 + 3);
    expect((await app.db.execute('SELECT run_id FROM run_artifacts ORDER BY run_id')).rows.map((r) => Number(r.run_id))).toEqual([running, build1d]);
  });

  it('keep the newest run of all, so that no id is handed out twice', async () => {
    const { app } = await start(config('retention:\n  runs: {max_age: 1d}'));
    await addRun(app, { age: 5 * DAY });
    const newest = await addRun(app, { age: 4 * DAY });
    await sweepRetention(app, NOW);
    expect(await ids(app)).toEqual([newest]);
  });

  it('take their folders, and the status file and report only while those still name them', async () => {
    const { app, dir } = await start(config('retention:\n  runs: {max_count: 1}'));
    const data = join(dir, 'data');
    const [b1, b2] = [await addRun(app, { age: 3 * DAY }), await addRun(app, { age: 2 * DAY })];
    const leftover = await addRun(app, { button: 'deploy', age: 10 * DAY });
    const [d1, d2] = [await addRun(app, { button: 'deploy', age: 3 * DAY }), await addRun(app, { button: 'deploy', age: 2 * DAY })];
    for (const id of [b1, b2, leftover, d1, d2]) {
      mkdirSync(join(data, 'runs', String(id)), { recursive: true });
      writeFileSync(join(data, 'runs', String(id), 'params.json'), '{}');
    }
    mkdirSync(join(data, 'status'));
    mkdirSync(join(data, 'reports'));
    // build's outputs were written by its newest run; deploy's still by the run that goes.
    writeFileSync(join(data, 'status/build.json'), JSON.stringify({ state: 'succeeded', run_id: b2 }));
    writeFileSync(join(data, 'reports/build.txt'), 'b2');
    writeFileSync(join(data, 'status/deploy.json'), JSON.stringify({ state: 'succeeded', run_id: d1 }));
    writeFileSync(join(data, 'reports/deploy.txt'), 'd1');
    // A folder left behind by a sweep that stopped before the files; and one of a run this database never had.
    await app.db.write({ sql: 'DELETE FROM runs WHERE id = ?', args: [leftover] });
    mkdirSync(join(data, 'runs', '999999'));

    const { removed } = await sweepRetention(app, NOW);

    expect(removed).toMatchObject({ runs: 2, run_folders: 3, status_files: 1, reports: 1 });
    expect(existsSync(join(data, 'runs', String(b1)))).toBe(false);
    expect(existsSync(join(data, 'runs', String(d1)))).toBe(false);
    expect(existsSync(join(data, 'runs', String(leftover)))).toBe(false);
    expect(existsSync(join(data, 'runs', String(d2)))).toBe(true);
    expect(existsSync(join(data, 'runs', '999999'))).toBe(true);
    expect(readFileSync(join(data, 'status/build.json'), 'utf8')).toContain(String(b2));
    expect(readFileSync(join(data, 'reports/build.txt'), 'utf8')).toBe('b2');
    expect(existsSync(join(data, 'status/deploy.json'))).toBe(false);
    expect(existsSync(join(data, 'reports/deploy.txt'))).toBe(false);
  });

  it('are only counted on a dry run', async () => {
    const { app } = await start(config('retention:\n  runs: {max_age: 1d}\n  audit: {max_age: 1d}'));
    await addRun(app, { age: 5 * DAY, lines: 7 });
    await addRun(app, { age: 4 * DAY });
    const before = await ids(app);
    const { removed } = await sweepRetention(app, NOW, { dryRun: true });
    expect(removed).toMatchObject({ runs: 1, run_logs: 7 });
    expect(await ids(app)).toEqual(before);
    expect(await count(app, 'SELECT count(*) AS n FROM run_logs')).toBe(7);
    expect((await listAudit(app.db, { action: 'retention_sweep' })).entries).toEqual([]);
  });
});

describe('nothing configured', () => {
  it('deletes nothing and records nothing', async () => {
    const { app } = await start(config(''));
    await addRun(app, { age: 4000 * DAY, lines: 3 });
    await addRun(app, { age: 3000 * DAY });
    const r = await sweepRetention(app, NOW);
    expect(Object.values(r.removed).every((n) => n === 0)).toBe(true);
    expect((await ids(app)).length).toBe(2);
    expect((await listAudit(app.db, { action: 'retention_sweep' })).entries).toEqual([]);
  });
});

async function save(app: App, slug: string, values: Record<string, number | string>, savedAt: string, publishTo?: string) {
  const page = (await app.config.page(slug))!;
  const user = (await app.db.execute("SELECT id, username FROM users WHERE username = 'ed'")).rows[0];
  const u = user ? { id: Number(user.id), username: String(user.username) } : await createUser(app.db, { username: 'ed', password: 'a long enough password', role: 'editor' });
  const r = await saveValues(app.db, { page, values, configRevision: 'r', user: u, publishTo });
  if (r.status !== 'saved') throw new Error(r.status);
  await app.db.write({ sql: 'UPDATE changes SET saved_at = ? WHERE id = ?', args: [savedAt, r.entry.id] });
  await app.db.write({ sql: 'UPDATE config_history SET saved_at = ? WHERE change_id = ?', args: [savedAt, r.entry.id] });
  return r.entry.id;
}

describe('history', () => {
  it('goes by age where a rule says so, but the latest save of a page always stays', async () => {
    const { app } = await start(config('retention:\n  history: {max_age: 30d}'));
    const old = [await save(app, 'ops', { level: 2 }, ago(60 * DAY)), await save(app, 'ops', { level: 3 }, ago(50 * DAY))];
    const latest = await save(app, 'ops', { level: 4 }, ago(40 * DAY));
    const otherOld = await save(app, 'other', { note: 'a' }, ago(90 * DAY));
    const { removed } = await sweepRetention(app, NOW);
    expect(removed).toMatchObject({ changes: 2, config_history: 2 });
    const left = (await app.db.execute('SELECT id FROM changes ORDER BY id')).rows.map((r) => Number(r.id));
    expect(left).toEqual([latest, otherOld]);
    expect(old.every((id) => !left.includes(id))).toBe(true);
    expect(await count(app, `SELECT count(*) AS n FROM config_history WHERE change_id IN (${old.join(',')})`)).toBe(0);
  });

  it('is never touched without a history rule, and a page may keep its own forever', async () => {
    const { app } = await start(config('retention:\n  history: {max_age: 1d}', '    retention:\n      history: {max_age: none}'));
    await save(app, 'ops', { level: 2 }, ago(60 * DAY));
    await save(app, 'ops', { level: 3 }, ago(50 * DAY));
    await sweepRetention(app, NOW);
    expect(await count(app, "SELECT count(*) AS n FROM changes WHERE page_slug = 'ops'")).toBe(2);
  });

  it('keeps what a save still waiting for Git needs, and takes the publications of those that go', async () => {
    const { app } = await start(config('retention:\n  history: {max_age: 1d}'));
    const a = await save(app, 'ops', { level: 2 }, ago(60 * DAY), 'local:x');
    const b = await save(app, 'ops', { level: 3 }, ago(50 * DAY), 'local:x');
    const c = await save(app, 'ops', { level: 4 }, ago(40 * DAY), 'local:x');
    const d = await save(app, 'ops', { level: 5 }, ago(30 * DAY), 'local:x');
    await app.db.write({ sql: `UPDATE publications SET state = 'committed' WHERE change_id IN (?, ?)`, args: [a, b] });
    // c still waits to be published: it and the save before it (b) stay, as does the latest (d).
    const { removed } = await sweepRetention(app, NOW);
    expect(removed).toMatchObject({ changes: 1, publications: 1 });
    expect((await app.db.execute('SELECT id FROM changes ORDER BY id')).rows.map((r) => Number(r.id))).toEqual([b, c, d]);
    expect((await app.db.execute('SELECT change_id FROM publications ORDER BY change_id')).rows.map((r) => Number(r.change_id))).toEqual([b, c, d]);
  });
});

describe('the audit log', () => {
  it('loses entries past its age, and gains one entry per sweep that removed anything', async () => {
    const { app } = await start(config('retention:\n  audit: {max_age: 365d}\n  runs: {max_count: 1}'));
    await app.db.write({ sql: "INSERT INTO audit_log (at, action) VALUES (?, 'login'), (?, 'login'), (?, 'logout')", args: [ago(400 * DAY), ago(366 * DAY), ago(10 * DAY)] });
    await addRun(app, { age: 2 * DAY, lines: 2 });
    await addRun(app, { age: 1 * DAY });
    const { removed } = await sweepRetention(app, NOW, { trigger: 'test' });
    expect(removed).toMatchObject({ audit: 2, runs: 1, run_logs: 2 });
    const { entries } = await listAudit(app.db);
    expect(entries.map((e) => e.action)).toEqual(['retention_sweep', 'logout']);
    expect(entries[0]!.detail).toMatchObject({ runs: 1, run_logs: 2, audit: 2, changes: 0, trigger: 'test' });
    await sweepRetention(app, NOW);
    expect((await listAudit(app.db, { action: 'retention_sweep' })).entries).toHaveLength(1);
  });

  it("takes schedules' missed and skipped records by the same age", async () => {
    const { app } = await start(config('retention:\n  audit: {max_age: 30d}'));
    const event = "INSERT INTO schedule_events (page_slug, button_name, outcome, first_at, last_at, count, reason, recorded_at) VALUES ('p', 'b', 'missed', ?, ?, 1, 'down', ?)";
    for (const age of [40 * DAY, 31 * DAY, 29 * DAY]) await app.db.write({ sql: event, args: [NOW - age - DAY, NOW - age, ago(age)] });
    expect((await sweepRetention(app, NOW, { dryRun: true })).removed).toMatchObject({ schedule_events: 2 });
    expect((await sweepRetention(app, NOW)).removed).toMatchObject({ schedule_events: 2 });
    const { rows } = await app.db.execute('SELECT last_at FROM schedule_events');
    expect(rows.map((r) => Number(r.last_at))).toEqual([NOW - 29 * DAY]);
  });

  it('takes notifications sent or given up by the same age, with their events, and keeps those still waiting', async () => {
    const { app } = await start(config('retention:\n  audit: {max_age: 30d}'));
    const deliveries: [string, number][] = [['delivered', 40], ['failed', 31], ['pending', 60], ['delivered', 29]];
    for (const [i, [state, age]] of deliveries.entries()) {
      await app.db.write({ sql: "INSERT INTO notification_events (uid, type, at, data, body, fanned_out) VALUES (?, 'values.saved', ?, '{}', '{}', 1)", args: [`e${i}`, ago(age * DAY)] });
      await app.db.write({
        sql: "INSERT INTO deliveries (uid, event_id, target, channel, state, created_at, updated_at) VALUES (?, (SELECT id FROM notification_events WHERE uid = ?), 'ops', 'webhook', ?, ?, ?)",
        args: [`d${i}`, `e${i}`, state, ago(age * DAY), ago(age * DAY)],
      });
    }
    expect((await sweepRetention(app, NOW, { dryRun: true })).removed).toMatchObject({ deliveries: 2 });
    expect((await sweepRetention(app, NOW)).removed).toMatchObject({ deliveries: 2 });
    const left = await app.db.execute('SELECT d.uid, e.uid AS event FROM deliveries d JOIN notification_events e ON e.id = d.event_id ORDER BY d.id');
    expect(left.rows.map((r) => [r.uid, r.event])).toEqual([['d2', 'e2'], ['d3', 'e3']]);
    expect(Number((await app.db.execute('SELECT count(*) AS n FROM notification_events')).rows[0]!.n)).toBe(2);
  });
});

describe('batches', () => {
  it('delete more than one batch in several short transactions while another process saves', async () => {
    const { app, dir } = await start(config('retention:\n  runs: {max_age: 1d}'));
    for (let i = 0; i < 30; i++) await addRun(app, { age: 10 * DAY, lines: i < 2 ? 3000 : 100 });
    await addRun(app, { age: 0 });
    // Another app process on the same database file.
    const other = await createApp(readSettings({ SWITCHYARD_CONFIG: join(dir, 'config.yaml'), SWITCHYARD_DATA_DIR: join(dir, 'data') }));
    others.push(other);
    let sweeping = true;
    const sweep = sweepRetention(app, NOW, { batchRuns: 7, batchRows: 500 }).finally(() => (sweeping = false));
    const savedDuring: boolean[] = [];
    for (let level = 2; sweeping; level++) {
      await save(other, 'ops', { level }, new Date().toISOString());
      savedDuring.push(sweeping);
      await sleep(20);
    }
    const r = await sweep;
    console.log(`sweep: ${r.transactions} transactions in ${r.tookMs.toFixed(0)} ms, longest ${r.longestTransactionMs.toFixed(1)} ms; ${savedDuring.length} saves alongside`);
    expect(r.removed).toMatchObject({ runs: 30, run_logs: 2 * 3000 + 28 * 100 });
    // 8800 lines in chunks of at most 500, then 30 runs 7 at a time.
    expect(r.transactions).toBeGreaterThanOrEqual(Math.ceil(8800 / 500) + Math.ceil(30 / 7));
    expect(savedDuring.filter(Boolean).length).toBeGreaterThan(0);
    expect(await count(app, 'SELECT count(*) AS n FROM runs')).toBe(1);
  });
});

describe('the daily sweep', () => {
  it('runs once a day across two app processes on one database', async () => {
    const { app, dir } = await start(config('retention:\n  runs: {max_age: 1d}'));
    const other = await createApp(readSettings({ SWITCHYARD_CONFIG: join(dir, 'config.yaml'), SWITCHYARD_DATA_DIR: join(dir, 'data') }));
    others.push(other);
    for (let i = 0; i < 5; i++) await addRun(app, { age: 5 * DAY, lines: 10 });
    await addRun(app, { age: 0 });
    const results = await Promise.all([runDueRetention(app, NOW, 'one'), runDueRetention(other, NOW, 'two')]);
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(results.find(Boolean)!.removed).toMatchObject({ runs: 5, run_logs: 50 });
    // Later the same day: done already. The next day: due again.
    await addRun(app, { age: 5 * DAY });
    await addRun(app, { age: 0 });
    expect(await runDueRetention(app, NOW + 3_600_000, 'one')).toBeUndefined();
    expect(await runDueRetention(other, NOW + DAY, 'two')).toBeDefined();
    const claims = (await app.db.execute('SELECT slot, finished_at IS NOT NULL AS done FROM maintenance ORDER BY slot')).rows;
    expect(claims.map((c) => [c.slot, Number(c.done)])).toEqual([['2026-03-10', 1], ['2026-03-11', 1]]);
    expect((await listAudit(app.db, { action: 'retention_sweep' })).entries.map((e) => e.detail.trigger)).toEqual(['daily 2026-03-11', 'daily 2026-03-10']);
  });

  it('is not due before its hour, nor with no rule configured', async () => {
    const { app } = await start(config(''));
    await addRun(app, { age: 5 * DAY });
    expect(await runDueRetention(app, NOW, 'one')).toBeUndefined();
    expect(await count(app, 'SELECT count(*) AS n FROM maintenance')).toBe(0);
    const early = Date.parse('2026-03-10T01:59:00Z');
    expect(app.settings.retentionHourUtc).toBe(2);
    local!.close();
    const { app: ruled } = await start(config('retention:\n  runs: {max_age: 1d}'));
    expect(await runDueRetention(ruled, early, 'one')).toBeUndefined();
    expect(await count(ruled, 'SELECT count(*) AS n FROM maintenance')).toBe(0);
  });

  it('is resumed, with its counts so far, once the process that claimed it has stopped beating', async () => {
    const { app } = await start(config('retention:\n  runs: {max_age: 1d}'));
    for (let i = 0; i < 4; i++) await addRun(app, { age: 5 * DAY });
    await addRun(app, { age: 0 });
    // A process claimed the day, removed 3 runs and died.
    expect(await claimSlot(app.db, 'retention', '2026-03-10', 'dead', NOW - STALE_MS - 1)).toBeDefined();
    await app.db.write({ sql: `UPDATE maintenance SET detail = ?`, args: [JSON.stringify({ runs: 3, run_logs: 30 })] });
    expect(await runDueRetention(app, NOW - STALE_MS / 2, 'alive')).toBeUndefined();
    const r = await runDueRetention(app, NOW, 'alive');
    expect(r?.removed).toMatchObject({ runs: 3 + 4, run_logs: 30 });
    const row = (await app.db.execute('SELECT claimed_by, takeovers, finished_at FROM maintenance')).rows[0]!;
    expect([row.claimed_by, Number(row.takeovers), row.finished_at !== null]).toEqual(['alive', 1, true]);
  });
});

describe('a claim taken over', () => {
  it('stops the sweep that lost it at its next transaction', async () => {
    const { app } = await start(config('retention:\n  runs: {max_age: 1d}'));
    for (let i = 0; i < 20; i++) await addRun(app, { age: 5 * DAY });
    await addRun(app, { age: 0 });
    const sweep = runDueRetention(app, NOW, 'one', { batchRuns: 1, pauseMs: 20 });
    while ((await ids(app)).length === 21) await sleep(5);
    await app.db.write("UPDATE maintenance SET claimed_by = 'two'");
    await expect(sweep).rejects.toThrow('the retention sweep of 2026-03-10 was taken over by another process');
    expect((await ids(app)).length).toBeGreaterThan(2);
  });
});

describe('startRetention', () => {
  it('sweeps shortly after start when the day is due, and stops when told', async () => {
    const { app } = await start(config('retention:\n  runs: {max_age: 1d}'));
    app.settings.retentionHourUtc = 0;
    await addRun(app, { age: 40 * DAY });
    await addRun(app, { age: 0 });
    const stop = startRetention(app, { firstMs: 10, everyMs: 60_000 });
    try {
      const finished = () => count(app, 'SELECT count(*) AS n FROM maintenance WHERE finished_at IS NOT NULL');
      for (let i = 0; i < 200 && (await finished()) === 0; i++) await sleep(20);
      expect(await finished()).toBe(1);
      expect((await ids(app)).length).toBe(1);
    } finally {
      stop();
    }
  });
});

describe('npm run retention', () => {
  const cli = (dir: string, args: string[]) =>
    new Promise<{ code: number; out: string }>((ok) => {
      const env = { ...process.env, SWITCHYARD_CONFIG: join(dir, 'config.yaml'), SWITCHYARD_DATA_DIR: join(dir, 'data') };
      execFile(process.execPath, [join(ROOT, 'src/cli/retention.ts'), ...args], { env }, (err, stdout, stderr) => ok({ code: err ? Number(err.code) : 0, out: stdout + stderr }));
    });

  it('prints what would go on a dry run, and removes it otherwise', async () => {
    const { app, dir } = await start(config('retention:\n  runs: {max_count: 1}'));
    await addRun(app, { age: 5 * DAY, lines: 4 });
    await addRun(app, { age: 4 * DAY });
    expect(await cli(dir, ['--dry-run'])).toEqual({ code: 0, out: 'Would remove: 1 runs, 4 run logs.\n' });
    expect((await ids(app)).length).toBe(2);
    const done = await cli(dir, []);
    expect(done.out).toMatch(/^Removed: 1 runs, 4 run logs \(in \d+ transactions, the longest \d+ ms\)\.\n$/);
    expect((await ids(app)).length).toBe(1);
    expect((await listAudit(app.db, { action: 'retention_sweep' })).entries[0]!.detail.trigger).toMatch(/\(npm run retention\)$/);
  });
});
