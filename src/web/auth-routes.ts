/** Login and logout glue: read the form, call the login service, set or clear the cookie. */
import type { APIContext, AstroGlobal } from 'astro';
import type { SiteConfig } from '../core/config/schema.ts';
import { login, logout, sessionCookieName, sessionCookieOptions } from '../server/auth/login.ts';
import { safeNext } from './http.ts';
import { refusedByDatabase } from './errors.ts';

export type LoginRoute =
  | { redirect: string }
  | { status: number; error?: string; username: string; next: string; site: SiteConfig; retryAfterSeconds?: number };

export async function loginRoute(Astro: AstroGlobal): Promise<LoginRoute> {
  const { app, user } = Astro.locals;
  const next = safeNext(Astro.url.searchParams.get('next'));
  const { config: site } = await app.config.current();
  if (Astro.request.method !== 'POST') {
    return user ? { redirect: next } : { status: 200, username: '', next, site };
  }
  const form = await Astro.request.formData();
  const username = String(form.get('username') ?? '');
  const attempt = login(app, {
    username,
    password: String(form.get('password') ?? ''),
    ip: Astro.locals.ip,
    userAgent: Astro.request.headers.get('user-agent') ?? '',
  }, Astro.locals.t);
  const result = await attempt.catch((e: unknown) => {
    // The database could not record the session: say why, keep the name typed.
    const { status, headers, message } = refusedByDatabase(e, Astro.locals.t);
    return { ok: false as const, status, error: message, retryAfterSeconds: Number(headers['Retry-After']) || undefined };
  });
  if (!result.ok) return { status: result.status, error: result.error, username: username.slice(0, 64), next, site, retryAfterSeconds: result.retryAfterSeconds };
  const secure = Astro.url.protocol === 'https:';
  Astro.cookies.set(sessionCookieName(secure), result.token, sessionCookieOptions(secure, result.expiresAt));
  return { redirect: next };
}

export async function logoutRoute(ctx: APIContext): Promise<Response> {
  const { app, session, user } = ctx.locals;
  if (session && user) await logout(app, session.id, user, ctx.locals.ip);
  const secure = ctx.url.protocol === 'https:';
  ctx.cookies.set(sessionCookieName(secure), '', sessionCookieOptions(secure));
  return ctx.redirect('/login', 303);
}
