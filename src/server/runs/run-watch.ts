/**
 * What another app process did to a run (a log line, a state) reaches this
 * process's live streams only through the database. One watcher per process
 * asks once per interval, for all the runs streamed here at once, only each
 * run's state and last sequence number (one indexed read, whatever the number
 * of viewers); a stream reads the run and its new lines only when those moved.
 */
import type { Database } from '../db.ts';

/** How often the runs streamed here are looked at for changes made by other processes. */
export const WATCH_MS = 250;

type Mark = { state: string; lastSeq: number };
type Listener = (mark: Mark) => void;

export class RunWatch {
  private listeners = new Map<number, Set<Listener>>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private db: Database;
  private intervalMs: number;

  constructor(db: Database, intervalMs = WATCH_MS) {
    this.db = db;
    this.intervalMs = intervalMs;
  }

  /** Calls `listener` with the run's state and last sequence number on each look; returns the way to stop. */
  watch(runId: number, listener: Listener): () => void {
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(listener);
    this.timer ??= setInterval(() => void this.look(), this.intervalMs);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(runId);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  private async look(): Promise<void> {
    if (this.busy || this.listeners.size === 0) return; // a slow read is not stacked on
    this.busy = true;
    try {
      const ids = [...this.listeners.keys()].slice(0, 500);
      const { rows } = await this.db.execute({ sql: `SELECT id, state, last_seq FROM runs WHERE id IN (${ids.map(() => '?').join(',')})`, args: ids });
      for (const r of rows) for (const l of this.listeners.get(Number(r.id)) ?? []) l({ state: String(r.state), lastSeq: Number(r.last_seq) });
    } catch {
      /* the database is busy: the next look tries again */
    } finally {
      this.busy = false;
    }
  }
}
