/**
 * `npm run backup` and `npm run restore` as an operator runs them, against
 * the built server: the backup button runs the command; a snapshot taken
 * while the server takes saves is consistent; a restore is refused while the
 * server runs, and once it is stopped brings back exactly the snapshot, on
 * which the built server starts again.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBackup } from '../../src/server/backup.ts';
import { apiToken } from '../helpers/client.ts';
import { dumpDatabase, type Dump } from '../helpers/db-dump.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { ROOT, startServer, testEnv, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let runner: TestRunner | undefined;
let editor: string;
let operator: string;
beforeAll(async () => {
  server = await startServer({
    users: [
      { name: 'ed', role: 'editor', password: 'ed-password' },
      { name: 'olga', role: 'operator', password: 'olga-password' },
    ],
  });
  editor = await apiToken(server.url, 'ed', 'ed-password');
  operator = await apiToken(server.url, 'olga', 'olga-password');
  // Rooted at this checkout: the example's own backup script, on the server's data folder.
  runner = await startRunner(server, 'r1', { SWITCHYARD_RUNNER_ROOT: ROOT });
}, 60_000);
afterAll(async () => {
  await runner?.stop();
  await server?.stop();
});

/** Runs a command of src/cli the way `npm run` does, with the server's environment. */
function cli(name: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [join(ROOT, 'src/cli', `${name}.ts`), ...args], { cwd: ROOT, env: testEnv(server.dir) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => ok({ code: code ?? -1, stdout, stderr }));
  });
}

async function api(token: string, path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${server.url}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...init.headers } });
}

async function save(version: string): Promise<void> {
  const { revision } = (await (await api(editor, '/pages/toplevel')).json()) as { revision: number };
  const res = await api(editor, '/pages/toplevel/values', { method: 'PUT', body: JSON.stringify({ revision, values: { version, instance_name: `node-${version}` } }) });
  if (res.status !== 200) throw new Error(`save ${version}: ${res.status} ${await res.text()}`);
}

async function runBackupButton(): Promise<{ id: number; state: string; log: string }> {
  const res = await api(operator, '/pages/database-backup/runs/run_backup', { method: 'POST' });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: number };
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
    const run = (await (await api(operator, `/runs/${id}`)).json()) as { state: string };
    if (!['queued', 'running'].includes(run.state)) return { id, state: run.state, log: await (await api(operator, `/runs/${id}/log`)).text() };
  }
  throw new Error(`run ${id} did not end`);
}

const dbFile = () => join(server.dataDir, 'switchyard.db');
const backups = () => readdirSync(join(server.dataDir, 'backups')).sort();

describe('the backup button', () => {
  it('runs npm run backup: a run with its log and report, the newest 10 kept', async () => {
    await save('1.1');
    // Ten older backups, the way the command names them; the oldest goes.
    const dir = join(server.dataDir, 'backups');
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < 10; i++) {
      const old = join(dir, `switchyard-2020010${i}T000000Z.db.gz`);
      writeFileSync(old, 'old');
      writeFileSync(`${old}.manifest.json`, '{}');
    }
    const run = await runBackupButton();
    expect(run.log).toMatch(/Backed up .*switchyard\.db to .*\/backups\/switchyard-\d{8}T\d{6}Z\.db\.gz \(\d+ bytes, schema \d+, \d+ rows in \d+ tables\)/);
    expect(run.log).toContain(`Removed ${join(dir, 'switchyard-20200100T000000Z.db.gz')}`);
    expect(run.state).toBe('succeeded');
    const files = backups();
    expect(files).toHaveLength(20);
    expect(files).not.toContain('switchyard-20200100T000000Z.db.gz.manifest.json');
    const made = join(dir, files.at(-2)!);
    expect(made).toMatch(/switchyard-2\d{3}\d{4}T\d{6}Z\.db\.gz$/);
    expect((await verifyBackup(made)).tables).toMatchObject({ changes: 1, runs: 1 });
    // The command's output is the run's report too.
    const { report } = (await dumpDatabase(dbFile())).runs!.find((r) => r.id === run.id)!;
    expect(report).toMatch(/^\d\d:\d\d:\d\d Backed up .*\n(.|\n)*\d\d:\d\d:\d\d Done\. 10 backup\(s\) kept in /);
  });
});

describe('backup while serving, then restore', () => {
  it('snapshots consistently under saves, is refused while served, and brings the snapshot back for the built server', async () => {
    const snapshot = join(server.dir, 'snapshot.db');
    let saves = 0;
    let writing = true;
    const writer = (async () => {
      while (writing) await save(`2.${++saves}`);
    })();
    while (saves < 5) await new Promise((r) => setTimeout(r, 20));
    const made = await cli('backup', [snapshot]);
    const during = saves;
    while (saves < during + 5) await new Promise((r) => setTimeout(r, 20));
    writing = false;
    await writer;
    expect(made).toMatchObject({ code: 0, stderr: '' });
    expect(made.stdout).toContain(`Backed up ${dbFile()} to ${snapshot}`);

    // Consistent: the snapshot is the live database as of one moment, every save whole.
    const snap = await dumpDatabase(snapshot);
    const live = await dumpDatabase(dbFile());
    const lastChange = Math.max(...snap.changes!.map((c) => Number(c.id)));
    expect(lastChange).toBeGreaterThan(5);
    expect(live.changes!.length).toBeGreaterThan(snap.changes!.length);
    const upTo = (d: Dump, table: string, key: string, max: number) => d[table]!.filter((r) => Number(r[key]) <= max);
    expect(snap.changes).toEqual(upTo(live, 'changes', 'id', lastChange));
    expect(snap.config_history).toEqual(upTo(live, 'config_history', 'change_id', lastChange));
    const saveAudits = (d: Dump) => d.audit_log!.filter((a) => a.action === 'save').length;
    expect(saveAudits(snap)).toBe(snap.changes!.length);

    // Refused while the server runs, naming it; nothing moved.
    const refused = await cli('restore', [snapshot]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`^Error: Switchyard is serving this database: pid ${server.pid()} on \\S+ \\(seen \\d+ s ago\\)\\. Stop the app first \\(systemctl stop switchyard, or Ctrl-C on npm start\\), then restore; .*\\n$`));
    expect(readdirSync(server.dataDir).filter((f) => f.includes('before-restore'))).toEqual([]);

    await runner!.stop();
    runner = undefined;
    const before = await dumpDatabase(dbFile());
    let restored = { code: -1, stdout: '', stderr: '' };
    await server.restart({ whileDown: async () => void (restored = await cli('restore', [snapshot])) });
    expect(restored).toMatchObject({ code: 0, stderr: '' });
    const aside = restored.stdout.match(/^The database it replaced was moved to (.+)$/m)?.[1];
    expect(aside).toMatch(/switchyard\.db\.before-restore-\d{8}T\d{6}Z$/);

    // Values, history, users, runs and their logs, audit: the snapshot's, and nothing else. (Notification
    // events the app works through once it runs again, dropping those no target wants, are its own doing.)
    expect(await dumpDatabase(dbFile(), ['app_instances', 'notification_events'])).toEqual({ ...snap, app_instances: undefined, notification_events: undefined });
    // The database it replaced holds every save, including those after the snapshot.
    expect((await dumpDatabase(aside!, ['app_instances'])).changes).toEqual(before.changes);

    // The built server serves the restored data.
    const page = (await (await api(editor, '/pages/toplevel')).json()) as { revision: number; values: Record<string, unknown> };
    const last = snap.config_history!.filter((h) => Number(h.change_id) === lastChange && h.parameter_name === 'version')[0]!;
    expect(page.revision).toBe(lastChange);
    expect(page.values.version).toBe(last.value);
    const history = (await (await api(editor, '/pages/toplevel/history?limit=500')).json()) as { entries: unknown[] };
    expect(history.entries).toHaveLength(snap.changes!.filter((c) => c.page_slug === 'toplevel').length);
    const run = snap.runs![0]!;
    const log = await (await api(operator, `/runs/${run.id}/log`)).text();
    expect(log).toContain('Backed up');
  }, 120_000);
});

describe('the commands refuse with one line and exit code 1', () => {
  it('an existing target, a missing backup, a missing manifest', async () => {
    const taken = join(server.dir, 'taken.db');
    writeFileSync(taken, 'precious');
    expect(await cli('backup', [taken])).toEqual({ code: 1, stdout: '', stderr: `Error: ${taken} already exists; backups never overwrite a file: choose another name or remove it first\n` });
    expect(await cli('restore', [join(server.dir, 'nothing.db')])).toEqual({ code: 1, stdout: '', stderr: `Error: there is no backup at ${join(server.dir, 'nothing.db')}\n` });
    expect((await cli('restore', [taken])).stderr).toBe(`Error: ${taken}.manifest.json is missing: without its manifest the snapshot's checksum cannot be checked, so it is not restored (npm run backup writes both)\n`);
    expect(existsSync(dbFile())).toBe(true);
  });
});
