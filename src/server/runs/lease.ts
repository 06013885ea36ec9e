/**
 * What a runner reports about the run it holds: events (log lines, progress,
 * heartbeats) and the end. Each call is checked against the run's lease
 * first, so a runner that lost its run (cancelled and ended, declared lost,
 * claimed again) changes nothing; events are stored once each by (run, seq).
 */
import type { EventsRequest, FinishRequest, RunEvent } from '../../protocol/index.ts';
import type { Database, Transaction } from '../db.ts';
import type { RunnerRecord } from '../runners.ts';
import { sameClock, type RunnerClock } from './clock.ts';
import type { RunSignals } from './notify.ts';
import { DEFAULT_RUN_LIMITS, publishRun, type RunLimits } from './queue.ts';
import type { LogLine } from './read.ts';
import { observeRunEnd } from '../metrics.ts';
import { recordRunEndsIn } from '../notify/events.ts';

export type LeaseCheck = { ok: true; cancel: boolean; lastSeq: number; logBytes: number; logTruncated: boolean } | { ok: false; reason: string };

export async function checkLease(tx: Transaction, runner: RunnerRecord, id: number, lease: string): Promise<LeaseCheck> {
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

/** A batch on its way in: what it has stored so far, carried from one event to the next (runner and external reports alike). */
export interface Batch {
  lastSeq: number;
  logBytes: number;
  logTruncated: boolean;
  stored: LogLine[];
  runChanged: boolean;
}

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
  const batch: Batch = { lastSeq: 0, logBytes: 0, logTruncated: false, stored: [], runChanged: false };
  const outcome = await db.transaction(async (tx): Promise<EventsOutcome> => {
    const lease = await checkLease(tx, runner, id, req.lease);
    if (!lease.ok) return lease;
    Object.assign(batch, { lastSeq: lease.lastSeq, logBytes: lease.logBytes, logTruncated: lease.logTruncated });
    for (const e of [...req.events].sort((a, b) => a.seq - b.seq)) {
      if (e.seq <= batch.lastSeq) continue; // already stored: a resend after a lost answer
      batch.lastSeq = e.seq;
      await storeEvent(tx, id, e, batch, limits, clock);
    }
    await saveBatch(tx, id, batch, Date.now() + limits.leaseMs);
    await tx.commit();
    return { ok: true, ack: batch.lastSeq, cancel: lease.cancel };
  });
  if (batch.stored.length > 0) signals.publish(id, { type: 'log', lines: batch.stored });
  if (batch.runChanged) await publishRun(db, signals, id);
  return outcome;
}

async function storeEvent(tx: Transaction, id: number, e: RunEvent, batch: Batch, limits: RunLimits, clock: RunnerClock): Promise<void> {
  if (e.type === 'started') {
    // Never before the claim: what is left of the network delay is not the script's time.
    await tx.execute({ sql: 'UPDATE runs SET started_at = max(?, claimed_at) WHERE id = ?', args: [clock(e.at), id] });
    batch.runChanged = true;
  } else if (e.type === 'progress') {
    await tx.execute({ sql: 'UPDATE runs SET progress = ?, message = ? WHERE id = ?', args: [e.progress, e.message, id] });
    batch.runChanged = true;
  } else {
    await storeLine(tx, id, { seq: e.seq, at: clock(e.at), stream: e.stream, text: e.text }, batch, limits);
  }
}

/** Stores one log line within the run's log bound; after the truncation marker, nothing. */
export async function storeLine(tx: Transaction, id: number, line: LogLine, batch: Batch, limits: Pick<RunLimits, 'logMaxBytes'>): Promise<void> {
  if (batch.logTruncated) return;
  const kept = boundedLine(line, batch, limits);
  batch.logBytes += Buffer.byteLength(kept.text) + 1;
  await tx.execute({ sql: 'INSERT OR IGNORE INTO run_logs (run_id, seq, at, stream, text) VALUES (?, ?, ?, ?, ?)', args: [id, kept.seq, kept.at, kept.stream, kept.text] });
  batch.stored.push(kept);
}

/** Writes what a batch stored back onto the run, with the lease (or silence deadline) it renews. */
export async function saveBatch(tx: Transaction, id: number, batch: Batch, leaseExpiresAt: number): Promise<void> {
  await tx.execute({
    sql: `UPDATE runs SET last_seq = ?, log_bytes = ?, log_lines = log_lines + ?, log_truncated = ?, lease_expires_at = ? WHERE id = ?`,
    args: [batch.lastSeq, batch.logBytes, batch.stored.length, batch.logTruncated ? 1 : 0, leaseExpiresAt, id],
  });
}

/** The line, or the one marker that takes its place when it would take the log past its bound (nothing is kept after it). */
function boundedLine(line: LogLine, batch: Batch, limits: Pick<RunLimits, 'logMaxBytes'>): LogLine {
  if (batch.logBytes + Buffer.byteLength(line.text) + 1 <= limits.logMaxBytes) return line;
  batch.logTruncated = true;
  batch.runChanged = true;
  return { ...line, stream: 'system', text: `[switchyard] log truncated: this run printed more than ${formatBytes(limits.logMaxBytes)}; later output is not kept` };
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
    await endRunIn(tx, id, { ...req, finished_at: clock(req.finished_at) });
    await tx.commit();
    return { ok: true as const };
  });
  if (outcome.ok) await publishRunEnd(db, signals, id);
  return outcome;
}

export type RunEnd = Pick<FinishRequest, 'state' | 'exit_code' | 'signal' | 'error' | 'finished_at' | 'report' | 'metrics' | 'notify'>;

/**
 * Ends a running run (a runner's or a pipeline's) inside the caller's write
 * transaction, with its notification event in the same transaction, so a
 * run's end and what people are told about it hold together.
 */
export async function endRunIn(tx: Transaction, id: number, end: RunEnd): Promise<void> {
  const report = end.report;
  await tx.execute({
    sql: `UPDATE runs SET state = ?, exit_code = ?, signal = ?, error = ?, finished_at = max(?, coalesce(started_at, claimed_at)), lease = NULL, lease_expires_at = NULL,
            progress = CASE WHEN ? = 'succeeded' THEN 100 ELSE progress END,
            report_type = ?, report = ?, report_truncated = ?, metrics = ?, notify = ? WHERE id = ?`,
    args: [
      end.state, end.exit_code, end.signal, end.error, end.finished_at, end.state, report?.type ?? null, report?.body ?? null, report?.truncated ? 1 : 0,
      end.metrics && Object.keys(end.metrics).length ? JSON.stringify(end.metrics) : null, end.notify?.length ? JSON.stringify(end.notify) : null, id,
    ],
  });
  await recordRunEndsIn(tx, [id]);
}

/** After the commit that ended a run: its live views and this process's metrics see the end. */
export async function publishRunEnd(db: Database, signals: RunSignals, id: number): Promise<void> {
  const run = await publishRun(db, signals, id);
  if (run) observeRunEnd(run);
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(0)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(0)} KiB` : `${n} bytes`;
}

