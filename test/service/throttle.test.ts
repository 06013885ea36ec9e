/** Failed-login throttling on a real database, shared by every app process on it. */
import { afterEach, describe, expect, it } from 'vitest';
import { LoginThrottle, throttleKeys } from '../../src/server/auth/throttle.ts';
import { openDatabase } from '../../src/server/db.ts';
import { tempDatabase } from '../helpers/temp-db.ts';

let close: () => void = () => {};
afterEach(() => close());

async function throttleOn(now?: () => number) {
  const t = await tempDatabase();
  close = t.close;
  return { throttle: new LoginThrottle(t.db, now), url: t.url };
}

describe('LoginThrottle', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('allows five failures per account, then doubles the wait, never locking for good', async () => {
    const c = clock();
    const { throttle } = await throttleOn(c.now);
    const keys = throttleKeys('Alice ', '10.0.0.1');
    for (let i = 0; i < 5; i++) {
      expect(await throttle.retryAfterMs(keys)).toBe(0);
      await throttle.fail(keys);
    }
    expect(await throttle.retryAfterMs(keys)).toBe(1000);
    c.advance(1000);
    expect(await throttle.retryAfterMs(keys)).toBe(0);
    await throttle.fail(keys);
    expect(await throttle.retryAfterMs(keys)).toBe(2000);
    for (let i = 0; i < 30; i++) await throttle.fail(keys);
    expect(await throttle.retryAfterMs(keys)).toBe(15 * 60 * 1000);
    c.advance(15 * 60 * 1000 + 1);
    expect(await throttle.retryAfterMs(keys)).toBe(0);
    await throttle.fail(keys); // a failure after the window counts from one again
    expect(await throttle.retryAfterMs(keys)).toBe(0);
  });

  it('treats usernames case-insensitively and forgets an account on success', async () => {
    const { throttle } = await throttleOn();
    for (let i = 0; i < 5; i++) await throttle.fail(throttleKeys('bob', '10.0.0.1'));
    expect(await throttle.retryAfterMs(throttleKeys('BOB', '10.0.0.2'))).toBeGreaterThan(0);
    await throttle.succeed(throttleKeys('bob', '10.0.0.1'));
    expect(await throttle.retryAfterMs(throttleKeys('bob', '10.0.0.1'))).toBe(0);
  });

  it('gives a shared address many more tries than one account', async () => {
    const { throttle } = await throttleOn();
    for (let i = 0; i < 49; i++) await throttle.fail(throttleKeys(`user${i}`, '10.0.0.9'));
    expect(await throttle.retryAfterMs(throttleKeys('someone-else', '10.0.0.9'))).toBe(0);
    await throttle.fail(throttleKeys('user49', '10.0.0.9'));
    expect(await throttle.retryAfterMs(throttleKeys('someone-else', '10.0.0.9'))).toBeGreaterThan(0);
  });

  it('counts the failures of every process on the database together, so more processes give no more tries', async () => {
    const now = () => 5_000_000;
    const { throttle, url } = await throttleOn(now);
    // A second process: its own connection to the same file, its own throttle.
    const other = await openDatabase(url);
    const second = new LoginThrottle(other, now);
    const keys = throttleKeys('carol', '10.0.0.3');
    await Promise.all([throttle.fail(keys), second.fail(keys), throttle.fail(keys), second.fail(keys), throttle.fail(keys)]);
    expect(await second.retryAfterMs(keys)).toBe(1000);
    expect(await throttle.retryAfterMs(keys)).toBe(1000);
    other.close();
  });
});
