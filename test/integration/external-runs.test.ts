/**
 * Runs reported from outside, on the built server: a pipeline's calls with a
 * personal token (JSON, a form and plain text), what the run page, the list
 * and the API then show, the notification event of its end, silence → lost,
 * cancel in the answers, the refusals, and a real bash pipeline reporting
 * through scripts/lib/switchyard-report.sh.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, Client } from '../helpers/client.ts';
import { EXAMPLE_CONFIG, ROOT, startServer, type TestServer } from '../helpers/server.ts';
import { webhookReceiver, type WebhookReceiver } from '../helpers/receivers.ts';

let server: TestServer;
/** Gets every run event by webhook, as a notification target subscribed to them would. */
let hook: WebhookReceiver;
const tokens: Record<string, string> = {};
/** The shortest silence a pipeline may ask for is the runner lease, shortened here so a silent run is lost in seconds. */
const LEASE_S = 4;
/** A button that asks inputs when pressed: a required one, a bounded number, a multiselect. */
const DEPLOY_PAGE = `
  - slug: ops
    title: Ops
    buttons:
      - name: deploy
        label: Deploy
        script_path: scripts/deploy.sh
        status_file: app_data/status/deploy.json
        report_path: app_data/reports/deploy.log
        inputs:
          - {name: ticket, type: text, required: true}
          - {name: count, type: integer, min: 1, max: 5, default: 1}
          - {name: regions, type: multiselect, options: [eu, us, asia]}
`;

beforeAll(async () => {
  hook = await webhookReceiver('external-runs-test-key');
  server = await startServer({
    config: `${EXAMPLE_CONFIG}${DEPLOY_PAGE}\nnotify:\n  targets:\n    - name: hook\n      webhook: {url: "${hook.url}", secret_env: HOOK_SECRET}\n      events: [run.succeeded, run.failed, run.cancelled, run.timed_out, run.lost]\n`,
    env: { SWITCHYARD_RUN_LEASE_MS: String(LEASE_S * 1000), HOOK_SECRET: 'external-runs-test-key' },
    users: [
      { name: 'olga', role: 'operator', password: 'olga-password' },
      { name: 'vera', role: 'viewer', password: 'vera-password' },
    ],
  });
  tokens.olga = await apiToken(server.url, 'olga', 'olga-password');
  tokens.vera = await apiToken(server.url, 'vera', 'vera-password');
});
afterAll(async () => {
  await server?.stop();
  await hook?.close();
});

interface RunJson { id: number; inputs?: Record<string, unknown>; state: string; external: boolean; exit_code: number | null; progress: number | null; message: string | null; error: string | null; requested_by: string; log: { lines: number }; report: { type: string } | null; params: Record<string, unknown> }
interface Answer { status: number; body: { id?: number; url?: string; error?: string; stored?: number; cancel_requested?: boolean; run?: RunJson } }

/** A call with exactly this body and type (JSON when an object is given). */
async function call(path: string, body?: unknown, type = 'application/json', token = tokens.olga!): Promise<Answer> {
  const raw = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(`${server.url}/api/v1/${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...(raw === undefined ? {} : { 'content-type': type }) },
    body: raw === undefined ? undefined : new TextEncoder().encode(raw),
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

const create = async (body?: unknown) => {
  const a = await call('pages/database-backup/buttons/run_backup/external-runs', body);
  expect(a.status, JSON.stringify(a.body)).toBe(201);
  return a.body.run!;
};
const getRun = async (id: number) => (await (await fetch(`${server.url}/api/v1/runs/${id}`, { headers: { authorization: `Bearer ${tokens.olga}` } })).json()) as RunJson;
const logText = async (id: number) => (await fetch(`${server.url}/api/v1/runs/${id}/log`, { headers: { authorization: `Bearer ${tokens.olga}` } })).text();
/** The run events a notification target got for this run: waits for the first, then a little for any other. */
async function eventsOf(id: number): Promise<string[]> {
  const got = () => hook.received.map((r) => JSON.parse(r.body) as { type: string; data: { run?: { id: number } } }).filter((b) => b.data.run?.id === id);
  for (let i = 0; i < 400 && got().length === 0; i++) await new Promise((r) => setTimeout(r, 25));
  await new Promise((r) => setTimeout(r, 200));
  expect(hook.received.every((r) => r.verified)).toBe(true);
  return got().map((b) => b.type);
}

describe('a run reported from outside', () => {
  it('is created running for the token’s user with the page’s values, audited as external', async () => {
    const a = await call('pages/data-processing/buttons/start_processing/external-runs');
    expect(a.status).toBe(201);
    expect(a.body).toMatchObject({ id: expect.any(Number), url: `/runs/${a.body.id}`, cancel_requested: false });
    const { values } = (await (await fetch(`${server.url}/api/v1/pages/data-processing`, { headers: { authorization: `Bearer ${tokens.olga}` } })).json()) as { values: object };
    expect(Object.keys(values).length).toBeGreaterThan(0);
    expect(a.body.run).toMatchObject({ state: 'running', external: true, requested_by: 'olga', params: values });
    const { rows } = await server.db().execute({ sql: "SELECT detail FROM audit_log WHERE action = 'run_started' AND json_extract(detail, '$.run') = ?", args: [a.body.id!] });
    expect(JSON.parse(String(rows[0]!.detail))).toMatchObject({ external: true, page: 'data-processing', button: 'start_processing' });
  });

  it('takes log lines as JSON and as text, progress as a form, and the finish with a report; the API, pages and notifications show it', async () => {
    const run = await create({ silence_s: 600 });
    expect((await call(`runs/${run.id}/log`, { lines: [{ text: 'from json' }, { text: 'warn "quoted" ✓', stream: 'stderr' }] })).body).toMatchObject({ stored: 2, cancel_requested: false });
    expect((await call(`runs/${run.id}/log?stream=stderr`, 'plain one\nplain two — ü\n', 'text/plain; charset=utf-8')).body).toMatchObject({ stored: 2 });
    const progress = await call(`runs/${run.id}/progress`, 'progress=60&message=half+way+%26+more', 'application/x-www-form-urlencoded');
    expect(progress.body.run).toMatchObject({ progress: 60, message: 'half way & more' });
    const done = await call(`runs/${run.id}/finish`, { exit_code: 0, report: { type: 'html', body: '<h1>All good</h1>' } });
    expect(done.status).toBe(200);
    expect(done.body.run).toMatchObject({ state: 'succeeded', exit_code: 0, progress: 100, report: { type: 'html' } });

    expect(await getRun(run.id)).toMatchObject({ state: 'succeeded', external: true, log: { lines: 4 } });
    expect(await logText(run.id)).toMatch(/from json[\s\S]*warn "quoted" ✓[\s\S]*plain one[\s\S]*plain two — ü/);
    expect(await eventsOf(run.id)).toEqual(['run.succeeded']);

    const browser = new Client(server.url);
    await browser.login('olga', 'olga-password');
    const page = await (await browser.get(`/runs/${run.id}`)).text();
    expect(page).toContain('data-testid="run-external"');
    expect(page).toMatch(/Reported from outside by a pipeline with <strong>olga<\/strong>/);
    expect(await (await browser.get(`/runs/${run.id}/report`)).text()).toContain('<h1>All good</h1>');
    const list = await (await browser.get('/runs')).text();
    expect(list).toMatch(new RegExp(`data-run="${run.id}"[\\s\\S]*?reported from outside`));
    expect(await (await browser.get('/page/database-backup')).text()).toContain('data-testid="run-external"');
  });

  it('fails on a non-zero exit code, with its notification event', async () => {
    const run = await create();
    const out = await call(`runs/${run.id}/finish`, 'exit_code=2&report_type=text&report=it+broke', 'application/x-www-form-urlencoded');
    expect(out.body.run).toMatchObject({ state: 'failed', exit_code: 2, report: { type: 'text' } });
    expect(await eventsOf(run.id)).toEqual(['run.failed']);
  });

  it('answers a cancel asked on its page in the next report, and may then finish cancelled', async () => {
    const run = await create();
    const cancel = await call(`runs/${run.id}/cancel`);
    expect(cancel.status).toBe(200);
    expect((await call(`runs/${run.id}/progress`, { progress: 20 })).body.cancel_requested).toBe(true);
    expect((await call(`runs/${run.id}/log`, 'still here', 'text/plain')).body.cancel_requested).toBe(true);
    expect((await call(`runs/${run.id}/finish`, { state: 'cancelled', exit_code: 143 })).body.run).toMatchObject({ state: 'cancelled', exit_code: 143 });
    expect(await eventsOf(run.id)).toEqual(['run.cancelled']);
  });

  it('is lost when its pipeline stops reporting, and says so', async () => {
    const run = await create({ silence_s: LEASE_S });
    await call(`runs/${run.id}/progress`, { progress: 5, message: 'then silence' });
    const deadline = Date.now() + 20_000;
    let now = await getRun(run.id);
    while (now.state === 'running' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      now = await getRun(run.id);
    }
    expect(now.state).toBe('lost');
    expect(now.error).toMatch(/^the pipeline reporting it stopped reporting; last heard from at \d{4}-/);
    expect(await eventsOf(run.id)).toEqual(['run.lost']);
    expect((await call(`runs/${run.id}/progress`, { progress: 50 })).status).toBe(409);
  });

  it('takes the button\'s inputs as JSON or as a form, checked like the dialog\'s, and records them with the run', async () => {
    const path = 'pages/ops/buttons/deploy/external-runs';
    const json = await call(path, { inputs: { ticket: 'OPS-12', count: 3, regions: ['eu', 'asia'] } });
    expect(json.status, JSON.stringify(json.body)).toBe(201);
    expect(json.body.run!.inputs).toEqual({ ticket: 'OPS-12', count: 3, regions: ['eu', 'asia'] });
    const form = await call(path, 'input.ticket=OPS-13&input.regions=us%0Aeu', 'application/x-www-form-urlencoded');
    expect(form.status, JSON.stringify(form.body)).toBe(201);
    expect(form.body.run!.inputs).toEqual({ ticket: 'OPS-13', count: 1, regions: ['eu', 'us'] });
    const { rows } = await server.db().execute({ sql: "SELECT detail FROM audit_log WHERE action = 'run_started' AND json_extract(detail, '$.run') = ?", args: [form.body.id!] });
    expect(JSON.parse(String(rows[0]!.detail))).toMatchObject({ external: true, inputs: { ticket: 'OPS-13' } });

    const before = (await server.db().execute('SELECT count(*) AS n FROM runs')).rows[0]!.n;
    const missing = await call(path, { inputs: { count: 9 } });
    expect(missing.status).toBe(422);
    expect(missing.body).toMatchObject({ error: 'Some inputs are not valid; nothing was started.', errors: { ticket: expect.any(String), count: expect.any(String) } });
    expect((await call(path, { inputs: { ticket: 'x', colour: 'red' } })).body).toMatchObject({ errors: { colour: 'not an input of this button (it has ticket, count, regions)' } });
    expect((await call(path, 'input.count=2', 'application/x-www-form-urlencoded')).status).toBe(422);
    expect((await call(path, 'input.ticket=x&input.colour=red', 'application/x-www-form-urlencoded')).body).toMatchObject({ errors: { colour: 'not an input of this button (it has ticket, count, regions)' } });
    expect((await server.db().execute('SELECT count(*) AS n FROM runs')).rows[0]!.n).toBe(before);
  });

  it('refuses clearly: 409 for a run that ended or a runner reports, 422 for bad input, 415 for a type it does not take, 403 without run access', async () => {
    const ended = await create();
    await call(`runs/${ended.id}/finish`, { exit_code: 0 });
    const late = await call(`runs/${ended.id}/log`, { lines: [{ text: 'late' }] });
    expect(late).toEqual({ status: 409, body: { error: `Run ${ended.id} has already ended (succeeded); nothing more can be reported.` } });
    const queued = await call('pages/database-backup/runs/run_backup');
    expect(queued.status).toBe(201);
    expect(await call(`runs/${queued.body.id}/progress`, { progress: 1 })).toMatchObject({ status: 409, body: { error: expect.stringMatching(/was not reported from outside/) } });

    const open = await create();
    for (const [path, body, error] of [
      ['progress', { progress: 150 }, /"progress" must be a number from 0 to 100/],
      ['progress', { progress: 'lots' }, /"progress" must be a number/],
      ['finish', { report: { body: 'x' } }, /"exit_code" is required/],
      ['finish', { exit_code: 1, state: 'exploded' }, /"state" must be one of succeeded, failed, cancelled, timed_out/],
      ['finish', { exit_code: 0, report: { type: 'pdf', body: 'x' } }, /report's type must be "text" or "html"/],
      ['log', { lines: 'one line' }, /"lines" must be a list/],
      ['log', { lines: [{ text: 'x', stream: 'stdin' }] }, /lines\[0\]\.stream must be "stdout" or "stderr"/],
    ] as const) {
      const a = await call(`runs/${open.id}/${path}`, body);
      expect(a.status, `${path} ${JSON.stringify(body)}`).toBe(422);
      expect(a.body.error).toMatch(error);
    }
    expect((await call('pages/database-backup/buttons/run_backup/external-runs', { silence_s: 1 })).body.error).toMatch(/"silence_s" must be a whole number of seconds from 4 to 86400/);
    expect((await call(`runs/${open.id}/log`, 'x\n'.repeat(2001), 'text/plain')).body.error).toMatch(/^at most 2000 lines per call, not 2001/);
    expect((await call(`runs/${open.id}/log`, '<line/>', 'application/xml')).status).toBe(415);
    expect((await call(`runs/${open.id}/progress`, 'progress=1', 'text/plain')).status).toBe(415);
    expect((await call('pages/database-backup/buttons/run_backup/external-runs', {}, 'application/json', tokens.vera)).status).toBe(403);
    expect((await call(`runs/${open.id}/progress`, { progress: 1 }, 'application/json', tokens.vera)).status).toBe(403);
    expect((await call('pages/database-backup/buttons/nope/external-runs')).status).toBe(404);
    expect(await getRun(open.id)).toMatchObject({ state: 'running', progress: null });
  });
});

describe('scripts/lib/switchyard-report.sh', () => {
  const LIB = join(ROOT, 'scripts/lib/switchyard-report.sh');
  const bash = (script: string, url = server.url) =>
    execa('bash', ['-c', script], { cwd: server.dir, env: { PATH: process.env.PATH!, HOME: server.dir, SWITCHYARD_URL: url, SWITCHYARD_TOKEN: tokens.olga!, LIB }, extendEnv: false, reject: false, timeout: 60_000 });

  it('reports a set -e pipeline of three steps, the third failing: its output in the log, the run failed with its exit code', async () => {
    writeFileSync(join(server.dir, 'step-one.sh'), `echo "it's \\"quoted\\" ✓ \\$HOME"\necho 'to stderr' >&2\n`);
    const r = await bash(`set -euo pipefail
. "$LIB"
sy_start database-backup run_backup
sy_step 10 "first: quotes & ü" -- bash step-one.sh
sy_log "a line of its own" "and \\"another\\""
sy_step 50 "second" -- printf 'no newline at the end'
sy_step 90 "third" -- bash -c 'echo failing; exit 3'
echo "not reached"
`);
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stdout).toContain(`it's "quoted" ✓ $HOME`);
    expect(r.stdout).not.toContain('not reached');
    expect(r.stderr).toContain('to stderr');
    const id = Number(/reporting as run (\d+)/.exec(r.stderr)![1]);
    const run = await getRun(id);
    expect(run).toMatchObject({ state: 'failed', exit_code: 3, external: true, progress: 90, message: 'third' });
    // The downloaded log: time, stream (six letters), text.
    const lines = (await logText(id)).trimEnd().split('\n').map((l) => /^\S+ (\S{6}) (.*)$/.exec(l)!.slice(1));
    // Each stream in order; the two are sent apart, so their order against each other is not kept.
    const stream = (name: string) => lines.filter(([s]) => s === name).map(([, text]) => text);
    expect(stream('stdout')).toEqual([`it's "quoted" ✓ $HOME`, 'a line of its own', 'and "another"', 'no newline at the end', 'failing']);
    expect(stream('stderr')).toEqual(['to stderr', 'step "third" failed with exit code 3']);
    expect(lines.at(-1)).toEqual(['stderr', 'step "third" failed with exit code 3']);
    expect(await eventsOf(id)).toEqual(['run.failed']);
  });

  it('passes the button\'s inputs given to sy_start as NAME=VALUE', async () => {
    const r = await bash(`set -euo pipefail\n. "$LIB"\nsy_start ops deploy ticket="OPS 7 & more" count=2 "regions=eu\nus"\ngrep -o '"ticket":"[^"]*"' "$SY_RUN_JSON" | head -1\nsy_on_exit 'echo cleaned up'\nsy_on_exit 'false'\nsy_finish 0\n`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toBe('"ticket":"OPS 7 & more"\ncleaned up');
    expect(r.stderr).toContain('switchyard-report: at exit, failed: false');
    const id = Number(/reporting as run (\d+)/.exec(r.stderr)![1]);
    expect(await getRun(id)).toMatchObject({ state: 'succeeded', inputs: { ticket: 'OPS 7 & more', count: 2, regions: ['eu', 'us'] } });
  });

  it('stops the pipeline at its next step once a cancel was asked, finishing the run cancelled', async () => {
    const cancel = 'curl -s -o /dev/null -X POST -H "Authorization: Bearer $SWITCHYARD_TOKEN" "$SWITCHYARD_URL/api/v1/runs/$SY_RUN_ID/cancel"';
    const r = await bash(`set -e\n. "$LIB"\nsy_start database-backup run_backup\nsy_step 10 "first" -- echo one\n${cancel}\nsy_progress 40 "told of the cancel here"\nsy_step 50 "never" -- echo never\necho "not reached"\n`);
    expect(r.exitCode, r.stderr).toBe(143);
    expect(r.stdout).toBe('one');
    expect(r.stderr).toMatch(/run \d+ was cancelled on its page; stopping/);
    const id = Number(/reporting as run (\d+)/.exec(r.stderr)![1]);
    expect(await getRun(id)).toMatchObject({ state: 'cancelled', exit_code: 143, message: 'told of the cancel here' });
    expect(await eventsOf(id)).toEqual(['run.cancelled']);
  });

  it('finishes a pipeline that ends on its own with its report, and goes on when Switchyard cannot be reached', async () => {
    writeFileSync(join(server.dir, 'report.html'), '<p>report of the pipeline</p>');
    const ok = await bash(`set -euo pipefail\n. "$LIB"\nsy_start database-backup run_backup\nsy_progress 50 "half"\nseq 1 4500 | sy_log -e -\nsy_finish 0 report.html\necho end`);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toBe('end');
    const id = Number(/reporting as run (\d+)/.exec(ok.stderr)![1]);
    expect(await getRun(id)).toMatchObject({ state: 'succeeded', report: { type: 'html' }, log: { lines: 4500 } });
    expect((await logText(id)).trimEnd().split('\n').at(-1)).toMatch(/ stderr 4500$/);

    const exited = await bash(`set -e\n. "$LIB"\nsy_start database-backup run_backup\nsy_log "then false"\nfalse\n`);
    expect(exited.exitCode).toBe(1);
    expect(await getRun(Number(/reporting as run (\d+)/.exec(exited.stderr)![1]))).toMatchObject({ state: 'failed', exit_code: 1 });

    const away = await bash(`set -euo pipefail\n. "$LIB"\nsy_start database-backup run_backup\nsy_step 50 "works anyway" -- echo fine\nsy_finish 0\necho end`, 'http://127.0.0.1:9');
    expect(away.exitCode, away.stderr).toBe(0);
    expect(away.stdout).toBe('fine\nend');
    expect(away.stderr).toMatch(/switchyard-report: POST pages\/database-backup\/buttons\/run_backup\/external-runs failed/);
  });
});
