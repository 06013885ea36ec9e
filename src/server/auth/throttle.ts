/**
 * Failed-login throttling, per account and per address. After a key's free
 * failures inside WINDOW_MS, each further attempt must wait twice as long as
 * the last, up to MAX_DELAY_MS; never a permanent lockout. An address gets
 * far more free failures than an account, because a whole office may share
 * one address. Counted in the database, so every app process sees the same
 * failures: with the count in each process's memory, N processes behind one
 * port gave an attacker N times the tries.
 */
import type { Database } from '../db.ts';

const FREE_FAILURES = { user: 5, ip: 50 } as const;
const WINDOW_MS = 15 * 60 * 1000;
const MAX_DELAY_MS = 15 * 60 * 1000;

interface Entry {
  failures: number;
  lastFailure: number;
}

/** How long `key` must wait after these failures, at `now`: the rule itself, without storage. */
export function waitFor(key: string, e: Entry | undefined, now: number): number {
  if (!e || now - e.lastFailure > WINDOW_MS) return 0;
  const free = key.startsWith('ip:') ? FREE_FAILURES.ip : FREE_FAILURES.user;
  if (e.failures < free) return 0;
  const delay = Math.min(MAX_DELAY_MS, 1000 * 2 ** (e.failures - free));
  return Math.max(0, e.lastFailure + delay - now);
}

export class LoginThrottle {
  private db: Database;
  private now: () => number;

  constructor(db: Database, now: () => number = Date.now) {
    this.db = db;
    this.now = now;
  }

  /** Milliseconds to wait before another attempt for any of `keys`, 0 when allowed now. */
  async retryAfterMs(keys: string[]): Promise<number> {
    const { rows } = await this.db.execute({ sql: `SELECT key, failures, last_failure FROM login_failures WHERE key IN (${keys.map(() => '?').join(',')})`, args: keys });
    const now = this.now();
    return Math.max(0, ...rows.map((r) => waitFor(String(r.key), { failures: Number(r.failures), lastFailure: Number(r.last_failure) }, now)));
  }

  /** Counts a failure for each key (a count older than the window starts again), and forgets counts past it. */
  async fail(keys: string[]): Promise<void> {
    const now = this.now();
    await this.db.batch([
      ...keys.map((key) => ({
        sql: `INSERT INTO login_failures (key, failures, last_failure) VALUES (?, 1, ?)
              ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN ? - last_failure > ? THEN 1 ELSE failures + 1 END, last_failure = excluded.last_failure`,
        args: [key, now, now, WINDOW_MS],
      })),
      { sql: 'DELETE FROM login_failures WHERE last_failure < ?', args: [now - WINDOW_MS] },
    ]);
  }

  async succeed(keys: string[]): Promise<void> {
    await this.db.write({ sql: `DELETE FROM login_failures WHERE key IN (${keys.map(() => '?').join(',')})`, args: keys });
  }
}

export function throttleKeys(username: string, ip: string): string[] {
  return [`user:${username.trim().toLowerCase()}`, `ip:${ip}`];
}
