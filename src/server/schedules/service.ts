/** What people see of schedules on a page, and the admin's pause and resume. */
import type { App } from '../app.ts';
import type { Button, PageConfig } from '../../core/config/schema.ts';
import { describeCron, nextMoments, scheduleSpec, serverTimezone, type Schedule } from '../../core/schedule.ts';
import { durationText } from '../../core/time.ts';
import { audit } from '../audit.ts';
import { requireAccess, type Viewer } from '../auth/access.ts';
import { notFound, Refused } from '../refused.ts';
import { requireAdmin } from '../admin.ts';
import { buttonOf, pageOf } from '../../core/config/lookup.ts';
import { readSchedules, keyOf, recentEvents, setPaused, type ScheduleEvent } from './store.ts';

export interface ScheduleView {
  /** Each cron string in words, in the schedule's zone. */
  words: string[];
  crons: string[];
  timezone: string;
  /** What happens to a moment that comes while a run is going, and to moments missed: one sentence. */
  rules: string;
  /** The next moments (ISO), none while paused. */
  next: string[];
  paused: { at: string; by: string } | null;
  events: ScheduleEvent[];
  canPause: boolean;
}

const OVERLAP_TEXT: Record<Schedule['overlap'], string> = {
  skip: 'A moment that comes while a run is still going is skipped',
  queue: 'A moment that comes while a run is still going queues another run after it',
  'cancel-previous': 'A moment that comes while a run is still going cancels that run and starts a new one',
};

function catchUpText(ms: number): string {
  if (ms === 0) return 'missed moments are recorded, not run';
  if (ms === Infinity) return 'the latest missed moment runs once when Switchyard is back';
  const h = Math.floor(ms / 3_600_000);
  const m = Math.round((ms % 3_600_000) / 60_000);
  const within = [h && `${h} h`, m && `${m} min`].filter(Boolean).join(' ') || durationText(ms / 1000);
  return `the latest missed moment runs once if Switchyard is back within ${within}`;
}

/** The schedules of a page's buttons, by button name. */
export async function scheduleViews(app: App, page: PageConfig, viewer: Viewer, now = Date.now()): Promise<Map<string, ScheduleView>> {
  const out = new Map<string, ScheduleView>();
  const scheduled = page.buttons.filter((b) => b.schedule);
  if (!scheduled.length) return out;
  const reads = viewer.reads ?? app.db;
  const rows = await readSchedules(reads);
  for (const b of scheduled) {
    const s = b.schedule!;
    const row = rows.get(keyOf(page.slug, b.name));
    const paused = row?.pausedAt ? { at: row.pausedAt, by: row.pausedBy ?? '' } : null;
    out.set(b.name, {
      words: s.crons.map(describeCron),
      crons: s.crons,
      timezone: s.timezone ?? serverTimezone(),
      rules: `${OVERLAP_TEXT[s.overlap]}; ${catchUpText(s.catchUpMs)}.`,
      next: paused ? [] : nextMoments(s, now, 3).map((t) => new Date(t).toISOString()),
      paused,
      events: await recentEvents(reads, page.slug, b.name),
      canPause: viewer.user?.role === 'admin',
    });
  }
  return out;
}

async function scheduledButton(app: App, slug: string, name: string): Promise<{ page: PageConfig; button: Button & { schedule: NonNullable<Button['schedule']> } }> {
  const { config } = await app.config.current();
  const page = pageOf(config, slug);
  const button = buttonOf(config, slug, name);
  if (!page || !button) throw notFound(`There is no button "${name}" on page "${slug}".`);
  if (!button.schedule) throw new Refused('conflict', `The button "${button.label}" has no schedule in the config (any more).`);
  return { page, button: button as Button & { schedule: NonNullable<Button['schedule']> } };
}

/** Pauses (or resumes) a button's schedule: an admin's decision, in the audit log. False when it already was. */
export async function setSchedulePaused(app: App, slug: string, name: string, pause: boolean, viewer: Viewer): Promise<boolean> {
  const user = requireAdmin(viewer, 'pause or resume a schedule');
  const { page, button } = await scheduledButton(app, slug, name);
  requireAccess(viewer.user, page, 'view');
  return app.db.transaction(async (tx) => {
    const changed = await setPaused(tx, slug, name, scheduleSpec(button.schedule), pause ? user.username : null, Date.now());
    if (!changed) return false;
    await audit(tx, { action: pause ? 'schedule_paused' : 'schedule_resumed', userId: user.id, username: user.username, ip: viewer.ip, detail: { page: slug, button: name } });
    await tx.commit();
    return true;
  });
}
