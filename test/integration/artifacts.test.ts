/**
 * Files a run leaves (its artifacts), end to end with the real built server
 * and a real runner: the script writes into SWITCHYARD_ARTIFACTS_DIR, the
 * runner sends what it may (never a link, a folder, a hidden or odd name, or
 * a file past the bound, each named in the log), and people and tokens
 * download them as attachments: per run, and as the latest of a button, where
 * a failed run's file never replaces the last good one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, Client, getJson, postJson } from '../helpers/client.ts';
import { ended, waitForRun } from '../helpers/runs.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const CONFIG = `toplevel_title: Files
pages:
  - slug: jobs
    title: Jobs
    buttons:
      - name: export
        label: Export
        script_path: scripts/export.sh
        status_file: app_data/status/export.json
        report_path: app_data/reports/export.log
        inputs:
          - {name: fail, type: boolean, default: false}
      - name: pick
        label: Pick
        script_path: scripts/pick.sh
        status_file: app_data/status/pick.json
        report_path: app_data/reports/pick.log
        inputs:
          - {name: choice, label: Choice, type: select, required: true, options_from: {button: export, file: choices.txt}}
      - name: wait
        label: Wait
        script_path: scripts/pick.sh
        status_file: app_data/status/wait.json
        report_path: app_data/reports/wait.log
        inputs:
          - {name: other, label: Other, type: select, options_from: {file: never.txt}}
  - slug: private
    title: Private
    access: {view: admin}
    buttons:
      - {name: export, label: Export, script_path: scripts/export.sh, status_file: app_data/status/private.json, report_path: app_data/reports/private.log}
`;

const SCRIPT = `#!/usr/bin/env bash
set -euo pipefail
cd "$SWITCHYARD_ARTIFACTS_DIR"
printf 'run,value\\n%s,1\\n' "$SWITCHYARD_RUN_ID" > orders.csv
printf '{"run": %s}\\n' "$SWITCHYARD_RUN_ID" > summary.json
printf 'alpha\\nbeta\\n\\nalpha\\n  run-%s  \\n' "$SWITCHYARD_RUN_ID" > choices.txt
ln -s /etc/passwd passwd.txt
mkdir sub && echo inside > sub/file.txt
echo hidden > .hidden
echo odd > "odd name.txt"
truncate -s 17M big.bin
if [ "$SWITCHYARD_PARAM_FAIL" = true ]; then echo "failing on purpose"; exit 3; fi
echo exported
`;

const USERS = [
  { name: 'olga', role: 'operator' as const, password: 'olga-password' },
];

type Run = { id: number; state: string; artifacts: { name: string; size: number; url: string }[] };

describe('files a run leaves', () => {
  let server: TestServer;
  let runner: TestRunner;
  let c: Client;
  let token: string;
  const runs: Run[] = [];

  const start = async (inputs: Record<string, unknown> = {}) => {
    const res = await postJson(c, '/page/jobs/run/export', { inputs });
    expect(res.status).toBe(201);
    return waitForRun<Run>(c, ((await res.json()) as { id: number }).id, ended);
  };
  const bearer = (path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });

  beforeAll(async () => {
    server = await startServer({ config: CONFIG, files: { 'scripts/export.sh': SCRIPT, 'scripts/pick.sh': '#!/usr/bin/env bash\necho "picked ${SWITCHYARD_PARAM_CHOICE:-}"\n' }, users: USERS });
    runner = await startRunner(server, 'files');
    c = new Client(server.url);
    await c.login('olga', 'olga-password');
    token = await apiToken(server.url, 'olga', 'olga-password');
    runs.push(await start());
  }, 60_000);
  afterAll(async () => {
    await runner?.stop();
    await server?.stop();
  });

  it('keeps the plain files a script left, and says in the log why the others are not kept', async () => {
    const [run] = runs;
    expect(run!.state).toBe('succeeded');
    expect(run!.artifacts.map((a) => a.name)).toEqual(['choices.txt', 'orders.csv', 'summary.json']);
    expect(run!.artifacts[1]).toEqual({ name: 'orders.csv', size: `run,value\n${run!.id},1\n`.length, url: `/runs/${run!.id}/artifacts/orders.csv` });
    const log = await (await c.get(`/runs/${run!.id}/log`)).text();
    expect(log).toContain('file passwd.txt is a symbolic link; it is not kept');
    expect(log).toContain('file sub is a folder; only files are kept (pack a folder with tar first); it is not kept');
    expect(log).toContain('file .hidden is not a plain file name');
    expect(log).toContain('file odd name.txt is not a plain file name');
    expect(log).toContain(`file big.bin is 17825792 bytes, over the ${16 * 1024 * 1024} a file may have; it is not kept`);
  });

  it('serves a file as a download to someone who may see the run', async () => {
    const id = runs[0]!.id;
    const res = await c.get(`/runs/${id}/artifacts/orders.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="orders.csv"');
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe(`run,value\n${id},1\n`);
    // The run page lists it.
    const page = await (await c.get(`/runs/${id}`)).text();
    expect(page).toContain(`href="/runs/${id}/artifacts/summary.json"`);
    for (const name of ['passwd.txt', '..%2Fswitchyard.db', 'nothing.csv']) expect((await c.get(`/runs/${id}/artifacts/${name}`)).status).toBe(404);
  });

  it('lists and serves files to a token under /api/v1', async () => {
    const id = runs[0]!.id;
    const list = (await (await bearer(`/api/v1/runs/${id}/artifacts`)).json()) as { artifacts: { name: string; sha256: string; api_url: string }[] };
    expect(list.artifacts.map((a) => a.name)).toEqual(['choices.txt', 'orders.csv', 'summary.json']);
    expect(list.artifacts[2]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    const file = await bearer(list.artifacts[2]!.api_url);
    expect(file.status).toBe(200);
    expect(await file.json()).toEqual({ run: id });
    // Without a token, a script is told how to send one.
    expect((await fetch(`${server.url}/api/v1/runs/${id}/artifacts/summary.json`)).status).toBe(401);
  });

  it('gives the latest good file of a button at a stable address, with a cheap conditional GET', async () => {
    const second = await start();
    const failed = await start({ fail: true });
    runs.push(second, failed);
    expect(failed.state).toBe('failed');
    expect(failed.artifacts.map((a) => a.name)).toEqual(['choices.txt', 'orders.csv', 'summary.json']);
    for (const path of ['/page/jobs/latest/export/orders.csv', '/api/v1/pages/jobs/buttons/export/artifacts/orders.csv']) {
      const res = await bearer(path);
      expect(res.status).toBe(200);
      // The newest succeeded run's, not the failed one after it.
      expect(res.headers.get('x-switchyard-run')).toBe(String(second.id));
      expect(await res.text()).toBe(`run,value\n${second.id},1\n`);
      const again = await bearer(path, { 'if-none-match': res.headers.get('etag')! });
      expect(again.status).toBe(304);
    }
    expect((await bearer('/page/jobs/latest/export/none.csv')).status).toBe(404);
    expect((await bearer('/page/jobs/latest/nobutton/orders.csv')).status).toBe(404);
    // A person who is not logged in is sent to log in; a page they may not see stays closed.
    const browser = await fetch(`${server.url}/page/jobs/latest/export/orders.csv`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(browser.status).toBe(303);
    expect(browser.headers.get('location')).toContain('/login');
    expect([403, 404]).toContain((await bearer('/page/private/latest/export/orders.csv')).status);
  });

  it('shows the files on the run page once the run has ended, as JSON too', async () => {
    const run = await getJson<Run>(c, `/runs/${runs[0]!.id}`);
    expect(run.artifacts.map((a) => a.url)).toEqual([`/runs/${run.id}/artifacts/choices.txt`, `/runs/${run.id}/artifacts/orders.csv`, `/runs/${run.id}/artifacts/summary.json`]);
  });

  it("offers a button input the choices another button's newest good run listed, and checks a start against them", async () => {
    // The newest succeeded run of the export: the failed one after it does not count.
    const newest = runs.filter((r) => r.state === 'succeeded').at(-1)!;
    expect(runs.at(-1)!.state).toBe('failed');
    // The dialog on the page: the listed choices, once each, in their order.
    const html = await (await c.get('/page/jobs')).text();
    const options = [...html.matchAll(/<option value="([^"]*)"/g)].map((m) => m[1]);
    expect(options).toEqual(expect.arrayContaining(['alpha', 'beta', `run-${newest.id}`]));
    expect(options.filter((o) => o === 'alpha')).toHaveLength(1);
    const pick = async (inputs: Record<string, unknown>) => postJson(c, '/page/jobs/run/pick', { inputs });
    const ok = await pick({ choice: 'beta' });
    expect(ok.status).toBe(201);
    expect((await waitForRun<Run>(c, ((await ok.json()) as { id: number }).id, ended)).state).toBe('succeeded');
    const refused = await pick({ choice: 'gamma' });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { errors: Record<string, string> }).errors.choice).toBe(`Choose one of: alpha, beta, run-${newest.id} (got "gamma")`);
    // A list no run has left yet: the dialog says so, and a start with a value is refused in words that say why.
    expect(html).toContain('data-testid="no-choices-other"');
    const early = await postJson(c, '/page/jobs/run/wait', { inputs: { other: 'x' } });
    expect(early.status).toBe(422);
    expect(((await early.json()) as { errors: Record<string, string> }).errors.other).toMatch(/^No choices yet: they come from never\.txt, which no succeeded run has left yet\. Run the button that writes it/);
  });
});
