/**
 * What a run may touch on disk: its outputs only in their own folders below
 * app_data/, never through a link, never Switchyard's own database; scripts
 * only inside scripts/ and only when no other user can change them; status
 * files read with a bound; parameters kept within what the kernel accepts.
 */
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, postJson, revisionOf } from '../helpers/client.ts';
import { ended, waitForRun } from '../helpers/runs.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const BIG_PARAMS = Array.from({ length: 80 }, (_, i) => `p${String(i + 1).padStart(2, '0')}`);

const CONFIG = `toplevel_title: Files
pages:
  - slug: jobs
    title: Jobs
    buttons:
      - {name: ok, label: OK, script_path: scripts/ok.sh, status_file: app_data/status/ok.json, report_path: app_data/reports/ok/report.html}
      - {name: linked_report, label: Linked report, script_path: scripts/link-report.sh, status_file: app_data/status/link.json, report_path: app_data/reports/link.log}
      - {name: hard_report, label: Hard-linked report, script_path: scripts/hard-report.sh, status_file: app_data/status/hard.json, report_path: app_data/reports/hard.log}
      - {name: huge_status, label: Huge status, script_path: scripts/huge-status.sh, status_file: app_data/status/huge.json, report_path: app_data/reports/huge.log}
      - {name: outside, label: Outside, script_path: scripts/outside.sh, status_file: app_data/status/outside.json, report_path: app_data/reports/outside.log}
      - {name: writable, label: Writable, script_path: scripts/writable.sh, status_file: app_data/status/writable.json, report_path: app_data/reports/writable.log}
      - {name: shared, label: Shared folder, script_path: scripts/shared/theirs.sh, status_file: app_data/status/shared.json, report_path: app_data/reports/shared.log}
      - {name: twice, label: Twice, script_path: scripts/twice.sh, status_file: app_data/status/twice.json, report_path: app_data/reports/twice.log}
      - {name: elsewhere, label: Elsewhere, script_path: scripts/ok.sh, status_file: app_data/status/elsewhere.json, report_path: app_data/reports/away/elsewhere.log}
  - slug: big
    title: Big values
    parameters:
${BIG_PARAMS.map((n) => `      - {name: ${n}, type: text}`).join('\n')}
    buttons:
      - {name: env, label: Env, script_path: scripts/env.sh, status_file: app_data/status/env.json, report_path: app_data/reports/env.log}
`;

const SCRIPTS = {
  'scripts/ok.sh': '#!/usr/bin/env bash\necho "<h1>fine</h1>" > "$SWITCHYARD_REPORT_PATH"\necho done\n',
  'scripts/link-report.sh': '#!/usr/bin/env bash\nln -sf "$SWITCHYARD_DATA_DIR/switchyard.db" "$SWITCHYARD_REPORT_PATH"\n',
  'scripts/hard-report.sh': '#!/usr/bin/env bash\nrm -f "$SWITCHYARD_REPORT_PATH"\nln "$SWITCHYARD_DATA_DIR/switchyard.db" "$SWITCHYARD_REPORT_PATH"\n',
  // A sparse file: costs no disk, but a runner that reads it whole holds 200 MB.
  'scripts/huge-status.sh': '#!/usr/bin/env bash\ntruncate -s 200M "$SWITCHYARD_STATUS_FILE"\nsleep 1.5\necho survived\n',
  // Says its own run in its status and report, at the same moments as another run of the button.
  'scripts/twice.sh':
    '#!/usr/bin/env bash\nprintf \'{"progress": 50, "message": "run %s"}\' "$SWITCHYARD_RUN_ID" > "$SWITCHYARD_STATUS_FILE.tmp"; mv "$SWITCHYARD_STATUS_FILE.tmp" "$SWITCHYARD_STATUS_FILE"\necho "report of run $SWITCHYARD_RUN_ID" > "$SWITCHYARD_REPORT_PATH"\nsleep 1\n',
  'scripts/writable.sh': '#!/usr/bin/env bash\necho ran > "$SWITCHYARD_DATA_DIR/writable-ran"\n',
  'scripts/env.sh':
    '#!/usr/bin/env bash\necho "omitted=${SWITCHYARD_PARAMS_OMITTED:-}"\necho "p01=${#SWITCHYARD_PARAM_P01}"\nnode -e \'const v=require(process.env.SWITCHYARD_PARAMS_FILE); console.log("file=" + Object.values(v).filter((s) => s.length === 10000).length)\'\n',
};
const USERS = [
  { name: 'olga', role: 'operator' as const, password: 'olga-password' },
  { name: 'ed', role: 'editor' as const, password: 'ed-password' },
];
type Run = { id: number; state: string; error: string | null; message: string | null; started_at: string | null; finished_at: string | null; report: { type: string } | null };
const waitForEnd = (c: Client, id: number) => waitForRun<Run>(c, id, ended);

const SQLITE_MAGIC = 'SQLite format 3\0';
const dbHeader = (s: TestServer) => readFileSync(join(s.dataDir, 'switchyard.db')).subarray(0, 16).toString('latin1');

describe('files a run may touch', () => {
  let server: TestServer;
  let runner: TestRunner;
  let c: Client;
  const outside = mkdtempSync(join(tmpdir(), 'switchyard-outside-'));

  beforeAll(async () => {
    server = await startServer({ config: CONFIG, files: SCRIPTS, users: USERS });
    runner = await startRunner(server, 'files', { SWITCHYARD_RUNNER_SLOTS: '2' });
    c = new Client(server.url);
    await c.login('olga', 'olga-password');
  });
  afterAll(async () => {
    await runner?.stop();
    await server?.stop();
    rmSync(outside, { recursive: true, force: true });
  });

  const run = async (page: string, button: string) => {
    const res = await postJson(c, `/page/${page}/run/${button}`);
    expect(res.status).toBe(201);
    return waitForEnd(c, ((await res.json()) as { id: number }).id);
  };
  const log = async (id: number) => (await c.get(`/runs/${id}/log`)).text();

  it('writes outputs in their folders and keeps the report', async () => {
    const r = await run('jobs', 'ok');
    expect(r.state).toBe('succeeded');
    // The script wrote its run's own files; the button's are copies of its latest run's.
    expect(readFileSync(join(server.dataDir, `runs/${r.id}/report.html`), 'utf8')).toContain('fine');
    expect(readFileSync(join(server.dataDir, 'reports/ok/report.html'), 'utf8')).toContain('fine');
    expect(JSON.parse(readFileSync(join(server.dataDir, 'status/ok.json'), 'utf8'))).toMatchObject({ state: 'succeeded', run_id: r.id });
    expect(JSON.parse(readFileSync(join(server.dataDir, `runs/${r.id}/status.json`), 'utf8'))).toMatchObject({ state: 'succeeded', run_id: r.id });
  });

  it('keeps the progress and report of two runs of one button at once apart', async () => {
    const [a, b] = await Promise.all([run('jobs', 'twice'), run('jobs', 'twice')]);
    // The runner has two slots: the runs really overlapped.
    expect(a!.started_at! < b!.finished_at! && b!.started_at! < a!.finished_at!).toBe(true);
    for (const r of [a!, b!]) {
      expect(r.state).toBe('succeeded');
      expect(r.message).toBe(`run ${r.id}`);
      expect(await (await c.get(`/runs/${r.id}/report`)).text()).toContain(`report of run ${r.id}`);
    }
    // The button's own files hold one of the two runs, whole.
    const last = JSON.parse(readFileSync(join(server.dataDir, 'status/twice.json'), 'utf8')) as { run_id: number; state: string };
    expect([a!.id, b!.id]).toContain(last.run_id);
    expect(readFileSync(join(server.dataDir, 'reports/twice.log'), 'utf8')).toMatch(/^report of run \d+\n$/);
  });

  it('never keeps or serves a report that is a link to the database', async () => {
    const r = await run('jobs', 'linked_report');
    expect(r.state).toBe('succeeded');
    expect(r.report).toBeNull();
    expect((await c.get(`/runs/${r.id}/report`)).status).toBe(404);
    expect(await log(r.id)).toContain('report app_data/reports/link.log is a symbolic link; it is not kept');
    const { rows } = await server.db().execute({ sql: 'SELECT report FROM runs WHERE id = ?', args: [r.id] });
    expect(String(rows[0]!.report ?? '')).not.toContain('SQLite');
  });

  it('never keeps a report that is a hard link to another file', async () => {
    const r = await run('jobs', 'hard_report');
    expect(r.report).toBeNull();
    expect(await log(r.id)).toContain('report app_data/reports/hard.log has other hard links; it is not kept');
    expect(existsSync(join(server.dataDir, 'reports/hard.log'))).toBe(false);
    rmSync(join(server.dataDir, `runs/${r.id}/report.log`));
  });

  it('refuses to write outputs through a folder that links out of app_data/', async () => {
    mkdirSync(join(server.dataDir, 'reports'), { recursive: true });
    symlinkSync(outside, join(server.dataDir, 'reports/away'));
    const r = await run('jobs', 'elsewhere');
    expect(r.state).toBe('failed');
    expect(r.error).toBe('report_path app_data/reports/away/elsewhere.log is refused: app_data/reports/away is a symbolic link; outputs are never written through links');
    expect(existsSync(join(outside, 'elsewhere.log'))).toBe(false);
  });

  it('reads a huge status file with a bound, and the run goes on', async () => {
    const r = await run('jobs', 'huge_status');
    expect(r.state).toBe('succeeded');
    expect(await log(r.id)).toContain('survived');
    // Peak resident memory of the runner process: a whole read of 200 MB would show here.
    const peakKb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${runner.process.pid}/status`, 'utf8'))![1]);
    expect(peakKb).toBeLessThan(180 * 1024);
  });

  it('refuses a script that is a link out of scripts/', async () => {
    writeFileSync(join(outside, 'evil.sh'), `#!/usr/bin/env bash\necho ran > "${join(outside, 'ran')}"\n`, { mode: 0o755 });
    symlinkSync(join(outside, 'evil.sh'), join(server.dir, 'scripts/outside.sh'));
    const r = await run('jobs', 'outside');
    expect(r.state).toBe('failed');
    expect(r.error).toBe(`script scripts/outside.sh is a link to ${join(outside, 'evil.sh')}, outside scripts/; refusing to run it`);
    expect(existsSync(join(outside, 'ran'))).toBe(false);
  });

  it('refuses a script that every user may change, or that sits in such a folder', async () => {
    chmodSync(join(server.dir, 'scripts/writable.sh'), 0o777);
    const r = await run('jobs', 'writable');
    expect(r.error).toBe('script scripts/writable.sh is not run: scripts/writable.sh is writable by every user (chmod o-w scripts/writable.sh)');
    chmodSync(join(server.dir, 'scripts/writable.sh'), 0o755);
    chmodSync(join(server.dir, 'scripts'), 0o777);
    const again = await run('jobs', 'writable');
    chmodSync(join(server.dir, 'scripts'), 0o755);
    expect(again.error).toBe('script scripts/writable.sh is not run: scripts is writable by every user (chmod o-w scripts)');
    expect(existsSync(join(server.dataDir, 'writable-ran'))).toBe(false);
    expect((await run('jobs', 'writable')).state).toBe('succeeded');
  });

  it("refuses another user's script in a folder every user may write, even with the sticky bit", async () => {
    const shared = join(server.dir, 'scripts/shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    writeFileSync(join(shared, 'theirs.sh'), `#!/usr/bin/env bash\necho ran > "$SWITCHYARD_DATA_DIR/theirs-ran"\n`, { mode: 0o755 });
    chownSync(join(shared, 'theirs.sh'), 4321, 4321);
    const r = await run('jobs', 'shared');
    expect(r.error).toBe('script scripts/shared/theirs.sh is not run: scripts/shared/theirs.sh lies in scripts/shared, which every user may write, and belongs to another user (uid 4321)');
    expect(existsSync(join(server.dataDir, 'theirs-ran'))).toBe(false);
  });

  it('starts a script whose values are too large for the environment, passing them in the values file', async () => {
    const editor = new Client(server.url);
    await editor.login('ed', 'ed-password');
    const rev = revisionOf(await (await editor.get('/page/big')).text());
    // 80 values of 10,000 three-byte characters: 2.4 MB, past what Linux takes as an environment.
    const form: Record<string, string> = { _revision: rev };
    for (const n of BIG_PARAMS) form[n] = '€'.repeat(10_000);
    expect((await editor.post('/page/big', form)).status).toBe(303);
    const r = await run('big', 'env');
    expect(r.state).toBe('succeeded');
    const text = await log(r.id);
    expect(text).toContain('file=80');
    expect(text).toContain('p01=10000');
    expect(text).toMatch(/omitted=p09,p10,.*,p80/);
    expect(text).toContain('too large for environment variables (over 32 KiB each or 256 KiB together); read them from $SWITCHYARD_PARAMS_FILE');
  });

  it('checks the outputs again on the runner, whatever the app hands it', async () => {
    // A run as an app of another version (or a database edited by hand) might hand out.
    const { rows } = await server.db().execute({
      sql: `INSERT INTO runs (page_slug, button_name, state, params, config_revision, script_path, status_file, report_path, requested_by, created_at)
            VALUES ('jobs', 'ok', 'queued', '{}', 'x', 'scripts/ok.sh', 'app_data/switchyard.db', 'app_data/reports/x.log', 'olga', ?) RETURNING id`,
      args: [new Date().toISOString()],
    });
    const r = await waitForEnd(c, Number(rows[0]!.id));
    expect(r.state).toBe('failed');
    expect(r.error).toBe("status_file app_data/switchyard.db is not inside app_data/status/; the rest of app_data/ is Switchyard's own");
    expect(dbHeader(server)).toBe(SQLITE_MAGIC);
  });

  it('refuses to overwrite an SQLite database found where an output should be', async () => {
    mkdirSync(join(server.dataDir, 'status'), { recursive: true });
    linkSync(join(server.dataDir, 'switchyard.db'), join(server.dataDir, 'status/ok.json.db'));
    const { rows } = await server.db().execute({
      sql: `INSERT INTO runs (page_slug, button_name, state, params, config_revision, script_path, status_file, report_path, requested_by, created_at)
            VALUES ('jobs', 'ok', 'queued', '{}', 'x', 'scripts/ok.sh', 'app_data/status/ok.json.db', 'app_data/reports/x.log', 'olga', ?) RETURNING id`,
      args: [new Date().toISOString()],
    });
    const r = await waitForEnd(c, Number(rows[0]!.id));
    rmSync(join(server.dataDir, 'status/ok.json.db'));
    expect(r.error).toBe('status_file app_data/status/ok.json.db is an SQLite database; refusing to overwrite it');
    expect(dbHeader(server)).toBe(SQLITE_MAGIC);
  });
});

describe("Switchyard's own files", () => {
  it('refuses to start when a button would write over its database', async () => {
    const config = CONFIG.replace('app_data/status/ok.json', 'app_data/switchyard.db-wal');
    await expect(startServer({ config })).rejects.toThrow(
      "pages[0].buttons[0].status_file: must be inside app_data/status/ (the rest of app_data/ holds Switchyard's own database, backups and run files), got \"app_data/switchyard.db-wal\"",
    );
  });

  it('refuses to start with its database among the button outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-db-'));
    try {
      await expect(startServer({ config: CONFIG, env: { SWITCHYARD_DATA_DIR: dir, SWITCHYARD_DB_URL: `file:${join(dir, 'reports/switchyard.db')}` } })).rejects.toThrow(
        `Switchyard cannot start: the database ${join(dir, 'reports/switchyard.db')} lies in ${join(dir, 'reports')}, where button runs write their status files and reports`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
