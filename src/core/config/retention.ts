/**
 * `retention:` in config.yaml: how long runs, audit entries and saved history
 * are kept. Nothing is deleted unless a rule says so. Runs may be ruled at the
 * top level, on a page and on a button; history at the top level and on a
 * page; the audit log only at the top level (it is the site's own record).
 * Per key, the nearest level that sets it wins, and `none` there means "keep,
 * whatever an outer level says".
 */
import * as z from 'zod';

const HOUR_MS = 3_600_000;
const UNIT_MS = { h: HOUR_MS, d: 24 * HOUR_MS, w: 7 * 24 * HOUR_MS } as const;

/** The longest age accepted: 100 years, far beyond any real need, short of overflowing a date. */
export const MAX_AGE_MS = 36_500 * UNIT_MS.d;
export const MAX_COUNT = 1_000_000;

const AGE_EXAMPLES = 'such as "12h", "30d" or "2w"';

/** Why a value is no age, saying what to write instead. */
function ageProblem(value: unknown): string {
  if (value === undefined) return `required, expected an age ${AGE_EXAMPLES}, or none`;
  const got = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' ? String(value) : 'a ' + (Array.isArray(value) ? 'list' : typeof value);
  if (typeof value === 'number') return `must be an age with its unit (h, d or w), ${AGE_EXAMPLES}, got ${got}`;
  if (typeof value === 'string' && /^\d+\s*(m|s)$/.test(value.trim())) {
    return `must be in hours, days or weeks, ${AGE_EXAMPLES}, got ${got} (minutes and seconds are not accepted: "m" is too easily read as months)`;
  }
  return `must be an age in hours, days or weeks, ${AGE_EXAMPLES}, at most 36500d, or none, got ${got}`;
}

/**
 * An age in milliseconds from `"12h"`, `"30d"` or `"2w"`, or undefined.
 * Minutes and bare numbers are refused on purpose: `6m` read as six minutes
 * where months were meant, or `30` as seconds where days were meant, would
 * delete nearly everything.
 */
export function parseAge(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{1,6})\s*(h|d|w)$/.exec(value.trim());
  if (!m || Number(m[1]) === 0) return undefined;
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  return ms <= MAX_AGE_MS ? ms : undefined;
}

/** An age, or null for `none` (keep, overriding an outer level). */
const age = z.unknown().transform((value, ctx) => {
  if (value === 'none') return null;
  const ms = parseAge(value);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: ageProblem(value) });
    return z.NEVER;
  }
  return ms;
});

const count = z.unknown().transform((value, ctx) => {
  if (value === 'none') return null;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > MAX_COUNT) {
    const got = typeof value === 'string' ? JSON.stringify(value) : typeof value === 'number' ? String(value) : value === undefined ? 'nothing' : 'a ' + typeof value;
    ctx.addIssue({ code: 'custom', message: `must be a whole number of runs from 1 to ${MAX_COUNT}, or none, got ${got}` });
    return z.NEVER;
  }
  return value;
});

const runs = z.strictObject({ max_age: age.optional(), max_count: count.optional() });
const byAge = z.strictObject({ max_age: age });

export const siteRetention = z.strictObject({ runs: runs.optional(), audit: byAge.optional(), history: byAge.optional() });
export const pageRetention = z.strictObject({ runs: runs.optional(), history: byAge.optional() });
export const buttonRetention = z.strictObject({ runs: runs.optional() });

export type SiteRetention = z.output<typeof siteRetention>;
type RunRule = z.output<typeof runs>;

/** What applies to one button's runs: null means kept whatever their age or number. */
export interface RunsRule {
  maxAgeMs: number | null;
  maxCount: number | null;
}

/** The first level (nearest first) that sets the key; undefined and `none` both end as null at the last level. */
function nearest<K extends keyof RunRule>(levels: (RunRule | undefined)[], key: K): number | null {
  for (const level of levels) if (level?.[key] !== undefined) return level[key] as number | null;
  return null;
}

interface RetentionSite {
  retention?: SiteRetention;
  pages: { slug: string; retention?: { runs?: RunRule; history?: { max_age: number | null } }; buttons: { name: string; retention?: { runs?: RunRule } }[] }[];
}

/**
 * The rule for a button's runs. A page or button no longer in the config has
 * no level of its own, so the nearest that still exists applies (in the end
 * the top level).
 */
export function runsRule(site: RetentionSite, slug: string, buttonName: string): RunsRule {
  const page = site.pages.find((p) => p.slug === slug);
  const button = page?.buttons.find((b) => b.name === buttonName);
  const levels = [button?.retention?.runs, page?.retention?.runs, site.retention?.runs];
  return { maxAgeMs: nearest(levels, 'max_age'), maxCount: nearest(levels, 'max_count') };
}

/** How long a page's saves are kept, or null: history is kept forever unless a rule says otherwise. */
export function historyMaxAgeMs(site: RetentionSite, slug: string): number | null {
  const page = site.pages.find((p) => p.slug === slug);
  const own = page?.retention?.history;
  return own !== undefined ? own.max_age : site.retention?.history?.max_age ?? null;
}

export function auditMaxAgeMs(site: RetentionSite): number | null {
  return site.retention?.audit?.max_age ?? null;
}
