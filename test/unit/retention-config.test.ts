/** Which retention rule applies where: nearest level per key, `none` overriding, nothing by default. */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config/load.ts';
import { auditMaxAgeMs, historyMaxAgeMs, parseAge, runsRule } from '../../src/core/config/retention.ts';
import { parseDuration } from '../../src/core/config/schema.ts';

const DAY = 86_400_000;

function site(yaml: string) {
  const r = parseConfig(yaml);
  if (!r.ok) throw new Error(r.problems.map((p) => p.message).join('\n'));
  return r.config;
}

const YAML = `toplevel_title: T
retention:
  runs: {max_age: 30d, max_count: 500}
  audit: {max_age: 365d}
pages:
  - slug: home
    title: Home
    retention:
      runs: {max_count: 50}
      history: {max_age: 2w}
    buttons:
      - {name: a, label: A, script_path: scripts/a.sh, status_file: app_data/status/a.json, report_path: app_data/reports/a.txt, retention: {runs: {max_age: 12h}}}
      - {name: b, label: B, script_path: scripts/b.sh, status_file: app_data/status/b.json, report_path: app_data/reports/b.txt, retention: {runs: {max_age: none}}}
  - slug: other
    title: Other
    retention:
      history: {max_age: none}
`;

describe('retention rules', () => {
  it('take each key from the nearest level that sets it', () => {
    const s = site(YAML);
    expect(runsRule(s, 'home', 'a')).toEqual({ maxAgeMs: 12 * 3_600_000, maxCount: 50 });
    expect(runsRule(s, 'home', 'b')).toEqual({ maxAgeMs: null, maxCount: 50 });
    expect(runsRule(s, 'home', 'gone')).toEqual({ maxAgeMs: 30 * DAY, maxCount: 50 });
    expect(runsRule(s, 'other', 'x')).toEqual({ maxAgeMs: 30 * DAY, maxCount: 500 });
    expect(runsRule(s, 'removed-page', 'x')).toEqual({ maxAgeMs: 30 * DAY, maxCount: 500 });
  });

  it('keep history unless a rule is set, and audit only by the top level', () => {
    const s = site(YAML);
    expect(historyMaxAgeMs(s, 'home')).toBe(14 * DAY);
    expect(historyMaxAgeMs(s, 'other')).toBeNull();
    expect(historyMaxAgeMs(s, 'removed-page')).toBeNull();
    expect(auditMaxAgeMs(s)).toBe(365 * DAY);
  });

  it('delete nothing when no retention is configured', () => {
    const s = site('toplevel_title: T\npages:\n  - slug: home\n    title: Home\n');
    expect(runsRule(s, 'home', 'a')).toEqual({ maxAgeMs: null, maxCount: null });
    expect(historyMaxAgeMs(s, 'home')).toBeNull();
    expect(auditMaxAgeMs(s)).toBeNull();
  });

  it('read ages in hours, days and weeks only', () => {
    expect(parseAge('12h')).toBe(12 * 3_600_000);
    expect(parseAge('30d')).toBe(30 * DAY);
    expect(parseAge('2w')).toBe(14 * DAY);
    expect(parseAge('36500d')).toBe(36_500 * DAY);
    for (const bad of ['36501d', '0d', '90m', '30', 30, '1y', '-1d', '1.5d']) expect(parseAge(bad), String(bad)).toBeUndefined();
  });

  it('give a button timeout a day unit within its 7-day limit', () => {
    expect(parseDuration('1d')).toBe(DAY);
    const ok = site('toplevel_title: T\npages:\n  - slug: home\n    title: Home\n    buttons:\n      - {name: a, label: A, script_path: scripts/a.sh, status_file: app_data/status/a.json, report_path: app_data/reports/a.txt, timeout: 7d}\n');
    expect(ok.pages[0]!.buttons[0]!.timeout).toBe(7 * DAY);
  });
});
