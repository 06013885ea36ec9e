/**
 * The run queue in the database. A run is created `queued` with a typed
 * snapshot of the page's values; a runner claims the oldest one atomically
 * (one UPDATE … RETURNING under the write lock) and must renew its lease; its
 * events are stored once each by (run, seq); a run whose lease lapses is
 * `lost`. Cancelling a running run is a request the runner picks up.
 */
import { randomBytes } from 'node:crypto';
import type { Button, PageConfig, Values } from '../../core/config/schema.ts';
import { LIMITS, type EventsRequest, type FinishRequest, type RunAssignment, type RunState } from '../../protocol/index.ts';
import type { Database, Executor, Transaction } from '../db.ts';
import type { RunnerRecord } from '../runners.ts';
import type { RunSignals } from './notify.ts';

export interface RunView {
  id: number;
  page: string;
  button: string;
  state: RunState;
  params: Values;
  configRevision: string;
  requestedBy: string;
  rerunOf: number | null;
  createdAt: string;
  runner: string | null;
  claimedAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  exitCode: number | null;
  signal: string | null;
  progress: number | null;
  message: string | null;
  error: string | null;
  cancelRequestedAt: string | null;
  cancelRequestedBy: string | null;
  timeoutMs: number | null;
  logLines: number;
  logBytes: number;
  logTruncated: boolean;
  lastSeq: number;
  reportType: 'html' | 'text' | null;
  reportTruncated: boolean;
}

export interface LogLine {
  seq: number;
  at: string;
  stream: 'stdout' | 'stderr' | 'system';
  text: string;
}

const RUN_COLUMNS = `r.id, r.page_slug, r.button_name, r.state, r.params, r.config_revision, r.requested_by, r.rerun_of, r.created_at,
  r.claimed_at, r.started_at, r.finished_at, r.exit_code, r.signal, r.progress, r.message, r.error, r.cancel_requested_at,
  r.cancel_requested_by, r.timeout_ms, r.log_lines, r.log_bytes, r.log_truncated, r.last_seq, r.report_type, r.report_truncated,
  (SELECT name FROM runners WHERE id = r.runner_id) AS runner_name`;

const str = (v: unknown) => (v == null ? null : String(v));
const num = (v: unknown) => (v == null ? null : Number(v));

function toView(r: Record<string, unknown>): RunView {
  return {
    id: Number(r.id),
    page: String(r.page_slug),
    button: String(r.button_name),
    state: String(r.state) as RunState,
    params: JSON.parse(String(r.params)) as Values,
    configRevision: String(r.config_revision),
    requestedBy: String(r.requested_by),
    rerunOf: num(r.rerun_of),
    createdAt: String(r.created_at),
    runner: str(r.runner_name),
    claimedAt: str(r.claimed_at),
    startedAt: str(r.started_at),
    finishedAt: str(r.finished_at),
    exitCode: num(r.exit_code),
    signal: str(r.signal),
    progress: num(r.progress),
    message: str(r.message),
    error: str(r.error),
    cancelRequestedAt: str(r.cancel_requested_at),
    cancelRequestedBy: str(r.cancel_requested_by),
    timeoutMs: num(r.timeout_ms),
    logLines: Number(r.log_lines),
    logBytes: Number(r.log_bytes),
    logTruncated: Number(r.log_truncated) !== 0,
    lastSeq: Number(r.last_seq),
    reportType: str(r.report_type) as RunView['reportType'],
    reportTruncated: Number(r.report_truncated) !== 0,
  };
}

export async function getRun(ex: Executor, id: number): Promise<RunView | undefined> {
  const { rows } = await ex.execute({ sql: `SELECT ${RUN_COLUMNS} FROM runs r WHERE r.id = ?`, args: [id] });
  return rows[0] ? toView(rows[0] as Record<string, unknown>) : undefined;
}

export interface NewRun {
  page: PageConfig;
  button: Button;
  values: Values;
  configRevision: string;
  user: { id: number; username: string };
  rerunOf?: number;
}

/** What else a run's creation or cancellation records in its own transaction (its audit entry), so both hold or neither does. */
export type AlsoRecord = (tx: Transaction, runId: number) => Promise<void>;

export async function createRun(db: Database, signals: RunSignals, req: NewRun, alsoRecord?: AlsoRecord): Promise<RunView> {
  const id = await db.transaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `INSERT INTO runs (page_slug, button_name, state, params, config_revision, script_path, status_file, report_path,
              timeout_ms, requested_by, user_id, rerun_of, created_at)
            VALUES (?, ?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      args: [
        req.page.slug, req.button.name, JSON.stringify(req.values), req.configRevision, req.button.script_path,
        req.button.status_file, req.button.report_path, req.button.timeout ?? null, req.user.username, req.user.id,
        req.rerunOf ?? null, new Date().toISOString(),
      ],
    });
    const runId = Number(rows[0]!.id);
    await alsoRecord?.(tx, runId);
    await tx.commit();
    return runId;
  });
  signals.queued();
  return (await getRun(db, id))!;
}

/** Claims the oldest queued run for `runner`, or returns undefined when none is waiting. */
export interface RunLimits {
  leaseMs: number;
  logMaxBytes: number;
}

export const DEFAULT_RUN_LIMITS: RunLimits = { leaseMs: LIMITS.leaseMs, logMaxBytes: LIMITS.logBytesPerRun };

export async function claimNext(db: Database, signals: RunSignals, runner: RunnerRecord, limits: RunLimits = DEFAULT_RUN_LIMITS): Promise<RunAssignment | undefined> {
  const lease = randomBytes(24).toString('base64url');
  const now = Date.now();
  const { rows } = await db.write({
    sql: `UPDATE runs SET state = 'running', runner_id = ?, lease = ?, lease_expires_at = ?, claimed_at = ?
          WHERE id = (SELECT id FROM runs WHERE state = 'queued' ORDER BY id LIMIT 1) AND state = 'queued'
          RETURNING id, page_slug, button_name, script_path, status_file, report_path, timeout_ms, params`,
    args: [runner.id, lease, now + limits.leaseMs, new Date(now).toISOString()],
  });
  const r = rows[0];
  if (!r) return undefined;
  await publishRun(db, signals, Number(r.id));
  return {
    id: Number(r.id),
    lease,
    page: String(r.page_slug),
    button: String(r.button_name),
    script_path: String(r.script_path),
    status_file: String(r.status_file),
    report_path: String(r.report_path),
    timeout_ms: num(r.timeout_ms),
    params: JSON.parse(String(r.params)),
  };
}

export type LeaseCheck = { ok: true; cancel: boolean; lastSeq: number; logBytes: number; logTruncated: boolean } | { ok: false; reason: string };

async function checkLease(tx: Transaction, runner: RunnerRecord, id: number, lease: string): Promise<LeaseCheck> {
  const { rows } = await tx.execute({
    sql: 'SELECT state, runner_id, lease, cancel_requested_at, last_seq, log_bytes, log_truncated FROM runs WHERE id = ?',
    args: [id],
  });
  const r = rows[0];
  if (!r) return { ok: false, reason: `run ${id} does not exist` };
  if (Number(r.runner_id) !== runner.id || r.lease !== lease) return { ok: false, reason: `run ${id} is not leased to this runner` };
  if (r.state !== 'running') return { ok: false, reason: `run ${id} is already ${r.state}` };
  return { ok: true, cancel: r.cancel_requested_at != null, lastSeq: Number(r.last_seq), logBytes: Number(r.log_bytes), logTruncated: Number(r.log_truncated) !== 0 };
}

export type EventsOutcome = { ok: true; ack: number; cancel: boolean } | { ok: false; reason: string };

/**
 * Maps a timestamp of the runner's clock onto the app's. Run times are shown
 * and subtracted from the app's own (created, claimed): taken raw, a runner
 * whose clock is off would make a run take negative time.
 */
export type RunnerClock = (runnerTime: string) => string;

/** For a request whose runner sent its time: shift by the difference, and nothing can have happened after it arrived. */
export function runnerClock(runnerNow: string | null, appNow = Date.now()): RunnerClock {
  const sent = runnerNow ? Date.parse(runnerNow) : Number.NaN;
  // A runner that does not say its time: what it sends is stamped when it arrives.
  if (Number.isNaN(sent)) return () => new Date(appNow).toISOString();
  const offset = appNow - sent;
  return (at) => {
    const t = Date.parse(at) + offset;
    return new Date(Number.isNaN(t) ? appNow : Math.min(t, appNow)).toISOString();
  };
}

const sameClock: RunnerClock = (at) => at;

/** Stores a batch of events once each, renews the lease, and tells the runner whether to cancel. */
export async function recordEvents(
  db: Database,
  signals: RunSignals,
  runner: RunnerRecord,
  id: number,
  req: EventsRequest,
  limits: RunLimits = DEFAULT_RUN_LIMITS,
  clock: RunnerClock = sameClock,
): Promise<EventsOutcome> {
  const stored: LogLine[] = [];
  let runChanged = false;
  const outcome = await db.transaction(async (tx): Promise<EventsOutcome> => {
    const lease = await checkLease(tx, runner, id, req.lease);
    if (!lease.ok) return lease;
    let { lastSeq, logBytes, logTruncated } = lease;
    let lines = 0;
    for (const e of [...req.events].sort((a, b) => a.seq - b.seq)) {
      if (e.seq <= lastSeq) continue; // already stored: a resend after a lost answer
      lastSeq = e.seq;
      if (e.type === 'started') {
        // Never before the claim: what is left of the network delay is not the script's time.
        await tx.execute({ sql: 'UPDATE runs SET started_at = max(?, claimed_at) WHERE id = ?', args: [clock(e.at), id] });
        runChanged = true;
      } else if (e.type === 'progress') {
        await tx.execute({ sql: 'UPDATE runs SET progress = ?, message = ? WHERE id = ?', args: [e.progress, e.message, id] });
        runChanged = true;
      } else if (!logTruncated) {
        let line: LogLine = { seq: e.seq, at: clock(e.at), stream: e.stream, text: e.text };
        const size = Buffer.byteLength(e.text) + 1;
        if (logBytes + size > limits.logMaxBytes) {
          logTruncated = true;
          runChanged = true;
          line = { ...line, stream: 'system', text: `[switchyard] log truncated: this run printed more than ${formatBytes(limits.logMaxBytes)}; later output is not kept` };
        }
        logBytes += Buffer.byteLength(line.text) + 1;
        lines++;
        await tx.execute({ sql: 'INSERT OR IGNORE INTO run_logs (run_id, seq, at, stream, text) VALUES (?, ?, ?, ?, ?)', args: [id, line.seq, line.at, line.stream, line.text] });
        stored.push(line);
      }
    }
    await tx.execute({
      sql: `UPDATE runs SET last_seq = ?, log_bytes = ?, log_lines = log_lines + ?, log_truncated = ?, lease_expires_at = ? WHERE id = ?`,
      args: [lastSeq, logBytes, lines, logTruncated ? 1 : 0, Date.now() + limits.leaseMs, id],
    });
    await tx.commit();
    return { ok: true, ack: lastSeq, cancel: lease.cancel };
  });
  if (stored.length > 0) signals.publish(id, { type: 'log', lines: stored });
  if (runChanged) await publishRun(db, signals, id);
  return outcome;
}

export async function finishRun(
  db: Database,
  signals: RunSignals,
  runner: RunnerRecord,
  id: number,
  req: FinishRequest,
  clock: RunnerClock = sameClock,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  const outcome = await db.transaction(async (tx) => {
    const lease = await checkLease(tx, runner, id, req.lease);
    if (!lease.ok) return lease;
    const report = req.report;
    await tx.execute({
      sql: `UPDATE runs SET state = ?, exit_code = ?, signal = ?, error = ?, finished_at = max(?, coalesce(started_at, claimed_at)), lease = NULL, lease_expires_at = NULL,
              progress = CASE WHEN ? = 'succeeded' THEN 100 ELSE progress END,
              report_type = ?, report = ?, report_truncated = ? WHERE id = ?`,
      args: [req.state, req.exit_code, req.signal, req.error, clock(req.finished_at), req.state, report?.type ?? null, report?.body ?? null, report?.truncated ? 1 : 0, id],
    });
    await tx.commit();
    return { ok: true as const };
  });
  if (outcome.ok) await publishRun(db, signals, id);
  return outcome;
}

export type CancelOutcome = { ok: true; run: RunView } | { ok: false; reason: string };

/** Cancels a queued run at once; asks the runner to stop a running one. */
export async function requestCancel(db: Database, signals: RunSignals, id: number, username: string, alsoRecord?: AlsoRecord): Promise<CancelOutcome> {
  const now = new Date().toISOString();
  const outcome = await db.transaction(async (tx): Promise<CancelOutcome | { ok: true }> => {
    const { rows } = await tx.execute({ sql: 'SELECT state FROM runs WHERE id = ?', args: [id] });
    const state = rows[0]?.state;
    if (state === undefined) return { ok: false, reason: 'There is no such run.' };
    if (state === 'queued') {
      await tx.execute({
        sql: `UPDATE runs SET state = 'cancelled', finished_at = ?, cancel_requested_at = ?, cancel_requested_by = ?, message = ? WHERE id = ?`,
        args: [now, now, username, `Cancelled by ${username} before a runner picked it up`, id],
      });
    } else if (state === 'running') {
      await tx.execute({ sql: 'UPDATE runs SET cancel_requested_at = coalesce(cancel_requested_at, ?), cancel_requested_by = coalesce(cancel_requested_by, ?) WHERE id = ?', args: [now, username, id] });
    } else {
      return { ok: false, reason: `This run has already ended (${String(state).replace('_', ' ')}).` };
    }
    await alsoRecord?.(tx, id);
    await tx.commit();
    return { ok: true };
  });
  if (!outcome.ok) return outcome;
  const run = await publishRun(db, signals, id);
  return { ok: true, run: run! };
}

/** Marks running runs whose lease has lapsed as lost. Returns their ids. */
export async function sweepLost(db: Database, signals: RunSignals, now = Date.now(), leaseMs: number = LIMITS.leaseMs): Promise<number[]> {
  const { rows } = await db.write({
    sql: `UPDATE runs SET state = 'lost', finished_at = ?, lease = NULL,
            error = 'runner ' || coalesce((SELECT name FROM runners WHERE id = runs.runner_id), '?') || ' stopped answering; last heard from at ' ||
                    strftime('%Y-%m-%dT%H:%M:%fZ', (lease_expires_at - ${Math.trunc(leaseMs)}) / 1000.0, 'unixepoch')
          WHERE state = 'running' AND lease_expires_at < ? RETURNING id`,
    args: [new Date(now).toISOString(), now],
  });
  const ids = rows.map((r) => Number(r.id));
  for (const id of ids) await publishRun(db, signals, id);
  return ids;
}

/**
 * Ends the running runs of a runner that can no longer report them (its token
 * was revoked or replaced): at once, with the reason, rather than after the
 * lease as if it had merely gone silent. The runner, refused on its next call,
 * stops the scripts. Inside a write transaction the caller commits (then `publishRuns` the ids).
 */
export async function endRunsOfRunnerIn(tx: Transaction, runnerId: number, reason: string): Promise<number[]> {
  const { rows } = await tx.execute({
    sql: `UPDATE runs SET state = 'lost', finished_at = ?, lease = NULL, lease_expires_at = NULL, error = ?
          WHERE runner_id = ? AND state = 'running' RETURNING id`,
    args: [new Date().toISOString(), reason, runnerId],
  });
  return rows.map((r) => Number(r.id));
}

/** Tells live views about runs that changed. */
export async function publishRuns(db: Executor, signals: RunSignals | undefined, ids: number[]): Promise<void> {
  if (signals) for (const id of ids) await publishRun(db, signals, id);
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(0)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${n} bytes`;
}

async function publishRun(ex: Executor, signals: RunSignals, id: number): Promise<RunView | undefined> {
  const run = await getRun(ex, id);
  if (run) signals.publish(id, { type: 'run', run });
  return run;
}

export async function runLog(ex: Executor, id: number, afterSeq = 0, limit = 5000): Promise<LogLine[]> {
  const { rows } = await ex.execute({
    sql: 'SELECT seq, at, stream, text FROM run_logs WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    args: [id, afterSeq, limit],
  });
  return rows.map((r) => ({ seq: Number(r.seq), at: String(r.at), stream: String(r.stream) as LogLine['stream'], text: String(r.text) }));
}

/** The last `limit` log lines of a run, in order. */
export async function logTail(ex: Executor, id: number, limit: number): Promise<LogLine[]> {
  const { rows } = await ex.execute({
    sql: 'SELECT seq, at, stream, text FROM (SELECT * FROM run_logs WHERE run_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
    args: [id, limit],
  });
  return rows.map((r) => ({ seq: Number(r.seq), at: String(r.at), stream: String(r.stream) as LogLine['stream'], text: String(r.text) }));
}

export async function runReport(ex: Executor, id: number): Promise<{ type: 'html' | 'text'; body: string; truncated: boolean } | undefined> {
  const { rows } = await ex.execute({ sql: 'SELECT report_type, report, report_truncated FROM runs WHERE id = ?', args: [id] });
  const r = rows[0];
  if (!r || r.report_type == null) return undefined;
  return { type: String(r.report_type) as 'html' | 'text', body: String(r.report ?? ''), truncated: Number(r.report_truncated) !== 0 };
}

export interface RunFilter {
  page?: string;
  button?: string;
  state?: RunState;
  user?: string;
  before?: number;
  limit?: number;
  /** Only runs of these pages (those the person may see). */
  pages?: string[];
}

export async function listRuns(ex: Executor, f: RunFilter = {}): Promise<{ runs: RunView[]; more: boolean }> {
  const where: string[] = [];
  const args: (string | number)[] = [];
  const add = (clause: string, v: string | number | undefined) => {
    if (v === undefined || v === '') return;
    where.push(clause);
    args.push(v);
  };
  add('r.page_slug = ?', f.page);
  add('r.button_name = ?', f.button);
  add('r.state = ?', f.state);
  add('r.requested_by = ?', f.user);
  add('r.id < ?', f.before);
  if (f.pages) {
    where.push(f.pages.length ? `r.page_slug IN (${f.pages.map(() => '?').join(',')})` : '0');
    args.push(...f.pages);
  }
  const limit = Math.min(Math.max(f.limit ?? 50, 1), 500);
  const { rows } = await ex.execute({
    sql: `SELECT ${RUN_COLUMNS} FROM runs r ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.id DESC LIMIT ?`,
    args: [...args, limit + 1],
  });
  return { runs: rows.slice(0, limit).map((r) => toView(r as Record<string, unknown>)), more: rows.length > limit };
}

/** The latest run of each button of a page. */
export async function latestRuns(ex: Executor, page: string): Promise<Map<string, RunView>> {
  const { rows } = await ex.execute({
    sql: `SELECT ${RUN_COLUMNS} FROM runs r WHERE r.id IN (SELECT max(id) FROM runs WHERE page_slug = ? GROUP BY button_name)`,
    args: [page],
  });
  return new Map(rows.map((r) => [String(r.button_name), toView(r as Record<string, unknown>)]));
}
