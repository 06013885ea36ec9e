/**
 * A button's `schedule:` key: a cron string, or a mapping
 * `{cron, timezone, overlap, catch_up}`. Both shapes turn into one
 * `Schedule` (src/core/schedule.ts), so nothing downstream tells them apart.
 */
import * as z from 'zod';
import { cronProblem, OVERLAP, timezoneProblem, type Schedule } from '../schedule.ts';
import { durationUpTo } from './duration.ts';

const cronText = z.string().superRefine((value, ctx) => {
  const problem = cronProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const MAX_CATCH_UP_MS = 7 * 24 * 3_600_000;

const catchUp = z.unknown().optional().transform((value, ctx): number => {
  if (value === undefined || value === false) return 0;
  if (value === true) return Infinity;
  return durationUpTo(value, MAX_CATCH_UP_MS, 'must be true, false or a duration of at most 7 days such as "6h"', ctx);
});

const scheduleMap = z.strictObject({
  cron: z.union([cronText, z.array(cronText).min(1, { message: 'must list at least one cron string' }).max(20)]),
  timezone: z.string().superRefine((value, ctx) => {
    const problem = timezoneProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  }).optional(),
  overlap: z.enum(OVERLAP).default('skip'),
  catch_up: catchUp,
});

export const scheduleSchema = z.union([cronText, scheduleMap]).transform((s): Schedule => {
  if (typeof s === 'string') return { crons: [s.trim()], overlap: 'skip', catchUpMs: 0 };
  const crons = (Array.isArray(s.cron) ? s.cron : [s.cron]).map((c) => c.trim());
  return { crons, timezone: s.timezone, overlap: s.overlap, catchUpMs: s.catch_up };
});
