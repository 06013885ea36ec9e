/**
 * The `schedule:` key of a button: both shapes, and the exact messages an
 * operator reads for each mistake (file:line:col, path, what to write).
 */
import { describe, expect, it } from 'vitest';
import { formatProblems, parseConfig } from '../../src/core/config/load.ts';

const site = (schedule: string) => `toplevel_title: T
pages:
  - slug: a
    title: A
    buttons:
      - name: b
        label: B
        script_path: scripts/x.sh
        status_file: app_data/status/x.json
        report_path: app_data/reports/x.log
        schedule: ${schedule}
`;

function problems(schedule: string): string {
  const r = parseConfig(site(schedule), 'config.yaml');
  if (r.ok) throw new Error(`accepted: ${schedule}`);
  return formatProblems(r.problems);
}

function schedule(text: string) {
  const r = parseConfig(site(text), 'config.yaml');
  if (!r.ok) throw new Error(formatProblems(r.problems));
  return r.config.pages[0]!.buttons[0]!.schedule;
}

describe('schedule: in config.yaml', () => {
  it('takes a cron string, with the defaults', () => {
    expect(schedule('"0 3 * * *"')).toEqual({ crons: ['0 3 * * *'], overlap: 'skip', catchUpMs: 0 });
  });

  it('takes a mapping with several crons, a zone, an overlap rule and a catch-up window', () => {
    expect(schedule('{cron: ["*/5 * * * * *", "0 1 * * 1"], timezone: "Europe/Berlin", overlap: cancel-previous, catch_up: 6h}')).toEqual({
      crons: ['*/5 * * * * *', '0 1 * * 1'], timezone: 'Europe/Berlin', overlap: 'cancel-previous', catchUpMs: 6 * 3_600_000,
    });
    expect(schedule('{cron: "0 1 * * *", catch_up: true}')).toMatchObject({ catchUpMs: Infinity });
  });

  const bad: [string, string][] = [
    ['"61 * * * *"', 'config.yaml:11:19 pages[0].buttons[0].schedule: is not a valid cron expression: 61 is not a valid expression for minute'],
    ['"* * *"', 'config.yaml:11:19 pages[0].buttons[0].schedule: must have 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), got 3'],
    ['"0 0 30 2 *"', 'config.yaml:11:19 pages[0].buttons[0].schedule: is not a valid cron expression: 30 2 is an impossible day of month for the given month'],
    ['{cron: "0 1 * * *", timezone: "Mars/Base"}', 'config.yaml:11:49 pages[0].buttons[0].schedule.timezone: is not a time zone name known to this system, such as "Europe/Berlin", "America/New_York" or "UTC"'],
    ['{cron: "0 1 * * *", overlap: never}', 'config.yaml:11:48 pages[0].buttons[0].schedule.overlap: expected "skip" or "queue" or "cancel-previous", got "never"'],
    ['{cron: "0 1 * * *", catch_up: sometimes}', 'config.yaml:11:49 pages[0].buttons[0].schedule.catch_up: must be true, false or a duration of at most 7 days such as "6h"'],
    ['{cron: "0 1 * * *", every: 3}', 'config.yaml:11:39 pages[0].buttons[0].schedule.every: unknown key "every" (allowed: cron, timezone, overlap, catch_up)'],
    ['{timezone: UTC}', 'config.yaml:11:19 pages[0].buttons[0].schedule.cron: required, expected a string or a list'],
    ['{cron: []}', 'config.yaml:11:26 pages[0].buttons[0].schedule.cron: must list at least one cron string'],
    ['42', 'config.yaml:11:19 pages[0].buttons[0].schedule: expected a string or a mapping, got 42'],
  ];
  it.each(bad)('refuses %s with its reason', (text, expected) => {
    expect(problems(text)).toBe(expected);
  });
});
