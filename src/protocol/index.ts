/**
 * The runner ⇄ app wire protocol: the only code the app and the runner share.
 *
 * All calls are JSON over HTTP(S), from the runner to the app, with
 * `Authorization: Bearer <runner token>` and `Switchyard-Protocol: 1`.
 *
 *   POST /api/runner/claim            long-poll for work; 200 {run} or 204 after `wait_ms`
 *   POST /api/runner/runs/<id>/events  log lines, progress and heartbeats; answers {ack, cancel}
 *   POST /api/runner/runs/<id>/artifacts/<name>  one file the script left (raw bytes; see ARTIFACTS)
 *   POST /api/runner/runs/<id>/inputs/<input>    a file given to the run (answer: raw bytes; see INPUT_FILES)
 *   POST /api/runner/runs/<id>/finish  the end state, exit code and report
 *
 * Every call after the claim carries the run's lease token. Events carry a
 * sequence number per run, so a batch resent after a lost answer is stored
 * once. An answer of 409 means the run is no longer this runner's (cancelled
 * and finished elsewhere, or declared lost): the runner stops the script.
 * Cancellation is a state the app reports in `cancel`, not an error.
 *
 * Every call also says the runner's clock in `Switchyard-Runner-Time`: the app
 * moves the runner's timestamps onto its own clock by the difference, so that
 * a run's times and duration are measured on one clock whatever the runner's
 * clock says. (An app that does not know the header ignores it.)
 */
import * as z from 'zod';

/**
 * The protocol this code speaks. The app also serves runners of the versions
 * in PROTOCOL_VERSIONS_SERVED, sending each only what it knows: a version 1
 * runner gets no `started_by` (its strict schema would refuse the run) and
 * sends no `metrics`. Upgrade the app before its runners.
 */
export const PROTOCOL_VERSION = '2';
export const PROTOCOL_VERSIONS_SERVED: readonly string[] = ['1', '2'];
export const PROTOCOL_HEADER = 'switchyard-protocol';
export const RUNNER_TIME_HEADER = 'switchyard-runner-time';

import { RUN_STATES } from './states.ts';

export { FINAL_STATES, isFinal, RUN_STATES, type RunState } from './states.ts';

export const LIMITS = {
  /** Longest log line kept; longer ones are cut with a marker. */
  lineBytes: 8 * 1024,
  /** Log kept per run; past it one truncation marker is stored and the rest dropped. */
  logBytesPerRun: 16 * 1024 * 1024,
  /** Events per request. */
  eventsPerPost: 2000,
  /** Events a runner holds while the app cannot be reached; older ones are counted, not kept. */
  bufferedEvents: 20_000,
  /** Largest report handed back; larger ones are cut. */
  reportBytes: 5 * 1024 * 1024,
  /** Longest long-poll. */
  claimWaitMs: 30_000,
  /** A run whose runner is silent this long is lost. */
  leaseMs: 20_000,
  /** How often a runner renews its lease while a run is going. */
  heartbeatMs: 2_000,
} as const;

/** The first `max` bytes of `text`, without a broken character at the end. */
export function cutBytes(text: string, max: number): string {
  return Buffer.from(text).subarray(0, max).toString('utf8').replace(/\uFFFD$/, '');
}

/** A log line as stored: cut at LIMITS.lineBytes with a visible marker. The runner and the external-run API cut the same way. */
export function cutLine(line: string): string {
  return Buffer.byteLength(line) > LIMITS.lineBytes ? `${cutBytes(line, LIMITS.lineBytes)} [line cut at ${LIMITS.lineBytes} bytes]` : line;
}

// A list is a multiselect's chosen options.
const paramValue = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);

/**
 * A runner label such as `gpu` or `host=db-1` (the runner's
 * SWITCHYARD_RUNNER_LABELS); a button's `runs_on:` is checked by the same rule.
 */
export const RUNNER_LABEL = /^[A-Za-z0-9][A-Za-z0-9._:\/=-]{0,99}$/;
export const RUNNER_LABELS_MAX = 20;

export const claimRequest = z.strictObject({
  hostname: z.string().max(255),
  version: z.string().max(64),
  wait_ms: z.int().min(0).max(LIMITS.claimWaitMs),
  /** Optional: a runner from before labels sends none and takes only runs without `runs_on:`. */
  labels: z.array(z.string().regex(RUNNER_LABEL)).max(RUNNER_LABELS_MAX).optional(),
});

/** The labels in SWITCHYARD_RUNNER_LABELS (comma- or space-separated), or the reason they cannot be used. */
export function parseRunnerLabels(text: string | undefined): { labels: string[] } | { problem: string } {
  const labels = [...new Set((text ?? '').split(/[\s,]+/).filter(Boolean))];
  const bad = labels.find((l) => !RUNNER_LABEL.test(l));
  if (bad !== undefined) return { problem: `"${bad}" is not a runner label: up to 100 letters, digits, ".", "_", ":", "/", "=" or "-", starting with a letter or digit` };
  if (labels.length > RUNNER_LABELS_MAX) return { problem: `at most ${RUNNER_LABELS_MAX} labels, got ${labels.length}` };
  return { labels };
}
export type ClaimRequest = z.infer<typeof claimRequest>;

/** What a runner needs to execute a run; paths are relative to its root (`scripts/…`, `app_data/…`). */
/**
 * Someone a script asks to be told of its run's end: a Switchyard user name
 * (told at the address of their account) or an email address. Which of them
 * are told is the app's config to decide (an email target's run_recipients).
 */
export const RECIPIENT = /^(?:[a-z0-9][a-z0-9._-]{0,63}|[^\s@<>(),;:"]{1,64}@[^\s@<>(),;:"]+\.[^\s@<>(),;:".]+)$/;
export const RECIPIENTS_MAX = 20;

/** The recipients a script wrote to SWITCHYARD_NOTIFY_FILE, one a line, each once; what is not one is named in `refused`. */
export function parseRecipients(text: string): { recipients: string[]; refused: string[] } {
  const recipients: string[] = [];
  const refused: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || recipients.includes(line)) continue;
    if (line.length > 254 || !RECIPIENT.test(line)) refused.push(line.slice(0, 100));
    else if (recipients.length >= RECIPIENTS_MAX) refused.push(`${line.slice(0, 100)} (past ${RECIPIENTS_MAX} recipients)`);
    else recipients.push(line);
  }
  return { recipients, refused };
}

/** A figure's name, as scripts write it and config.yaml charts it: archive_bytes, rows, files. */
export const METRIC_NAME = /^[a-z][a-z0-9_]{0,63}$/;
export const METRICS_MAX = 20;

/**
 * Files people give a run through a button's file inputs. The app keeps them
 * with the run; before the script starts the runner fetches each (POST
 * .../inputs/<input> with the lease header; the answer is the bytes), checks
 * its SHA-256 and writes it to <run folder>/inputs/<name>, and the script's
 * parameter holds that absolute path. A runner of protocol 1 is never given a
 * run that has files.
 */
export const INPUT_FILES = {
  /** Largest file an input takes (and all of a run's files together). */
  fileBytes: 16 * 1024 * 1024,
} as const;

/** An uploaded file's name: letters, digits, ". _ -" and spaces, starting with a letter, digit or _; at most 128. */
export const INPUT_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._ -]{0,127}$/;

export const runAssignment = z.strictObject({
  id: z.int().positive(),
  lease: z.string().min(16).max(128),
  page: z.string(),
  button: z.string(),
  script_path: z.string(),
  status_file: z.string(),
  report_path: z.string(),
  timeout_ms: z.int().positive().nullable(),
  params: z.record(z.string(), paramValue),
  /** Who pressed the button (or started the re-run), with their role and language now (null: no longer a user); null for a schedule. Version 2 on. */
  started_by: z.strictObject({ username: z.string(), role: z.string().nullable(), language: z.string().nullable() }).nullable().optional(),
  /**
   * The files given to the run's file inputs, by input name (see INPUT_FILES);
   * their `params` hold the file name until the runner has fetched them. Version 2 on.
   */
  input_files: z.record(z.string(), z.strictObject({
    name: z.string().regex(INPUT_FILE_NAME),
    size: z.int().min(0).max(INPUT_FILES.fileBytes),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  })).optional(),
});
export type RunAssignment = z.infer<typeof runAssignment>;

export const claimResponse = z.strictObject({ run: runAssignment });
export type ClaimResponse = z.infer<typeof claimResponse>;

const at = z.iso.datetime();

export const runEvent = z.discriminatedUnion('type', [
  z.strictObject({ seq: z.int().positive(), type: z.literal('started'), at, pid: z.int().positive() }),
  z.strictObject({
    seq: z.int().positive(),
    type: z.literal('log'),
    at,
    stream: z.enum(['stdout', 'stderr', 'system']),
    text: z.string().max(LIMITS.lineBytes + 64),
  }),
  z.strictObject({
    seq: z.int().positive(),
    type: z.literal('progress'),
    at,
    progress: z.number().min(0).max(100).nullable(),
    message: z.string().max(1000).nullable(),
  }),
]);
export type RunEvent = z.infer<typeof runEvent>;

export const eventsRequest = z.strictObject({
  lease: z.string(),
  events: z.array(runEvent).max(LIMITS.eventsPerPost),
});
export type EventsRequest = z.infer<typeof eventsRequest>;

export const eventsResponse = z.strictObject({
  /** Highest sequence number stored; the runner drops everything up to it. */
  ack: z.int().min(0),
  /** Someone asked to cancel: stop the script and finish as `cancelled`. */
  cancel: z.boolean(),
});
export type EventsResponse = z.infer<typeof eventsResponse>;

export const finishRequest = z.strictObject({
  lease: z.string(),
  state: z.enum(['succeeded', 'failed', 'cancelled', 'timed_out']),
  exit_code: z.int().nullable(),
  signal: z.string().max(32).nullable(),
  finished_at: at,
  /** Why a run failed before or around the script (not found, cannot start…). */
  error: z.string().max(2000).nullable(),
  report: z
    .strictObject({
      type: z.enum(['html', 'text']),
      body: z.string(),
      truncated: z.boolean(),
    })
    .nullable(),
  /** Whom the script asks to tell of this run's end (SWITCHYARD_NOTIFY_FILE): user names and addresses. Version 2 on. */
  notify: z.array(z.string().regex(RECIPIENT)).max(RECIPIENTS_MAX).optional(),
  /** Figures the script gave (SWITCHYARD_METRICS_FILE), by name. Version 2 on. */
  metrics: z
    .record(z.string().regex(METRIC_NAME), z.number().finite())
    .refine((m) => Object.keys(m).length <= METRICS_MAX, { message: `at most ${METRICS_MAX} metrics` })
    .optional(),
});
export type FinishRequest = z.infer<typeof finishRequest>;

export const errorResponse = z.object({ error: z.string() });

/** The content a status file holds; scripts may write `progress` and `message`. */
export const statusFile = z.object({
  state: z.enum(RUN_STATES).optional(),
  run_id: z.int().optional(),
  started_at: z.string().nullable().optional(),
  finished_at: z.string().nullable().optional(),
  exit_code: z.int().nullable().optional(),
  progress: z.number().min(0).max(100).nullable().optional(),
  message: z.string().max(1000).nullable().optional(),
});
export type StatusFile = z.infer<typeof statusFile>;

/**
 * The folders below app_data/ where a button's outputs may be written; the
 * rest of app_data/ is Switchyard's own (database, backups, run folders).
 * The app checks config.yaml against them and the runner checks again.
 */
export const OUTPUT_FOLDERS = { status_file: 'status', report_path: 'reports' } as const;
export type OutputKey = keyof typeof OUTPUT_FOLDERS;

/**
 * Files a run leaves for people to download (its artifacts): whatever regular
 * files the script leaves in SWITCHYARD_ARTIFACTS_DIR when it ends, sent one
 * call each before the finish, as the body (application/octet-stream) with
 * the lease and the SHA-256 of the body in headers. Names are plain file
 * names; files past the bounds are not sent, and the run's log says so.
 */
export const ARTIFACTS = {
  /** Files kept per run. */
  maxFiles: 20,
  /** Largest file kept. */
  fileBytes: 16 * 1024 * 1024,
  /** All of a run's files together. */
  runBytes: 64 * 1024 * 1024,
} as const;
export const LEASE_HEADER = 'switchyard-lease';
export const SHA256_HEADER = 'switchyard-sha256';

/** A file name a download may carry anywhere: letters, digits, dot, dash, underscore; no leading dot; at most 128. */
export const ARTIFACT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * The figures a script wrote to SWITCHYARD_METRICS_FILE: one `name value` per
 * line, a later line for a name replacing an earlier one. What is not such a
 * line is named in `refused`, for the run's log.
 */
export function parseMetrics(text: string): { metrics: Record<string, number>; refused: string[] } {
  const metrics: Record<string, number> = {};
  const refused: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(\S+)\s+(\S+)$/.exec(line);
    const value = m ? Number(m[2]) : NaN;
    if (!m || !METRIC_NAME.test(m[1]!) || !/^-?\d/.test(m[2]!) || !Number.isFinite(value)) refused.push(line.slice(0, 100));
    else if (!(m[1]! in metrics) && Object.keys(metrics).length >= METRICS_MAX) refused.push(`${m[1]} (past ${METRICS_MAX} metrics)`);
    else metrics[m[1]!] = value;
  }
  return { metrics, refused };
}

/** Environment variable name for a parameter: `SWITCHYARD_PARAM_<NAME>`. */
export function paramEnvName(name: string): string {
  return `SWITCHYARD_PARAM_${name.toUpperCase()}`;
}
