/**
 * Deciding a scheduled button's due moments, once across every app process:
 * the plan is made from the watermark read outside the lock, then carried
 * out in one write transaction that first moves the watermark from the value
 * the plan was made from. Another process that got there first has moved it,
 * so this one's transaction changes nothing. The run, the record of what was
 * missed or skipped, and the watermark are committed together: a crash before
 * the commit leaves the moment undecided (and decided on the next look, by
 * the same rules), never decided twice.
 */
import type { App } from '../app.ts';
import type { Button, PageConfig } from '../../core/config/schema.ts';
import { plan, type Schedule } from '../../core/schedule.ts';
import type { Transaction } from '../db.ts';
import { currentValues } from '../history.ts';
import { insertRun, publishEndedRuns, publishRuns, SCHEDULE_STARTER } from '../runs/queue.ts';
import { countScheduleDecision } from '../metrics.ts';
import { advance, recordEvent, type ScheduleRow } from './store.ts';
import { recordEvent as recordNotifyEvent, recordRunEndsIn } from '../notify/events.ts';

export interface ScheduledButton {
  page: PageConfig;
  button: Button;
  schedule: Schedule;
}

export interface Decided {
  run?: number;
  missed?: number;
  skipped?: boolean;
  cancelled?: number[];
}

export async function decide(app: App, entry: ScheduledButton, row: ScheduleRow, now: number, configRevision: string): Promise<Decided | undefined> {
  const p = plan(entry.schedule, row.watermark, now);
  if (p.fire === undefined && !p.missed) return undefined;
  const { page, button, schedule } = entry;
  const decided = await app.db.transaction(async (tx): Promise<Decided | undefined> => {
    if (!(await advance(tx, row, now))) return undefined;
    const out: Decided = {};
    if (p.missed) {
      const { first, last, count, more } = p.missed;
      await recordEvent(tx, page.slug, button.name, { outcome: 'missed', first, last, count, atLeast: more, reason: 'Switchyard was not running, or could not reach its database, at that moment' });
      out.missed = count;
      await recordNotifyEvent(tx, {
        type: 'schedule.missed',
        page: page.slug,
        button: button.name,
        data: { schedule: { crons: schedule.crons, timezone: schedule.timezone ?? null, first_missed: new Date(first).toISOString(), last_missed: new Date(last).toISOString(), missed: count, at_least: !!more } },
      });
    }
    if (p.fire !== undefined) Object.assign(out, await fire(tx, entry, p.fire, schedule.overlap, configRevision));
    await tx.commit();
    return out;
  });
  if (decided) countScheduleDecision(page.slug, button.name, decided);
  if (decided?.run) app.runs.queued();
  if (decided?.cancelled?.length) await publishEndedRuns(app.db, app.runs, decided.cancelled);
  if (decided?.run) await publishRuns(app.db, app.runs, [decided.run]);
  return decided;
}

/** Starts the run for `moment`, unless the overlap rule says otherwise. */
async function fire(tx: Transaction, { page, button }: ScheduledButton, moment: number, overlap: Schedule['overlap'], configRevision: string): Promise<Decided> {
  const { rows } = await tx.execute({
    sql: `SELECT id, state FROM runs WHERE page_slug = ? AND button_name = ? AND state IN ('queued', 'running') ORDER BY id`,
    args: [page.slug, button.name],
  });
  const active = rows.map((r) => ({ id: Number(r.id), state: String(r.state) }));
  let cancelled: number[] = [];
  if (active.length && overlap === 'skip') {
    const reason = `run ${active.map((r) => r.id).join(', ')} was still ${active.at(-1)!.state} (overlap: skip)`;
    await recordEvent(tx, page.slug, button.name, { outcome: 'skipped', first: moment, last: moment, count: 1, reason });
    return { skipped: true };
  }
  if (active.length && overlap === 'cancel-previous') cancelled = await cancelIn(tx, active, new Date(moment).toISOString());
  const { values } = await currentValues(tx, page);
  const run = await insertRun(tx, { page, button, values, configRevision, scheduledFor: moment });
  return { run, cancelled };
}

/** Cancels queued runs at once and asks the runner to stop running ones, as a person's cancel does. */
async function cancelIn(tx: Transaction, active: { id: number; state: string }[], momentIso: string): Promise<number[]> {
  const now = new Date().toISOString();
  const by = SCHEDULE_STARTER;
  for (const r of active) {
    await tx.execute(
      r.state === 'queued'
        ? { sql: `UPDATE runs SET state = 'cancelled', finished_at = ?, cancel_requested_at = ?, cancel_requested_by = ?, message = ? WHERE id = ? AND state = 'queued'`, args: [now, now, by, `Cancelled by the schedule's run for ${momentIso} (overlap: cancel-previous)`, r.id] }
        : { sql: 'UPDATE runs SET cancel_requested_at = coalesce(cancel_requested_at, ?), cancel_requested_by = coalesce(cancel_requested_by, ?) WHERE id = ?', args: [now, by, r.id] },
    );
  }
  await recordRunEndsIn(tx, active.filter((r) => r.state === 'queued').map((r) => r.id));
  return active.map((r) => r.id);
}
