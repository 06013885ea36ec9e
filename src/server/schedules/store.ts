/**
 * The schedules' rows in the database: the watermark each scheduled button
 * has been decided up to, its pause, and the moments that passed without a
 * run. All app processes share these rows; the write lock orders them.
 */
import type { Executor, Transaction } from '../db.ts';

export interface ScheduleRow {
  page: string;
  button: string;
  spec: string;
  watermark: number;
  pausedAt: string | null;
  pausedBy: string | null;
}

export interface ScheduleEvent {
  outcome: 'missed' | 'skipped';
  firstAt: string;
  lastAt: string;
  count: number;
  /** The count is a lower bound: too many moments passed to walk them all. */
  atLeast: boolean;
  reason: string;
  recordedAt: string;
}

export const keyOf = (page: string, button: string) => `${page}\u0000${button}`;

export async function readSchedules(ex: Executor): Promise<Map<string, ScheduleRow>> {
  const { rows } = await ex.execute('SELECT page_slug, button_name, spec, watermark, paused_at, paused_by FROM schedules');
  return new Map(
    rows.map((r) => {
      const row: ScheduleRow = {
        page: String(r.page_slug),
        button: String(r.button_name),
        spec: String(r.spec),
        watermark: Number(r.watermark),
        pausedAt: r.paused_at == null ? null : String(r.paused_at),
        pausedBy: r.paused_by == null ? null : String(r.paused_by),
      };
      return [keyOf(row.page, row.button), row];
    }),
  );
}

/**
 * Starts a schedule from `now` (nothing before it counts as missed), or
 * restarts it when its timing changed. A pause is kept across a change.
 */
export async function startFresh(tx: Transaction, page: string, button: string, spec: string, now: number): Promise<void> {
  await tx.execute({
    sql: `INSERT INTO schedules (page_slug, button_name, spec, watermark) VALUES (?, ?, ?, ?)
          ON CONFLICT (page_slug, button_name) DO UPDATE SET spec = excluded.spec, watermark = excluded.watermark
          WHERE schedules.spec <> excluded.spec`,
    args: [page, button, spec, now],
  });
}

/**
 * Moves the watermark from `from` to `to` if no other process has moved it
 * (and the schedule is not paused): true when this process now decides the
 * moments in between.
 */
export async function advance(tx: Transaction, row: ScheduleRow, to: number): Promise<boolean> {
  const { rowsAffected } = await tx.execute({
    sql: `UPDATE schedules SET watermark = ? WHERE page_slug = ? AND button_name = ? AND watermark = ? AND spec = ? AND paused_at IS NULL`,
    args: [to, row.page, row.button, row.watermark, row.spec],
  });
  return rowsAffected === 1;
}

/** Schedules no longer in the config: forgotten, so that one put back later starts afresh. */
export async function forget(tx: Transaction, keep: Set<string>, rows: Map<string, ScheduleRow>): Promise<void> {
  for (const [key, row] of rows) {
    if (!keep.has(key)) await tx.execute({ sql: 'DELETE FROM schedules WHERE page_slug = ? AND button_name = ?', args: [row.page, row.button] });
  }
}

export async function setPaused(tx: Transaction, page: string, button: string, spec: string, by: string | null, now: number): Promise<boolean> {
  // Resuming moves the watermark to now: the moments of the pause were not missed, they were not wanted.
  const { rowsAffected } = await tx.execute(
    by
      ? {
          sql: `INSERT INTO schedules (page_slug, button_name, spec, watermark, paused_at, paused_by) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (page_slug, button_name) DO UPDATE SET paused_at = excluded.paused_at, paused_by = excluded.paused_by
                WHERE schedules.paused_at IS NULL`,
          args: [page, button, spec, now, new Date(now).toISOString(), by],
        }
      : {
          sql: 'UPDATE schedules SET paused_at = NULL, paused_by = NULL, watermark = ? WHERE page_slug = ? AND button_name = ? AND paused_at IS NOT NULL',
          args: [now, page, button],
        },
  );
  return rowsAffected === 1;
}

/**
 * Records moments that passed without a run. Continues the button's newest
 * event when it is of the same kind and reason and no scheduled run came
 * since, so that a long streak is one row.
 */
export async function recordEvent(
  tx: Transaction,
  page: string,
  button: string,
  e: { outcome: 'missed' | 'skipped'; first: number; last: number; count: number; atLeast?: boolean; reason: string },
): Promise<void> {
  const { rows } = await tx.execute({
    sql: `SELECT id, outcome, reason, last_at,
            (SELECT max(scheduled_for) FROM runs WHERE page_slug = ?1 AND button_name = ?2) AS last_run
          FROM schedule_events WHERE page_slug = ?1 AND button_name = ?2 ORDER BY id DESC LIMIT 1`,
    args: [page, button],
  });
  const newest = rows[0];
  if (newest && newest.outcome === e.outcome && newest.reason === e.reason && Number(newest.last_at) >= Number(newest.last_run ?? 0)) {
    await tx.execute({
      sql: 'UPDATE schedule_events SET last_at = ?, count = count + ?, at_least = max(at_least, ?), recorded_at = ? WHERE id = ?',
      args: [e.last, e.count, e.atLeast ? 1 : 0, new Date().toISOString(), Number(newest.id)],
    });
    return;
  }
  await tx.execute({
    sql: `INSERT INTO schedule_events (page_slug, button_name, outcome, first_at, last_at, count, at_least, reason, recorded_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    args: [page, button, e.outcome, e.first, e.last, e.count, e.atLeast ? 1 : 0, e.reason, new Date().toISOString()],
  });
}

export async function recentEvents(ex: Executor, page: string, button: string, limit = 3): Promise<ScheduleEvent[]> {
  const { rows } = await ex.execute({
    sql: `SELECT outcome, first_at, last_at, count, at_least, reason, recorded_at FROM schedule_events
          WHERE page_slug = ? AND button_name = ? ORDER BY id DESC LIMIT ?`,
    args: [page, button, limit],
  });
  return rows.map((r) => ({
    outcome: String(r.outcome) as ScheduleEvent['outcome'],
    firstAt: new Date(Number(r.first_at)).toISOString(),
    lastAt: new Date(Number(r.last_at)).toISOString(),
    count: Number(r.count),
    atLeast: Number(r.at_least) !== 0,
    reason: String(r.reason),
    recordedAt: String(r.recorded_at),
  }));
}
