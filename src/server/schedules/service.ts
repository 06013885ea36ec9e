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
import { ENGLISH, translator, type Translate } from '../../core/i18n.ts';
import { DEFAULT_LANGUAGE, type Language } from '../../core/languages.ts';

// Worded for the page's reader; English for callers that say no language.

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

/** The catalogue key (under schedule.overlap) of each overlap rule. */
const OVERLAP_KEY: Record<Schedule['overlap'], string> = { skip: 'skip', queue: 'queue', 'cancel-previous': 'cancelPrevious' };

function catchUpText(ms: number, t: Translate): string {
  if (ms === 0) return t('schedule.catchUp.never');
  if (ms === Infinity) return t('schedule.catchUp.latest');
  const h = Math.floor(ms / 3_600_000);
  const m = Math.round((ms % 3_600_000) / 60_000);
  // "h" and "min" are the same symbols in all our languages.
  const within = [h && `${h} h`, m && `${m} min`].filter(Boolean).join(' ') || durationText(ms / 1000);
  return t('schedule.catchUp.within', { within });
}

/** One sentence: what happens to a moment while a run is going, and to moments missed. */
function scheduleRules(s: Schedule, t: Translate): string {
  return t('schedule.rules', { overlap: t(`schedule.overlap.${OVERLAP_KEY[s.overlap]}`), catchUp: catchUpText(s.catchUpMs, t) });
}

/** The schedules of a page's buttons, by button name. */
export async function scheduleViews(app: App, page: PageConfig, viewer: Viewer, now = Date.now(), lang: Language = DEFAULT_LANGUAGE): Promise<Map<string, ScheduleView>> {
  const t = translator(lang);
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
      words: s.crons.map((c) => describeCron(c, lang)),
      crons: s.crons,
      timezone: s.timezone ?? serverTimezone(),
      rules: scheduleRules(s, t),
      next: paused ? [] : nextMoments(s, now, 3).map((t) => new Date(t).toISOString()),
      paused,
      events: await recentEvents(reads, page.slug, b.name),
      canPause: viewer.user?.role === 'admin',
    });
  }
  return out;
}

async function scheduledButton(app: App, slug: string, name: string, t: Translate): Promise<{ page: PageConfig; button: Button & { schedule: NonNullable<Button['schedule']> } }> {
  const { config } = await app.config.current();
  const page = pageOf(config, slug);
  const button = buttonOf(config, slug, name);
  if (!page || !button) throw notFound(t('schedule.errors.noButton', { button: name, slug }));
  if (!button.schedule) throw new Refused('conflict', t('schedule.errors.noSchedule', { label: button.label }));
  return { page, button: button as Button & { schedule: NonNullable<Button['schedule']> } };
}

/** Pauses (or resumes) a button's schedule: an admin's decision, in the audit log. False when it already was. */
export async function setSchedulePaused(app: App, slug: string, name: string, pause: boolean, viewer: Viewer, t: Translate = ENGLISH): Promise<boolean> {
  const user = requireAdmin(viewer, { logIn: (tt) => tt('schedule.errors.adminLogIn'), adminOnly: (tt) => tt('schedule.errors.adminOnly') });
  const { page, button } = await scheduledButton(app, slug, name, t);
  requireAccess(viewer.user, page, 'view');
  return app.db.transaction(async (tx) => {
    const changed = await setPaused(tx, slug, name, scheduleSpec(button.schedule), pause ? user.username : null, Date.now());
    if (!changed) return false;
    await audit(tx, { action: pause ? 'schedule_paused' : 'schedule_resumed', userId: user.id, username: user.username, ip: viewer.ip, detail: { page: slug, button: name } });
    await tx.commit();
    return true;
  });
}
