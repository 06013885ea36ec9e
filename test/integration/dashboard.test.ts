/**
 * The dashboard and the runs list's search, date range and downloads on the
 * built server with a real runner: what each person sees follows the pages
 * they may see, in the page, the CSV, the JSON download and the API alike.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, getJson, postJson } from '../helpers/client.ts';
import { FINAL, waitForRun } from '../helpers/runs.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const CONFIG = `toplevel_title: Board
pages:
  - slug: jobs
    title: Jobs
    buttons:
      - {name: ok, label: OK, script_path: scripts/ok.sh, status_file: app_data/status/ok.json, report_path: app_data/reports/ok.log}
      - {name: fail, label: Fail, script_path: scripts/fail.sh, status_file: app_data/status/fail.json, report_path: app_data/reports/fail.log}
  - slug: secret
    title: Secret
    access: {view: admin, run: admin}
    buttons:
      - {name: hidden, label: Hidden, script_path: scripts/ok.sh, status_file: app_data/status/hidden.json, report_path: app_data/reports/hidden.log}
`;
const SCRIPTS = {
  'scripts/ok.sh': '#!/usr/bin/env bash\necho "copied =cmd|calc and the zebra"\n',
  'scripts/fail.sh': '#!/usr/bin/env bash\necho "checksum mismatch" >&2\nexit 3\n',
};
const USERS = [
  { name: 'ada', role: 'admin', password: 'ada-password' },
  { name: 'olga', role: 'operator', password: 'olga-password' },
] as const;

describe('dashboard and runs list', () => {
  let server: TestServer;
  let runner: TestRunner;
  const admin = () => new Client(server.url);
  let ada: Client;
  let olga: Client;
  const ids: Record<string, number> = {};

  async function run(c: Client, page: string, button: string) {
    const res = await postJson(c, `/page/${page}/run/${button}`);
    const { id } = (await res.json()) as { id: number };
    await waitForRun(c, id, (r) => FINAL.includes(r.state));
    return id;
  }

  beforeAll(async () => {
    server = await startServer({ config: CONFIG, files: SCRIPTS, users: [...USERS] });
    runner = await startRunner(server, 'r1');
    ada = admin();
    olga = new Client(server.url);
    await ada.login('ada', 'ada-password');
    await olga.login('olga', 'olga-password');
    ids.ok = await run(olga, 'jobs', 'ok');
    ids.fail = await run(olga, 'jobs', 'fail');
    ids.hidden = await run(ada, 'secret', 'hidden');
  });
  afterAll(async () => {
    await runner?.stop();
    await server?.stop();
  });

  it('shows failures, buttons with their latest run and durations, and runners, only of visible pages', async () => {
    const html = await (await olga.get('/dashboard')).text();
    expect(html).toContain('data-testid="dashboard"');
    expect(html).toMatch(new RegExp(`data-testid="failures"[\\s\\S]*data-run="${ids.fail}"`));
    expect(html).toContain('data-button="jobs/ok"');
    expect(html).toContain('data-duration-chart=');
    expect(html).toContain('data-testid="durations-table"');
    expect(html).not.toContain('Secret');
    expect(html).not.toContain('data-button="secret/hidden"');
    expect(await (await ada.get('/dashboard')).text()).toContain('data-button="secret/hidden"');
    expect((await new Client(server.url).get('/dashboard')).headers.get('location')).toMatch(/^\/login/);
  });

  it('finds runs by words of their log and by date, in the page and the API', async () => {
    const page = await (await olga.get('/runs?q=checksum')).text();
    expect(page).toContain(`data-run="${ids.fail}"`);
    expect(page).not.toContain(`data-run="${ids.ok}"`);
    const api = await getJson<{ runs: { id: number }[] }>(olga, '/api/v1/runs?q=zebra');
    expect(api.runs.map((r) => r.id)).toEqual([ids.ok]);
    const old = await getJson<{ runs: unknown[] }>(olga, '/api/v1/runs?from=2000-01-01&to=2000-01-31');
    expect(old.runs).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    expect((await getJson<{ runs: unknown[] }>(olga, `/api/v1/runs?from=${today}&to=${today}`)).runs).toHaveLength(2);
  });

  it('downloads the list as CSV and JSON with the same filters and access', async () => {
    const csv = await olga.get('/runs/export.csv');
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="runs-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines[0]).toBe('id,page,button,state,requested_by,scheduled_for,created_at,started_at,finished_at,duration_s,exit_code,runner,external,error');
    expect(lines.slice(1).map((l) => Number(l.split(',')[0]))).toEqual([ids.fail, ids.ok]);
    const json = (await (await olga.get('/runs/export.json?state=failed')).json()) as { runs: { id: number }[]; more: boolean };
    expect(json).toMatchObject({ more: false, runs: [{ id: ids.fail }] });
    const all = (await (await ada.get('/runs/export.json')).json()) as { runs: { id: number }[] };
    expect(all.runs.map((r) => r.id)).toEqual([ids.hidden, ids.fail, ids.ok]);
    expect((await new Client(server.url).get('/runs/export.csv')).status).toBe(303);
  });
});
