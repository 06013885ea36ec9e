import { describe, expect, it } from 'vitest';
import { LoginThrottle, throttleKeys } from '../../src/server/auth/throttle.ts';

describe('LoginThrottle', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('allows five failures per account, then doubles the wait, never locking for good', () => {
    const c = clock();
    const throttle = new LoginThrottle(c.now);
    const keys = throttleKeys('Alice ', '10.0.0.1');
    for (let i = 0; i < 5; i++) {
      expect(throttle.retryAfterMs(keys)).toBe(0);
      throttle.fail(keys);
    }
    expect(throttle.retryAfterMs(keys)).toBe(1000);
    c.advance(1000);
    expect(throttle.retryAfterMs(keys)).toBe(0);
    throttle.fail(keys);
    expect(throttle.retryAfterMs(keys)).toBe(2000);
    for (let i = 0; i < 30; i++) throttle.fail(keys);
    expect(throttle.retryAfterMs(keys)).toBe(15 * 60 * 1000);
    c.advance(15 * 60 * 1000 + 1);
    expect(throttle.retryAfterMs(keys)).toBe(0);
  });

  it('treats usernames case-insensitively and forgets an account on success', () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 5; i++) throttle.fail(throttleKeys('bob', '10.0.0.1'));
    expect(throttle.retryAfterMs(throttleKeys('BOB', '10.0.0.2'))).toBeGreaterThan(0);
    throttle.succeed(throttleKeys('bob', '10.0.0.1'));
    expect(throttle.retryAfterMs(throttleKeys('bob', '10.0.0.1'))).toBe(0);
  });

  it('gives a shared address many more tries than one account', () => {
    const throttle = new LoginThrottle();
    for (let i = 0; i < 49; i++) throttle.fail(throttleKeys(`user${i}`, '10.0.0.9'));
    expect(throttle.retryAfterMs(throttleKeys('someone-else', '10.0.0.9'))).toBe(0);
    throttle.fail(throttleKeys('user49', '10.0.0.9'));
    expect(throttle.retryAfterMs(throttleKeys('someone-else', '10.0.0.9'))).toBeGreaterThan(0);
  });
});
