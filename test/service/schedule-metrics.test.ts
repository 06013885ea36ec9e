/** The schedule counters of /metrics move with what the scheduler decides: fires, missed moments, skips. */
import { afterEach, describe, expect, it } from 'vitest';
import { look } from '../../src/server/schedules/scheduler.ts';
import { metrics } from '../../src/server/metrics.ts';
import { localApp, type LocalApp } from '../helpers/in-process.ts';

const site = (schedule: string) => `toplevel_title: Scheduled
pages:
  - slug: nightly
    title: Nightly
    buttons:
      - {name: sweep, label: Sweep, script_path: scripts/sweep.sh, status_file: app_data/status/sweep.json, report_path: app_data/reports/sweep.log, schedule: ${schedule}}
`;

const T0 = Date.parse('2026-01-01T02:00:00Z');
const hour = 3_600_000;
const day = 24 * hour;
const labels = { page: 'nightly', button: 'sweep' };

async function count(name: 'scheduleFires' | 'scheduleMisses' | 'scheduleSkips'): Promise<number> {
  return (await metrics()[name].get()).values.find((v) => v.labels.page === 'nightly' && v.labels.button === 'sweep')?.value ?? 0;
}

let opened: LocalApp | undefined;
afterEach(() => opened?.close());

describe('schedule metrics', () => {
  it('count fires, misses and skips as they are decided', async () => {
    opened = await localApp(site('{cron: "0 3 * * *", timezone: UTC, overlap: skip}'));
    const before = { fires: await count('scheduleFires'), misses: await count('scheduleMisses'), skips: await count('scheduleSkips') };
    await look(opened.app, T0);
    await look(opened.app, T0 + hour + 10); // fires
    await look(opened.app, T0 + day + hour + 10); // the first run is still queued: skipped
    await look(opened.app, T0 + 4 * day + hour + 10); // three missed (nothing looked), the last one skipped
    expect(await count('scheduleFires')).toBe(before.fires + 1);
    expect(await count('scheduleSkips')).toBe(before.skips + 2);
    expect(await count('scheduleMisses')).toBe(before.misses + 2);
    const text = await metrics().registry.metrics();
    expect(text).toContain(`switchyard_schedule_fires_total{page="${labels.page}",button="${labels.button}"}`);
  });
});
