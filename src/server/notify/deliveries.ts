/**
 * The delivery outbox: the `deliveries` table, one row per event and target,
 * and every statement on it. A target's deliveries go out in order: only its
 * oldest pending one may be sent, so a receiver that is down gets everything,
 * in order, once it is back (or once an admin resends what was given up).
 * Rows are claimed like the Git outbox's (claims.ts), so several app
 * processes share the work without sending a delivery twice at once.
 */
import type { Database, Executor, Transaction } from '../db.ts';
import { CLAIM_MS, type Claimed } from '../claims.ts';

export type DeliveryState = 'pending' | 'delivered' | 'failed';

export interface Due extends Claimed {
  id: number;
  uid: string;
  eventId: number;
  target: string;
  attempts: number;
  nextAttemptAt: number;
}

/** For each target, its oldest pending delivery: the only one that may go now. */
export async function targetHeads(db: Executor): Promise<Due[]> {
  const { rows } = await db.execute(`
    SELECT id, uid, event_id, target, attempts, next_attempt_at, claim, claimed_until FROM deliveries d
    WHERE state = 'pending' AND NOT EXISTS (SELECT 1 FROM deliveries o WHERE o.target = d.target AND o.state = 'pending' AND o.id < d.id)
    ORDER BY id`);
  return rows.map((r) => ({
    id: Number(r.id),
    uid: String(r.uid),
    eventId: Number(r.event_id),
    target: String(r.target),
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    claim: r.claim == null ? null : String(r.claim),
    claimedUntil: Number(r.claimed_until),
  }));
}

/** Claims a delivery for this process; false if another process got there first, or it changed since it was read. */
export async function claimDelivery(db: Database, d: Due, mine: string): Promise<boolean> {
  const { rows } = await db.write({
    sql: `UPDATE deliveries SET claim = ?, claimed_until = ? WHERE id = ? AND state = 'pending' AND claim IS ? AND claimed_until = ? AND attempts = ? AND next_attempt_at <= ? RETURNING id`,
    args: [mine, Date.now() + CLAIM_MS, d.id, d.claim, d.claimedUntil, d.attempts, Date.now()],
  });
  return rows.length > 0;
}

/** The event body a delivery sends, and its type. */
export async function deliveryBody(db: Executor, eventId: number): Promise<{ type: string; body: string } | undefined> {
  const { rows } = await db.execute({ sql: 'SELECT type, body FROM notification_events WHERE id = ?', args: [eventId] });
  return rows[0] && rows[0].body != null ? { type: String(rows[0].type), body: String(rows[0].body) } : undefined;
}

export interface Attempt {
  ok: boolean;
  error?: string;
  status?: number;
  excerpt?: string;
  /** Given up now: never retried (the receiver refused it for good, or the attempts are used up). */
  final?: boolean;
  nextAttemptAt?: number;
}

const MINE = `id = ? AND state = 'pending' AND claim = ?`;

/** Records an attempt and releases the claim; false when the claim was lost (another process took over). */
export async function recordAttempt(db: Database, d: Due, a: Attempt, mine: string): Promise<boolean> {
  const now = new Date().toISOString();
  const state: DeliveryState = a.ok ? 'delivered' : a.final ? 'failed' : 'pending';
  const { rows } = await db.write({
    sql: `UPDATE deliveries SET state = ?, attempts = attempts + 1, next_attempt_at = ?, last_error = ?, last_status = ?, response_excerpt = ?,
            updated_at = ?, delivered_at = ?, claim = NULL, claimed_until = 0 WHERE ${MINE} RETURNING id`,
    args: [state, a.nextAttemptAt ?? 0, a.ok ? null : (a.error ?? 'failed'), a.status ?? null, a.excerpt ?? null, now, a.ok ? now : null, d.id, mine],
  });
  return rows.length > 0;
}

/** Puts a delivered or given-up delivery back in line, at the head of its target's; false if it is already pending or gone. */
export async function resend(db: Database, id: number, also?: (tx: Transaction) => Promise<void>): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = 0, last_error = NULL, claim = NULL, claimed_until = 0, updated_at = ?
            WHERE id = ? AND state IN ('delivered', 'failed') RETURNING id`,
      args: [new Date().toISOString(), id],
    });
    if (rows.length === 0) return false;
    await also?.(tx);
    await tx.commit();
    return true;
  });
}

export interface DeliveryView {
  id: number;
  uid: string;
  eventUid: string;
  type: string;
  page: string | null;
  button: string | null;
  target: string;
  channel: 'webhook' | 'email';
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  lastStatus: number | null;
  excerpt: string | null;
  createdAt: string;
  updatedAt: string;
  deliveredAt: string | null;
}

/** Deliveries newest first, by state, a page at a time. */
export async function listDeliveries(ex: Executor, f: { state?: DeliveryState; before?: number; limit?: number } = {}): Promise<{ deliveries: DeliveryView[]; more: boolean }> {
  const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
  const where = ['1 = 1'];
  const args: (string | number)[] = [];
  if (f.state) where.push('d.state = ?') && args.push(f.state);
  if (f.before) where.push('d.id < ?') && args.push(f.before);
  const { rows } = await ex.execute({
    sql: `SELECT d.*, e.uid AS event_uid, e.type, e.page_slug, e.button_name FROM deliveries d JOIN notification_events e ON e.id = d.event_id
          WHERE ${where.join(' AND ')} ORDER BY d.id DESC LIMIT ?`,
    args: [...args, limit + 1],
  });
  const s = (v: unknown) => (v == null ? null : String(v));
  const deliveries = rows.slice(0, limit).map((r) => ({
    id: Number(r.id),
    uid: String(r.uid),
    eventUid: String(r.event_uid),
    type: String(r.type),
    page: s(r.page_slug),
    button: s(r.button_name),
    target: String(r.target),
    channel: String(r.channel) as DeliveryView['channel'],
    state: String(r.state) as DeliveryState,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastError: s(r.last_error),
    lastStatus: r.last_status == null ? null : Number(r.last_status),
    excerpt: s(r.response_excerpt),
    createdAt: String(r.created_at),
    updatedAt: String(r.updated_at),
    deliveredAt: s(r.delivered_at),
  }));
  return { deliveries, more: rows.length > limit };
}

/** How many deliveries wait and how many were given up: for readiness, metrics and the admin tab. */
export async function deliveryCounts(ex: Executor): Promise<{ pending: number; failed: number }> {
  const { rows } = await ex.execute(`SELECT (SELECT count(*) FROM deliveries WHERE state = 'pending') AS pending, (SELECT count(*) FROM deliveries WHERE state = 'failed') AS failed`);
  return { pending: Number(rows[0]!.pending), failed: Number(rows[0]!.failed) };
}

/** Sent or given-up deliveries last touched before `cutoff` (ISO): what retention's audit age removes. */
export async function countDeliveriesBefore(ex: Executor, cutoff: string): Promise<number> {
  const { rows } = await ex.execute({ sql: "SELECT count(*) AS n FROM deliveries WHERE state <> 'pending' AND updated_at < ?", args: [cutoff] });
  return Number(rows[0]!.n);
}

/** Deletes at most `limit` of those deliveries, and the events left with none, in the caller's transaction; how many deliveries went. */
export async function forgetDeliveriesBefore(tx: Transaction, cutoff: string, limit: number): Promise<number> {
  const del = await tx.execute({
    sql: "DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries WHERE state <> 'pending' AND updated_at < ? ORDER BY id LIMIT ?) RETURNING event_id",
    args: [cutoff, limit],
  });
  const events = [...new Set(del.rows.map((r) => Number(r.event_id)))];
  if (events.length) {
    await tx.execute({
      sql: `DELETE FROM notification_events WHERE id IN (${events.map(() => '?').join(',')}) AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = notification_events.id)`,
      args: events,
    });
  }
  return del.rows.length;
}
