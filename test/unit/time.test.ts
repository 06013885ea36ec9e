import { describe, expect, it } from 'vitest';
import { durationText, runDurationText, utcText } from '../../src/core/time.ts';

describe('durationText', () => {
  it.each([
    [0, '0 s'],
    [2.46, '2.5 s'],
    [3, '3 s'],
    [42.4, '42 s'],
    [725, '12 min 5 s'],
    [3 * 3600 + 4 * 60 + 59, '3 h 4 min'],
    [-1, '0 s'],
  ])('%j → %j', (seconds, text) => {
    expect(durationText(seconds)).toBe(text);
  });
});

describe('runDurationText', () => {
  const started_at = '2025-01-31T10:00:00.000Z';
  it('says nothing for a run that has not started', () => {
    expect(runDurationText({ started_at: null, finished_at: null }, Date.parse(started_at))).toBeUndefined();
  });
  it('counts whole seconds while the run goes on', () => {
    expect(runDurationText({ started_at, finished_at: null }, Date.parse(started_at) + 5900)).toBe('running for 5 s');
  });
  it('says how long a finished run took, whatever the time now', () => {
    expect(runDurationText({ started_at, finished_at: '2025-01-31T10:00:02.540Z' }, 0)).toBe('took 2.5 s');
  });
});

describe('utcText', () => {
  it('reads a timestamp in UTC to the second, and leaves other text alone', () => {
    expect(utcText('2025-01-31T10:00:02.540Z')).toBe('2025-01-31 10:00:02 UTC');
    expect(utcText('soon')).toBe('soon');
  });
});

describe('in other languages', () => {
  it('writes the decimal separator of the language, the same symbols', () => {
    expect(durationText(2.46, 'fr')).toBe('2,5 s');
    expect(durationText(2.46, 'es')).toBe('2,5 s');
    expect(durationText(725, 'it')).toBe('12 min 5 s');
  });
  it('puts a run\'s duration in the words it is given', () => {
    const words = (phrase: 'took' | 'runningFor', d: string) => (phrase === 'took' ? `duró ${d}` : `en curso desde hace ${d}`);
    const started_at = '2025-01-31T10:00:00.000Z';
    expect(runDurationText({ started_at, finished_at: '2025-01-31T10:00:02.540Z' }, 0, words, 'es')).toBe('duró 2,5 s');
    expect(runDurationText({ started_at, finished_at: null }, Date.parse(started_at) + 5900, words, 'es')).toBe('en curso desde hace 5 s');
  });
});
