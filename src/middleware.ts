import { defineMiddleware } from 'astro:middleware';
import { getApp } from './server/app.ts';
import { sessionCookieName, sessionCookieOptions } from './server/auth/login.ts';
import { validateSessionToken } from './server/auth/sessions.ts';
import { clientIp, HttpError, SECURITY_HEADERS } from './server/http.ts';

export const onRequest = defineMiddleware(async (ctx, next) => {
  let response: Response;
  try {
    const app = await getApp();
    ctx.locals.app = app;
    ctx.locals.ip = clientIp(ctx.request, ctx.clientAddress);
    const secure = ctx.url.protocol === 'https:';
    const name = sessionCookieName(secure);
    const token = ctx.cookies.get(name)?.value;
    if (token) {
      const valid = await validateSessionToken(app.db, token, app.settings.sessions);
      if (valid) {
        ctx.locals.user = valid.user;
        ctx.locals.session = valid.session;
      } else {
        ctx.cookies.set(name, '', sessionCookieOptions(secure));
      }
    }
    response = await next();
  } catch (e) {
    if (!(e instanceof HttpError) || ctx.locals.error) {
      console.error(`${new Date().toISOString()} ${ctx.request.method} ${ctx.url.pathname} failed:`, e);
      throw e;
    }
    ctx.locals.error = e;
    // A fresh GET: the original request's body may already have been read.
    response = await ctx.rewrite(new Request(new URL('/error', ctx.url), { headers: ctx.request.headers }));
  }
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!response.headers.has(k)) response.headers.set(k, v);
  if (ctx.locals.user && !response.headers.has('Cache-Control')) response.headers.set('Cache-Control', 'no-store');
  return response;
});
