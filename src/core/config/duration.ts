/** Durations as config.yaml writes them. */
import * as z from 'zod';

/**
 * A duration in milliseconds from whole seconds (`90`) or a number with a
 * unit (`"90s"`, `"15m"`, `"2h"`, `"1d"`), or undefined if it is neither.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{1,7})\s*(s|m|h|d)$/.exec(value.trim());
  if (!m || Number(m[1]) === 0) return undefined;
  return Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
}

/** A duration of at most `maxMs` in milliseconds; anything else adds `message` as the key's problem. */
export function durationUpTo(value: unknown, maxMs: number, message: string, ctx: z.RefinementCtx): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms > maxMs) {
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  }
  return ms;
}
