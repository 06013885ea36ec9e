/**
 * The outcome of a form action, carried across its redirect (post/redirect/get)
 * so that a reload shows the page again instead of repeating the action.
 *
 * An outcome is kept in the database (any app process may serve the GET that
 * follows) for the session that acted, read once and deleted. Its payload is
 * sealed with AES-256-GCM under a random key that only the redirect address
 * holds: the database alone never reveals a one-time secret, and the address
 * alone is useless once the outcome has been read or has expired.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Database } from './db.ts';

/** Something shown once: a new password or token. */
export interface Secret {
  label: string;
  value: string;
}

export type Outcome = { ok: string; secret?: Secret } | { error: string };

/** Long enough for a slow redirect; short enough that an unread secret does not linger. */
export const OUTCOME_TTL_MS = 10 * 60_000;

/** The query parameter a redirect carries the outcome's reference in. */
export const OUTCOME_PARAM = 'done';

const REF = /^([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

function seal(outcome: Outcome, key: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(outcome), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function unseal(sealed: Buffer, key: Buffer): Outcome | undefined {
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(12, 28));
    const text = Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8');
    return JSON.parse(text) as Outcome;
  } catch {
    return undefined; // a wrong key or a damaged row: nothing to show
  }
}

/** Keeps an outcome for `sessionId`; returns the reference to put in the redirect address. */
export async function keepOutcome(db: Database, sessionId: string, outcome: Outcome, now = Date.now()): Promise<string> {
  const id = randomBytes(16).toString('base64url');
  const key = randomBytes(32);
  await db.batch([
    { sql: 'DELETE FROM outcomes WHERE expires_at <= ?', args: [now] },
    { sql: 'INSERT INTO outcomes (id, session_id, sealed, expires_at) VALUES (?, ?, ?, ?)', args: [id, sessionId, seal(outcome, key), now + OUTCOME_TTL_MS] },
  ]);
  return `${id}.${key.toString('base64url')}`;
}

/** The outcome a reference names, once, and only for the session that acted and the key that sealed it. */
export async function takeOutcome(db: Database, sessionId: string, ref: string | null, now = Date.now()): Promise<Outcome | undefined> {
  const m = ref?.match(REF);
  if (!m) return undefined;
  const { rows } = await db.execute({ sql: 'SELECT sealed FROM outcomes WHERE id = ? AND session_id = ? AND expires_at > ?', args: [m[1]!, sessionId, now] });
  const sealed = rows[0]?.sealed;
  if (!(sealed instanceof ArrayBuffer)) return undefined;
  const outcome = unseal(Buffer.from(sealed), Buffer.from(m[2]!, 'base64url'));
  if (!outcome) return undefined;
  // Deleted only by the right key; of two readers at once (a double reload, two processes) one shows it.
  const taken = await db.write({ sql: 'DELETE FROM outcomes WHERE id = ? RETURNING id', args: [m[1]!] });
  return taken.rows.length ? outcome : undefined;
}

/** The address to redirect to after an action: `path` with the outcome's reference. */
export function withOutcome(path: string, ref: string): string {
  const url = new URL(path, 'http://x');
  url.searchParams.set(OUTCOME_PARAM, ref);
  return url.pathname + url.search;
}
