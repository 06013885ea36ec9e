/**
 * Sessions as in the Lucia guide: a random token goes to the browser, only its
 * SHA-256 is stored, and the expiry slides forward while the session is used.
 */
import { sha256 } from '@oslojs/crypto/sha2';
import { encodeBase32LowerCaseNoPadding, encodeHexLowerCase } from '@oslojs/encoding';
import type { Database } from '../db.ts';
import type { Role } from './roles.ts';

export const SESSION_LIFETIME_MS = 30 * 24 * 60 * 60 * 1000;
/** Past half its lifetime, a used session is extended; this keeps writes rare. */
const RENEW_BEFORE_MS = SESSION_LIFETIME_MS / 2;

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
}

export type SessionValidation = { session: Session; user: SessionUser; renewed: boolean } | null;

export function generateSessionToken(): string {
  const bytes = new Uint8Array(20);
  crypto.getRandomValues(bytes);
  return encodeBase32LowerCaseNoPadding(bytes);
}

export function sessionIdFromToken(token: string): string {
  return encodeHexLowerCase(sha256(new TextEncoder().encode(token)));
}

export async function createSession(db: Database, token: string, userId: number, meta: { ip?: string; userAgent?: string } = {}): Promise<Session> {
  const session: Session = { id: sessionIdFromToken(token), userId, expiresAt: new Date(Date.now() + SESSION_LIFETIME_MS) };
  await db.write({
    sql: 'INSERT INTO sessions (id, user_id, created_at, expires_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?)',
    args: [session.id, userId, Date.now(), session.expiresAt.getTime(), (meta.ip ?? '').slice(0, 64), (meta.userAgent ?? '').slice(0, 256)],
  });
  return session;
}

export async function validateSessionToken(db: Database, token: string): Promise<SessionValidation> {
  if (!/^[a-z2-7]{32}$/.test(token)) return null;
  const id = sessionIdFromToken(token);
  const { rows } = await db.execute({
    sql: `SELECT s.user_id, s.expires_at, u.username, u.display_name, u.email, u.role, u.disabled
          FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id = ?`,
    args: [id],
  });
  const row = rows[0];
  if (!row) return null;
  const expiresAt = Number(row.expires_at);
  if (Date.now() >= expiresAt || Number(row.disabled) !== 0) {
    await invalidateSession(db, id);
    return null;
  }
  const session: Session = { id, userId: Number(row.user_id), expiresAt: new Date(expiresAt) };
  let renewed = false;
  if (expiresAt - Date.now() < RENEW_BEFORE_MS) {
    session.expiresAt = new Date(Date.now() + SESSION_LIFETIME_MS);
    await db.write({ sql: 'UPDATE sessions SET expires_at = ? WHERE id = ?', args: [session.expiresAt.getTime(), id] });
    renewed = true;
  }
  const user: SessionUser = {
    id: session.userId,
    username: String(row.username),
    displayName: String(row.display_name),
    email: String(row.email),
    role: String(row.role) as Role,
  };
  return { session, user, renewed };
}

export async function invalidateSession(db: Database, sessionId: string): Promise<void> {
  await db.write({ sql: 'DELETE FROM sessions WHERE id = ?', args: [sessionId] });
}

export async function invalidateUserSessions(db: Database, userId: number): Promise<void> {
  await db.write({ sql: 'DELETE FROM sessions WHERE user_id = ?', args: [userId] });
}
