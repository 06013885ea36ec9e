/**
 * A page's latest values at a stable address, for scripts on other hosts:
 *
 *   GET /page/<slug>/latest.yaml   the export's YAML under its provenance comments (?provenance=0: none)
 *   GET /page/<slug>/latest.json   {"page", "revision", "saved_at", "saved_by", "values"}
 *
 * Read with a session or a personal API token (the middleware accepts a bearer
 * token here as under /api/v1), with the page's view access. Answers carry a
 * strong ETag and, once settled, Last-Modified, so a poller's conditional GET
 * costs a 304; only 200 GETs are audited, so polling does not flood the log.
 */
import type { APIContext } from 'astro';
import type { PageConfig, Values } from '../core/config/schema.ts';
import { valuesToYaml } from '../core/export.ts';
import { provenanceHeader } from '../core/provenance.ts';
import type { App } from '../server/app.ts';
import { requireAccess, type Viewer } from '../server/auth/access.ts';
import { currentValues, type CurrentValues } from '../server/history.ts';
import { findPage } from '../server/pages/view.ts';
import { savedProvenance } from '../server/pages/actions.ts';
import { Refused } from '../server/refused.ts';
import { lastModifiedHeader, notModified, strongEtag } from './conditional.ts';
import { errorJson, HttpError, loginAddress } from './http.ts';
import { viewerOf } from './routes.ts';

export type LatestFormat = 'yaml' | 'json';

const ADDRESS = /^\/page\/[^/]+\/latest\.(yaml|json)$/;

/** The two addresses where the middleware also takes a bearer token, and answers errors as JSON. */
export function isLatestValuesPath(pathname: string): boolean {
  return ADDRESS.test(pathname);
}

const CONTENT_TYPES: Record<LatestFormat, string> = { yaml: 'text/yaml; charset=utf-8', json: 'application/json' };

/**
 * Values in the page's parameter order, as the YAML has them, so both formats say the same.
 * Secrets are left out, as from latest.yaml (valuesToYaml): this address is for other hosts.
 */
function orderedValues(page: PageConfig, values: Values): Values {
  return Object.fromEntries(page.parameters.filter((p) => p.type !== 'secret').map((p) => [p.name, values[p.name] ?? null]));
}

/**
 * The body: a function of the page's config and its latest save only, so equal bodies get equal ETags.
 * So the YAML's provenance names no reader and no time of reading (the audit log has both); it gains
 * the commit once the save is published, which changes the ETag but not Last-Modified (the values' time).
 */
function latestBody(format: LatestFormat, page: PageConfig, current: CurrentValues, provenance: boolean): string {
  const save = current.lastSave;
  if (format === 'json') {
    const body = { page: page.slug, revision: current.revision, saved_at: save?.savedAt ?? null, saved_by: save?.author ?? null, values: orderedValues(page, current.values) };
    return `${JSON.stringify(body, null, 2)}\n`;
  }
  return valuesToYaml(page, current.values, provenance ? provenanceHeader({ ...savedProvenance(page, current), asSaved: true }) : undefined);
}

/**
 * When this process began serving each config revision. A config change can
 * change a page's body (a new default, a new parameter) with no save, so
 * Last-Modified is the later of the latest save and this. Per process: after a
 * restart it moves on, which costs a client one full answer and is never wrong.
 */
const configSince = new Map<string, number>();

function servedSince(revision: string): number {
  let at = configSince.get(revision);
  if (at === undefined) {
    if (configSince.size >= 100) configSince.clear();
    configSince.set(revision, (at = Date.now()));
  }
  return at;
}

/** No one logged in and the page needs someone: a browser goes to the login page, a script gets a 401 it can act on. */
function askForLogin(ctx: APIContext, why: string): Response {
  if ((ctx.request.headers.get('accept') ?? '').includes('text/html')) return ctx.redirect(loginAddress(ctx.url.pathname), 303);
  const message = `${why} Scripts: send Authorization: Bearer <token> (create one under Account → API tokens).`;
  return errorJson(new HttpError(401, message, { 'WWW-Authenticate': 'Bearer realm="Switchyard"' }));
}

/** The page for a viewer who may see it; a Refused (404, 403, log in) otherwise. */
async function readablePage(app: App, slug: string | undefined, viewer: Viewer) {
  const { live, page } = await findPage(app, slug);
  requireAccess(viewer.user, page, 'view');
  return { live, page };
}

export async function latestValuesResponse(ctx: APIContext, format: LatestFormat): Promise<Response> {
  const { request } = ctx;
  if (request.method !== 'GET' && request.method !== 'HEAD') throw new HttpError(405, `${ctx.url.pathname} takes GET or HEAD, not ${request.method}`, { Allow: 'GET, HEAD' });
  const { app } = ctx.locals;
  const viewer = viewerOf(ctx.locals);
  let found: Awaited<ReturnType<typeof readablePage>>;
  try {
    found = await readablePage(app, ctx.params.slug, viewer);
  } catch (e) {
    if (e instanceof Refused && e.kind === 'login') return askForLogin(ctx, e.message);
    throw e;
  }
  const { live, page } = found;
  const current = await currentValues(viewer.reads ?? app.db, page);
  // For tools that cannot read YAML comments; any other value keeps them.
  const body = latestBody(format, page, current, ctx.url.searchParams.get('provenance') !== '0');
  const etag = strongEtag(body);
  const savedAt = current.lastSave ? Date.parse(current.lastSave.savedAt) : 0;
  const lastModified = lastModifiedHeader(Math.max(savedAt, servedSince(live.revision)));
  // private: access-controlled data stays out of shared caches; no-cache: a private cache asks every time (cheaply, with the ETag).
  const headers: Record<string, string> = { ETag: etag, 'Cache-Control': 'private, no-cache', ...(lastModified ? { 'Last-Modified': lastModified } : {}) };
  if (notModified(request, etag, lastModified)) return new Response(null, { status: 304, headers });
  // Only a GET that hands over the values is audited: not a 304, not a HEAD, and anonymous reads of public pages are not, as with the export.
  if (request.method === 'GET' && viewer.user) {
    app.auditLater.add({ action: 'export', userId: viewer.user.id, username: viewer.user.username, ip: viewer.ip, detail: { page: page.slug, address: `latest.${format}`, revision: current.revision } });
  }
  return new Response(body, { headers: { ...headers, 'Content-Type': CONTENT_TYPES[format] } });
}
