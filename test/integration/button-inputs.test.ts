/**
 * Button inputs and runner labels end to end: the built server, real runner
 * processes and scripts. Inputs are asked by the form (the page's dialog) or
 * the JSON API, refused with reasons before anything starts, reach the script
 * as parameters do and come back on re-run; a button's runs_on: runs wait
 * until a runner with those labels calls in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, Client, getJson, textOf } from '../helpers/client.ts';
import { FINAL, waitForRun } from '../helpers/runs.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const CONFIG = `toplevel_title: Inputs
pages:
  - slug: ops
    title: Ops
    parameters:
      - {name: target, type: text, default: prod}
    buttons:
      - name: deploy
        label: Deploy
        script_path: scripts/echo.sh
        status_file: app_data/status/deploy.json
        report_path: app_data/reports/deploy.log
        inputs:
          - {name: ticket, label: Ticket, type: text, required: true, max_length: 12}
          - {name: count, label: Count, type: integer, min: 1, max: 5, default: 2}
      - name: on_db
        label: On the database host
        script_path: scripts/echo.sh
        status_file: app_data/status/on-db.json
        report_path: app_data/reports/on-db.log
        runs_on: [host=db-1]
`;

const SCRIPTS = {
  'scripts/echo.sh': '#!/usr/bin/env bash\necho "target=$SWITCHYARD_PARAM_TARGET ticket=${SWITCHYARD_PARAM_TICKET:-none} count=${SWITCHYARD_PARAM_COUNT:-none}"\necho "file: $(tr -d \' \\n\' < "$SWITCHYARD_PARAMS_FILE")"\n',
};

type Run = { id: number; state: string; runner: string | null; inputs: Record<string, unknown>; params: Record<string, unknown>; runs_on: string[] | null };

describe('button inputs and runner labels', () => {
  let server: TestServer;
  let runner: TestRunner;
  let labelled: TestRunner | undefined;
  let c: Client;
  let token: string;
  beforeAll(async () => {
    server = await startServer({ config: CONFIG, files: SCRIPTS, users: [{ name: 'olga', role: 'operator', password: 'olga-password' }, { name: 'ada', role: 'admin', password: 'ada-password' }] });
    runner = await startRunner(server, 'plain');
    c = new Client(server.url);
    await c.login('olga', 'olga-password');
    token = await apiToken(server.url, 'olga', 'olga-password');
  });
  afterAll(async () => {
    await labelled?.stop();
    await runner?.stop();
    await server?.stop();
  });

  const log = async (id: number) => (await c.get(`/runs/${id}/log`)).text();
  const runCount = async () => (await getJson<{ runs: unknown[] }>(c, '/api/v1/runs')).runs.length;
  const api = (path: string, body: unknown) =>
    fetch(`${server.url}/api/v1${path}`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } });

  it('the form starts a run with its inputs, which reach the script as parameters do; a re-run uses them again', async () => {
    const res = await c.post('/page/ops/run/deploy', { ticket: 'OPS-7', count: '3' });
    expect(res.status).toBe(303);
    const id = Number(res.headers.get('location')!.split('/').pop());
    const run = await waitForRun<Run>(c, id, (r) => FINAL.includes(r.state));
    expect(run).toMatchObject({ state: 'succeeded', inputs: { ticket: 'OPS-7', count: 3 }, params: { target: 'prod' } });
    expect(await log(id)).toContain('target=prod ticket=OPS-7 count=3');
    expect(await log(id)).toContain('file: {"target":"prod","ticket":"OPS-7","count":3}');
    const page = await (await c.get(`/runs/${id}`)).text();
    expect(textOf(page, 'run-inputs')).toMatch(/ticket\s*OPS-7\s*count\s*3/);

    const again = await c.post(`/runs/${id}/rerun`, {});
    const rerunId = Number(again.headers.get('location')!.split('/').pop());
    expect(await waitForRun<Run>(c, rerunId, (r) => FINAL.includes(r.state))).toMatchObject({ state: 'succeeded', inputs: { ticket: 'OPS-7', count: 3 } });
    expect(await log(rerunId)).toContain('ticket=OPS-7 count=3');
  });

  it('has the form of the inputs as a page of its own, with the defaults', async () => {
    const res = await c.get('/page/ops/run/deploy');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/<form method="post"/);
    expect(html).toMatch(/id="input-deploy-count"[^>]*value="2"|value="2"[^>]*id="input-deploy-count"/);
    expect(textOf(html, 'inputs-refused')).toBeUndefined();
    // Nobody logged in: to the login, nothing started.
    expect((await new Client(server.url).get('/page/ops/run/deploy')).status).toBe(303);
  });

  it('refuses inputs that do not pass with 422 and the reasons, and starts nothing', async () => {
    const before = await runCount();
    const res = await c.post('/page/ops/run/deploy', { ticket: '', count: '9' });
    expect(res.status).toBe(422);
    expect(res.statusText).toBe('Unprocessable Entity');
    const html = await res.text();
    expect(textOf(html, 'inputs-refused')).toMatch(/ticket ?: This field is required\./);
    expect(textOf(html, 'inputs-refused')).toMatch(/count ?: Must be at most 5\./);
    // The form comes back as it was sent.
    expect(html).toMatch(/id="input-deploy-count"[^>]*value="9"|value="9"[^>]*id="input-deploy-count"/);
    const viaApi = await api('/pages/ops/runs/deploy', { inputs: { ticket: 'OPS-8', count: 'three', other: 1 } });
    expect(viaApi.status).toBe(422);
    expect(await viaApi.json()).toEqual({
      error: 'Some inputs are not valid; nothing was started.',
      errors: { other: 'not an input of this button (it has ticket, count)', count: 'expected an integer, got "three"' },
    });
    expect(await runCount()).toBe(before);
  });

  it('the JSON API starts a run with {"inputs": {...}}', async () => {
    const page = await (await fetch(`${server.url}/api/v1/pages/ops`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(page.buttons).toEqual([
      { name: 'deploy', label: 'Deploy', runs_on: null, inputs: [{ name: 'ticket', label: 'Ticket', type: 'text', required: true }, { name: 'count', label: 'Count', type: 'integer', required: false }] },
      { name: 'on_db', label: 'On the database host', runs_on: ['host=db-1'], inputs: [] },
    ]);
    const res = await api('/pages/ops/runs/deploy', { inputs: { ticket: 'OPS-9' } });
    expect(res.status).toBe(201);
    const { id, run } = (await res.json()) as { id: number; run: Run };
    expect(run.inputs).toEqual({ ticket: 'OPS-9', count: 2 });
    await waitForRun<Run>(c, id, (r) => FINAL.includes(r.state));
    expect(await log(id)).toContain('ticket=OPS-9 count=2');
  });

  // Starts two more runners (each with a token made by the real command): slow on a busy machine.
  it('a run of a button with runs_on: waits, saying so, until a runner with its labels calls in', { timeout: 90_000 }, async () => {
    await expect(startRunner(server, 'bad', { SWITCHYARD_RUNNER_LABELS: 'gpu,host=db!1' })).rejects.toThrow('SWITCHYARD_RUNNER_LABELS: "host=db!1" is not a runner label');
    const res = await api('/pages/ops/runs/on_db', {});
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: number };
    const waiting = 'waiting: no runner with label host=db-1 is online';
    expect(textOf(await (await c.get('/page/ops')).text(), 'runner-waiting')).toBe(waiting);
    expect(textOf(await (await c.get(`/runs/${id}`)).text(), 'runner-waiting')).toBe(waiting);
    // The runner without labels is idle and long-polling, yet does not take it.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await getJson<Run>(c, `/runs/${id}`)).state).toBe('queued');

    labelled = await startRunner(server, 'db', { SWITCHYARD_RUNNER_LABELS: 'host=db-1, ssd' });
    expect(await waitForRun<Run>(c, id, (r) => FINAL.includes(r.state))).toMatchObject({ state: 'succeeded', runner: 'db', runs_on: ['host=db-1'] });
    expect(textOf(await (await c.get('/page/ops')).text(), 'runner-waiting')).toBeUndefined();

    const admin = new Client(server.url);
    await admin.login('ada', 'ada-password');
    const runners = await (await admin.get('/admin/runners')).text();
    expect(runners).toMatch(/data-runner="db"[\s\S]*?data-testid="runner-labels"[^>]*>[\s\S]*?host=db-1[\s\S]*?ssd/);
  });
});
