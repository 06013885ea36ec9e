/**
 * When a scheduled button fires, as pure functions of its cron strings, its
 * time zone and the clock. node-cron parses and matches the cron strings (so
 * validation, the page's "next times" and the firing all agree on one
 * reading); the decisions about late and missed moments live here, where they
 * can be tested without waiting for the clock.
 */
import cron from 'node-cron';
import cronstrue from 'cronstrue';
// Each registers its words with cronstrue; only the languages we speak (the i18n bundle holds 40, 300 KB).
import 'cronstrue/locales/es.js';
import 'cronstrue/locales/it.js';
import 'cronstrue/locales/fr.js';
import { DEFAULT_LANGUAGE, type Language } from './languages.ts';

export const OVERLAP = ['skip', 'queue', 'cancel-previous'] as const;
export type Overlap = (typeof OVERLAP)[number];

/** A button's schedule once validated: what the scheduler works from. */
export interface Schedule {
  crons: string[];
  /** IANA zone; undefined means the server's own zone, read when the schedule is used. */
  timezone?: string;
  overlap: Overlap;
  /** How late a missed moment may still be run once (0: never, Infinity: always). */
  catchUpMs: number;
}

/** Never waits longer than this for a moment to be noticed, whatever the gap between moments. */
export const ON_TIME_MS = 60_000;
/** Moments counted one by one after a long absence; beyond this the count says "at least". */
export const MAX_MOMENTS_WALKED = 200;

type Matcher = { getNextMatch(after: Date): Date };

/**
 * node-cron's matcher for a cron string. node-cron's public task API only
 * looks forward from now; the scheduler must also look forward from a past
 * moment (what was missed while the app was down), which the task's matcher
 * does. A unit test pins this, and package.json pins node-cron to 4.6.x, so an
 * upgrade that moves it fails loudly.
 */
function matcher(expr: string, timezone: string | undefined): Matcher {
  const task = cron.createTask(expr, () => {}, timezone ? { timezone } : {}) as unknown as { timeMatcher?: Matcher };
  if (!task.timeMatcher?.getNextMatch) throw new Error('node-cron no longer exposes its time matcher');
  return task.timeMatcher;
}

const matchers = new Map<string, Matcher>();
function cached(expr: string, timezone: string | undefined): Matcher {
  const key = `${timezone ?? ''} ${expr}`;
  let m = matchers.get(key);
  if (!m) {
    if (matchers.size > 1000) matchers.clear();
    m = matcher(expr, timezone);
    matchers.set(key, m);
  }
  return m;
}

/** Why a cron string is not one, in words, or undefined when it is fine. */
export function cronProblem(expr: string): string | undefined {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6) {
    return `must have 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), got ${fields.length}`;
  }
  const { valid, errors } = cron.validateDetailed(expr);
  if (valid) return undefined;
  // node-cron's words, minus its grammar slip ("a invalid").
  const why = errors.map((e) => e.message.replace(/ is a invalid /, ' is not a valid '));
  return `is not a valid cron expression: ${why.join('; ')}`;
}

export function timezoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return undefined;
  } catch {
    return `is not a time zone name known to this system, such as "Europe/Berlin", "America/New_York" or "UTC"`;
  }
}

export function serverTimezone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** The first moment of any of the crons strictly after `after` (ms). */
export function nextMoment(s: Schedule, after: number): number {
  const zone = s.timezone ?? serverTimezone();
  let best = Infinity;
  for (const expr of s.crons) best = Math.min(best, cached(expr, zone).getNextMatch(new Date(after)).getTime());
  return best;
}

export function nextMoments(s: Schedule, after: number, count: number): number[] {
  const out: number[] = [];
  let t = after;
  for (let i = 0; i < count; i++) {
    t = nextMoment(s, t);
    if (!Number.isFinite(t)) break;
    out.push(t);
  }
  return out;
}

/** What the scheduler does about the moments that came due since it last looked. */
export interface Plan {
  /** The moment to run now, if any. */
  fire?: number;
  /** Moments that passed without a run, oldest first (count may be a lower bound, see `more`). */
  missed?: { first: number; last: number; count: number; more: boolean };
  /** Whether `fire` is a missed moment run late under `catch_up`. */
  caughtUp?: boolean;
}

/**
 * Looks at the moments in (watermark, now]. Only the latest can run: one that
 * is on time (noticed within ON_TIME_MS and before half the gap to the moment
 * after it), or a late one that the catch_up rule allows. Every earlier one,
 * and a late latest one the rule does not allow, is missed: the app was not
 * running, or not running on time, when it came.
 */
export function plan(s: Schedule, watermark: number, now: number): Plan {
  const due: number[] = [];
  let t = nextMoment(s, watermark);
  while (t <= now && due.length < MAX_MOMENTS_WALKED) {
    due.push(t);
    t = nextMoment(s, t);
  }
  const more = t <= now;
  if (more) {
    // Too many to walk one by one (an every-second schedule after a long stop): find the latest.
    const latest = latestUpTo(s, t, now);
    due.push(latest);
    t = nextMoment(s, latest);
  }
  if (due.length === 0) return {};
  const latest = due.at(-1)!;
  const late = now - latest;
  const onTime = late <= Math.min(ON_TIME_MS, (t - latest) / 2);
  const fire = onTime || late <= s.catchUpMs ? latest : undefined;
  const missedMoments = fire === undefined ? due : due.slice(0, -1);
  const out: Plan = fire === undefined ? {} : { fire, caughtUp: !onTime };
  if (missedMoments.length) out.missed = { first: missedMoments[0]!, last: missedMoments.at(-1)!, count: missedMoments.length, more };
  return out;
}

/** The latest moment in [from, now], found by looking back over ever longer spans before now. */
function latestUpTo(s: Schedule, from: number, now: number): number {
  for (let span = 120_000; ; span *= 10) {
    const start = Math.max(from, now - span);
    let latest: number | undefined;
    for (let t = start === from ? from : nextMoment(s, start - 1); t <= now; t = nextMoment(s, t)) latest = t;
    if (latest !== undefined || start === from) return latest ?? from;
  }
}

/** "At 03:00", "Every second", … as cronstrue words it in `lang`. */
export function describeCron(expr: string, lang: Language = DEFAULT_LANGUAGE): string {
  try {
    return cronstrue.toString(expr, { locale: lang, use24HourTimeFormat: true, verbose: false });
  } catch {
    return expr;
  }
}

/** What identifies a schedule's timing: a change to it starts the schedule afresh. */
export function scheduleSpec(s: Schedule): string {
  return JSON.stringify({ crons: s.crons, timezone: s.timezone ?? null });
}
