/**
 * The richer parameter types through the built server and a real runner:
 * a secret reaches the script and nothing else (pages, history, exports,
 * latest values, the API, the run's recorded parameters, the database
 * outside config_history), a multiselect travels as a list, and a hidden
 * required field does not block a save.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Client, getJson, postJson, revisionOf } from '../helpers/client.ts';
import { FINAL, waitForRun } from '../helpers/runs.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const SECRET = 'hunter2-Zq9xK';
const CONFIG = `toplevel_title: Fields
pages:
  - slug: p
    title: P
    parameters:
      - {name: mode, type: select, options: [simple, advanced], default: simple}
      - {name: depth, type: integer, required: true, visible_when: {mode: advanced}}
      - {name: regions, type: multiselect, options: [eu, us, asia]}
      - {name: api_token, type: secret, required: true}
    buttons:
      - {name: show, label: Show, script_path: scripts/show.sh, status_file: app_data/status/show.json, report_path: app_data/reports/show.log}
`;
const SCRIPTS = {
  'scripts/show.sh': `#!/usr/bin/env bash
echo "token=$SWITCHYARD_PARAM_API_TOKEN"
echo "regions=$(echo "$SWITCHYARD_PARAM_REGIONS" | tr '\\n' ',')"
grep -q "\\"api_token\\": \\"$SWITCHYARD_PARAM_API_TOKEN\\"" "$SWITCHYARD_PARAMS_FILE" && echo "the values file has the token"
echo "file: $(tr -d ' \\n' < "$SWITCHYARD_PARAMS_FILE" | grep -o '"regions":\\[[^]]*\\]')"
`,
};

let server: TestServer;
let runner: TestRunner;
let c: Client;
let firstRun = 0;

/** The page form as a browser sends it: one entry per ticked box. */
async function save(fields: [string, string][]): Promise<Response> {
  const html = await (await c.get('/page/p')).text();
  const form = new URLSearchParams([['_revision', revisionOf(html)], ['action', 'save'], ...fields]);
  return c.post('/page/p', form);
}

/** Every text in the database but the saved values themselves. */
async function databaseText(): Promise<string> {
  const db = server.db();
  const tables = (await db.execute(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name != 'config_history'`)).rows.map((r) => String(r.name));
  const dumps = await Promise.all(tables.map(async (t) => `${t}: ${JSON.stringify((await db.execute(`SELECT * FROM "${t}"`)).rows)}`));
  return dumps.join('\n');
}

beforeAll(async () => {
  server = await startServer({ config: CONFIG, files: SCRIPTS, users: [{ name: 'ed', role: 'editor', password: 'ed-password' }] });
  runner = await startRunner(server, 'r1');
  c = new Client(server.url);
  await c.login('ed', 'ed-password');
});
afterAll(async () => {
  await runner?.stop();
  await server?.stop();
});

describe('the richer fields on the built server', () => {
  it('refuses a required secret never set, and saves with a hidden required field left empty', async () => {
    const refused = await save([['mode', 'simple'], ['depth', ''], ['regions', 'eu'], ['api_token', '']]);
    expect(refused.status).toBe(422);
    const html = await refused.text();
    expect(html).toContain('data-error-for="api_token"');
    expect(html).not.toContain('data-error-for="depth"');

    const saved = await save([['mode', 'simple'], ['depth', ''], ['regions', 'eu'], ['regions', 'asia'], ['api_token', SECRET]]);
    expect(saved.status).toBe(303);
    const page = await (await c.get(saved.headers.get('location')!)).text();
    expect(page).toContain('data-secret-state="set"');
    expect(page).toContain('secret set');
    expect(page).not.toContain(SECRET);
  });

  it('keeps the secret when the field is left empty, and shows a shown required field as required', async () => {
    const invalid = await save([['mode', 'advanced'], ['depth', ''], ['regions', 'eu'], ['api_token', '']]);
    expect(invalid.status).toBe(422);
    expect(await invalid.text()).toContain('data-error-for="depth"');
    const saved = await save([['mode', 'advanced'], ['depth', '3'], ['regions', 'us'], ['regions', 'eu'], ['api_token', '']]);
    expect(saved.status).toBe(303);
    const api = await getJson<{ values: Record<string, unknown> }>(c, '/api/v1/pages/p');
    expect(api.values).toEqual({ mode: 'advanced', depth: 3, regions: ['eu', 'us'], api_token: '(set)' });
  });

  it('leaves the secret out of latest values, exports and the history', async () => {
    const json = await getJson<{ values: Record<string, unknown> }>(c, '/page/p/latest.json');
    expect(json.values).toEqual({ mode: 'advanced', depth: 3, regions: ['eu', 'us'] });
    const yaml = await (await c.get('/page/p/latest.yaml')).text();
    expect(parse(yaml)).toEqual({ mode: 'advanced', depth: 3, regions: ['eu', 'us'] });
    const exported = await c.post('/page/p/export', new URLSearchParams([['mode', 'simple'], ['regions', 'asia'], ['api_token', 'typed-not-saved']]));
    expect(exported.status).toBe(200);
    expect(parse(await exported.text())).toEqual({ mode: 'simple', depth: null, regions: ['asia'] });
    const history = await (await c.get('/page/p/history')).text();
    expect(history).toContain('secret set');
    expect(history).not.toContain(SECRET);
    const entries = await (await c.get('/api/v1/pages/p/history')).text();
    expect(entries).not.toContain(SECRET);
    expect(entries).toContain('"api_token":"(set)"');
  });

  it('hands the real secret and the list to the script, and records them masked', async () => {
    const res = await postJson(c, '/page/p/run/show');
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: number };
    firstRun = id;
    const run = await waitForRun<{ state: string; params: Record<string, unknown> }>(c, id, (r) => FINAL.includes(r.state));
    expect(run.state).toBe('succeeded');
    expect(run.params).toEqual({ mode: 'advanced', depth: 3, regions: ['eu', 'us'], api_token: '(set)' });
    const log = await (await c.get(`/runs/${id}/log`)).text();
    expect(log).toContain(`token=${SECRET}`);
    expect(log).toContain('regions=eu,us,');
    expect(log).toContain('the values file has the token');
    expect(log).toContain('file: "regions":["eu","us"]');
    // The run page shows the log (this script prints the secret on purpose), and the values masked.
    const runPage = await (await c.get(`/runs/${id}`, { accept: 'text/html' })).text();
    const given = runPage.slice(runPage.indexOf('id="params-title"'));
    expect(given).toContain('<dt class="font-mono muted">api_token</dt><dd class="font-mono">(set)</dd>');
    expect(given).not.toContain(SECRET);
    // Once the run ended, only the saved values hold the secret (and the script's own log, which it chose to print).
    const rest = (await databaseText()).replaceAll(`token=${SECRET}`, '');
    expect(rest.split('\n').filter((t) => t.includes(SECRET)).map((t) => t.slice(0, t.indexOf(':')))).toEqual([]);
  });

  it('re-runs with the current secret: the earlier one was never kept', async () => {
    expect((await save([['mode', 'advanced'], ['depth', '3'], ['regions', 'eu'], ['api_token', 'second-token']])).status).toBe(303);
    const res = await postJson(c, `/runs/${firstRun}/rerun`);
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: number };
    const run = await waitForRun<{ state: string; params: Record<string, unknown> }>(c, id, (r) => FINAL.includes(r.state));
    // The values of the run it repeats, the secret as it is now.
    expect(run.params).toEqual({ mode: 'advanced', depth: 3, regions: ['eu', 'us'], api_token: '(set)' });
    expect(await (await c.get(`/runs/${id}/log`)).text()).toContain('token=second-token');
  });
});
