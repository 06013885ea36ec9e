/**
 * Recording what happened, inside the transaction that made it happen, so an
 * event is stored exactly when its cause is: a run that ended, values saved,
 * a save that could not be published, a schedule's missed moment. Nothing
 * here knows who is told; the delivery worker fans each event out to the
 * targets the config names at that time (fanout.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Transaction } from '../db.ts';
import { runEventOf, type EventType } from '../../core/notify-events.ts';

export interface NewEvent {
  type: EventType;
  page?: string;
  button?: string;
  /** The event's own part of the body: what a receiver needs to act without calling back. */
  data: Record<string, unknown>;
}

/** Stores an event in the caller's write transaction; returns its id. */
export async function recordEvent(tx: Transaction, e: NewEvent): Promise<number> {
  const { rows } = await tx.execute({
    sql: `INSERT INTO notification_events (uid, type, page_slug, button_name, at, data) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
    args: [randomUUID(), e.type, e.page ?? null, e.button ?? null, new Date().toISOString(), JSON.stringify(e.data)],
  });
  return Number(rows[0]!.id);
}

const inList = (n: number) => Array(n).fill('?').join(',');

/**
 * Records the end of each of these runs that has ended (a running run asked to
 * stop ends later, when it reports so), in the caller's transaction. Call it
 * after the UPDATE that ended them, before the commit.
 */
export async function recordRunEndsIn(tx: Transaction, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  const { rows } = await tx.execute({
    sql: `SELECT id, page_slug, button_name, state, requested_by, scheduled_for, rerun_of, created_at, started_at, finished_at, exit_code, signal,
            error, message, progress, external, notify, (SELECT name FROM runners WHERE id = runs.runner_id) AS runner
          FROM runs WHERE id IN (${inList(ids.length)}) ORDER BY id`,
    args: ids,
  });
  for (const r of rows) {
    const type = runEventOf(String(r.state));
    if (!type) continue;
    const started = r.started_at == null ? null : String(r.started_at);
    const finished = r.finished_at == null ? null : String(r.finished_at);
    await recordEvent(tx, {
      type,
      page: String(r.page_slug),
      button: String(r.button_name),
      data: {
        run: {
          id: Number(r.id),
          state: String(r.state),
          button: String(r.button_name),
          requested_by: String(r.requested_by),
          scheduled_for: r.scheduled_for == null ? null : new Date(Number(r.scheduled_for)).toISOString(),
          rerun_of: r.rerun_of == null ? null : Number(r.rerun_of),
          external: Number(r.external) !== 0,
          runner: r.runner == null ? null : String(r.runner),
          created_at: String(r.created_at),
          started_at: started,
          finished_at: finished,
          duration_ms: started && finished ? Math.max(0, Date.parse(finished) - Date.parse(started)) : null,
          exit_code: r.exit_code == null ? null : Number(r.exit_code),
          signal: r.signal == null ? null : String(r.signal),
          error: r.error == null ? null : String(r.error),
          message: r.message == null ? null : String(r.message),
          progress: r.progress == null ? null : Number(r.progress),
          // Whom the script asked to tell (SWITCHYARD_NOTIFY_FILE); only when it asked.
          ...(r.notify == null ? {} : { notify: JSON.parse(String(r.notify)) as string[] }),
        },
      },
    });
  }
}
