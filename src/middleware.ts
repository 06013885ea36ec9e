import { defineMiddleware } from 'astro:middleware';
import { STATUS_CODES } from 'node:http';
import { appInLanguage, getApp } from './server/app.ts';
import { sessionCookieName, sessionCookieOptions } from './server/auth/login.ts';
import { validateSessionToken } from './server/auth/sessions.ts';
import { authenticateApiToken } from './server/auth/api-tokens.ts';
import { clientIp, errorJson, HttpError, SECURITY_HEADERS } from './web/http.ts';
import { Refused } from './server/refused.ts';
import { asHttpError } from './web/errors.ts';
import { unsupportedBody, wantsJson } from './web/content-type.ts';
import { crossSiteRefusal } from './web/origin.ts';
import { currentTrace } from './web/request-trace.ts';
import { log } from './server/log.ts';
import { languageFor, translator } from './core/i18n.ts';
import { isLatestValuesPath } from './web/latest-values.ts';
import { isLatestArtifactPath } from './web/artifact-routes.ts';

export const onRequest = defineMiddleware(async (ctx, next) => {
  let response: Response;
  // The pattern, not the path: one label per page or endpoint, however many slugs and ids.
  const trace = currentTrace();
  // Set once: an error shown by rewriting to /error still counts for the route that failed.
  if (trace && !trace.route) trace.route = ctx.routePattern;
  // The browser's language first, so that even a refusal before the person is known is worded in it.
  ctx.locals.lang = languageFor(undefined, ctx.request.headers.get('accept-language'));
  ctx.locals.t = translator(ctx.locals.lang);
  try {
    const app = await getApp();
    ctx.locals.app = app;
    ctx.locals.ip = clientIp(ctx.request, ctx.clientAddress);
    ctx.locals.reads = app.db.snapshot();
    const refused = crossSiteRefusal(ctx.request, ctx.url) ?? unsupportedBody(ctx.request, ctx.url.pathname);
    if (refused) throw refused;
    const secure = ctx.url.protocol === 'https:';
    const name = sessionCookieName(secure);
    const token = ctx.cookies.get(name)?.value;
    const bearer = forScripts(ctx.url.pathname) ? ctx.request.headers.get('authorization')?.match(/^Bearer (\S+)$/)?.[1] : undefined;
    if (bearer) {
      // A personal token acts with its owner's rights; no cookie is looked at.
      ctx.locals.user = await authenticateApiToken(app.db, bearer, ctx.locals.reads);
      if (!ctx.locals.user) throw new HttpError(401, 'unknown or revoked API token', { 'WWW-Authenticate': 'Bearer realm="Switchyard", error="invalid_token"' });
    } else if (token) {
      const valid = await validateSessionToken(app.db, token, app.settings.sessions, ctx.locals.reads);
      if (valid) {
        ctx.locals.user = valid.user;
        ctx.locals.session = valid.session;
      } else {
        ctx.cookies.set(name, '', sessionCookieOptions(secure));
      }
    }
    if (trace) trace.user = ctx.locals.user?.username;
    ctx.locals.lang = languageFor(ctx.locals.user?.language, ctx.request.headers.get('accept-language'));
    ctx.locals.t = translator(ctx.locals.lang);
    // From here on, config text (titles, labels, help) reads in the person's language; scripts get the default one.
    if (!bearer && !forScripts(ctx.url.pathname)) ctx.locals.app = appInLanguage(app, ctx.locals.lang);
    response = await next();
  } catch (caught) {
    const e = asHttpError(caught);
    if (!e || ctx.locals.error) {
      log().error({ req_id: trace?.id, method: ctx.request.method, route: ctx.routePattern, err: caught }, `${ctx.request.method} ${ctx.url.pathname} failed`);
      throw caught;
    }
    // A full disk or a lock held too long is the operator's to fix: say so in the log too.
    if (!(caught instanceof HttpError || caught instanceof Refused)) log().error({ req_id: trace?.id, method: ctx.request.method, route: ctx.routePattern, err: (caught as Error).cause ?? caught }, `${ctx.request.method} ${ctx.url.pathname}: ${e.message}`);
    if (ctx.url.pathname.startsWith('/api/') || forScripts(ctx.url.pathname) || wantsJson(ctx.request)) {
      return withHeaders(errorJson(e));
    }
    ctx.locals.error = e;
    // A fresh GET: the original request's body may already have been read.
    response = await ctx.rewrite(new Request(new URL('/error', ctx.url), { headers: ctx.request.headers }));
  }
  if (ctx.locals.user && !response.headers.has('Cache-Control')) response.headers.set('Cache-Control', 'no-store');
  return withHeaders(response);
});

/**
 * Where a bearer token is taken: the JSON API, a page's latest values
 * (latest.yaml, latest.json) and a button's latest files. Nowhere else, so a
 * token never opens the pages people use, nor any form that changes something.
 */
function forScripts(pathname: string): boolean {
  return pathname.startsWith('/api/v1/') || isLatestValuesPath(pathname) || isLatestArtifactPath(pathname);
}

function withHeaders(response: Response): Response {
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) if (!response.headers.has(k)) response.headers.set(k, v);
  // A page that sets its own status keeps Astro's "OK"; the status line should name the status it has.
  if (response.status !== 200 && response.statusText === 'OK') {
    return new Response(response.body, { status: response.status, statusText: STATUS_CODES[response.status] ?? '', headers: response.headers });
  }
  return response;
}
