/**
 * Fanning events out to their targets. Each event waiting is given its body
 * and one delivery per target that wants it, by the config live at that
 * moment, in one write transaction that also marks it done: with several app
 * processes, the write lock lets one of them do each event, once. Events no
 * target wants are dropped here.
 */
import type { SiteConfig } from '../../core/config/schema.ts';
import type { NotifyTarget } from '../../core/config/notify.ts';
import { eventBody, type StoredEvent } from '../../core/notify-message.ts';
import { TEST_EVENT, type EventType, type NotifyEvent } from '../../core/notify-events.ts';
import { pageOf } from '../../core/config/lookup.ts';
import type { Database, Transaction } from '../db.ts';
import { randomUUID } from 'node:crypto';

const BATCH = 200;

/** The targets an event goes to: those whose site-wide events name it, and those its page or button subscribe. */
export function targetsFor(site: SiteConfig, e: StoredEvent): NotifyTarget[] {
  const targets = site.notify?.targets ?? [];
  if (e.type === TEST_EVENT) return targets.filter((t) => t.name === e.data.target);
  const type = e.type as NotifyEvent;
  const page = e.page ? pageOf(site, e.page) : undefined;
  const button = e.button ? page?.buttons.find((b) => b.name === e.button) : undefined;
  const subscribed = new Set<string>();
  for (const s of [...(page?.notify ?? []), ...(button?.notify ?? [])]) if (s.events.includes(type)) subscribed.add(s.target);
  return targets.filter((t) => t.events.includes(type) || subscribed.has(t.name));
}

function toEvent(r: Record<string, unknown>): StoredEvent & { id: number } {
  return {
    id: Number(r.id),
    uid: String(r.uid),
    type: String(r.type) as EventType,
    page: r.page_slug == null ? null : String(r.page_slug),
    button: r.button_name == null ? null : String(r.button_name),
    at: String(r.at),
    data: JSON.parse(String(r.data)) as Record<string, unknown>,
  };
}

async function fanOutIn(tx: Transaction, site: SiteConfig, publicUrl: string): Promise<number> {
  const { rows } = await tx.execute({ sql: 'SELECT id, uid, type, page_slug, button_name, at, data FROM notification_events WHERE fanned_out = 0 ORDER BY id LIMIT ?', args: [BATCH] });
  const now = new Date().toISOString();
  for (const e of rows.map(toEvent)) {
    const targets = targetsFor(site, e);
    if (targets.length === 0) {
      await tx.execute({ sql: 'DELETE FROM notification_events WHERE id = ?', args: [e.id] });
      continue;
    }
    await tx.execute({ sql: 'UPDATE notification_events SET body = ?, fanned_out = 1 WHERE id = ?', args: [JSON.stringify(eventBody(e, site, publicUrl)), e.id] });
    for (const t of targets) {
      await tx.execute({
        sql: `INSERT INTO deliveries (uid, event_id, target, channel, state, created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', ?, ?)`,
        args: [randomUUID(), e.id, t.name, t.webhook ? 'webhook' : 'email', now, now],
      });
    }
  }
  return rows.length;
}

/** Fans out the events waiting, at most a batch; returns how many were handled. Reads first, so an idle look takes no write lock. */
export const FANOUT_BATCH = BATCH;

export async function fanOut(db: Database, site: SiteConfig, publicUrl: string): Promise<number> {
  const waiting = await db.execute('SELECT 1 FROM notification_events WHERE fanned_out = 0 LIMIT 1');
  if (waiting.rows.length === 0) return 0;
  return db.transaction(async (tx) => {
    const handled = await fanOutIn(tx, site, publicUrl);
    await tx.commit();
    return handled;
  });
}
