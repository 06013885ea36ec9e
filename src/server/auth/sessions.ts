/**
 * Sessions as in the Lucia guide: a random token goes to the browser, only its
 * SHA-256 is stored, and the expiry slides forward while the session is used.
 */
import { createHash } from 'node:crypto';
import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';
import type { Database, Transaction } from '../db.ts';
import type { Reads } from '../read-cache.ts';
import type { Role } from './roles.ts';

/**
 * A session ends `idleMs` after it was last used, and `maxMs` after it began
 * whatever happens. Use is recorded at most once a minute, to keep writes rare.
 */
export interface SessionLimits {
  idleMs: number;
  maxMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 12 * 60 * 60 * 1000, maxMs: 30 * 24 * 60 * 60 * 1000 };
const TOUCH_EVERY_MS = 60 * 1000;
const touchEvery = (limits: SessionLimits) => Math.min(TOUCH_EVERY_MS, limits.idleMs / 4);

export interface Session {
  id: string;
  userId: number;
  expiresAt: Date;
}

export interface SessionUser {
  id: number;
  username: string;
  displayName: string;
  email: string;
  role: Role;
  /** The interface language they chose, or null to follow the browser. */
  language?: string | null;
}

export type SessionValidation = { session: Session; user: SessionUser } | null;

export function generateSessionToken(): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  return encodeBase32LowerCaseNoPadding(bytes);
}

/** The token's SHA-256 in hex (Node's own hash: the same digest, at a tenth of the pure-JS one's cost per request). */
export function sessionIdFromToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export async function createSession(
  db: Database,
  token: string,
  userId: number,
  meta: { ip?: string; userAgent?: string } = {},
  limits: SessionLimits = DEFAULT_SESSION_LIMITS,
): Promise<Session> {
  const now = Date.now();
  // The cookie lives as long as the session can; the idle limit is enforced here, on the server.
  const session: Session = { id: sessionIdFromToken(token), userId, expiresAt: new Date(now + limits.maxMs) };
  await db.write({
    sql: 'INSERT INTO sessions (id, user_id, created_at, expires_at, last_used_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)',
    args: [session.id, userId, now, session.expiresAt.getTime(), now, (meta.ip ?? '').slice(0, 64), (meta.userAgent ?? '').slice(0, 256)],
  });
  return session;
}

/**
 * The session and its user, or null (then ended, if it had expired or its user is disabled).
 * `reads` may answer from results kept while the database is unchanged (read-cache.ts):
 * a logout, a password or role change, a disabled user all commit, which ends what was kept.
 */
export async function validateSessionToken(db: Database, token: string, limits: SessionLimits = DEFAULT_SESSION_LIMITS, reads: Reads = db): Promise<SessionValidation> {
  if (!/^[a-z2-7]{32}$/.test(token)) return null;
  const id = sessionIdFromToken(token);
  const { rows } = await reads.execute({
    sql: `SELECT s.user_id, s.created_at, s.expires_at, s.last_used_at, u.username, u.display_name, u.email, u.role, u.disabled, u.language
          FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`,
    args: [id],
  });
  const row = rows[0];
  if (!row) return null;
  const now = Date.now();
  const expiresAt = Math.min(Number(row.expires_at), Number(row.created_at) + limits.maxMs);
  const lastUsed = Number(row.last_used_at);
  if (now >= expiresAt || now - lastUsed >= limits.idleMs || Number(row.disabled) !== 0) {
    await invalidateSession(db, id);
    return null;
  }
  const session: Session = { id, userId: Number(row.user_id), expiresAt: new Date(expiresAt) };
  if (now - lastUsed >= touchEvery(limits)) await db.write({ sql: 'UPDATE sessions SET last_used_at = ? WHERE id = ?', args: [now, id] });
  const user: SessionUser = {
    id: session.userId,
    username: String(row.username),
    displayName: String(row.display_name),
    email: String(row.email),
    role: String(row.role) as Role,
    language: row.language == null ? null : String(row.language),
  };
  return { session, user };
}

export async function invalidateSession(db: Database, sessionId: string): Promise<void> {
  await db.write({ sql: 'DELETE FROM sessions WHERE id = ?', args: [sessionId] });
}

/**
 * Ends a user's sessions, but `keep` (the one a person is using to change
 * their own password), inside the caller's write transaction: the change
 * that calls for it (role, password, disabling, removal) and the logout
 * hold together or not at all.
 */
export async function endUserSessionsIn(tx: Transaction, userId: number, keep?: string): Promise<void> {
  if (keep === undefined) await tx.execute({ sql: 'DELETE FROM sessions WHERE user_id = ?', args: [userId] });
  else await tx.execute({ sql: 'DELETE FROM sessions WHERE user_id = ? AND id != ?', args: [userId, keep] });
}
