/**
 * The cross-site request check, in place of Astro's own (`security.checkOrigin`,
 * turned off in astro.config.mjs) so that its refusal reads like every other
 * error: JSON for the API and for JSON clients, the error page for people.
 *
 * The rule is Astro's: a request that may change state (not GET, HEAD or
 * OPTIONS) and carries a form-like body, or no content type at all, must come
 * with this site's Origin. One exception: the JSON API called with a personal
 * token and no cookie. A page on another site can neither set the
 * Authorization header nor read the answer, so there is no ambient
 * credential for it to abuse; refusing such a call only hurt scripts that
 * send no body.
 */
import { HttpError } from './http.ts';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
const FORM_LIKE = ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain'];

export function crossSiteRefusal(request: Request, url: URL): HttpError | undefined {
  if (SAFE.has(request.method)) return undefined;
  const sameOrigin = request.headers.get('origin') === url.origin;
  if (sameOrigin) return undefined;
  const tokenCall = url.pathname.startsWith('/api/v1/') && /^Bearer \S+$/.test(request.headers.get('authorization') ?? '') && !request.headers.has('cookie');
  if (tokenCall) return undefined;
  const type = request.headers.get('content-type');
  if (type !== null && !FORM_LIKE.some((f) => type.toLowerCase().includes(f))) return undefined;
  return new HttpError(403, (t) => t('http.crossSite', { method: request.method }));
}
