/**
 * The schedule's decisions as pure functions of the clock: the next moments
 * (with time zones, across daylight-saving changes), and what is run, missed
 * or caught up after the app was away.
 */
import { describe, expect, it } from 'vitest';
import { nextMoment, nextMoments, ON_TIME_MS, plan, describeCron, type Schedule } from '../../src/core/schedule.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const daily = (crons: string[], timezone?: string, catchUpMs = 0): Schedule => ({ crons, timezone, overlap: 'skip', catchUpMs });

describe('next moments', () => {
  it('in a zone without daylight saving', () => {
    const s = daily(['0 3 * * *'], 'Asia/Tokyo');
    expect(nextMoments(s, at('2026-03-28T00:00:00Z'), 2).map(iso)).toEqual(['2026-03-28T18:00:00.000Z', '2026-03-29T18:00:00.000Z']);
  });

  it('across the spring change: a local time that does not exist that day is skipped', () => {
    // Europe/Berlin jumps from 02:00 to 03:00 on 2026-03-29.
    const s = daily(['30 2 * * *'], 'Europe/Berlin');
    expect(nextMoments(s, at('2026-03-27T12:00:00Z'), 3).map(iso)).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
  });

  it('across the autumn change: a local time that happens twice runs once', () => {
    // Europe/Berlin goes back from 03:00 to 02:00 on 2026-10-25; 02:30 comes twice.
    const s = daily(['30 2 * * *'], 'Europe/Berlin');
    expect(nextMoments(s, at('2026-10-24T12:00:00Z'), 2).map(iso)).toEqual(['2026-10-25T01:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  it('an hourly schedule runs the repeated local hour once', () => {
    // 00:00Z is 02:00 summer time, 01:00Z is 02:00 winter time: one "02:00" run, at the second.
    const s = daily(['0 * * * *'], 'Europe/Berlin');
    const moments = nextMoments(s, at('2026-10-24T23:30:00Z'), 3).map(iso);
    expect(moments).toEqual(['2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z', '2026-10-25T03:00:00.000Z']);
  });

  it('several crons merge, and a moment two of them share is one moment', () => {
    const s = daily(['0 3 * * *', '0 3,15 * * *'], 'UTC');
    expect(nextMoments(s, at('2026-01-01T00:00:00Z'), 3).map(iso)).toEqual(['2026-01-01T03:00:00.000Z', '2026-01-01T15:00:00.000Z', '2026-01-02T03:00:00.000Z']);
  });

  it('seconds come first in six fields, and the next moment is strictly later', () => {
    const s = daily(['*/2 * * * * *'], 'UTC');
    expect(iso(nextMoment(s, at('2026-01-01T00:00:00Z')))).toBe('2026-01-01T00:00:02.000Z');
    expect(iso(nextMoment(s, at('2026-01-01T00:00:01.500Z')))).toBe('2026-01-01T00:00:02.000Z');
  });

  it('reads in words', () => {
    expect(describeCron('0 3 * * *')).toBe('At 03:00');
  });
});

describe('what is due', () => {
  const s = daily(['0 3 * * *'], 'UTC');

  it('nothing before the moment', () => {
    expect(plan(s, at('2026-01-01T02:00:00Z'), at('2026-01-01T02:59:59Z'))).toEqual({});
  });

  it('the moment, when noticed on time', () => {
    expect(plan(s, at('2026-01-01T02:59:59Z'), at('2026-01-01T03:00:00.005Z'))).toEqual({ fire: at('2026-01-01T03:00:00Z'), caughtUp: false });
  });

  it('a moment noticed too late is missed by default', () => {
    const p = plan(s, at('2026-01-01T02:00:00Z'), at('2026-01-01T03:00:00Z') + ON_TIME_MS + 1);
    expect(p).toEqual({ missed: { first: at('2026-01-01T03:00:00Z'), last: at('2026-01-01T03:00:00Z'), count: 1, more: false } });
  });

  it('after three days away: two missed, and the latest runs once under catch_up', () => {
    const p = plan(daily(['0 3 * * *'], 'UTC', Infinity), at('2026-01-01T02:00:00Z'), at('2026-01-03T10:00:00Z'));
    expect(p).toEqual({ fire: at('2026-01-03T03:00:00Z'), caughtUp: true, missed: { first: at('2026-01-01T03:00:00Z'), last: at('2026-01-02T03:00:00Z'), count: 2, more: false } });
  });

  it('a catch-up window only reaches back as far as it says', () => {
    const sixHours = daily(['0 3 * * *'], 'UTC', 6 * 3_600_000);
    expect(plan(sixHours, at('2026-01-03T02:00:00Z'), at('2026-01-03T08:59:00Z')).fire).toBe(at('2026-01-03T03:00:00Z'));
    expect(plan(sixHours, at('2026-01-03T02:00:00Z'), at('2026-01-03T09:01:00Z'))).toEqual({ missed: { first: at('2026-01-03T03:00:00Z'), last: at('2026-01-03T03:00:00Z'), count: 1, more: false } });
  });

  it('a fast schedule is on time only within half its step', () => {
    const everySecond = daily(['* * * * * *'], 'UTC');
    expect(plan(everySecond, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:01.400Z'))).toEqual({ fire: at('2026-01-01T00:00:01Z'), caughtUp: false });
    expect(plan(everySecond, at('2026-01-01T00:00:00Z'), at('2026-01-01T00:00:01.600Z')).fire).toBeUndefined();
  });

  it('a very long absence counts what it can and says "at least"', () => {
    const everySecond = daily(['* * * * * *'], 'UTC');
    const p = plan(everySecond, at('2026-01-01T00:00:00Z'), at('2026-01-02T00:00:00.200Z'));
    expect(p.fire).toBe(at('2026-01-02T00:00:00Z'));
    expect(p.missed).toMatchObject({ count: 200, more: true, first: at('2026-01-01T00:00:01Z'), last: at('2026-01-01T00:03:20Z') });
  });
});
