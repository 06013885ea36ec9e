/**
 * Failed-login throttling, per account and per address. After a key's free
 * failures inside WINDOW_MS, each further attempt must wait twice as long as
 * the last, up to MAX_DELAY_MS; never a permanent lockout. An address gets
 * far more free failures than an account, because a whole office may share
 * one address. Kept in memory: a restart forgets it, which errs toward
 * letting people in.
 */
const FREE_FAILURES = { user: 5, ip: 50 } as const;
const WINDOW_MS = 15 * 60 * 1000;
const MAX_DELAY_MS = 15 * 60 * 1000;
const MAX_KEYS = 10_000;

interface Entry {
  failures: number;
  lastFailure: number;
}

export class LoginThrottle {
  private entries = new Map<string, Entry>();
  private now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** Milliseconds to wait before another attempt for any of `keys`, 0 when allowed now. */
  retryAfterMs(keys: string[]): number {
    return Math.max(0, ...keys.map((k) => this.waitFor(k)));
  }

  fail(keys: string[]): void {
    const now = this.now();
    for (const key of keys) {
      const e = this.live(key);
      this.entries.delete(key); // re-insert so the Map stays ordered by last use
      this.entries.set(key, { failures: (e?.failures ?? 0) + 1, lastFailure: now });
    }
    while (this.entries.size > MAX_KEYS) this.entries.delete(this.entries.keys().next().value!);
  }

  succeed(keys: string[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (e && this.now() - e.lastFailure > WINDOW_MS) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }

  private waitFor(key: string): number {
    const e = this.live(key);
    const free = key.startsWith('ip:') ? FREE_FAILURES.ip : FREE_FAILURES.user;
    if (!e || e.failures < free) return 0;
    const delay = Math.min(MAX_DELAY_MS, 1000 * 2 ** (e.failures - free));
    return Math.max(0, e.lastFailure + delay - this.now());
  }
}

export function throttleKeys(username: string, ip: string): string[] {
  return [`user:${username.trim().toLowerCase()}`, `ip:${ip}`];
}
