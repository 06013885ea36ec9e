/**
 * Audit entries that need not hold up the request that caused them (an
 * export: nothing changed, someone read): collected for a short window and
 * written together in one transaction, instead of one fsync'd commit per
 * request. The process writes what it holds before it closes the database on
 * a clean stop; a crash loses at most the last window's entries.
 */
import { auditStatement, type AuditEntry } from './audit.ts';
import type { Database } from './db.ts';
import { log } from './log.ts';

/** How long an entry may wait, and how many wait before they are written at once. */
const WINDOW_MS = 25;
const MAX_WAITING = 500;
/** Entries kept for another try while the database refuses them (full disk, say); past it the oldest go, counted in the log. */
const MAX_HELD = 10_000;

export class AuditBatch {
  private waiting: ReturnType<typeof auditStatement>[] = [];
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  private readonly db: Database;
  private readonly windowMs: number;

  constructor(db: Database, windowMs = WINDOW_MS) {
    this.db = db;
    this.windowMs = windowMs;
  }

  add(entry: AuditEntry): void {
    this.waiting.push(auditStatement(entry));
    if (this.waiting.length >= MAX_WAITING) void this.flush();
    // Unreferenced: a clean stop flushes explicitly, and a waiting batch must not keep a process alive.
    else this.timer ??= setTimeout(() => void this.flush(), this.windowMs).unref();
  }

  /** Writes every waiting entry; resolves once they are committed (or failed, and are held for the next try). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.writing = this.writing.then(() => this.writeWaiting());
    return this.writing;
  }

  private async writeWaiting(): Promise<void> {
    const batch = this.waiting;
    if (!batch.length) return;
    this.waiting = [];
    try {
      await this.db.batch(batch);
    } catch (e) {
      const held = [...batch, ...this.waiting];
      const dropped = Math.max(0, held.length - MAX_HELD);
      this.waiting = held.slice(dropped);
      log().error({ err: e }, `Could not write ${batch.length} audit entries of exports; they are kept and tried again every second${dropped ? ` (${dropped} oldest dropped: more than ${MAX_HELD} were waiting)` : ''}`);
      this.timer ??= setTimeout(() => void this.flush(), 1000).unref();
    }
  }
}
