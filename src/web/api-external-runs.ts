/**
 * The API calls a pipeline outside Switchyard reports its run with (see the
 * list in api-v1.ts and README "Runs reported from outside"). Besides JSON,
 * the calls take what a shell script can send without JSON encoding: a form
 * (`curl --data-urlencode`) for create, progress and finish, and plain text,
 * one line per line, for the log. Both are form-like types that the
 * cross-site check (origin.ts) already refuses from other sites' pages.
 */
import { LIMITS } from '../protocol/index.ts';
import type { App } from '../server/app.ts';
import type { Viewer } from '../server/auth/access.ts';
import { appendExternalLog, finishExternalRun, reportExternalProgress, SILENCE, type ExternalEnd, type ExternalLine, type ReportOutcome } from '../server/runs/external.ts';
import { runJson } from '../server/runs/json.ts';
import { InputsRefused, reportableRun, startExternalRun, type GivenInputs } from '../server/runs/service.ts';
import { inputsRefusedJson } from './run-routes.ts';
import { HttpError, json, jsonObjectOf, mediaType, readBoundedText } from './http.ts';

/** The media types these calls take besides JSON (api-v1.ts's body rule asks here). */
export const FORM = 'application/x-www-form-urlencoded';
export const TEXT = 'text/plain';

const LOG_BODY_BYTES = 4 * 1024 * 1024;
/** A report of the largest size kept, as JSON or form-encoded (up to three bytes per byte), and the other fields. */
const FINISH_BODY_BYTES = 3 * LIMITS.reportBytes + 64 * 1024;
const END_STATES = ['succeeded', 'failed', 'cancelled', 'timed_out'] as const;

const invalid = (what: string) => new HttpError(422, what);

async function readText(request: Request, maxBytes: number): Promise<string> {
  const text = await readBoundedText(request, maxBytes);
  if (text === undefined) throw new HttpError(413, `body larger than ${maxBytes} bytes`);
  return text;
}

/** The fields of a JSON object or a form; no body is no fields. Form values are strings, so numbers may come as text. */
async function readFields(request: Request, maxBytes: number): Promise<Record<string, unknown>> {
  const text = await readText(request, maxBytes);
  if (mediaType(request) === FORM) return Object.fromEntries(new URLSearchParams(text));
  return text.trim() === '' ? {} : jsonObjectOf(text);
}

/** A number from JSON, or from a form's text; undefined when absent. */
function numberField(fields: Record<string, unknown>, name: string): number | undefined {
  const v = fields[name];
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw invalid(`"${name}" must be a number, not ${JSON.stringify(v)}`);
  return n;
}

function textField(fields: Record<string, unknown>, name: string, maxLength: number): string | undefined {
  const v = fields[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`"${name}" must be a string`);
  if (v.length > maxLength) throw invalid(`"${name}" is longer than ${maxLength} characters`);
  return v;
}

/** The silence the pipeline asks for, within bounds: at least the app's runner lease, at most a day. */
function silenceOf(app: App, fields: Record<string, unknown>): number {
  const minS = Math.ceil(app.settings.runLeaseMs / 1000);
  const s = numberField(fields, 'silence_s');
  if (s === undefined) return Math.max(SILENCE.defaultMs, minS * 1000);
  if (!Number.isInteger(s) || s < minS || s > SILENCE.maxMs / 1000) {
    throw invalid(`"silence_s" must be a whole number of seconds from ${minS} to ${SILENCE.maxMs / 1000}: how long the pipeline may go without reporting before its run is lost`);
  }
  return s * 1000;
}

function answer(out: ReportOutcome, status = 200): Response {
  if (!out.ok) return json({ error: out.reason }, 409);
  return json({ ...(out.stored === undefined ? {} : { stored: out.stored }), cancel_requested: out.cancelRequested, run: runJson(out.run) }, status);
}

/**
 * The button's inputs: a JSON body's `inputs` object, or a form's `input.<name>` fields (form
 * text, as the run dialog sends it: a multiselect's options one per line). Checked like the
 * dialog's; one left out takes its default.
 */
function inputsOf(request: Request, fields: Record<string, unknown>): GivenInputs {
  if (mediaType(request) === FORM) {
    const named = Object.keys(fields).filter((k) => k.startsWith('input.')).map((k) => k.slice('input.'.length));
    return { form: (name) => fields[`input.${name}`] as string | undefined, partial: true, named };
  }
  return { json: fields.inputs ?? {} };
}

export async function createExternal(app: App, request: Request, viewer: Viewer, slug: string, button: string): Promise<Response> {
  const fields = await readFields(request, 64 * 1024);
  try {
    const run = await startExternalRun(app, slug, button, viewer, silenceOf(app, fields), inputsOf(request, fields));
    return json({ id: run.id, url: `/runs/${run.id}`, cancel_requested: false, run: runJson(run) }, 201);
  } catch (e) {
    if (e instanceof InputsRefused) return inputsRefusedJson(e);
    throw e;
  }
}

/** Lines as JSON `{lines: [{text, stream?}]}`, or plain text, one line per line, all of `?stream=` (stdout when not given). */
async function readLines(request: Request): Promise<ExternalLine[]> {
  const streamOf = (v: unknown, where: string): ExternalLine['stream'] => {
    if (v === undefined || v === null || v === '' || v === 'stdout') return 'stdout';
    if (v === 'stderr') return 'stderr';
    throw invalid(`${where} must be "stdout" or "stderr", not ${JSON.stringify(v)}`);
  };
  if (mediaType(request) === TEXT) {
    const stream = streamOf(new URL(request.url).searchParams.get('stream'), '"stream"');
    const text = (await readText(request, LOG_BODY_BYTES)).replace(/\r?\n$/, '');
    return text === '' ? [] : text.split(/\r?\n/).map((t) => ({ text: t, stream }));
  }
  const lines = (await readFields(request, LOG_BODY_BYTES)).lines;
  if (!Array.isArray(lines)) throw invalid('"lines" must be a list of {"text": "...", "stream": "stdout" | "stderr"}');
  return lines.map((l: unknown, i) => {
    if (!l || typeof l !== 'object' || typeof (l as { text?: unknown }).text !== 'string') throw invalid(`lines[${i}] must be an object with a "text" string`);
    const { text, stream } = l as { text: string; stream?: unknown };
    return { text, stream: streamOf(stream, `lines[${i}].stream`) };
  });
}

export async function logExternal(app: App, request: Request, viewer: Viewer, id: number): Promise<Response> {
  await reportableRun(app, id, viewer);
  const lines = await readLines(request);
  // As many as a runner sends in one call: each is a row written under the one write lock.
  if (lines.length > LIMITS.eventsPerPost) throw invalid(`at most ${LIMITS.eventsPerPost} lines per call, not ${lines.length}: send the rest in another`);
  return answer(await appendExternalLog(app.db, app.runs, id, lines, { logMaxBytes: app.settings.runLogMaxBytes }));
}

export async function progressExternal(app: App, request: Request, viewer: Viewer, id: number): Promise<Response> {
  await reportableRun(app, id, viewer);
  const fields = await readFields(request, 64 * 1024);
  const progress = numberField(fields, 'progress');
  if (progress === undefined || progress < 0 || progress > 100) throw invalid('"progress" must be a number from 0 to 100');
  const message = textField(fields, 'message', 1000) ?? null;
  return answer(await reportExternalProgress(app.db, app.runs, id, progress, message));
}

/** The end the pipeline says: `state`, or else succeeded for exit code 0 and failed for any other. */
function endOf(fields: Record<string, unknown>): ExternalEnd {
  const exitCode = numberField(fields, 'exit_code');
  if (exitCode !== undefined && !Number.isInteger(exitCode)) throw invalid('"exit_code" must be a whole number');
  const state = fields.state === undefined || fields.state === '' ? undefined : fields.state;
  if (state !== undefined && !END_STATES.includes(state as ExternalEnd['state'])) throw invalid(`"state" must be one of ${END_STATES.join(', ')}, not ${JSON.stringify(state)}`);
  if (state === undefined && exitCode === undefined) throw invalid('"exit_code" is required (or an explicit "state")');
  return {
    state: (state as ExternalEnd['state'] | undefined) ?? (exitCode === 0 ? 'succeeded' : 'failed'),
    exitCode: exitCode ?? null,
    error: textField(fields, 'error', 2000) ?? null,
    report: reportOf(fields),
  };
}

/** `report: {type, body}` in JSON; `report_type` and `report` fields in a form. */
function reportOf(fields: Record<string, unknown>): ExternalEnd['report'] {
  const nested = fields.report !== null && typeof fields.report === 'object';
  const r = nested ? (fields.report as Record<string, unknown>) : { type: fields.report_type, body: fields.report };
  if (r.body === undefined || r.body === null) return null;
  if (typeof r.body !== 'string') throw invalid('the report\'s body must be a string');
  const type = r.type ?? 'text';
  if (type !== 'text' && type !== 'html') throw invalid(`the report's type must be "text" or "html", not ${JSON.stringify(type)}`);
  return { type, body: r.body };
}

export async function finishExternal(app: App, request: Request, viewer: Viewer, id: number): Promise<Response> {
  await reportableRun(app, id, viewer);
  const end = endOf(await readFields(request, FINISH_BODY_BYTES));
  return answer(await finishExternalRun(app.db, app.runs, id, end));
}
