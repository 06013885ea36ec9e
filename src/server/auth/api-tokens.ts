/** Personal API tokens: a user's rights, for scripts. Only a hash is kept; the token is shown once. */
import { createHash, randomBytes } from 'node:crypto';
import type { Database, Transaction } from '../db.ts';
import type { Reads } from '../read-cache.ts';
import type { SessionUser } from './sessions.ts';
import type { Role } from './roles.ts';
import { WordedError } from '../../core/worded.ts';

const PREFIX = 'syu_';
const hash = (token: string) => createHash('sha256').update(token).digest('hex');

export interface ApiTokenRecord {
  id: number;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export class ApiTokenError extends WordedError {}

export async function createApiToken(db: Database, userId: number, name: string): Promise<string> {
  const label = name.trim();
  if (!label || label.length > 100) throw new ApiTokenError((t) => t('auth.tokens.badName'));
  const token = PREFIX + randomBytes(32).toString('base64url');
  await db.write({ sql: 'INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES (?, ?, ?, ?)', args: [userId, label, hash(token), new Date().toISOString()] });
  return token;
}

export async function listApiTokens(db: Database, userId: number): Promise<ApiTokenRecord[]> {
  const { rows } = await db.execute({ sql: 'SELECT id, name, created_at, last_used_at, revoked_at FROM api_tokens WHERE user_id = ? ORDER BY id DESC', args: [userId] });
  return rows.map((r) => ({
    id: Number(r.id),
    name: String(r.name),
    createdAt: String(r.created_at),
    lastUsedAt: r.last_used_at == null ? null : String(r.last_used_at),
    revokedAt: r.revoked_at == null ? null : String(r.revoked_at),
  }));
}

/** Revokes all of a user's tokens, inside the caller's write transaction (a password reset). */
export async function revokeAllApiTokensIn(tx: Transaction, userId: number): Promise<number> {
  const r = await tx.execute({ sql: 'UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL', args: [new Date().toISOString(), userId] });
  return r.rowsAffected;
}

/** Revokes one of the user's own tokens; returns its name. */
export async function revokeApiToken(db: Database, userId: number, id: number): Promise<string> {
  const { rows } = await db.write({ sql: 'UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL RETURNING name', args: [new Date().toISOString(), id, userId] });
  if (!rows[0]) throw new ApiTokenError((t) => t('auth.tokens.noSuch'));
  return String(rows[0].name);
}

/**
 * The user a bearer token acts for; undefined for unknown, revoked tokens and disabled users.
 * `reads` may answer from results kept while the database is unchanged (read-cache.ts).
 */
export async function authenticateApiToken(db: Database, token: string, reads: Reads = db): Promise<SessionUser | undefined> {
  if (!token.startsWith(PREFIX) || token.length > 100) return undefined;
  const { rows } = await reads.execute({
    sql: `SELECT t.id, t.last_used_at, u.id AS user_id, u.username, u.display_name, u.email, u.role, u.language
          FROM api_tokens t JOIN users u ON u.id = t.user_id
          WHERE t.token_hash = ? AND t.revoked_at IS NULL AND u.disabled = 0`,
    args: [hash(token)],
  });
  const r = rows[0];
  if (!r) return undefined;
  if (r.last_used_at == null || Date.now() - Date.parse(String(r.last_used_at)) > 60_000) {
    await db.write({ sql: 'UPDATE api_tokens SET last_used_at = ? WHERE id = ?', args: [new Date().toISOString(), Number(r.id)] });
  }
  return { id: Number(r.user_id), username: String(r.username), displayName: String(r.display_name), email: String(r.email), role: String(r.role) as Role, language: r.language == null ? null : String(r.language) };
}
