/**
 * Runs reported from outside: a pipeline Switchyard does not start (cron,
 * another CI system) reports itself as a run of a button through the API.
 * The run is created `running`, with no runner; each report renews its
 * silence deadline (lease_expires_at, by the run's own silence_ms), so
 * `sweepLost` declares it lost once the pipeline goes quiet, as it does a
 * runner's run whose lease lapses. Log lines, the log bound, the end and its
 * notification event go through the same code as a runner's (lease.ts), so
 * the live views, metrics and notifications cannot tell the two apart.
 */
import { cutLine, cutBytes, LIMITS } from '../../protocol/index.ts';
import type { Database, Transaction } from '../db.ts';
import { endRunIn, publishRunEnd, saveBatch, storeLine, type Batch, type RunEnd } from './lease.ts';
import type { RunSignals } from './notify.ts';
import { insertRun, publishRun, type AlsoRecord, type NewRun, type RunLimits } from './queue.ts';
import { getRun, type RunView } from './read.ts';

/** How long a pipeline may be silent before its run is lost. The shortest is the app's runner lease (a setting). */
export const SILENCE = { defaultMs: 60 * 60 * 1000, maxMs: 24 * 60 * 60 * 1000 } as const;

export interface ExternalLine {
  text: string;
  stream: 'stdout' | 'stderr';
}

/** What a pipeline has sent, for the finish: the end state it says (or one from its exit code) and its report. */
export interface ExternalEnd {
  state: RunEnd['state'];
  exitCode: number | null;
  error: string | null;
  report: { type: 'html' | 'text'; body: string } | null;
}

/** Every answer says whether someone asked to cancel, so the pipeline can stop and finish as cancelled. */
export type ReportOutcome = { ok: true; run: RunView; cancelRequested: boolean; stored?: number } | { ok: false; reason: string };

type Open = { ok: true; cancel: boolean; silenceMs: number; batch: Batch } | { ok: false; reason: string };

/** Creates the run running, with its audit entry in the same transaction. */
export async function createExternalRun(db: Database, signals: RunSignals, req: NewRun & { external: { silenceMs: number } }, alsoRecord?: AlsoRecord): Promise<RunView> {
  const id = await db.transaction(async (tx) => {
    const runId = await insertRun(tx, req);
    await alsoRecord?.(tx, runId);
    await tx.commit();
    return runId;
  });
  return (await publishRun(db, signals, id))!;
}

/** The run, if a pipeline may still report it: external and running. */
async function openRun(tx: Transaction, id: number): Promise<Open> {
  const { rows } = await tx.execute({
    sql: 'SELECT state, external, silence_ms, cancel_requested_at, last_seq, log_bytes, log_truncated FROM runs WHERE id = ?',
    args: [id],
  });
  const r = rows[0];
  if (!r) return { ok: false, reason: `There is no run ${id}.` };
  if (Number(r.external) === 0) return { ok: false, reason: `Run ${id} was not reported from outside: a runner reports it, and only it can.` };
  if (r.state !== 'running') return { ok: false, reason: `Run ${id} has already ended (${String(r.state).replace('_', ' ')}); nothing more can be reported.` };
  return {
    ok: true,
    cancel: r.cancel_requested_at != null,
    silenceMs: Number(r.silence_ms),
    batch: { lastSeq: Number(r.last_seq), logBytes: Number(r.log_bytes), logTruncated: Number(r.log_truncated) !== 0, stored: [], runChanged: false },
  };
}

/** Appends log lines, numbered after the run's last, within the run's log bound. */
export async function appendExternalLog(db: Database, signals: RunSignals, id: number, lines: ExternalLine[], limits: Pick<RunLimits, 'logMaxBytes'>): Promise<ReportOutcome> {
  let batch: Batch | undefined;
  const outcome = await inReport(db, id, async (tx, open) => {
    batch = open.batch;
    const at = new Date().toISOString();
    for (const l of lines) {
      if (batch.logTruncated) break;
      batch.lastSeq += 1;
      await storeLine(tx, id, { seq: batch.lastSeq, at, stream: l.stream, text: cutLine(l.text) }, batch, limits);
    }
    await saveBatch(tx, id, batch, Date.now() + open.silenceMs);
  });
  if (!outcome.ok) return outcome;
  batch = batch!;
  if (batch.stored.length > 0) signals.publish(id, { type: 'log', lines: batch.stored });
  const run = batch.runChanged ? await publishRun(db, signals, id) : await getRun(db, id);
  return { ok: true, run: run!, cancelRequested: outcome.cancel, stored: batch.stored.length };
}

/** Sets the run's progress (0–100) and message. */
export async function reportExternalProgress(db: Database, signals: RunSignals, id: number, progress: number, message: string | null): Promise<ReportOutcome> {
  const outcome = await inReport(db, id, async (tx, open) => {
    await tx.execute({ sql: 'UPDATE runs SET progress = ?, message = ?, lease_expires_at = ? WHERE id = ?', args: [progress, message, Date.now() + open.silenceMs, id] });
  });
  if (!outcome.ok) return outcome;
  return { ok: true, run: (await publishRun(db, signals, id))!, cancelRequested: outcome.cancel };
}

/** Ends the run as the pipeline says, its report bounded like a runner's. */
export async function finishExternalRun(db: Database, signals: RunSignals, id: number, end: ExternalEnd): Promise<ReportOutcome> {
  const body = end.report?.body;
  const truncated = body !== undefined && Buffer.byteLength(body) > LIMITS.reportBytes;
  const report = end.report && { type: end.report.type, body: truncated ? cutBytes(body!, LIMITS.reportBytes) : body!, truncated };
  const outcome = await inReport(db, id, (tx) =>
    endRunIn(tx, id, { state: end.state, exit_code: end.exitCode, signal: null, error: end.error, finished_at: new Date().toISOString(), report }),
  );
  if (!outcome.ok) return outcome;
  await publishRunEnd(db, signals, id);
  return { ok: true, run: (await getRun(db, id))!, cancelRequested: outcome.cancel };
}

/** One report in one write transaction: refused unless the run is open to reports; whether a cancel was asked. */
async function inReport(db: Database, id: number, work: (tx: Transaction, open: Extract<Open, { ok: true }>) => Promise<void>): Promise<{ ok: true; cancel: boolean } | { ok: false; reason: string }> {
  return db.transaction(async (tx) => {
    const open = await openRun(tx, id);
    if (!open.ok) return open;
    await work(tx, open);
    await tx.commit();
    return { ok: true as const, cancel: open.cancel };
  });
}
