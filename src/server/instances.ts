/**
 * The app processes serving a database, each a row in `app_instances` that
 * its process renews every few seconds. A restore reads them to refuse
 * replacing the database under a live process; a row no longer renewed
 * belongs to a process that died without a word (kill -9) and is ignored.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Database, Executor } from './db.ts';

/** How often a process renews its row. */
export const HEARTBEAT_MS = 5000;
/** A row not renewed for three heartbeats belongs to a process that is gone. */
export const STALE_AFTER_MS = 3 * HEARTBEAT_MS;

export interface Instance {
  id: string;
  host: string;
  pid: number;
  startedAt: number;
  seenAt: number;
}

export interface RunningInstance {
  id: string;
  /** Ends the heartbeat and deletes the row (the process is stopping). */
  stop(): Promise<void>;
}

/** The processes whose rows were renewed recently enough to be alive at `now`. */
export async function liveInstances(db: Executor, now = Date.now()): Promise<Instance[]> {
  const { rows } = await db.execute({ sql: 'SELECT id, host, pid, started_at, seen_at FROM app_instances WHERE seen_at > ? ORDER BY started_at', args: [now - STALE_AFTER_MS] });
  return rows.map((r) => ({ id: String(r.id), host: String(r.host), pid: Number(r.pid), startedAt: Number(r.started_at), seenAt: Number(r.seen_at) }));
}

/**
 * Registers this process and renews its row every HEARTBEAT_MS with one
 * UPDATE. Rows of processes gone for long are removed at the start. A failed
 * registration or heartbeat (the database busy or full for a moment) is only
 * retried at the next beat: missing one or two does not make the process look dead.
 */
export async function startInstance(db: Database, opts: { now?: () => number; intervalMs?: number } = {}): Promise<RunningInstance> {
  const now = opts.now ?? Date.now;
  const id = `${hostname()} ${process.pid} ${randomBytes(4).toString('hex')}`;
  const insert = () => db.write({ sql: 'INSERT OR REPLACE INTO app_instances (id, host, pid, started_at, seen_at) VALUES (?, ?, ?, ?, ?)', args: [id, hostname(), process.pid, started, now()] });
  const started = now();
  try {
    await db.write({ sql: 'DELETE FROM app_instances WHERE seen_at < ?', args: [started - 10 * STALE_AFTER_MS] });
    await insert();
  } catch (e) {
    // A database that cannot be written now (locked, disk full) must not stop the app from serving: the next beat registers it.
    console.warn(`Could not register this process in the database yet (${(e as Error).message}); trying again in ${HEARTBEAT_MS / 1000} s.`);
  }
  let beating: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    beating = db
      .write({ sql: 'UPDATE app_instances SET seen_at = ? WHERE id = ?', args: [now(), id] })
      // A row removed from under us (a database replaced by hand) is written again.
      .then((r) => (r.rowsAffected === 0 ? insert() : undefined))
      .catch(() => undefined);
  }, opts.intervalMs ?? HEARTBEAT_MS);
  timer.unref();
  return {
    id,
    async stop() {
      clearInterval(timer);
      await beating;
      await db.write({ sql: 'DELETE FROM app_instances WHERE id = ?', args: [id] }).catch(() => undefined);
    },
  };
}
