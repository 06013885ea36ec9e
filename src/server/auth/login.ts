/** The login and logout flow, and the session cookie. */
import type { App } from '../app.ts';
import { audit } from '../audit.ts';
import { findUser } from '../users.ts';
import { verifyPassword } from './passwords.ts';
import { createSession, generateSessionToken, invalidateSession } from './sessions.ts';
import { throttleKeys } from './throttle.ts';
import { countLogin } from '../metrics.ts';
import type { Translate } from '../../core/i18n.ts';
import { ENGLISH } from '../../core/worded.ts';

export type LoginResult =
  | { ok: true; token: string; expiresAt: Date; username: string }
  | { ok: false; status: 400 | 401 | 429; error: string; retryAfterSeconds?: number };

export interface LoginAttempt {
  username: string;
  password: string;
  ip: string;
  userAgent: string;
}

function failed(result: LoginResult): LoginResult {
  countLogin('failed');
  return result;
}

/** Checks a login attempt; a refusal is said in `t`'s language (the login form's reader). */
export async function login(app: App, attempt: LoginAttempt, t: Translate = ENGLISH): Promise<LoginResult> {
  const username = attempt.username.trim();
  if (!username || !attempt.password) return failed({ ok: false, status: 400, error: t('auth.enterBoth') });
  if (username.length > 64 || attempt.password.length > 1024) return failed({ ok: false, status: 401, error: t('auth.invalid') });
  const keys = throttleKeys(username, attempt.ip);
  const wait = await app.throttle.retryAfterMs(keys);
  if (wait > 0) {
    const seconds = Math.ceil(wait / 1000);
    countLogin('throttled');
    return { ok: false, status: 429, retryAfterSeconds: seconds, error: t('auth.throttled', { count: seconds }) };
  }
  const user = await findUser(app.db, username);
  const valid = await verifyPassword(user?.passwordHash, attempt.password);
  if (!user || !valid || user.disabled) {
    await app.throttle.fail(keys);
    await audit(app.db, { action: 'login_failed', username, ip: attempt.ip, detail: { reason: !user ? 'unknown user' : user.disabled && valid ? 'disabled' : 'wrong password' } });
    return failed({ ok: false, status: 401, error: t(user?.disabled && valid ? 'auth.disabled' : 'auth.invalid') });
  }
  await app.throttle.succeed(keys);
  const token = generateSessionToken();
  const session = await createSession(app.db, token, user.id, { ip: attempt.ip, userAgent: attempt.userAgent }, app.settings.sessions);
  await audit(app.db, { action: 'login', userId: user.id, username: user.username, ip: attempt.ip });
  countLogin('ok');
  return { ok: true, token, expiresAt: session.expiresAt, username: user.username };
}

export async function logout(app: App, sessionId: string, user: { id: number; username: string }, ip: string): Promise<void> {
  await invalidateSession(app.db, sessionId);
  await audit(app.db, { action: 'logout', userId: user.id, username: user.username, ip });
}

/** Under HTTPS the cookie gets the `__Host-` prefix: Secure, host-only, path `/`. */
export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-switchyard_session' : 'switchyard_session';
}

export function sessionCookieOptions(secure: boolean, expiresAt?: Date) {
  return {
    httpOnly: true,
    sameSite: 'lax' as const,
    secure,
    path: '/',
    ...(expiresAt ? { expires: expiresAt, maxAge: Math.floor((expiresAt.getTime() - Date.now()) / 1000) } : { maxAge: 0 }),
  };
}

