/**
 * What another app process did to a run (a log line, a state) reaches this
 * process's live streams only through the database. One watcher per process
 * asks once per interval, for all the runs streamed here at once, only each
 * run's state and last sequence number (one indexed read, whatever the number
 * of viewers); a stream reads the run and its new lines only when those moved.
 * While runners wait here for work, it also asks whether the queue changed,
 * so a run queued through another process wakes them as one queued here does.
 */
import type { Database } from '../db.ts';
import type { RunSignals } from './notify.ts';

/** How often the runs streamed here are looked at for changes made by other processes. */
export const WATCH_MS = 250;

type Mark = { state: string; lastSeq: number };
type Listener = (mark: Mark) => void;

export class RunWatch {
  private listeners = new Map<number, Set<Listener>>();
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private db: Database;
  private signals: RunSignals;
  private intervalMs: number;
  /** Runner claims waiting here, and the queue as last seen. */
  private claims = 0;
  private queue = '';

  constructor(db: Database, signals: RunSignals, intervalMs = WATCH_MS) {
    this.db = db;
    this.signals = signals;
    this.intervalMs = intervalMs;
  }

  /** A runner's claim waits here for work until the returned function is called. */
  whileClaiming(): () => void {
    this.claims++;
    this.start();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.claims--;
      this.stopIfIdle();
    };
  }

  private start(): void {
    this.timer ??= setInterval(() => void this.look(), this.intervalMs);
  }

  private stopIfIdle(): void {
    if (this.listeners.size === 0 && this.claims === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Calls `listener` with the run's state and last sequence number on each look; returns the way to stop. */
  watch(runId: number, listener: Listener): () => void {
    let set = this.listeners.get(runId);
    if (!set) this.listeners.set(runId, (set = new Set()));
    set.add(listener);
    this.start();
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(runId);
      this.stopIfIdle();
    };
  }

  private async look(): Promise<void> {
    if (this.busy) return; // a slow read is not stacked on
    this.busy = true;
    try {
      if (this.claims > 0) await this.lookAtQueue();
      if (this.listeners.size === 0) return;
      const ids = [...this.listeners.keys()].slice(0, 500);
      const { rows } = await this.db.execute({ sql: `SELECT id, state, last_seq FROM runs WHERE id IN (${ids.map(() => '?').join(',')})`, args: ids });
      for (const r of rows) for (const l of this.listeners.get(Number(r.id)) ?? []) l({ state: String(r.state), lastSeq: Number(r.last_seq) });
    } catch {
      /* the database is busy: the next look tries again */
    } finally {
      this.busy = false;
    }
  }

  /** The queued runs changed (one came, or went back in line): the claims waiting here look. */
  private async lookAtQueue(): Promise<void> {
    const { rows } = await this.db.execute(`SELECT count(*) AS n, max(id) AS top, total(id) AS ids FROM runs WHERE state = 'queued'`);
    const r = rows[0]!;
    const queue = `${r.n}:${r.top}:${r.ids}`;
    if (queue !== this.queue && Number(r.n) > 0) this.signals.queued();
    this.queue = queue;
  }
}
