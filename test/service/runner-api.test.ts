/**
 * The runner API handler driven with plain Requests on an app in this
 * process: what a runner sees on the wire, without a server or a runner.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PROTOCOL_HEADER, PROTOCOL_VERSION, RUNNER_TIME_HEADER, type RunAssignment } from '../../src/protocol/index.ts';
import { getRun, runLog } from '../../src/server/runs/read.ts';
import { handleRunnerApi } from '../../src/web/runner-api.ts';
import { addRunner, inProcessApp, queueRun, type TestApp } from '../helpers/in-process.ts';

let t: TestApp;
let token: string;
beforeEach(async () => {
  t = await inProcessApp();
  ({ token } = await addRunner(t));
});
afterEach(() => t.close());

interface Call {
  body?: unknown;
  headers?: Record<string, string>;
  method?: string;
}

function call(path: string, { body, headers = {}, method = 'POST' }: Call = {}): Promise<Response> {
  const request = new Request(`http://app.test/api/runner/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, [PROTOCOL_HEADER]: PROTOCOL_VERSION, 'content-type': 'application/json', ...headers },
    body: method === 'POST' ? (typeof body === 'string' ? body : JSON.stringify(body ?? {})) : undefined,
  });
  return handleRunnerApi(t.app, request, path);
}

const claimBody = (wait_ms = 0) => ({ hostname: 'box', version: '1.0.0', wait_ms });

async function claimed(): Promise<RunAssignment> {
  await queueRun(t);
  const res = await call('claim', { body: claimBody() });
  expect(res.status).toBe(200);
  return ((await res.json()) as { run: RunAssignment }).run;
}

describe('the runner API, in process', () => {
  it('refuses other methods, protocol versions, tokens, calls and malformed bodies with clear errors', async () => {
    const expectError = async (res: Promise<Response>, status: number, error: RegExp) => {
      const r = await res;
      expect(r.status).toBe(status);
      expect(((await r.json()) as { error: string }).error).toMatch(error);
    };
    await expectError(call('claim', { method: 'GET' }), 405, /^use POST$/);
    await expectError(call('claim', { headers: { [PROTOCOL_HEADER]: '0' } }), 400, /speaks runner protocol 1 and 2; the runner sent 0/);
    await expectError(call('claim', { headers: { authorization: 'Bearer nope' } }), 401, /unknown or revoked runner token/);
    await expectError(call('runs/1/restart'), 404, /no such runner API call: runs\/1\/restart/);
    await expectError(call('claim', { body: '{' }), 400, /body is not valid JSON/);
    await expectError(call('claim', { body: { hostname: 'box' } }), 400, /^invalid body: version: /);
  });

  it('answers a claim with nothing waiting with 204, and one with a run waiting with its assignment', async () => {
    expect((await call('claim', { body: claimBody() })).status).toBe(204);
    const run = await claimed();
    expect(run).toMatchObject({ page: 'database-backup', button: 'run_backup', params: { mode: 'full' } });
    expect(run.started_by).toEqual({ username: 'olivia', role: 'operator', language: null });
  });

  it('sends a runner of protocol 1 nothing its strict schema would refuse', async () => {
    await queueRun(t);
    const res = await call('claim', { body: claimBody(), headers: { [PROTOCOL_HEADER]: '1' } });
    const { run } = (await res.json()) as { run: Record<string, unknown> };
    expect(Object.keys(run).sort()).toEqual(['button', 'id', 'lease', 'page', 'params', 'report_path', 'script_path', 'status_file', 'timeout_ms']);
  });

  it('wakes a waiting claim as soon as a run is queued', async () => {
    const started = Date.now();
    const waiting = call('claim', { body: claimBody(10_000) });
    setTimeout(() => void queueRun(t), 50);
    expect((await waiting).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('takes events and the end of a claimed run, then refuses the ended run with 409', async () => {
    const { id, lease } = await claimed();
    const line = { seq: 1, type: 'log', at: new Date().toISOString(), stream: 'stdout', text: 'hello' };
    const events = await call(`runs/${id}/events`, { body: { lease, events: [line] } });
    expect(await events.json()).toEqual({ ack: 1, cancel: false });
    const end = { lease, state: 'failed', exit_code: 3, signal: null, finished_at: new Date().toISOString(), error: null, report: null };
    expect(await (await call(`runs/${id}/finish`, { body: end })).json()).toEqual({ ok: true });
    const again = await call(`runs/${id}/events`, { body: { lease, events: [] } });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: `run ${id} is not leased to this runner` });
    expect(await getRun(t.app.db, id)).toMatchObject({ state: 'failed', exitCode: 3, logLines: 1 });
  });

  it('moves the times of a runner whose clock is ahead onto the app clock', async () => {
    const { id, lease } = await claimed();
    const ahead = Date.now() + 3_600_000;
    const line = { seq: 1, type: 'log', at: new Date(ahead).toISOString(), stream: 'stdout', text: 'from the future' };
    await call(`runs/${id}/events`, { body: { lease, events: [line] }, headers: { [RUNNER_TIME_HEADER]: new Date(ahead).toISOString() } });
    const [stored] = await runLog(t.app.db, id);
    expect(Math.abs(Date.parse(stored!.at) - Date.now())).toBeLessThan(5000);
  });
});
