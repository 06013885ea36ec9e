/**
 * The run queue in the database. A run is created `queued` with a typed
 * snapshot of the page's values; a runner claims the oldest one atomically
 * (one UPDATE … RETURNING under the write lock) and must renew its lease
 * (lease.ts); a run whose lease lapses is `lost`. Cancelling a running run is
 * a request the runner picks up.
 */
import { randomBytes } from 'node:crypto';
import type { Button, PageConfig, Values } from '../../core/config/schema.ts';
import { inputDefaults } from '../../core/inputs.ts';
import { LIMITS, type RunAssignment } from '../../protocol/index.ts';
import type { Database, Executor, Transaction } from '../db.ts';
import type { RunnerRecord } from '../runners.ts';
import type { RunSignals } from './notify.ts';
import { getRun, type RunView } from './read.ts';
import { maskSecrets, secretsOf } from '../../core/values.ts';
import { observeRunEnd } from '../metrics.ts';
import { isFinal } from '../../protocol/states.ts';
import { recordRunEndsIn } from '../notify/events.ts';
import { inputFilesOf } from './input-files.ts';

export interface NewRun {
  page: PageConfig;
  button: Button;
  values: Values;
  /** What the button asked when pressed, checked (src/core/inputs.ts); a scheduled run takes the defaults. */
  inputs?: Values;
  configRevision: string;
  /** Who asked; a scheduled run has no person behind it. */
  user?: { id: number; username: string };
  rerunOf?: number;
  /** The moment of the schedule this run is for (ms). */
  scheduledFor?: number;
  /** A run a pipeline outside reports (external.ts): created running, lost after this much silence. */
  external?: { silenceMs: number };
}

/** Who a run's list and page name as its starter when no person started it. */
export const SCHEDULE_STARTER = 'schedule';

/** What else a run's creation or cancellation records in its own transaction (its audit entry), so both hold or neither does. */
export type AlsoRecord = (tx: Transaction, runId: number) => Promise<void>;

export async function createRun(db: Database, signals: RunSignals, req: NewRun, alsoRecord?: AlsoRecord): Promise<RunView> {
  const id = await db.transaction(async (tx) => {
    const runId = await insertRun(tx, req);
    await alsoRecord?.(tx, runId);
    await tx.commit();
    return runId;
  });
  signals.queued();
  return (await getRun(db, id))!;
}

/**
 * Queues a run inside the caller's write transaction; the caller commits, then calls `signals.queued()`.
 * An external run is inserted running instead, started now, its silence deadline set.
 */
export async function insertRun(tx: Transaction, req: NewRun): Promise<number> {
  const now = Date.now();
  const ext = req.external;
  const created = new Date(now).toISOString();
  const { rows } = await tx.execute({
    sql: `INSERT INTO runs (page_slug, button_name, state, params, config_revision, script_path, status_file, report_path,
            timeout_ms, requested_by, user_id, rerun_of, created_at, scheduled_for, external, silence_ms, started_at, lease_expires_at, inputs, runs_on, secret_params)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    args: [
      req.page.slug, req.button.name, ext ? 'running' : 'queued', JSON.stringify(maskSecrets(req.page, req.values)), req.configRevision, req.button.script_path,
      req.button.status_file, req.button.report_path, req.button.timeout ?? null, req.user?.username ?? SCHEDULE_STARTER, req.user?.id ?? null,
      req.rerunOf ?? null, created, req.scheduledFor ?? null, ext ? 1 : 0, ext?.silenceMs ?? null, ext ? created : null, ext ? now + ext.silenceMs : null,
      JSON.stringify(req.inputs ?? inputDefaults(req.button)), !ext && req.button.runs_on ? JSON.stringify(req.button.runs_on) : null,
      // A run reported from outside gets no values from here, so it keeps no secrets.
      ext ? null : secretColumn(req.page, req.values),
    ],
  });
  return Number(rows[0]!.id);
}

/** The lease and the log bound: settings, so tests and operators can shorten them. */
export interface RunLimits {
  leaseMs: number;
  logMaxBytes: number;
}

export const DEFAULT_RUN_LIMITS: RunLimits = { leaseMs: LIMITS.leaseMs, logMaxBytes: LIMITS.logBytesPerRun };

/**
 * Claims the oldest queued run `runner` may take, or returns undefined when
 * none is waiting: a run whose button says `runs_on:` only by a runner with
 * every one of those labels. One UPDATE under the write lock, so two runners
 * never take the same run, and runs it may not take never hold back the rest.
 */
/** `takesFiles`: false for a runner of protocol 1, which cannot fetch a run's files, so it never gets a run that has some. */
export async function claimNext(db: Database, signals: RunSignals, runner: RunnerRecord, limits: RunLimits = DEFAULT_RUN_LIMITS, takesFiles = true): Promise<RunAssignment | undefined> {
  const lease = randomBytes(24).toString('base64url');
  const now = Date.now();
  const { rows } = await db.write({
    sql: `UPDATE runs SET state = 'running', runner_id = ?, lease = ?, lease_expires_at = ?, claimed_at = ?
          WHERE id = (SELECT id FROM runs q WHERE state = 'queued'
                        AND (runs_on IS NULL OR NOT EXISTS (SELECT 1 FROM json_each(q.runs_on) need WHERE need.value NOT IN (SELECT value FROM json_each(?))))
                        AND (? OR NOT EXISTS (SELECT 1 FROM run_input_files f WHERE f.run_id = q.id))
                      ORDER BY id LIMIT 1) AND state = 'queued'
          RETURNING id, page_slug, button_name, script_path, status_file, report_path, timeout_ms, params, inputs, secret_params, requested_by, user_id`,
    args: [runner.id, lease, now + limits.leaseMs, new Date(now).toISOString(), JSON.stringify(runner.labels), takesFiles ? 1 : 0],
  });
  const r = rows[0];
  if (!r) return undefined;
  const files = await inputFilesOf(db, Number(r.id));
  await publishRun(db, signals, Number(r.id));
  const startedBy = r.user_id == null ? null : await starter(db, String(r.requested_by), Number(r.user_id));
  return {
    id: Number(r.id),
    lease,
    page: String(r.page_slug),
    button: String(r.button_name),
    script_path: String(r.script_path),
    status_file: String(r.status_file),
    report_path: String(r.report_path),
    timeout_ms: r.timeout_ms == null ? null : Number(r.timeout_ms),
    // The inputs reach the script as parameters do (no name is both: the config refuses it), so a runner from before inputs runs them too.
    // The script gets the real secrets; the recorded params keep them masked.
    params: { ...JSON.parse(String(r.params)), ...(r.secret_params == null ? {} : JSON.parse(String(r.secret_params))), ...JSON.parse(String(r.inputs)), ...fileNames(files) },
    started_by: startedBy,
    ...(Object.keys(files).length ? { input_files: files } : {}),
  };
}

/** A file input's parameter names its file until the runner has fetched it and puts its path there instead. */
function fileNames(files: Record<string, { name: string }>): Record<string, string> {
  return Object.fromEntries(Object.entries(files).map(([input, f]) => [input, f.name]));
}

/** Who started a run, with their role and chosen language as they are now (none of either once the account is gone). */
async function starter(db: Database, username: string, userId: number): Promise<NonNullable<RunAssignment['started_by']>> {
  const { rows } = await db.execute({ sql: 'SELECT role, language FROM users WHERE id = ?', args: [userId] });
  return { username, role: rows[0] ? String(rows[0].role) : null, language: rows[0]?.language == null ? null : String(rows[0].language) };
}

/** The secrets of a run's values as kept beside its masked params (migration 13), or NULL when the page has none. */
function secretColumn(page: PageConfig, values: Values): string | null {
  const secrets = secretsOf(page, values);
  return Object.keys(secrets).length ? JSON.stringify(secrets) : null;
}
/** A refusal names the run's state (`gone` when there is no such run), for the caller to word. */
export type CancelOutcome = { ok: true; run: RunView } | { ok: false; state: string };

/** Cancels a queued run at once; asks the runner to stop a running one. */
export async function requestCancel(db: Database, signals: RunSignals, id: number, username: string, alsoRecord?: AlsoRecord): Promise<CancelOutcome> {
  const now = new Date().toISOString();
  const outcome = await db.transaction(async (tx): Promise<CancelOutcome | { ok: true }> => {
    const { rows } = await tx.execute({ sql: 'SELECT state FROM runs WHERE id = ?', args: [id] });
    const state = rows[0]?.state;
    if (state === undefined) return { ok: false, state: 'gone' };
    if (state === 'queued') {
      await tx.execute({
        sql: `UPDATE runs SET state = 'cancelled', finished_at = ?, cancel_requested_at = ?, cancel_requested_by = ?, message = ? WHERE id = ?`,
        args: [now, now, username, `Cancelled by ${username} before a runner picked it up`, id],
      });
      await recordRunEndsIn(tx, [id]);
    } else if (state === 'running') {
      await tx.execute({ sql: 'UPDATE runs SET cancel_requested_at = coalesce(cancel_requested_at, ?), cancel_requested_by = coalesce(cancel_requested_by, ?) WHERE id = ?', args: [now, username, id] });
    } else {
      return { ok: false, state: String(state) };
    }
    await alsoRecord?.(tx, id);
    await tx.commit();
    return { ok: true };
  });
  if (!outcome.ok) return outcome;
  const run = await publishRun(db, signals, id);
  // A queued run ends here; a running one ends when its runner reports the cancel.
  if (run?.state === 'cancelled') observeRunEnd(run);
  return { ok: true, run: run! };
}

/**
 * Marks running runs whose lease has lapsed as lost. Returns their ids. An
 * external run's lease is its pipeline's silence deadline, renewed by each of
 * its reports by its own silence_ms, so its last report was that long before.
 */
export async function sweepLost(db: Database, signals: RunSignals, now = Date.now(), leaseMs: number = LIMITS.leaseMs): Promise<number[]> {
  const lastHeard = (ms: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', (lease_expires_at - ${ms}) / 1000.0, 'unixepoch')`;
  const ids = await db.transaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `UPDATE runs SET state = 'lost', finished_at = ?, lease = NULL,
              error = CASE WHEN external
                THEN 'the pipeline reporting it stopped reporting; last heard from at ' || ${lastHeard('silence_ms')}
                ELSE 'runner ' || coalesce((SELECT name FROM runners WHERE id = runs.runner_id), '?') || ' stopped answering; last heard from at ' ||
                     ${lastHeard(String(Math.trunc(leaseMs)))} END
            WHERE state = 'running' AND lease_expires_at < ? RETURNING id`,
      args: [new Date(now).toISOString(), now],
    });
    const lost = rows.map((r) => Number(r.id));
    await recordRunEndsIn(tx, lost);
    await tx.commit();
    return lost;
  });
  await publishEndedRuns(db, signals, ids);
  return ids;
}

/**
 * Ends the running runs of a runner that can no longer report them (its token
 * was revoked or replaced): at once, with the reason, rather than after the
 * lease as if it had merely gone silent. The runner, refused on its next call,
 * stops the scripts. Inside a write transaction the caller commits (then `publishEndedRuns` the ids).
 */
export async function endRunsOfRunnerIn(tx: Transaction, runnerId: number, reason: string): Promise<number[]> {
  const { rows } = await tx.execute({
    sql: `UPDATE runs SET state = 'lost', finished_at = ?, lease = NULL, lease_expires_at = NULL, error = ?
          WHERE runner_id = ? AND state = 'running' RETURNING id`,
    args: [new Date().toISOString(), reason, runnerId],
  });
  const ids = rows.map((r) => Number(r.id));
  await recordRunEndsIn(tx, ids);
  return ids;
}

/** Tells live views about runs that changed. */
export async function publishRuns(db: Executor, signals: RunSignals | undefined, ids: number[]): Promise<void> {
  if (signals) for (const id of ids) await publishRun(db, signals, id);
}

/**
 * Tells live views about runs that were just ended (or asked to end), and
 * counts in this process's metrics those that have ended: a running run asked
 * to stop ends later, when its runner reports it.
 */
export async function publishEndedRuns(db: Executor, signals: RunSignals | undefined, ids: number[]): Promise<void> {
  for (const id of ids) {
    const run = signals ? await publishRun(db, signals, id) : await getRun(db, id);
    if (run && isFinal(run.state)) observeRunEnd(run);
  }
}

/** Tells the live views of a run what it looks like now. */
export async function publishRun(ex: Executor, signals: RunSignals, id: number): Promise<RunView | undefined> {
  const run = await getRun(ex, id);
  if (run) signals.publish(id, { type: 'run', run });
  return run;
}

const inList = (n: number) => Array(n).fill('?').join(',');

/** Deletes at most `limit` log lines of these runs (retention), never of a queued or running one, in the caller's transaction; how many went. */
export async function forgetRunLogsIn(tx: Transaction, runIds: number[], limit: number): Promise<number> {
  const del = await tx.execute({
    sql: `DELETE FROM run_logs WHERE (run_id, seq) IN (SELECT run_id, seq FROM run_logs WHERE run_id IN (${inList(runIds.length)})
            AND run_id IN (SELECT id FROM runs WHERE state NOT IN ('queued', 'running')) LIMIT ?)`,
    args: [...runIds, limit],
  });
  return del.rowsAffected;
}

/**
 * Deletes these runs (retention) with whatever log lines they still have and their files,
 * unless queued or running, in the caller's transaction. A later run that
 * re-ran one of them keeps its own record, without the link to a run that is
 * gone. Returns the runs deleted, with the outputs they were written to.
 */
export async function forgetRunsIn(tx: Transaction, ids: number[]): Promise<{ runs: { id: number; statusFile: string; reportPath: string }[]; logLines: number }> {
  const inIds = inList(ids.length);
  await tx.execute({ sql: `UPDATE runs SET rerun_of = NULL WHERE rerun_of IN (${inIds})`, args: ids });
  const logs = await tx.execute({ sql: `DELETE FROM run_logs WHERE run_id IN (${inIds}) AND run_id IN (SELECT id FROM runs WHERE state NOT IN ('queued', 'running'))`, args: ids });
  await tx.execute({ sql: `DELETE FROM run_artifacts WHERE run_id IN (${inIds}) AND run_id IN (SELECT id FROM runs WHERE state NOT IN ('queued', 'running'))`, args: ids });
  await tx.execute({ sql: `DELETE FROM run_input_files WHERE run_id IN (${inIds}) AND run_id IN (SELECT id FROM runs WHERE state NOT IN ('queued', 'running'))`, args: ids });
  const del = await tx.execute({ sql: `DELETE FROM runs WHERE id IN (${inIds}) AND state NOT IN ('queued', 'running') RETURNING id, status_file, report_path`, args: ids });
  return { runs: del.rows.map((r) => ({ id: Number(r.id), statusFile: String(r.status_file), reportPath: String(r.report_path) })), logLines: logs.rowsAffected };
}
