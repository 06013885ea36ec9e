/**
 * A background worker's sleep that new work cuts short. Work signalled while
 * the worker was reading its queue (after it looked, before it sleeps) must
 * not wait for the next idle check: the signal is kept, and a sleep that
 * begins after it ends at once. `begin()` marks the start of a round: what
 * was signalled before it is in what that round reads.
 */
import { EventEmitter } from 'node:events';

export class WakeSignal extends EventEmitter {
  poke(): void {
    this.emit('poke');
  }
}

export class Sleeper {
  private signalled = false;
  private wake: (() => void) | undefined;
  private readonly onPoke = () => {
    this.signalled = true;
    this.wake?.();
  };

  private readonly signal: WakeSignal | undefined;

  constructor(signal?: WakeSignal) {
    this.signal = signal;
    signal?.on('poke', this.onPoke);
  }

  begin(): void {
    this.signalled = false;
  }

  sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.signalled) return resolve();
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /** Ends a sleep now and for good (the worker is stopping). */
  stop(): void {
    this.signal?.off('poke', this.onPoke);
    this.signalled = true;
    this.wake?.();
  }
}
