/**
 * What admins do about notifications: see every target and whether it can
 * send (its secret is set, its host allowed), send a test event to one, and
 * resend a delivery that was given up (or send a delivered one again).
 */
import type { App } from '../app.ts';
import type { Transaction } from '../db.ts';
import { TEST_EVENT } from '../../core/notify-events.ts';
import { recordEvent } from './events.ts';
import { deliveryCounts, listDeliveries, resend, type DeliveryState } from './deliveries.ts';
import { cannotSend } from './sendable.ts';
import type { Translate } from '../../core/i18n.ts';
import { ENGLISH, WordedError } from '../../core/worded.ts';

export interface TargetView {
  name: string;
  channel: 'webhook' | 'email';
  /** Where it goes: the webhook's address without its query, or the recipients. */
  destination: string;
  events: string[];
  /** Why it cannot send now, if it cannot (in `t`'s language). */
  problem?: string;
}

export async function notifyTargets(app: App, t: Translate = ENGLISH): Promise<TargetView[]> {
  const { config } = await app.config.current();
  const smtp = config.notify?.smtp;
  return (config.notify?.targets ?? []).map((target) => {
    const u = target.webhook ? new URL(target.webhook.url) : undefined;
    return {
      name: target.name,
      channel: target.webhook ? 'webhook' : 'email',
      destination: u ? `${u.origin}${u.pathname}` : target.email!.to.join(', '),
      events: target.events,
      problem: cannotSend(target, smtp, app.settings.notify)?.say(t),
    };
  });
}

/** Admin → Deliveries: the targets (their problems said in `t`'s language), the counts and a page of deliveries. */
export async function deliveriesPage(app: App, q: URLSearchParams, t: Translate = ENGLISH) {
  const state = (['pending', 'delivered', 'failed'] as const).find((s) => s === q.get('state')) as DeliveryState | undefined;
  const [list, counts, targets] = await Promise.all([listDeliveries(app.db, { state, before: Number(q.get('before')) || undefined, limit: 50 }), deliveryCounts(app.db), notifyTargets(app, t)]);
  return { ...list, counts, targets, state };
}

export class NotifyActionError extends WordedError {}

/** Sends a test event to one target, recorded (and audited by `also`) in one transaction. */
export async function sendTest(app: App, target: string, by: string, also: (tx: Transaction) => Promise<void>): Promise<void> {
  const { config } = await app.config.current();
  if (!config.notify?.targets.some((t) => t.name === target)) throw new NotifyActionError((t) => t('admin.outcomes.noTarget', { name: target }));
  await app.db.transaction(async (tx) => {
    await recordEvent(tx, { type: TEST_EVENT, data: { target, sent_by: by } });
    await also(tx);
    await tx.commit();
  });
  app.deliveries.poke();
}

/** Puts a delivery back in line (audited by `also` in the same transaction). */
export async function resendDelivery(app: App, id: number, also: (tx: Transaction) => Promise<void>): Promise<void> {
  if (!Number.isSafeInteger(id) || !(await resend(app.db, id, also))) throw new NotifyActionError((t) => t('admin.outcomes.notResendable', { id }));
  app.deliveries.poke();
}
