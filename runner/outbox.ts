/**
 * The events of one run on their way to the app: numbered, held until the
 * app acknowledges them, resent after any failure, and bounded: if the app is
 * unreachable for long, the oldest log lines are dropped and counted, so the
 * runner's memory stays bounded whatever a script prints. Sending is also how
 * the lease is renewed and how a cancel request arrives.
 */
import { LIMITS, type RunEvent } from '../src/protocol/index.ts';
import { Rejected, RunGone, Unauthorized, withRetry, type AppApi } from './api.ts';

type Pending = RunEvent;
type NewEvent = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'seq'> : never) : never;

export class Outbox {
  private seq = 0;
  private pending: Pending[] = [];
  private dropped = 0;
  private sending: Promise<void> | undefined;
  private lastSent = 0;
  private timer: NodeJS.Timeout;
  private api: AppApi;
  private runId: number;
  private lease: string;
  private log: (m: string) => void;
  private onCancel: () => void;
  private onGone: (reason: string) => void;
  private onUnauthorized: (e: Unauthorized) => void;
  closed = false;

  constructor(opts: {
    api: AppApi;
    runId: number;
    lease: string;
    log: (m: string) => void;
    onCancel: () => void;
    onGone: (reason: string) => void;
    /** The app refused our token: nothing can be reported any more. */
    onUnauthorized?: (e: Unauthorized) => void;
  }) {
    this.api = opts.api;
    this.runId = opts.runId;
    this.lease = opts.lease;
    this.log = opts.log;
    this.onCancel = opts.onCancel;
    this.onGone = opts.onGone;
    this.onUnauthorized = opts.onUnauthorized ?? ((e) => this.log(`run ${this.runId}: ${e.message}`));
    // Heartbeat: an empty batch renews the lease and asks about cancellation.
    this.timer = setInterval(() => {
      if (Date.now() - this.lastSent >= LIMITS.heartbeatMs) this.kick();
    }, 250);
  }

  /** Events waiting for the app's acknowledgement. */
  get size(): number {
    return this.pending.length;
  }

  /** Log lines dropped since the last marker was queued. */
  get droppedSoFar(): number {
    return this.dropped;
  }

  push(event: NewEvent): void {
    if (this.closed) return;
    this.pending.push({ ...event, seq: ++this.seq } as Pending);
    if (this.pending.length > LIMITS.bufferedEvents) {
      const i = this.pending.findIndex((e) => e.type === 'log');
      if (i >= 0) {
        this.pending.splice(i, 1);
        this.dropped++;
      }
    }
    this.kick();
  }

  /** Starts a send unless one is under way; the running one sends again when it ends. */
  private kick(): void {
    if (this.sending || this.closed) return;
    this.sending = this.sendLoop().finally(() => (this.sending = undefined));
  }

  private async sendLoop(): Promise<void> {
    do {
      if (this.dropped > 0) {
        const n = this.dropped;
        this.dropped = 0;
        this.pending.push({ seq: ++this.seq, type: 'log', stream: 'system', at: new Date().toISOString(), text: `[switchyard runner] ${n} log lines dropped while the app could not be reached` });
      }
      const batch = this.pending.slice(0, LIMITS.eventsPerPost);
      this.lastSent = Date.now();
      try {
        const res = await withRetry((fresh) => this.api.events(this.runId, { lease: this.lease, events: batch }, fresh), this.log, `sending events of run ${this.runId}`, () => this.closed);
        this.pending = this.pending.filter((e) => e.seq > res.ack);
        if (res.cancel) this.onCancel();
      } catch (e) {
        if (e instanceof Rejected) {
          // Never block a run on a batch the app will not take: drop it, say so, go on.
          this.log(`run ${this.runId}: the app refused ${batch.length} events (${e.message}); dropping them`);
          const sent = new Set(batch.map((b) => b.seq));
          this.pending = this.pending.filter((p) => !sent.has(p.seq));
          this.pending.push({ seq: ++this.seq, type: 'log', stream: 'system', at: new Date().toISOString(), text: `[switchyard runner] ${batch.length} events were refused by the app and dropped: ${e.message}`.slice(0, 1000) });
          continue;
        }
        if (e instanceof RunGone) {
          this.closed = true;
          this.onGone(e.message);
          return;
        }
        // Sending runs unawaited (from kick): nothing may escape from here as an unhandled rejection.
        if (e instanceof Unauthorized) {
          this.closed = true;
          this.onUnauthorized(e);
          return;
        }
        if (this.closed) return;
        this.log(`run ${this.runId}: sending events failed: ${(e as Error).message}`);
        return;
      }
    } while (this.pending.length > 0 && !this.closed);
  }

  /** Sends everything still pending; resolves once the app has it all. */
  async drain(): Promise<void> {
    while (!this.closed && (this.sending || this.pending.length > 0)) {
      this.kick();
      await this.sending;
    }
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
  }
}
