/**
 * Files a run left (its artifacts) as downloads:
 *
 *   /runs/<id>/artifacts/<name>                 one run's file (session)
 *   /api/v1/runs/<id>/artifacts[/<name>]        the list, or one file (token or session)
 *   /page/<slug>/latest/<button>/<name>         the newest succeeded run's file of that name (token or session)
 *   /api/v1/pages/<slug>/buttons/<button>/artifacts/<name>   the same, under the API
 *
 * Always `Content-Disposition: attachment`: a file a script wrote is never
 * shown inside the app's origin, whatever its type. The ETag is its SHA-256,
 * so a poller's conditional GET of the latest file costs a 304.
 */
import type { APIContext } from 'astro';
import type { App } from '../server/app.ts';
import { requireAccess, type Viewer } from '../server/auth/access.ts';
import { latestArtifact, listArtifacts, readArtifact, type Artifact, type ArtifactInfo } from '../server/runs/artifacts.ts';
import { visibleRun } from '../server/runs/service.ts';
import { notFound, Refused } from '../server/refused.ts';
import { loginAddress } from './http.ts';
import { buttonOf, pageOf } from '../core/config/lookup.ts';
import { notModified } from './conditional.ts';
import { runIdFrom } from './run-http.ts';
import { viewerOf } from './routes.ts';

/** Types browsers and tools expect for common outputs; anything else is plain bytes. */
const TYPES: Record<string, string> = {
  csv: 'text/csv; charset=utf-8',
  json: 'application/json',
  txt: 'text/plain; charset=utf-8',
  log: 'text/plain; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  yaml: 'text/yaml; charset=utf-8',
  yml: 'text/yaml; charset=utf-8',
  xml: 'application/xml',
  pdf: 'application/pdf',
  zip: 'application/zip',
  gz: 'application/gzip',
  tgz: 'application/gzip',
  png: 'image/png',
  svg: 'image/svg+xml',
};

export function artifactType(name: string): string {
  return TYPES[name.split('.').pop()!.toLowerCase()] ?? 'application/octet-stream';
}

/** The file as a download; a 304 when the client has it already. */
export function artifactResponse(request: Request, file: Artifact): Response {
  const headers: Record<string, string> = {
    ETag: `"${file.sha256}"`,
    'Cache-Control': 'private, no-cache',
    'X-Switchyard-Run': String(file.runId),
  };
  if (notModified(request, headers.ETag!, undefined)) return new Response(null, { status: 304, headers });
  return new Response(request.method === 'HEAD' ? null : (file.body as Uint8Array<ArrayBuffer>), {
    headers: {
      ...headers,
      'Content-Type': artifactType(file.name),
      'Content-Length': String(file.size),
      // The name is plain ASCII (the protocol allows nothing else), so it needs no escaping.
      'Content-Disposition': `attachment; filename="${file.name}"`,
      'Content-Security-Policy': "default-src 'none'; sandbox",
    },
  });
}

export const artifactJson = (runId: number, a: ArtifactInfo) => ({
  name: a.name,
  size: a.size,
  sha256: a.sha256,
  created_at: a.createdAt,
  url: `/runs/${runId}/artifacts/${a.name}`,
  api_url: `/api/v1/runs/${runId}/artifacts/${a.name}`,
});

/** One run's file, for a viewer who may see the run. */
export async function runArtifact(app: App, viewer: Viewer, id: string | undefined, name: string | undefined): Promise<Artifact> {
  const run = await visibleRun(app, runIdFrom(id), viewer);
  const file = await readArtifact(app.db, run.id, name ?? '');
  if (!file) throw notFound(`run ${run.id} has no file ${JSON.stringify(String(name).slice(0, 130))}`);
  return file;
}

export async function runArtifactList(app: App, viewer: Viewer, id: string | undefined) {
  const run = await visibleRun(app, runIdFrom(id), viewer);
  return (await listArtifacts(app.db, run.id)).map((a) => artifactJson(run.id, a));
}

/** The newest succeeded run's file of that name, for a viewer of the page. */
export async function latestButtonArtifact(app: App, viewer: Viewer, slug: string | undefined, button: string | undefined, name: string | undefined): Promise<Artifact> {
  const { config } = await app.config.current();
  const page = pageOf(config, slug ?? '');
  if (!page) throw notFound(`no page ${JSON.stringify(String(slug).slice(0, 130))}`);
  requireAccess(viewer.user, page, 'view');
  if (!buttonOf(config, page.slug, button ?? '')) throw notFound(`page ${page.slug} has no button ${JSON.stringify(String(button).slice(0, 130))}`);
  const file = await latestArtifact(app.db, page.slug, button!, name ?? '');
  if (!file) throw notFound(`no succeeded run of ${page.slug}/${button} has left a file ${JSON.stringify(String(name).slice(0, 130))}`);
  return file;
}

export async function runArtifactRoute(ctx: APIContext): Promise<Response> {
  return artifactResponse(ctx.request, await runArtifact(ctx.locals.app, viewerOf(ctx.locals), ctx.params.id, ctx.params.name));
}

export async function latestArtifactRoute(ctx: APIContext): Promise<Response> {
  const { slug, button, name } = ctx.params;
  try {
    return artifactResponse(ctx.request, await latestButtonArtifact(ctx.locals.app, viewerOf(ctx.locals), slug, button, name));
  } catch (e) {
    // A person following a link logs in first; a script gets the 401 (as JSON) that says to send a token.
    if (e instanceof Refused && e.kind === 'login' && (ctx.request.headers.get('accept') ?? '').includes('text/html')) return ctx.redirect(loginAddress(ctx.url.pathname), 303);
    throw e;
  }
}

const LATEST = /^\/page\/[^/]+\/latest\/[^/]+\/[^/]+$/;

/** The latest-file address, where the middleware also takes a bearer token. */
export function isLatestArtifactPath(pathname: string): boolean {
  return LATEST.test(pathname);
}
