/**
 * The daily retention sweep, once per UTC day across every app process on
 * the database. Each process looks every few minutes whether today's sweep is
 * due (from the configured UTC hour on) and, if so, claims it with an insert
 * into `maintenance` that only one process can win. The winner beats a
 * heartbeat while it sweeps and records its counts in the claim inside each
 * deleting transaction. A claim whose heartbeat has gone stale (its process
 * crashed or was stopped) is taken over, and the sweep resumes that same day
 * with the counts so far, so the day's audit entry still tells everything.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { App } from './app.ts';
import type { Database } from './db.ts';
import { noneRemoved, retentionConfigured, sweepRetention, type Removed, type SweepOptions, type SweepResult } from './retention.ts';
import { log } from './log.ts';

export const RETENTION_JOB = 'retention';
const HEARTBEAT_MS = 60_000;
/** A claim not beaten for this long belongs to a process that is gone. */
export const STALE_MS = 10 * 60_000;

/** This process, as claims name it. */
export const PROCESS_ID = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;

/** The day (UTC) whose sweep is due at `now`, or undefined before the hour of the day it runs. */
export function dueSlot(now: number, hourUtc: number): string | undefined {
  const at = new Date(now);
  return at.getUTCHours() >= hourUtc ? at.toISOString().slice(0, 10) : undefined;
}

/** Claims (job, slot) for `me`: afresh, or by taking over a stale claim, whose counts so far come back. */
export async function claimSlot(db: Database, job: string, slot: string, me: string, now: number): Promise<{ start: Removed } | undefined> {
  const inserted = await db.write({
    sql: `INSERT INTO maintenance (job, slot, claimed_by, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
    args: [job, slot, me, new Date(now).toISOString(), now],
  });
  if (inserted.rowsAffected === 1) return { start: noneRemoved() };
  const taken = await db.write({
    sql: `UPDATE maintenance SET claimed_by = ?, heartbeat_at = ?, takeovers = takeovers + 1
          WHERE job = ? AND slot = ? AND finished_at IS NULL AND heartbeat_at < ? RETURNING detail`,
    args: [me, now, job, slot, now - STALE_MS],
  });
  const detail = taken.rows[0]?.detail;
  return detail === undefined ? undefined : { start: { ...noneRemoved(), ...(JSON.parse(String(detail)) as Partial<Removed>) } };
}

/** Thrown inside a deleting transaction when another process took the claim over: this sweep stops there. */
class ClaimLost extends Error {}

/**
 * Sweeps if today's sweep is due and this process wins it; undefined when
 * not (no rule configured, before the hour, or done or under way elsewhere).
 */
export async function runDueRetention(app: App, now = Date.now(), me = PROCESS_ID, opts: SweepOptions = {}): Promise<SweepResult | undefined> {
  if (!retentionConfigured((await app.config.current()).config)) return undefined;
  const slot = dueSlot(now, app.settings.retentionHourUtc);
  if (!slot) return undefined;
  const claim = await claimSlot(app.db, RETENTION_JOB, slot, me, now);
  if (!claim) return undefined;
  const mine = `job = '${RETENTION_JOB}' AND slot = ? AND claimed_by = ?`;
  const beat = setInterval(() => {
    app.db.write({ sql: `UPDATE maintenance SET heartbeat_at = ? WHERE ${mine}`, args: [Date.now(), slot, me] }).catch(() => undefined);
  }, HEARTBEAT_MS);
  beat.unref();
  try {
    const result = await sweepRetention(app, now, {
      ...opts,
      start: claim.start,
      trigger: `daily ${slot}`,
      alongside: async (tx, removed) => {
        const held = await tx.execute({ sql: `UPDATE maintenance SET detail = ?, heartbeat_at = ? WHERE ${mine}`, args: [JSON.stringify(removed), Date.now(), slot, me] });
        if (held.rowsAffected === 0) throw new ClaimLost(`the retention sweep of ${slot} was taken over by another process`);
      },
    });
    await app.db.write({
      sql: `UPDATE maintenance SET finished_at = ?, detail = ? WHERE ${mine}`,
      args: [new Date().toISOString(), JSON.stringify(result.removed), slot, me],
    });
    return result;
  } finally {
    clearInterval(beat);
  }
}

/**
 * Looks shortly after start and then every `everyMs` whether the day's sweep
 * is due. A failed sweep leaves its claim unfinished; once its heartbeat is
 * stale, a later look (here or in another process) resumes it.
 */
export function startRetention(app: App, { firstMs = 60_000, everyMs = 10 * 60_000 } = {}): () => void {
  let busy = false;
  const look = async () => {
    if (busy) return;
    busy = true;
    try {
      const result = await runDueRetention(app);
      if (result && Object.values(result.removed).some((n) => n > 0)) log().info(`Retention sweep: removed ${describeRemoved(result.removed)}.`);
    } catch (e) {
      log().error(`The retention sweep failed (it is resumed within ${STALE_MS / 60_000} minutes): ${(e as Error).message}`);
    } finally {
      busy = false;
    }
  };
  const first = setTimeout(look, firstMs);
  const timer = setInterval(look, everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}

export function describeRemoved(removed: Removed): string {
  const parts = Object.entries(removed).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k.replaceAll('_', ' ')}`);
  return parts.length ? parts.join(', ') : 'nothing';
}
