/**
 * Each app process runs this loop. It wakes when the next moment of any
 * schedule comes (and at least every second, to see pauses, config changes
 * and what other processes decided), and decides the due moments of every
 * scheduled button (fire.ts). Which process decides a moment does not
 * matter: the database lets exactly one do it.
 */
import type { App } from '../app.ts';
import type { SiteConfig } from '../../core/config/schema.ts';
import { nextMoment, scheduleSpec } from '../../core/schedule.ts';
import { decide, type ScheduledButton } from './fire.ts';
import { forget, keyOf, readSchedules, startFresh } from './store.ts';
import { log } from '../log.ts';

export function scheduledButtons(config: SiteConfig): ScheduledButton[] {
  return config.pages.flatMap((page) => page.buttons.flatMap((button) => (button.schedule ? [{ page, button, schedule: button.schedule }] : [])));
}

function reportError(e: unknown): void {
  log().error({ err: e }, 'The scheduler could not decide a due moment (it tries again)');
}

export interface SchedulerOptions {
  /** Longest sleep between looks. */
  everyMs?: number;
  onError?: (e: unknown) => void;
}

/** One look at every schedule; returns when the next moment of any of them is due (ms), or undefined. */
export async function look(app: App, now = Date.now(), onError: (e: unknown) => void = reportError): Promise<number | undefined> {
  const live = await app.config.current();
  const entries = scheduledButtons(live.config);
  let rows = await readSchedules(app.db);
  const keys = new Set(entries.map((e) => keyOf(e.page.slug, e.button.name)));
  const stale = [...rows.keys()].some((k) => !keys.has(k));
  const fresh = entries.filter((e) => rows.get(keyOf(e.page.slug, e.button.name))?.spec !== scheduleSpec(e.schedule));
  if (stale || fresh.length) {
    await app.db.transaction(async (tx) => {
      if (stale) await forget(tx, keys, rows);
      for (const e of fresh) await startFresh(tx, e.page.slug, e.button.name, scheduleSpec(e.schedule), now);
      await tx.commit();
    });
    rows = await readSchedules(app.db);
  }
  let next: number | undefined;
  for (const e of entries) {
    const row = rows.get(keyOf(e.page.slug, e.button.name));
    if (!row || row.pausedAt) continue;
    // One schedule's trouble (a busy database, say) must not hold up the others; its moment stays due.
    await decide(app, e, row, now, live.revision).catch(onError);
    const due = nextMoment(e.schedule, Math.max(row.watermark, now));
    next = next === undefined ? due : Math.min(next, due);
  }
  return next;
}

export function startScheduler(app: App, opts: SchedulerOptions = {}): () => void {
  const everyMs = opts.everyMs ?? 1000;
  const onError = opts.onError ?? reportError;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const wake = async () => {
    let next: number | undefined;
    try {
      next = await look(app, Date.now(), onError);
    } catch (e) {
      onError(e);
    }
    if (stopped) return;
    // A few ms past the moment, so that the clock has surely reached it.
    const delay = next === undefined ? everyMs : Math.min(everyMs, Math.max(0, next - Date.now()) + 5);
    timer = setTimeout(wake, delay);
    timer.unref();
  };
  timer = setTimeout(wake, 0);
  timer.unref();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
