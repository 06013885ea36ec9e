/**
 * The JSON API for people's scripts (`Authorization: Bearer <personal token>`
 * or a browser session). Same rights, same validation, same conflict rule,
 * same audit and Git path as the pages.
 *
 *   GET  /api/v1/pages                       pages you may see
 *   GET  /api/v1/pages/<slug>                values and revision
 *   GET  /api/v1/pages/<slug>/history        saves, newest first (?before=<id>&limit=)
 *   PUT  /api/v1/pages/<slug>/values         {"revision": n, "values": {...}}
 *   POST /api/v1/pages/<slug>/runs/<button>  start a run
 *   GET  /api/v1/runs/<id>                   a run
 */
import type { PageConfig, Values } from '../../core/config/schema.ts';
import { checkValue } from '../../core/import.ts';
import type { App } from '../app.ts';
import { may, requireAccess } from '../auth/access.ts';
import type { Viewer } from '../editor.ts';
import { currentValues, pageHistory, type HistoryEntry } from '../history.ts';
import { HttpError, notFound, readBoundedText } from '../http.ts';
import { runJson, startRun, visibleRun } from '../runs/service.ts';
import { recordSave } from '../save.ts';

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' } });

function entryJson(e: HistoryEntry) {
  return {
    id: e.id,
    author: e.author,
    saved_at: e.savedAt,
    values: e.values,
    changes: e.changes.map((c) => ({ name: c.name, before: c.before ?? null, after: c.after ?? null })),
    publication: e.publication ? { state: e.publication.state, commit: e.publication.sha, url: e.publication.url, error: e.publication.error } : null,
  };
}

function pageJson(p: PageConfig) {
  return {
    slug: p.slug,
    title: p.title,
    parameters: p.parameters.map((q) => ({ name: q.name, label: q.label ?? q.name, type: q.type, required: q.required, ...(q.type === 'select' ? { options: q.options } : {}) })),
    buttons: p.buttons.map((b) => ({ name: b.name, label: b.label })),
  };
}

async function pageFor(app: App, slug: string, viewer: Viewer): Promise<PageConfig> {
  const page = (await app.config.current()).config.pages.find((p) => p.slug === slug);
  if (!page) throw notFound(`no page "${slug}"`);
  requireAccess(viewer.user, page, 'view');
  return page;
}

async function readBody(request: Request): Promise<Record<string, unknown>> {
  const text = await readBoundedText(request, 1024 * 1024);
  if (text === undefined) throw new HttpError(413, 'body larger than 1 MiB');
  try {
    const data = JSON.parse(text) as unknown;
    if (data && typeof data === 'object' && !Array.isArray(data)) return data as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new HttpError(400, 'body must be a JSON object');
}

async function saveValuesApi(app: App, page: PageConfig, viewer: Viewer, request: Request): Promise<Response> {
  requireAccess(viewer.user, page, 'edit');
  const body = await readBody(request);
  const revision = body.revision;
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision < 0) {
    return json({ error: `"revision" is required: the page's revision from GET /api/v1/pages/${page.slug}, so that no one's save is overwritten unseen` }, 422);
  }
  const given = body.values;
  if (!given || typeof given !== 'object' || Array.isArray(given)) return json({ error: '"values" must be an object of parameter names to values' }, 422);
  const errors: Record<string, string> = {};
  const values: Values = {};
  for (const [name, raw] of Object.entries(given)) {
    const p = page.parameters.find((q) => q.name === name);
    if (!p) {
      errors[name] = 'not a parameter of this page';
      continue;
    }
    const c = checkValue(p, raw);
    if ('value' in c) values[name] = c.value;
    else errors[name] = c.problem.slice(name.length + 2);
  }
  if (Object.keys(errors).length) return json({ error: 'invalid values; nothing was saved', errors }, 422);
  const result = await recordSave(app, page, values, revision, { user: viewer.user!, ip: viewer.ip, detail: { via: 'api' } });
  if (result.status === 'conflict') return json({ error: 'the page was saved by someone else since that revision; nothing was saved', revision: result.revision, since: result.since.map(entryJson) }, 409);
  if (result.status === 'unchanged') return json({ unchanged: true, revision: result.revision });
  return json({ saved: entryJson(result.entry), revision: result.entry.id });
}

export async function handleApi(app: App, request: Request, path: string, viewer: Viewer): Promise<Response> {
  try {
    if (!viewer.user) throw new HttpError(401, 'send Authorization: Bearer <token> (create one on your account page)');
    const parts = path.split('/').filter(Boolean);
    const method = request.method;
    if (method === 'GET' && parts.length === 1 && parts[0] === 'pages') {
      const { config } = await app.config.current();
      return json({ pages: config.pages.filter((p) => may(viewer.user, p, 'view')).map(pageJson) });
    }
    if (parts[0] === 'pages' && parts[1]) {
      const page = await pageFor(app, parts[1], viewer);
      if (method === 'GET' && parts.length === 2) {
        const current = await currentValues(app.db, page);
        return json({ ...pageJson(page), revision: current.revision, values: current.values, last_save: current.lastSave ? { id: current.lastSave.id, author: current.lastSave.author, saved_at: current.lastSave.savedAt } : null });
      }
      if (method === 'GET' && parts[2] === 'history' && parts.length === 3) {
        const q = new URL(request.url).searchParams;
        const { entries, more } = await pageHistory(app.db, page, { before: Number(q.get('before')) || undefined, limit: Number(q.get('limit')) || 50 });
        return json({ entries: entries.map(entryJson), more });
      }
      if ((method === 'PUT' || method === 'POST') && parts[2] === 'values' && parts.length === 3) return saveValuesApi(app, page, viewer, request);
      if (method === 'POST' && parts[2] === 'runs' && parts[3] && parts.length === 4) {
        const run = await startRun(app, page.slug, parts[3], viewer);
        return json({ id: run.id, url: `/runs/${run.id}`, run: runJson(run) }, 201);
      }
    }
    if (method === 'GET' && parts[0] === 'runs' && parts.length === 2) return json(runJson(await visibleRun(app, Number(parts[1]), viewer)));
    throw notFound(`no API call ${method} /api/v1/${parts.join('/')}`);
  } catch (e) {
    if (e instanceof HttpError) return json({ error: e.message }, e.status);
    throw e;
  }
}
