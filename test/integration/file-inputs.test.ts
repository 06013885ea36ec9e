/**
 * A button's file input, end to end with the real built server and a real
 * runner: a file given through the form (multipart) or the JSON API is kept
 * with the run, fetched by the runner into the run's inputs/ folder and handed
 * to the script as a path, byte for byte (a damaged one fails the run before
 * its script starts); refusals keep nothing; a re-run uses the same file; a
 * runner of protocol 1 is never given such a run.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, Client, postJson } from '../helpers/client.ts';
import { ended, waitForRun } from '../helpers/runs.ts';
import { runnerToken, startRunner, type TestRunner } from '../helpers/runner.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { LEASE_HEADER, PROTOCOL_HEADER } from '../../src/protocol/index.ts';

const CONFIG = `toplevel_title: Uploads
pages:
  - slug: lab
    title: Lab
    buttons:
      - name: submit
        label: Submit
        script_path: scripts/submit.sh
        status_file: app_data/status/submit.json
        report_path: app_data/reports/submit.log
        inputs:
          - {name: job_file, label: 3D model, type: file, accept: [".stl", ".obj"], max_size_mb: 1, required: true}
          - {name: note, type: text}
      - name: checked
        label: Checked
        script_path: scripts/submit.sh
        status_file: app_data/status/checked.json
        report_path: app_data/reports/checked.log
        confirm: "Print {job_file}?"
        inputs:
          - {name: job_file, type: file, accept: [".stl"], max_size_mb: 1, required: true}
`;

const SCRIPT = `#!/usr/bin/env bash
set -euo pipefail
echo "path=$SWITCHYARD_PARAM_JOB_FILE"
echo "sum=$(sha256sum "$SWITCHYARD_PARAM_JOB_FILE" | cut -d' ' -f1)"
grep -o '"job_file": "[^"]*"' "$SWITCHYARD_PARAMS_FILE" | sed 's/^/json=/'
`;

type Run = { id: number; state: string; inputs: Record<string, unknown>; error: string | null };

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
// Every byte value, so that nothing on the way may treat the file as text.
const MODEL = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7) % 256));

describe('file inputs', () => {
  let server: TestServer;
  let runner: TestRunner | undefined;
  let c: Client;

  /** The dialog's post: multipart form data with the file, as a browser sends it. */
  const upload = (file: { name: string; bytes: Uint8Array } | undefined, fields: Record<string, string> = {}) => {
    const form = new FormData();
    if (file) form.append('job_file', new Blob([file.bytes as Uint8Array<ArrayBuffer>]), file.name);
    else form.append('job_file', new Blob([]), '');
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    return fetch(`${server.url}/page/lab/run/submit`, { method: 'POST', body: form, redirect: 'manual', headers: { cookie: c.cookieHeader(), origin: server.url } });
  };
  const runIdOf = (res: Response) => Number(/\/runs\/(\d+)$/.exec(res.headers.get('location') ?? '')?.[1]);
  const log = async (id: number) => (await c.get(`/runs/${id}/log`)).text();
  const count = async (table: string) => Number((await server.db().execute(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);

  beforeAll(async () => {
    server = await startServer({ config: CONFIG, files: { 'scripts/submit.sh': SCRIPT }, users: [{ name: 'olga', role: 'operator', password: 'olga-password' }] });
    c = new Client(server.url);
    await c.login('olga', 'olga-password');
  }, 60_000);
  afterAll(async () => {
    await runner?.stop();
    await server?.stop();
  });

  it('never gives a run with a file to a runner of protocol 1, and tells one of protocol 2 where to fetch it', async () => {
    const res = await upload({ name: 'cube.stl', bytes: MODEL });
    expect(res.status).toBe(303);
    const id = runIdOf(res);
    const token = await runnerToken(server, 'by-hand');
    const claim = (version: string) => fetch(`${server.url}/api/runner/claim`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, [PROTOCOL_HEADER]: version, 'content-type': 'application/json' },
      body: JSON.stringify({ hostname: 'test', version: 'test', wait_ms: 0 }),
    });
    expect((await claim('1')).status).toBe(204);
    const { run } = (await (await claim('2')).json()) as { run: { id: number; lease: string; params: Record<string, unknown>; input_files: Record<string, unknown> } };
    expect(run.id).toBe(id);
    expect(run.input_files).toEqual({ job_file: { name: 'cube.stl', size: MODEL.length, sha256: sha(MODEL) } });
    expect(run.params.job_file).toBe('cube.stl');
    const fetchFile = (input: string, lease: string) => fetch(`${server.url}/api/runner/runs/${id}/inputs/${input}`, {
      method: 'POST', body: new Uint8Array(0), headers: { authorization: `Bearer ${token}`, [PROTOCOL_HEADER]: '2', [LEASE_HEADER]: lease, 'content-type': 'application/octet-stream' },
    });
    const file = await fetchFile('job_file', run.lease);
    expect(file.status).toBe(200);
    expect(Buffer.from(await file.arrayBuffer()).equals(MODEL)).toBe(true);
    expect((await fetchFile('job_file', 'x'.repeat(32))).status).toBe(409);
    expect((await fetchFile('note', run.lease)).status).toBe(404);
    await c.post(`/runs/${id}/cancel`, {});
  });

  it('fails a run whose file arrives damaged, before its script starts', async () => {
    const res = await upload({ name: 'dented.stl', bytes: MODEL });
    const id = runIdOf(res);
    // Damaged at rest: the runner's SHA-256 check must catch it.
    await server.db().execute({ sql: "UPDATE run_input_files SET body = x'00' WHERE run_id = ?", args: [id] });
    runner = await startRunner(server, 'files');
    const run = await waitForRun<Run>(c, id, ended);
    expect(run.state).toBe('failed');
    expect(run.error).toContain('the file dented.stl given for input job_file arrived damaged');
    expect(await log(id)).not.toContain('path=');
  });

  it('hands the script the file given through the form, byte for byte, at a path in its run folder', async () => {
    const res = await upload({ name: 'C:\\Users\\olga\\cube part.STL', bytes: MODEL }, { note: 'first' });
    expect(res.status).toBe(303);
    const run = await waitForRun<Run>(c, runIdOf(res), ended);
    expect(run.state).toBe('succeeded');
    // The run records the file, never its bytes.
    expect(run.inputs).toEqual({ job_file: { name: 'cube part.STL', size: MODEL.length, sha256: sha(MODEL) }, note: 'first' });
    const text = await log(run.id);
    const path = `${server.dataDir}/runs/${run.id}/inputs/cube part.STL`;
    expect(text).toContain(`path=${path}`);
    expect(text).toContain(`sum=${sha(MODEL)}`);
    expect(text).toContain(`json="job_file": "${path}"`);
    expect(await (await c.get(`/runs/${run.id}`)).text()).toContain(`cube part.STL (${MODEL.length} B, sha256 ${sha(MODEL).slice(0, 12)}`);
  });

  it('takes a file as base64 in JSON, and a re-run uses the same file', async () => {
    const bytes = Buffer.from('solid cube\nendsolid cube\n');
    const res = await postJson(c, '/page/lab/run/submit', { inputs: { job_file: { name: 'cube.obj', content_base64: bytes.toString('base64') } } });
    expect(res.status).toBe(201);
    const first = await waitForRun<Run>(c, ((await res.json()) as { id: number }).id, ended);
    expect(first.state).toBe('succeeded');
    expect(await log(first.id)).toContain(`sum=${sha(bytes)}`);
    const again = await fetch(`${server.url}/runs/${first.id}/rerun`, { method: 'POST', redirect: 'manual', headers: { cookie: c.cookieHeader(), origin: server.url, accept: 'application/json' } });
    expect(again.status).toBe(201);
    const second = await waitForRun<Run>(c, ((await again.json()) as { id: number }).id, ended);
    expect(second.state).toBe('succeeded');
    expect(second.inputs).toEqual(first.inputs);
    expect(await log(second.id)).toContain(`sum=${sha(bytes)}`);
    expect(await log(second.id)).toContain(`/runs/${second.id}/inputs/cube.obj`);
    // The same through /api/v1 with a personal token, with a file larger than the 1 MiB other JSON calls take.
    const big = Buffer.alloc(900 * 1024, 7);
    const token = await apiToken(server.url, 'olga', 'olga-password');
    const api = await fetch(`${server.url}/api/v1/pages/lab/runs/submit`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { job_file: { name: 'big.stl', content_base64: big.toString('base64') } } }),
    });
    expect(api.status).toBe(201);
    const third = await waitForRun<Run>(c, ((await api.json()) as { id: number }).id, ended);
    expect(await log(third.id)).toContain(`sum=${sha(big)}`);
  });

  it('asks for the file again on the review page of a confirm without script, which cannot keep it', async () => {
    const form = new FormData();
    form.append('job_file', new Blob([MODEL]), 'cube.stl');
    form.append('_confirmed', '');
    const res = await fetch(`${server.url}/page/lab/run/checked`, { method: 'POST', body: form, redirect: 'manual', headers: { cookie: c.cookieHeader(), origin: server.url } });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('Print cube.stl?');
    expect(html).toContain('enctype="multipart/form-data"');
    expect(html).toMatch(/<input id="review-job_file" name="job_file" type="file" accept=".stl"/);
    expect(html).toContain('Choose the file again');
  });

  it('refuses a missing, mistyped, oversized or oddly named file and keeps nothing of it', async () => {
    const [files, runs] = [await count('run_input_files'), await count('runs')];
    const refused = async (res: Response, reason: string) => {
      expect(res.status).toBe(422);
      expect(await res.text()).toContain(reason);
    };
    await refused(await upload(undefined), 'This field is required.');
    await refused(await upload({ name: 'cube.step', bytes: MODEL }), 'Choose a file ending in .stl, .obj.');
    await refused(await upload({ name: 'big.stl', bytes: new Uint8Array(1024 * 1024 + 1) }), 'The file is larger than 1 MB.');
    await refused(await upload({ name: '.cube.stl', bytes: MODEL }), 'cannot be used: letters, digits');
    // Past what the button can take at all, the body is not read.
    expect((await upload({ name: 'huge.stl', bytes: new Uint8Array(10 * 1024 * 1024) })).status).toBe(413);
    const json = await postJson(c, '/page/lab/run/submit', { inputs: { job_file: { name: 'x.exe', content_base64: 'AAAA' } } });
    expect(json.status).toBe(422);
    expect(((await json.json()) as { errors: Record<string, string> }).errors).toEqual({ job_file: 'Choose a file ending in .stl, .obj.' });
    expect([await count('run_input_files'), await count('runs')]).toEqual([files, runs]);
  });
});
