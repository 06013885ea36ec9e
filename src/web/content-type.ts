/**
 * What a page may be posted: forms (URL-encoded or multipart), and JSON where
 * the route answers JSON (the run routes). Anything else used to reach
 * `formData()` and end as a 500; it is refused up front with 415 instead.
 * The JSON API (`/api/`) is not checked here: its route table knows which
 * calls read a body (src/web/api-v1.ts).
 */
import { hasBody, HttpError, mediaType } from './http.ts';

const FORMS = ['application/x-www-form-urlencoded', 'multipart/form-data'];

/** Routes that also take JSON (see run-routes.ts); they read no body, so one may also send none. */
const JSON_ROUTES = [/^\/page\/[^/]+\/run\/[^/]+\/?$/, /^\/runs\/[^/]+\/(cancel|rerun)\/?$/];

const BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The 415 for a request whose body this route does not take, or undefined when it may go on. */
export function unsupportedBody(request: Request, pathname: string): HttpError | undefined {
  if (BODYLESS.has(request.method) || pathname.startsWith('/api/')) return undefined;
  const type = mediaType(request);
  if (FORMS.includes(type)) return undefined;
  const takesJson = JSON_ROUTES.some((r) => r.test(pathname));
  if (takesJson && (type === 'application/json' || type === '')) return undefined;
  // Worded for the error page; a client that asked for JSON gets the English.
  const sent = type ? `"${type}"` : hasBody(request) ? 'untyped' : 'none';
  return new HttpError(415, (t) => t('http.unsupportedBody', {
    accepted: t(takesJson ? 'http.accepts.formOrJson' : 'http.accepts.form'),
    sent: sent.startsWith('"') ? sent : t(`http.sent.${sent}`),
  }));
}

/** Whether the client asked for JSON rather than a page. */
export function wantsJson(request: Request): boolean {
  const accept = request.headers.get('accept') ?? '';
  return accept.includes('application/json') && !accept.includes('text/html');
}
