/**
 * Runs end to end: the built server, real runner processes, real scripts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, getJson, postJson } from '../helpers/client.ts';
import { FINAL, waitForRun } from '../helpers/runs.ts';
import { startRunner, type TestRunner } from '../helpers/runner.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const CONFIG = `toplevel_title: Runs
pages:
  - slug: jobs
    title: Jobs
    parameters:
      - {name: target, label: Target, type: text, default: "/srv/a b"}
      - {name: workers, label: Workers, type: integer, default: 3}
      - {name: dry_run, label: Dry run, type: boolean, default: true}
    buttons:
      - {name: ok, label: OK, script_path: scripts/ok.sh, status_file: app_data/status/ok.json, report_path: app_data/reports/ok.html}
      - {name: fail, label: Fail, script_path: scripts/fail.sh, status_file: app_data/status/fail.json, report_path: app_data/reports/fail.log}
      - {name: slow, label: Slow, script_path: scripts/slow.sh, status_file: app_data/status/slow.json, report_path: app_data/reports/slow.log}
      - {name: short, label: Short timeout, script_path: scripts/slow.sh, status_file: app_data/status/short.json, report_path: app_data/reports/short.log, timeout: 1}
      - {name: spawns, label: Spawns, script_path: scripts/spawns.sh, status_file: app_data/status/spawns.json, report_path: app_data/reports/spawns.log}
      - {name: leaves, label: Leaves a child, script_path: scripts/leaves.sh, status_file: app_data/status/leaves.json, report_path: app_data/reports/leaves.log}
      - {name: stubborn, label: Ignores TERM, script_path: scripts/stubborn.sh, status_file: app_data/status/stubborn.json, report_path: app_data/reports/stubborn.log}
      - {name: lines, label: Many lines, script_path: scripts/lines.sh, status_file: app_data/status/lines.json, report_path: app_data/reports/lines.log}
      - {name: quick, label: Quick, script_path: scripts/quick.sh, status_file: app_data/status/quick.json, report_path: app_data/reports/quick.log}
      - {name: missing, label: Missing, script_path: scripts/nope.sh, status_file: app_data/status/nope.json, report_path: app_data/reports/nope.log}
      - {name: progress_last, label: Progress last, script_path: scripts/progress-last.sh, status_file: app_data/status/progress-last.json, report_path: app_data/reports/progress-last.log}
      - {name: noexec, label: Not executable, script_path: scripts/noexec.txt, status_file: app_data/status/noexec.json, report_path: app_data/reports/noexec.log}
`;

const SCRIPTS: Record<string, string> = {
  'scripts/ok.sh': `#!/usr/bin/env bash
set -eu
echo "target=$SWITCHYARD_PARAM_TARGET workers=$SWITCHYARD_PARAM_WORKERS dry_run=$SWITCHYARD_PARAM_DRY_RUN run=$SWITCHYARD_RUN_ID"
echo "params: $(tr -d ' \\n' < "$SWITCHYARD_PARAMS_FILE")"
echo "cwd: $PWD"
echo "started by: $SWITCHYARD_PAGE/$SWITCHYARD_BUTTON"
echo "lib: $(test -f "$SWITCHYARD_LIB/switchyard.sh" && echo found) node: $("$SWITCHYARD_NODE" -p 'process.versions.node.split(".")[0] >= 24')"
echo "token: \${SWITCHYARD_RUNNER_TOKEN:-hidden}"
for p in 25 50 75; do
  printf '{"progress": %s, "message": "at %s"}' $p $p > "$SWITCHYARD_STATUS_FILE.tmp"; mv "$SWITCHYARD_STATUS_FILE.tmp" "$SWITCHYARD_STATUS_FILE"
  sleep 0.15
done
echo "<h1>Report for run $SWITCHYARD_RUN_ID</h1><script>alert(1)</script>" > "$SWITCHYARD_REPORT_PATH"
echo done
`,
  'scripts/fail.sh': '#!/usr/bin/env bash\necho "about to fail" >&2\nexit 3\n',
  'scripts/slow.sh': '#!/usr/bin/env bash\nfor i in $(seq 1 600); do echo "tick $i"; sleep 0.1; done\n',
  'scripts/spawns.sh': `#!/usr/bin/env bash
sleep 300 & echo $! >> "$SWITCHYARD_DATA_DIR/spawned.pids"
( sleep 300 & echo $! >> "$SWITCHYARD_DATA_DIR/spawned.pids"; wait ) &
echo $! >> "$SWITCHYARD_DATA_DIR/spawned.pids"
echo "children started"
wait
`,
  'scripts/leaves.sh': `#!/usr/bin/env bash
sleep 300 & echo $! > "$SWITCHYARD_DATA_DIR/left.pid"
echo "leaving a child behind"
exit 0
`,
  'scripts/stubborn.sh': `#!/usr/bin/env bash
trap 'echo "ignoring TERM"' TERM
echo "started"
while true; do sleep 0.1; done
`,
  'scripts/lines.sh': '#!/usr/bin/env bash\nfor i in $(seq 1 ${LINES_COUNT:-300}); do echo "line $i"; sleep ${LINES_PAUSE:-0.01}; done\n',
  'scripts/quick.sh': '#!/usr/bin/env bash\necho "$SWITCHYARD_RUN_ID" >> "$SWITCHYARD_DATA_DIR/executed.log"\n',
  'scripts/noexec.txt': 'echo hi\n',
  // Its last event is a progress update, not a log line (as the reference processing script's is).
  'scripts/progress-last.sh': `#!/usr/bin/env bash
echo "working"
printf '{"progress": 100, "message": "all done"}' > "$SWITCHYARD_STATUS_FILE.tmp"; mv "$SWITCHYARD_STATUS_FILE.tmp" "$SWITCHYARD_STATUS_FILE"
sleep 0.4
`,
};

type Run = { id: number; state: string; exit_code: number | null; progress: number | null; message: string | null; error: string | null; runner: string | null; log: { lines: number; truncated: boolean }; report: { type: string } | null; cancel_requested_by: string | null; params: Record<string, unknown> };

const waitFor = (c: Client, id: number, states: string[], ms = 15_000) => waitForRun<Run>(c, id, (r) => states.includes(r.state), ms);

async function start(c: Client, button: string): Promise<number> {
  const res = await postJson(c, `/page/jobs/run/${button}`);
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: number }).id;
}

async function logText(c: Client, id: number): Promise<string> {
  return (await c.get(`/runs/${id}/log`)).text();
}

/** Running, as opposed to gone or a zombie waiting to be reaped by whatever adopted it. */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function gone(pids: number[], ms = 3000): Promise<number[]> {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  return pids.filter(alive);
}

const USERS = [
  { name: 'olga', role: 'operator', password: 'olga-password' },
  { name: 'vera', role: 'viewer', password: 'vera-password' },
] as const;

describe('runs with one runner', () => {
  let server: TestServer;
  let runner: TestRunner;
  let c: Client;
  beforeAll(async () => {
    server = await startServer({ config: CONFIG, files: SCRIPTS, users: [...USERS] });
    runner = await startRunner(server, 'r1');
    c = new Client(server.url);
    await c.login('olga', 'olga-password');
  });
  afterAll(async () => {
    await runner?.stop();
    await server?.stop();
  });

  it('runs a script with the page values, forwards progress, keeps the report and the status file', async () => {
    const id = await start(c, 'ok');
    const run = await waitFor(c, id, FINAL);
    expect(run).toMatchObject({ state: 'succeeded', exit_code: 0, progress: 100, runner: 'r1', params: { target: '/srv/a b', workers: 3, dry_run: true } });
    const log = await logText(c, id);
    expect(log).toContain(`target=/srv/a b workers=3 dry_run=true run=${id}`);
    expect(log).toContain('params: {"target":"/srv/ab","workers":3,"dry_run":true}');
    expect(log).toContain(`cwd: ${server.dir}`);
    expect(log).toContain('started by: jobs/ok');
    expect(log).toContain('lib: found node: true');
    expect(log).toContain('token: hidden'); // the runner's token never reaches a script
    const report = await c.get(`/runs/${id}/report`);
    expect(report.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(report.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'");
    expect(await report.text()).toContain(`<h1>Report for run ${id}</h1>`);
    const status = JSON.parse(readFileSync(join(server.dataDir, 'status/ok.json'), 'utf8'));
    expect(status).toMatchObject({ state: 'succeeded', run_id: id, exit_code: 0, progress: 75, message: 'at 75' });
    expect(status.started_at < status.finished_at).toBe(true);
  });

  it('shows the run page with its log, progress and a sandboxed report frame', async () => {
    const id = await start(c, 'ok');
    await waitFor(c, id, FINAL);
    const html = await (await c.get(`/runs/${id}`)).text();
    expect(html).toMatch(/<span class="run-state" data-state="succeeded">succeeded<\/span>/);
    expect(html).toMatch(/<iframe[^>]*sandbox=""[^>]*src="\/runs\/\d+\/report"/);
    expect(html).toContain('>done</li>');
    expect(html).toContain('Run again with the same values');
  });

  it('records a failing script as failed with its exit code and stderr', async () => {
    const id = await start(c, 'fail');
    const run = await waitFor(c, id, FINAL);
    expect(run).toMatchObject({ state: 'failed', exit_code: 3 });
    const log = await logText(c, id);
    expect(log).toMatch(/ stderr about to fail\n/);
    expect(log).toContain('[switchyard runner] script exited with code 3');
  });

  it('fails clearly when the script is missing or not executable', async () => {
    const missing = await waitFor(c, await start(c, 'missing'), FINAL);
    expect(missing).toMatchObject({ state: 'failed', error: 'script not found: scripts/nope.sh' });
    const noexec = await waitFor(c, await start(c, 'noexec'), FINAL);
    expect(noexec).toMatchObject({ state: 'failed', error: 'script is not executable: scripts/noexec.txt (chmod +x it)' });
  });

  it('cancels a running script: a state, not an error', async () => {
    const id = await start(c, 'slow');
    await waitFor(c, id, ['running']);
    const res = await postJson(c, `/runs/${id}/cancel`);
    expect(res.status).toBe(200);
    const run = await waitFor(c, id, FINAL);
    expect(run).toMatchObject({ state: 'cancelled', cancel_requested_by: 'olga', error: null });
    expect(await logText(c, id)).toContain('[switchyard runner] stopped on request');
    expect((await postJson(c, `/runs/${id}/cancel`)).status).toBe(409);
  });

  it('cancels a queued run at once', async () => {
    await runner.stop();
    try {
      const id = await start(c, 'quick');
      const res = await postJson(c, `/runs/${id}/cancel`);
      expect(await res.json()).toMatchObject({ state: 'cancelled', error: null, message: 'Cancelled by olga before a runner picked it up' });
      // Each written in the same transaction as the run's own row.
      const { rows } = await server.db().execute({ sql: "SELECT action, username, detail FROM audit_log WHERE action IN ('run_started', 'run_cancelled') AND json_extract(detail, '$.run') = ? ORDER BY id", args: [id] });
      expect(rows.map((r) => [r.action, r.username])).toEqual([['run_started', 'olga'], ['run_cancelled', 'olga']]);
    } finally {
      runner = await startRunner(server, 'r1b');
    }
  });

  it('stops a script at its timeout, as timed_out', async () => {
    const id = await start(c, 'short');
    const run = await waitFor(c, id, FINAL);
    expect(run.state).toBe('timed_out');
    expect(await logText(c, id)).toContain("[switchyard runner] stopped after the button's timeout of 1 s");
  });

  it('ends the whole process tree on cancel', async () => {
    const id = await start(c, 'spawns');
    const pidFile = join(server.dataDir, 'spawned.pids');
    await waitFor(c, id, ['running']);
    const deadline = Date.now() + 5000;
    while (!(existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim().split('\n').length >= 3) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const pids = readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    expect(pids.every(alive)).toBe(true);
    await postJson(c, `/runs/${id}/cancel`);
    await waitFor(c, id, FINAL);
    expect(await gone(pids)).toEqual([]);
  });

  it('leaves nothing running after a script that exits with children in the background', async () => {
    const id = await start(c, 'leaves');
    expect((await waitFor(c, id, FINAL)).state).toBe('succeeded');
    const pid = Number(readFileSync(join(server.dataDir, 'left.pid'), 'utf8'));
    expect(await gone([pid])).toEqual([]);
  });

  it('kills a script that ignores SIGTERM after the grace period', async () => {
    const id = await start(c, 'stubborn');
    await waitFor(c, id, ['running']);
    await new Promise((r) => setTimeout(r, 300));
    await postJson(c, `/runs/${id}/cancel`);
    const run = await waitFor(c, id, FINAL, 15_000);
    expect(run.state).toBe('cancelled');
    expect(await logText(c, id)).toContain('ignoring TERM');
  });

  it('streams state and log over SSE, resuming after Last-Event-ID without repeats', async () => {
    const id = await start(c, 'lines');
    const read = async (lastEventId?: number) => {
      const res = await c.get(`/runs/${id}`, { accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': String(lastEventId) } : {}) });
      expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      return res.text(); // the stream ends with the run
    };
    const first = await read();
    expect(first).toMatch(/^retry: 1000\n\nevent: run\n/);
    expect(first.trimEnd().endsWith('event: end\ndata: {}')).toBe(true);
    const lines = [...first.matchAll(/^data: (\{"lines".*)$/gm)].flatMap((m) => (JSON.parse(m[1]!) as { lines: { seq: number; text: string }[] }).lines);
    expect(lines.filter((l) => l.text.startsWith('line ')).map((l) => l.text)).toEqual(Array.from({ length: 300 }, (_, i) => `line ${i + 1}`));
    const again = await read(lines[149]!.seq);
    const rest = [...again.matchAll(/^data: (\{"lines".*)$/gm)].flatMap((m) => (JSON.parse(m[1]!) as { lines: { seq: number }[] }).lines);
    expect(rest[0]!.seq).toBe(lines[150]!.seq);
    expect(rest.length).toBe(lines.length - 150);
  });

  it('ends the event stream of a run whose last event was a progress update', async () => {
    const id = await start(c, 'progress_last');
    const run = await waitFor(c, id, FINAL);
    expect(run).toMatchObject({ state: 'succeeded', message: 'all done' });
    // A stream that never ends is cut by the signal, and the text then lacks the end event.
    const res = await fetch(`${server.url}/runs/${id}`, { headers: { cookie: c.cookieHeader(), accept: 'text/event-stream' }, signal: AbortSignal.timeout(8000) });
    const text = await res.text().catch(() => 'cut off: the stream did not end');
    expect(text).toContain('"text":"working"');
    expect(text.trimEnd().endsWith('event: end\ndata: {}')).toBe(true);
  });

  it('re-runs with the same values', async () => {
    const first = await start(c, 'ok');
    await waitFor(c, first, FINAL);
    const res = await postJson(c, `/runs/${first}/rerun`);
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: number };
    const run = await waitFor(c, id, FINAL);
    expect(run).toMatchObject({ state: 'succeeded', rerun_of: first });
  });

  it('lists runs with filters', async () => {
    const html = await (await c.get('/runs?state=failed')).text();
    const rows = [...html.matchAll(/data-run="(\d+)"/g)];
    expect(rows.length).toBeGreaterThanOrEqual(3);
    expect(html).not.toContain('data-state="succeeded"');
    expect(await (await c.get('/runs?user=nobody')).text()).toContain('No runs match.');
  });

  it('lets only operators and above start, cancel or re-run; viewers still see runs', async () => {
    const viewer = new Client(server.url);
    await viewer.login('vera', 'vera-password');
    const res = await postJson(viewer, '/page/jobs/run/quick');
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'Your role (viewer) may not run these tasks; operators, editors and admins may.' });
    expect((await postJson(new Client(server.url), '/page/jobs/run/quick')).status).toBe(401);
    const { id } = await getJson<{ runs?: unknown; id: number }>(c, '/runs/1');
    expect((await postJson(viewer, `/runs/${id}/rerun`)).status).toBe(403);
    expect((await getJson<Run>(viewer, `/runs/${id}`)).id).toBe(id);
    expect((await postJson(c, '/page/jobs/run/no_such_button')).status).toBe(404);
  });
});

describe('the runner API', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ config: CONFIG, files: SCRIPTS });
  });
  afterAll(() => server?.stop());

  const call = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/api/runner/${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'switchyard-protocol': '1', ...headers } });

  it('refuses unknown tokens, other protocol versions and malformed bodies with clear errors', async () => {
    expect(await (await call('claim', { hostname: 'h', version: '1', wait_ms: 0 }, { authorization: 'Bearer syr_nope' })).json()).toEqual({ error: 'unknown or revoked runner token' });
    const r = await startRunner(server, 'api');
    await r.stop();
    const token = await (await import('../helpers/runner.ts')).runnerToken(server, 'api2');
    const auth = { authorization: `Bearer ${token}` };
    const v = await call('claim', {}, { ...auth, 'switchyard-protocol': '9' });
    expect(v.status).toBe(400);
    expect(((await v.json()) as { error: string }).error).toBe("this app speaks runner protocol 1 and 2; the runner sent 9: install the runner of this app's version");
    const bad = await call('claim', { hostname: 'h', wait_ms: 99999999 }, auth);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/^invalid body: /);
    expect((await call('runs/999/events', { lease: 'x'.repeat(20), events: [] }, auth)).status).toBe(409);
    expect((await call('claim', { hostname: 'h', version: '1', wait_ms: 0 }, auth)).status).toBe(204);
  });
});
