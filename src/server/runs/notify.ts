/**
 * In-process signals: "a run was queued" wakes long-polling runners at once,
 * and per-run updates feed the live streams. Another app instance sharing the
 * database is not reached by these; its pollers and streams fall back to
 * re-reading the database every few seconds.
 */
import { EventEmitter } from 'node:events';
import type { LogLine, RunView } from './read.ts';

export type RunUpdate = { type: 'run'; run: RunView } | { type: 'log'; lines: LogLine[] };

export class RunSignals {
  private emitter = new EventEmitter();

  constructor() {
    this.emitter.setMaxListeners(0);
  }

  queued(): void {
    this.emitter.emit('queued');
  }

  /** Resolves when a run is queued or after `ms`, whichever is first. */
  waitForQueued(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.emitter.off('queued', done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.emitter.once('queued', done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  publish(runId: number, update: RunUpdate): void {
    this.emitter.emit(`run:${runId}`, update);
  }

  subscribe(runId: number, listener: (u: RunUpdate) => void): () => void {
    this.emitter.on(`run:${runId}`, listener);
    return () => this.emitter.off(`run:${runId}`, listener);
  }
}
