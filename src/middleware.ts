import { defineMiddleware } from 'astro:middleware';
import { getApp } from './server/app.ts';
import { sessionCookieName, sessionCookieOptions } from './server/auth/login.ts';
import { validateSessionToken } from './server/auth/sessions.ts';
import { authenticateApiToken } from './server/auth/api-tokens.ts';
import { clientIp, errorJson, HttpError, SECURITY_HEADERS } from './web/http.ts';
import { Refused } from './server/refused.ts';
import { asHttpError } from './web/errors.ts';
import { unsupportedBody, wantsJson } from './web/content-type.ts';
import { crossSiteRefusal } from './web/origin.ts';

export const onRequest = defineMiddleware(async (ctx, next) => {
  let response: Response;
  try {
    const app = await getApp();
    ctx.locals.app = app;
    ctx.locals.ip = clientIp(ctx.request, ctx.clientAddress);
    const refused = crossSiteRefusal(ctx.request, ctx.url) ?? unsupportedBody(ctx.request, ctx.url.pathname);
    if (refused) throw refused;
    const secure = ctx.url.protocol === 'https:';
    const name = sessionCookieName(secure);
    const token = ctx.cookies.get(name)?.value;
    const bearer = ctx.url.pathname.startsWith('/api/v1/') ? ctx.request.headers.get('authorization')?.match(/^Bearer (\S+)$/)?.[1] : undefined;
    if (bearer) {
      // The JSON API: a personal token acts with its owner's rights; no cookie is looked at.
      ctx.locals.user = await authenticateApiToken(app.db, bearer);
      if (!ctx.locals.user) throw new HttpError(401, 'unknown or revoked API token');
    } else if (token) {
      const valid = await validateSessionToken(app.db, token, app.settings.sessions);
      if (valid) {
        ctx.locals.user = valid.user;
        ctx.locals.session = valid.session;
      } else {
        ctx.cookies.set(name, '', sessionCookieOptions(secure));
      }
    }
    response = await next();
  } catch (caught) {
    const e = asHttpError(caught);
    if (!e || ctx.locals.error) {
      console.error(`${new Date().toISOString()} ${ctx.request.method} ${ctx.url.pathname} failed:`, caught);
      throw caught;
    }
    // A full disk or a lock held too long is the operator's to fix: say so in the log too.
    if (!(caught instanceof HttpError || caught instanceof Refused)) console.error(`${new Date().toISOString()} ${ctx.request.method} ${ctx.url.pathname}: ${e.message}`, (caught as Error).cause ?? caught);
    if (ctx.url.pathname.startsWith('/api/') || wantsJson(ctx.request)) {
      return withHeaders(errorJson(e));
    }
    ctx.locals.error = e;
    // A fresh GET: the original request's body may already have been read.
    response = await ctx.rewrite(new Request(new URL('/error', ctx.url), { headers: ctx.request.headers }));
  }
  if (ctx.locals.user && !response.headers.has('Cache-Control')) response.headers.set('Cache-Control', 'no-store');
  return withHeaders(response);
});

function withHeaders(response: Response): Response {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!response.headers.has(k)) response.headers.set(k, v);
  return response;
}
