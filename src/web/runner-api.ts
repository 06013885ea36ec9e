/**
 * The runner API (see src/protocol): plain Request in, Response out, so it can
 * be driven directly in tests and mounted under any framework.
 */
import type * as z from 'zod';
import {
  ARTIFACTS, claimRequest, eventsRequest, finishRequest, LEASE_HEADER, LIMITS, PROTOCOL_HEADER, PROTOCOL_VERSIONS_SERVED, RUNNER_TIME_HEADER, SHA256_HEADER,
} from '../protocol/index.ts';
import type { App } from '../server/app.ts';
import { json, readBoundedBytes, readBoundedText } from './http.ts';
import { storeArtifact } from '../server/runs/artifacts.ts';
import { inputFileForRunner } from '../server/runs/input-files.ts';
import { authenticateRunner, touchRunner, type RunnerRecord } from '../server/runners.ts';
import { runnerClock } from '../server/runs/clock.ts';
import { finishRun, recordEvents } from '../server/runs/lease.ts';
import { claimNext } from '../server/runs/queue.ts';

const MAX_BODY_BYTES = 24 * 1024 * 1024;
/** Even when woken by nothing, a waiting claim looks at the queue this often (a backstop: run-watch.ts wakes it for runs queued by other app processes). */
const RECHECK_MS = 1000;

const fail = (status: number, error: string) => json({ error }, status);

async function readJson<T>(request: Request, schema: z.ZodType<T>): Promise<{ ok: true; value: T } | { ok: false; response: Response }> {
  const text = await readBoundedText(request, MAX_BODY_BYTES).catch(() => '');
  if (text === undefined) return { ok: false, response: fail(413, `body larger than ${MAX_BODY_BYTES} bytes`) };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return { ok: false, response: fail(400, 'body is not valid JSON') };
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`);
    return { ok: false, response: fail(400, `invalid body: ${first.join('; ')}`) };
  }
  return { ok: true, value: parsed.data };
}

const runLimits = (app: App) => ({ leaseMs: app.settings.runLeaseMs, logMaxBytes: app.settings.runLogMaxBytes });

export async function handleRunnerApi(app: App, request: Request, path: string): Promise<Response> {
  if (request.method !== 'POST') return fail(405, 'use POST');
  const version = request.headers.get(PROTOCOL_HEADER);
  if (!version || !PROTOCOL_VERSIONS_SERVED.includes(version)) {
    return fail(400, `this app speaks runner protocol ${PROTOCOL_VERSIONS_SERVED.join(' and ')}; the runner sent ${version ?? 'none'}: install the runner of this app's version`);
  }
  const token = request.headers.get('authorization')?.match(/^Bearer (\S+)$/)?.[1];
  const runner = await authenticateRunner(app.db, token);
  if (!runner) return fail(401, 'unknown or revoked runner token');

  if (path === 'claim') return claim(app, runner, request, version);
  const file = /^runs\/(\d{1,15})\/artifacts\/([^/]{1,300})$/.exec(path);
  if (file) return artifact(app, runner, Number(file[1]), decodedName(file[2]!), request);
  const given = /^runs\/(\d{1,15})\/inputs\/([a-z][a-z0-9_]{0,63})$/.exec(path);
  if (given) return inputFile(app, runner, Number(given[1]), given[2]!, request);
  const m = /^runs\/(\d{1,15})\/(events|finish)$/.exec(path);
  if (!m) return fail(404, `no such runner API call: ${path}`);
  const id = Number(m[1]);
  // Taken before the body is read: the runner stamped its time when it sent.
  const clock = runnerClock(request.headers.get(RUNNER_TIME_HEADER));
  await touchRunner(app.db, runner);
  if (m[2] === 'events') {
    const body = await readJson(request, eventsRequest);
    if (!body.ok) return body.response;
    const out = await recordEvents(app.db, app.runs, runner, id, body.value, runLimits(app), clock);
    return out.ok ? json({ ack: out.ack, cancel: out.cancel }) : fail(409, out.reason);
  }
  const body = await readJson(request, finishRequest);
  if (!body.ok) return body.response;
  const out = await finishRun(app.db, app.runs, runner, id, body.value, clock);
  return out.ok ? json({ ok: true }) : fail(409, out.reason);
}

/** A name as sent in the path; a malformed escape stays as it is, and fails the name's check. */
function decodedName(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** One file the script left, as raw bytes; the lease and its SHA-256 come in headers. */
async function artifact(app: App, runner: RunnerRecord, id: number, name: string, request: Request): Promise<Response> {
  await touchRunner(app.db, runner);
  const body = await readBoundedBytes(request, ARTIFACTS.fileBytes);
  if (!body) return fail(413, `${name.slice(0, 130)} is larger than the ${ARTIFACTS.fileBytes} bytes a run's file may have; it is not kept`);
  const out = await storeArtifact(app.db, runner, id, { lease: request.headers.get(LEASE_HEADER) ?? '', name, body, sha256: request.headers.get(SHA256_HEADER) ?? '' });
  return out.ok ? json({ ok: true }) : fail(out.status, out.reason);
}

/** A file given to the run (a file input), as raw bytes, for the runner holding its lease. */
async function inputFile(app: App, runner: RunnerRecord, id: number, input: string, request: Request): Promise<Response> {
  await touchRunner(app.db, runner);
  const out = await inputFileForRunner(app.db, runner, id, request.headers.get(LEASE_HEADER) ?? '', input);
  if (!out.ok) return fail(out.status, out.reason);
  return new Response(out.body as Uint8Array<ArrayBuffer>, { headers: { 'Content-Type': 'application/octet-stream', 'Cache-Control': 'no-store' } });
}

async function claim(app: App, runner: RunnerRecord, request: Request, version: string): Promise<Response> {
  const body = await readJson(request, claimRequest);
  if (!body.ok) return body.response;
  await touchRunner(app.db, runner, { hostname: body.value.hostname, version: body.value.version, labels: body.value.labels });
  const deadline = Date.now() + Math.min(body.value.wait_ms, LIMITS.claimWaitMs);
  // Runs queued through another app process wake this claim too (run-watch.ts).
  const stopWatching = app.runWatch.whileClaiming();
  try {
    for (;;) {
      // A version 1 runner cannot fetch a run's files, so it never claims a run that has some.
      const run = await claimNext(app.db, app.runs, runner, runLimits(app), version !== '1');
      // A version 1 runner refuses fields it does not know, so it is sent none.
      if (run) return json({ run: version === '1' ? { ...run, started_by: undefined, input_files: undefined } : run });
      const left = deadline - Date.now();
      if (left <= 0 || request.signal.aborted) return new Response(null, { status: 204 });
      await app.runs.waitForQueued(Math.min(left, RECHECK_MS), request.signal);
    }
  } finally {
    stopWatching();
  }
}
