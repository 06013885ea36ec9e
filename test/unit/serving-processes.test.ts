import { describe, expect, it } from 'vitest';
import { processCount, restartPauseMs } from '../../src/cli/serving-processes.ts';

describe('SWITCHYARD_PROCESSES', () => {
  it('is 1 when unset, else a whole number from 1 to 64', () => {
    expect(processCount(undefined)).toBe(1);
    expect(processCount('')).toBe(1);
    expect(processCount('2')).toBe(2);
    expect(processCount('64')).toBe(64);
    for (const bad of ['0', '65', '1.5', '-2', 'two', ' 2x']) expect(processCount(bad)).toHaveProperty('problem', expect.stringContaining(`not "${bad}"`));
  });

  it('restarts a process that keeps failing after a pause that doubles up to 30 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(restartPauseMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  });
});
