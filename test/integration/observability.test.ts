/**
 * /metrics and the log on the built server: who may scrape, what the metrics
 * say after real saves, exports, logins and runs, and a whole session's log
 * (at debug level) searched for every password, token, cookie and outcome key
 * it handled.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, Client, postJson, revisionOf, secretOf } from '../helpers/client.ts';
import { ended, waitForRun } from '../helpers/runs.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { freePort, ROOT, startServer, testEnv, type TestServer } from '../helpers/server.ts';

const CONFIG = `toplevel_title: Observed
pages:
  - slug: jobs
    title: Jobs
    parameters:
      - {name: note, label: Note, type: text, default: "a"}
    buttons:
      - {name: quick, label: Quick, script_path: scripts/quick.sh, status_file: app_data/status/quick.json, report_path: app_data/reports/quick.txt}
`;

const METRICS_TOKEN = 'metrics-token-0123456789abcdef';
const PASSWORDS = { root: 'root-secret-pass-1', ed: 'ed-secret-pass-22', edNew: 'ed-new-secret-pass-333', wrong: 'wrong-secret-pass-4444' };

/** The value of one series: the sample named `name` whose labels include `labels`; 0 when there is none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-z_:]+)(?:\{(.*)\})? (\S+)$/);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return 0;
}

describe('/metrics behind a trusted proxy, with a token', () => {
  let server: TestServer;
  let runner: TestRunner | undefined;
  const scrape = async (headers: Record<string, string> = {}) => fetch(`${server.url}/metrics`, { headers });
  const metricsText = async () => {
    const res = await scrape();
    expect(res.status).toBe(200);
    return res.text();
  };

  beforeAll(async () => {
    server = await startServer({
      config: CONFIG,
      env: { SWITCHYARD_LOG_LEVEL: 'debug', SWITCHYARD_TRUST_PROXY: '1', SWITCHYARD_METRICS_TOKEN: METRICS_TOKEN },
      users: [
        { name: 'root', role: 'admin', password: PASSWORDS.root },
        { name: 'ed', role: 'editor', password: PASSWORDS.ed },
      ],
      files: { 'scripts/quick.sh': '#!/bin/sh\necho "quick ran"\n' },
    });
  }, 60_000);
  afterAll(async () => {
    await runner?.stop();
    await server?.stop();
  });

  it('answers a loopback client, and elsewhere only with the token (the proxy-seen address decides)', async () => {
    const local = await scrape();
    expect(local.status).toBe(200);
    expect(local.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(local.headers.get('cache-control')).toBe('no-store');

    const remote = await scrape({ 'x-forwarded-for': '203.0.113.9' });
    expect(remote.status).toBe(401);
    expect(remote.headers.get('www-authenticate')).toBe('Bearer');
    expect((await remote.json()).error).toContain('SWITCHYARD_METRICS_TOKEN');
    // A client that puts 127.0.0.1 first does not pass: the proxy appends the address it saw.
    expect((await scrape({ 'x-forwarded-for': '127.0.0.1, 203.0.113.9' })).status).toBe(401);
    expect((await scrape({ 'x-forwarded-for': '203.0.113.9', authorization: `Bearer ${METRICS_TOKEN}` })).status).toBe(200);
    expect((await scrape({ 'x-forwarded-for': '203.0.113.9', authorization: 'Bearer metrics-token-0123456789abcdeX' })).status).toBe(401);
    expect((await scrape({ authorization: 'Bearer not-the-token-at-all-0000' })).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { method: 'POST', body: 'a=1', headers: { origin: server.url, 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(405);
  });

  it('counts saves, exports, logins and runs, and reads runs, runners and the outbox from the database; logs none of the secrets handled', async () => {
    const before = await metricsText();
    for (const name of ['switchyard_http_requests_total', 'switchyard_http_request_duration_seconds', 'switchyard_saves_total', 'switchyard_exports_total', 'switchyard_logins_total',
      'switchyard_runs_ended_total', 'switchyard_run_duration_seconds', 'switchyard_runs', 'switchyard_run_queue_depth', 'switchyard_runners_online', 'switchyard_runners_active',
      'switchyard_git_outbox_pending', 'switchyard_git_outbox_conflicts', 'switchyard_git_outbox_oldest_pending_seconds', 'switchyard_notifications_pending', 'switchyard_notifications_failed', 'switchyard_database_size_bytes', 'switchyard_database_up']) {
      expect(before, name).toContain(`# TYPE ${name} `);
    }
    expect(sample(before, 'switchyard_database_up')).toBe(1);
    expect(sample(before, 'switchyard_database_size_bytes')).toBeGreaterThan(4096);

    // Logins: one refused, then good ones.
    const anon = new Client(server.url);
    expect((await anon.post('/login', { username: 'root', password: PASSWORDS.wrong })).status).toBe(401);
    const root = new Client(server.url);
    await root.login('root', PASSWORDS.root);
    const ed = new Client(server.url);
    await ed.login('ed', PASSWORDS.ed);
    // A password change, an API token, and a runner token shown once behind an outcome key.
    expect([200, 303]).toContain((await ed.post('/account', { action: 'change-password', current: PASSWORDS.ed, password: PASSWORDS.edNew, repeat: PASSWORDS.edNew })).status);
    const token = await apiToken(server.url, 'ed', PASSWORDS.edNew);
    const made = await root.submit('/admin/runners', { action: 'create-runner', name: 'from-admin' });
    const runnerSecret = secretOf(made.html)!;
    const outcomeKey = new URL(made.location!, server.url).searchParams.get('done')!;
    expect(runnerSecret).toMatch(/^syr_/);
    expect(outcomeKey.length).toBeGreaterThan(40);

    // The API with the token, a form save, an export, a run.
    const api = (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}/api/v1/${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const page = (await (await api('GET', 'pages/jobs')).json()) as { revision: number };
    expect((await api('PUT', 'pages/jobs/values', { revision: page.revision, values: { note: 'via api' } })).status).toBe(200);
    const form = await ed.get('/page/jobs');
    expect((await ed.post('/page/jobs', { note: 'via form', _revision: revisionOf(await form.text()) })).status).toBe(303);
    expect((await ed.post('/page/jobs/export', { note: 'exported', filename: 'jobs' })).status).toBe(200);
    const started = await postJson(root, '/page/jobs/run/quick');
    expect(started.status).toBe(201);
    // No runner yet: the run waits, and the database gauges say so.
    const waiting = await metricsText();
    expect(sample(waiting, 'switchyard_runs', { page: 'jobs', button: 'quick', state: 'queued' })).toBe(1);
    expect(sample(waiting, 'switchyard_run_queue_depth')).toBe(1);
    runner = await startRunner(server, 'r1');
    const run = await waitForRun<{ state: string }>(root, ((await started.json()) as { id: number }).id, ended);
    expect(run.state).toBe('succeeded');

    const after = await metricsText();
    const moved = (name: string, labels: Record<string, string> = {}) => sample(after, name, labels) - sample(before, name, labels);
    expect(moved('switchyard_saves_total', { page: 'jobs' })).toBe(2);
    expect(moved('switchyard_exports_total', { page: 'jobs' })).toBe(1);
    expect(moved('switchyard_logins_total', { result: 'failed' })).toBe(1);
    expect(moved('switchyard_logins_total', { result: 'ok' })).toBe(3);
    expect(moved('switchyard_runs_ended_total', { page: 'jobs', button: 'quick', state: 'succeeded' })).toBe(1);
    expect(moved('switchyard_run_duration_seconds_count', { page: 'jobs', button: 'quick', state: 'succeeded' })).toBe(1);
    expect(after).not.toMatch(/^switchyard_runs\{/m); // nothing queued or running any more
    expect(sample(after, 'switchyard_run_queue_depth')).toBe(0);
    expect(sample(after, 'switchyard_runners_online')).toBe(1);
    expect(sample(after, 'switchyard_runners_active')).toBe(2);
    expect(moved('switchyard_http_requests_total', { method: 'POST', route: '/page/[slug]', status: '303' })).toBe(1);
    expect(moved('switchyard_http_requests_total', { method: 'PUT', route: '/api/v1/[...path]', status: '200' })).toBe(1);
    expect(sample(after, 'switchyard_http_request_duration_seconds_count', { method: 'GET', route: '/page/[slug]' })).toBeGreaterThan(0);
    // Bounded labels: patterns, never the paths they matched.
    expect(after).not.toMatch(/route="\/page\/jobs/);

    // The log of all of that: not one secret in it.
    await new Promise((r) => setTimeout(r, 200));
    const log = server.output() + runner.output();
    const secrets = {
      ...PASSWORDS,
      token,
      runnerSecret,
      runnerToken: runner.token,
      outcomeKey,
      outcomeSealKey: outcomeKey.split('.')[1]!,
      metrics: METRICS_TOKEN,
      ...Object.fromEntries([...root.cookies, ...ed.cookies].map(([k, v]) => [`cookie ${k}`, v])),
    };
    for (const [what, value] of Object.entries(secrets)) expect(log.includes(value), `${what} appears in the log`).toBe(false);
    expect(log).not.toContain('done=');

    // One JSON line per request, with the fields an operator filters on.
    const lines = server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests.length).toBeGreaterThan(15);
    for (const r of requests) {
      expect(r).toMatchObject({ level: 30, req_id: expect.any(String), method: expect.any(String), route: expect.any(String), path: expect.any(String), status: expect.any(Number), duration_ms: expect.any(Number), ip: expect.any(String) });
      expect(Date.parse(String(r.time))).not.toBeNaN();
    }
    expect(requests).toContainEqual(expect.objectContaining({ method: 'POST', route: '/page/[slug]', path: '/page/jobs', status: 303, user: 'ed' }));
    expect(requests).toContainEqual(expect.objectContaining({ method: 'PUT', route: '/api/v1/[...path]', status: 200, user: 'ed' }));
    expect(requests).toContainEqual(expect.objectContaining({ method: 'POST', route: '/login', status: 401 }));
    expect(requests.find((r) => r.method === 'POST' && r.route === '/login' && r.status === 401)).not.toHaveProperty('user');
  }, 60_000);

  it('returns a request id, keeps a short safe one it was sent, and logs it', async () => {
    const fresh = await fetch(`${server.url}/login`);
    const id = fresh.headers.get('x-request-id')!;
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await fetch(`${server.url}/favicon.svg`, { headers: { 'x-request-id': 'edge-42.a:b' } })).headers.get('x-request-id')).toBe('edge-42.a:b');
    const unsafe = await fetch(`${server.url}/login`, { headers: { 'x-request-id': 'x" , "user": "root' } });
    expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 100));
    const lines = server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ req_id: id, route: '/login', status: 200 }));
    expect(lines).toContainEqual(expect.objectContaining({ req_id: 'edge-42.a:b', route: '(static)', path: '/favicon.svg' }));
  });
});

describe('/metrics without a trusted proxy or a token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ config: CONFIG });
  }, 60_000);
  afterAll(() => server?.stop());

  it('answers loopback only, and refuses a forwarded request: a proxy on this host must not open it to the world', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200);
    for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
      const res = await fetch(`${server.url}/metrics`, { headers: { [header]: header === 'forwarded' ? 'for=203.0.113.9' : '203.0.113.9' } });
      expect(res.status, header).toBe(403);
      expect((await res.json()).error).toBe('/metrics answers only to this host (loopback). To scrape it from elsewhere, set SWITCHYARD_METRICS_TOKEN on the server and send it as "Authorization: Bearer <token>"');
    }
    // No token configured: a bearer opens nothing.
    expect((await fetch(`${server.url}/metrics`, { headers: { 'x-forwarded-for': '203.0.113.9', authorization: 'Bearer anything-at-all-000000' } })).status).toBe(403);
  });
});

describe('start', () => {
  const start = async (env: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-test-'));
    writeFileSync(join(dir, 'config.yaml'), CONFIG);
    try {
      const c = spawn(process.execPath, [join(ROOT, 'src/cli/start.ts')], { cwd: ROOT, env: testEnv(dir, { PORT: String(await freePort()), ...env }) });
      let output = '';
      c.stdout.on('data', (d) => (output += d));
      c.stderr.on('data', (d) => (output += d));
      const code = await new Promise((r) => c.on('close', r));
      return { code, output };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it('refuses an unknown log level and a weak metrics token, saying what to set', async () => {
    expect(await start({ SWITCHYARD_LOG_LEVEL: 'verbose' })).toEqual({
      code: 1,
      output: 'Switchyard cannot start: SWITCHYARD_LOG_LEVEL is "verbose"; set it to one of fatal, error, warn, info, debug, trace, silent (default info).\n',
    });
    expect(await start({ SWITCHYARD_METRICS_TOKEN: 'secret' })).toEqual({
      code: 1,
      output: 'Switchyard cannot start: SWITCHYARD_METRICS_TOKEN must be 16 to 256 printable characters without spaces (for example: openssl rand -hex 32).\n',
    });
  });
});
