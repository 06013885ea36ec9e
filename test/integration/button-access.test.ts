/**
 * A button's own `access:`, `docs:` and a `confirm:` that names its inputs,
 * on the built server with a real runner. Access is enforced on every way a
 * person starts a run (the page's form, the run address as JSON, the JSON
 * API, a run reported from outside, run again) and on reporting and
 * cancelling, with a 403 that says why and nothing started; the page and the
 * API do not list the button for those who may not run it; its schedule
 * still fires. Without script, a confirm is asked on a review page filled
 * with the values entered (escaped), and only its Confirm starts the run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, Client, postJson, textOf } from '../helpers/client.ts';
import { ended, waitForRun } from '../helpers/runs.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const CONFIG = `toplevel_title: Buttons
pages:
  - slug: ops
    title: Ops
    buttons:
      - name: restore
        label: Restore
        script_path: scripts/echo.sh
        status_file: app_data/status/restore.json
        report_path: app_data/reports/restore.log
        access: {run: admin}
        docs: "Unpacks **one** archive. <script>alert(1)</script>"
        confirm: "Restore {archive} into {target}?"
        inputs:
          - {name: archive, label: Archive, type: text, required: true}
          - {name: target, label: Target, type: text, default: check}
      - name: list
        label: List
        script_path: scripts/echo.sh
        status_file: app_data/status/list.json
        report_path: app_data/reports/list.log
      - name: nightly
        label: Nightly
        script_path: scripts/echo.sh
        status_file: app_data/status/nightly.json
        report_path: app_data/reports/nightly.log
        access: {run: admin}
        schedule: {cron: "*/2 * * * * *", timezone: UTC, overlap: skip}
`;

const SCRIPTS = { 'scripts/echo.sh': '#!/usr/bin/env bash\necho "button=$SWITCHYARD_BUTTON archive=${SWITCHYARD_PARAM_ARCHIVE:-}"\n' };
const REFUSED = 'Your role (operator) may not run this task; admins may.';

describe("a button's access, docs and confirm", () => {
  let server: TestServer;
  let runner: TestRunner;
  const olga = { client: undefined as unknown as Client, token: '' };
  const ada = { client: undefined as unknown as Client, token: '' };
  beforeAll(async () => {
    server = await startServer({
      config: CONFIG, files: SCRIPTS, env: { SWITCHYARD_SCHEDULER: '1' },
      users: [{ name: 'olga', role: 'operator', password: 'olga-password' }, { name: 'ada', role: 'admin', password: 'ada-password' }],
    });
    runner = await startRunner(server, 'plain');
    for (const [who, name] of [[olga, 'olga'], [ada, 'ada']] as const) {
      who.client = new Client(server.url);
      await who.client.login(name, `${name}-password`);
      who.token = await apiToken(server.url, name, `${name}-password`);
    }
  });
  afterAll(async () => {
    await runner?.stop();
    await server?.stop();
  });

  const personRuns = async () => Number((await server.db().execute("SELECT count(*) AS n FROM runs WHERE button_name = 'restore'")).rows[0]!.n);
  const api = (token: string, path: string, body: unknown = {}) =>
    fetch(`${server.url}/api/v1${path}`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });
  const idOf = (res: Response) => Number(res.headers.get('location')!.split('/').pop());

  it('lists the button, its docs and its run control only for those who may run it', async () => {
    const forOlga = await (await olga.client.get('/page/ops')).text();
    expect(forOlga).not.toContain('data-button="restore"');
    expect(forOlga).not.toContain('/page/ops/run/restore');
    expect(forOlga).toContain('data-testid="run-list"');
    const forAda = await (await ada.client.get('/page/ops')).text();
    expect(forAda).toContain('data-testid="run-restore"');
    // The page docs' renderer and sanitiser: Markdown rendered, HTML only as text.
    expect(forAda).toContain('Unpacks <strong>one</strong> archive.');
    expect(forAda).not.toContain('<script>alert');
    expect(textOf(forAda, 'button-docs-restore')).toContain('<script>alert(1)</script>');
    const buttons = async (token: string) => ((await (await fetch(`${server.url}/api/v1/pages/ops`, { headers: { authorization: `Bearer ${token}` } })).json()) as { buttons: { name: string }[] }).buttons.map((b) => b.name);
    expect(await buttons(olga.token)).toEqual(['list']);
    expect(await buttons(ada.token)).toEqual(['restore', 'list', 'nightly']);
  });

  it('refuses every way an operator could start it with 403 and the reason, starting nothing', async () => {
    const before = await personRuns();
    const form = await olga.client.post('/page/ops/run/restore', { archive: 'a.tar', target: 'check', _confirmed: 'yes' });
    expect(form.status).toBe(403);
    expect(await form.text()).toContain(REFUSED);
    expect((await olga.client.get('/page/ops/run/restore')).status).toBe(403);
    const asJson = await postJson(olga.client, '/page/ops/run/restore', { inputs: { archive: 'a.tar' } });
    expect([asJson.status, await asJson.json()]).toEqual([403, { error: REFUSED }]);
    const viaApi = await api(olga.token, '/pages/ops/runs/restore', { inputs: { archive: 'a.tar' } });
    expect([viaApi.status, await viaApi.json()]).toEqual([403, { error: REFUSED }]);
    const external = await api(olga.token, '/pages/ops/buttons/restore/external-runs', { inputs: { archive: 'a.tar' } });
    expect([external.status, await external.json()]).toEqual([403, { error: REFUSED }]);
    expect(await personRuns()).toBe(before);
    // The button without access of its own stays the page's: operators run it.
    expect((await postJson(olga.client, '/page/ops/run/list')).status).toBe(201);
  });

  it("refuses an operator running again, cancelling or reporting on an admin's run of it", async () => {
    const started = await postJson(ada.client, '/page/ops/run/restore', { inputs: { archive: 'a.tar' } });
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: number };
    const run = await waitForRun<{ state: string }>(ada.client, id, ended);
    expect(run.state).toBe('succeeded');
    const before = await personRuns();
    const again = await postJson(olga.client, `/runs/${id}/rerun`);
    expect([again.status, await again.json()]).toEqual([403, { error: REFUSED }]);
    const againApi = await api(olga.token, `/runs/${id}/rerun`);
    expect(againApi.status).toBe(403);
    expect((await postJson(olga.client, `/runs/${id}/cancel`)).status).toBe(403);
    // The run stays visible (runs follow their page), without the controls she may not use.
    const page = await (await olga.client.get(`/runs/${id}`)).text();
    expect(page).not.toContain(`/runs/${id}/rerun`);

    const outside = await api(ada.token, '/pages/ops/buttons/restore/external-runs', { inputs: { archive: 'b.tar' } });
    expect(outside.status).toBe(201);
    const outsideId = ((await outside.json()) as { id: number }).id;
    const report = await api(olga.token, `/runs/${outsideId}/log`, { lines: [{ text: 'not mine' }] });
    expect([report.status, await report.json()]).toEqual([403, { error: REFUSED }]);
    expect((await api(ada.token, `/runs/${outsideId}/finish`, { exit_code: 0 })).status).toBe(200);
    expect(await personRuns()).toBe(before + 1);
    // An admin may run it again.
    expect((await postJson(ada.client, `/runs/${id}/rerun`)).status).toBe(201);
  });

  it('still fires its schedule: a schedule is not a person', async () => {
    const deadline = Date.now() + 15_000;
    let scheduled = 0;
    while (Date.now() < deadline && scheduled === 0) {
      scheduled = Number((await server.db().execute("SELECT count(*) AS n FROM runs WHERE button_name = 'nightly' AND scheduled_for IS NOT NULL")).rows[0]!.n);
      if (scheduled === 0) await new Promise((r) => setTimeout(r, 250));
    }
    expect(scheduled).toBeGreaterThan(0);
  });

  it('without script, asks the confirm on a page filled with the values entered, escaped, and starts only once confirmed', async () => {
    const before = await personRuns();
    const review = await ada.client.post('/page/ops/run/restore', { archive: 'docs-1.tar', target: '<b>x</b>', _confirmed: '' });
    expect(review.status).toBe(200);
    const html = await review.text();
    expect(html).toContain('Restore docs-1.tar into &lt;b&gt;x&lt;/b&gt;?');
    expect(html).not.toContain('into <b>x</b>');
    expect(await personRuns()).toBe(before);
    // Its form carries the inputs and the confirmation.
    const hidden = Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1], m[2]!.replace(/&lt;/g, '<').replace(/&gt;/g, '>')]));
    expect(hidden).toEqual({ archive: 'docs-1.tar', target: '<b>x</b>', _confirmed: 'yes' });
    const confirmed = await ada.client.post('/page/ops/run/restore', hidden as Record<string, string>);
    expect(confirmed.status).toBe(303);
    const run = await waitForRun<{ state: string; inputs: Record<string, unknown> }>(ada.client, idOf(confirmed), ended);
    expect(run).toMatchObject({ state: 'succeeded', inputs: { archive: 'docs-1.tar', target: '<b>x</b>' } });
    // Inputs that do not pass are refused before any question.
    const refused = await ada.client.post('/page/ops/run/restore', { archive: '', target: 'x', _confirmed: '' });
    expect(refused.status).toBe(422);
    expect(await refused.text()).not.toContain('data-testid="run-review"');
    expect(await personRuns()).toBe(before + 1);
  });

  it('shows the docs on the form page', async () => {
    const html = await (await ada.client.get('/page/ops/run/restore')).text();
    expect(html).toContain('Unpacks <strong>one</strong> archive.');
  });
});
