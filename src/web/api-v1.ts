/**
 * The JSON API for people's scripts (`Authorization: Bearer <personal token>`
 * or a browser session). Same rights, same validation, same conflict rule,
 * same audit and Git path as the pages.
 *
 *   GET  /api/v1/pages                       pages you may see
 *   GET  /api/v1/pages/<slug>                values and revision
 *   GET  /api/v1/pages/<slug>/history        saves, newest first (?before=<id>&limit=)
 *   PUT  /api/v1/pages/<slug>/values         {"revision": n, "values": {...}, "reason"?: "why"}
 *   POST /api/v1/pages/<slug>/runs/<button>  start a run
 *   GET  /api/v1/runs                        runs you may see (?page=&button=&state=&user=&q=&from=&to=&before=&limit=)
 *   GET  /api/v1/runs/<id>                   a run
 *   GET  /api/v1/runs/<id>/log               its whole log, as text
 *   GET  /api/v1/runs/<id>/artifacts[/<name>] the files it left: the list, or one as a download
 *   GET  /api/v1/pages/<slug>/buttons/<button>/artifacts/<name>  that file from the button's newest succeeded run
 *   GET  /api/v1/runs/<id>/events            its live events (Server-Sent Events; Last-Event-ID resumes)
 *   POST /api/v1/runs/<id>/cancel            cancel it
 *   POST /api/v1/runs/<id>/rerun             run it again with the same values
 *
 * Runs reported from outside (a pipeline Switchyard does not start reports
 * itself as a run of a button; api-external-runs.ts). Anyone with `run` access
 * on the page may create one and report on any external run of it. Each
 * report renews the run's silence deadline (`silence_s` on create: from the
 * runner lease to a day, one hour if not given); a silent run is lost. Every
 * answer carries `cancel_requested`; a report on a run that is not external
 * or has ended is 409, bad input 422. Besides JSON, create, progress and
 * finish take a form (curl --data-urlencode), log takes text/plain.
 *
 *   POST /api/v1/pages/<slug>/buttons/<button>/external-runs  {silence_s?} → 201 {id, url, run}
 *   POST /api/v1/runs/<id>/log       {"lines": [{"text", "stream"?}]}, or text/plain (?stream=stderr)
 *   POST /api/v1/runs/<id>/progress  {"progress": 0–100, "message"?}
 *   POST /api/v1/runs/<id>/finish    {"exit_code", "state"?, "error"?, "report"?: {"type": "text"|"html", "body"}}
 */
import type { PageConfig, Parameter, Values } from '../core/config/schema.ts';
import { checkValue } from '../core/import.ts';
import { maskSecrets } from '../core/values.ts';
import type { App } from '../server/app.ts';
import { may, showsButton } from '../core/access.ts';
import { requireAccess, type Viewer } from '../server/auth/access.ts';
import { currentValues, pageHistory, type HistoryEntry } from '../server/history.ts';
import { errorJson, hasBody, HttpError, json, mediaType, readJsonObject, sentBody } from './http.ts';
import { asHttpError } from './errors.ts';
import { notFound, Refused } from '../server/refused.ts';
import { runJson } from '../server/runs/json.ts';
import { artifactResponse, latestButtonArtifact, runArtifact, runArtifactList } from './artifact-routes.ts';
import { cancel, InputsRefused, rerun, startRun, visibleRun, visibleRuns } from '../server/runs/service.ts';
import { inputsRefusedJson, runBodyBytes } from './run-routes.ts';
import { runEventStream } from './run-stream.ts';
import { runFilterFrom, runIdFrom, runLogDownload } from './run-http.ts';
import { recordSave } from '../server/save.ts';
import { checkReason } from '../core/reason.ts';
import { createExternal, finishExternal, FORM, logExternal, progressExternal, TEXT } from './api-external-runs.ts';


function entryJson(e: HistoryEntry) {
  return {
    id: e.id,
    author: e.author,
    saved_at: e.savedAt,
    reason: e.reason ?? null,
    values: e.values,
    changes: e.changes.map((c) => ({ name: c.name, before: c.before ?? null, after: c.after ?? null })),
    publication: e.publication ? { state: e.publication.state, commit: e.publication.sha, url: e.publication.url, error: e.publication.error } : null,
    origin: e.origin ? { commit: e.origin.commit, url: e.origin.url ?? null } : null,
  };
}

function parameterJson(q: Parameter) {
  return { name: q.name, label: q.label ?? q.name, type: q.type, required: q.required, ...('options' in q ? { options: q.options } : {}) };
}

function pageJson(p: PageConfig, viewer: Viewer) {
  return {
    slug: p.slug,
    title: p.title,
    parameters: p.parameters.map(parameterJson),
    // What a start call must send ({"inputs": {...}}) and which runners may take the runs; not the buttons the caller may not run.
    buttons: p.buttons.filter((b) => showsButton(viewer.user, p, b)).map((b) => ({ name: b.name, label: b.label, inputs: b.inputs.map(parameterJson), runs_on: b.runs_on ?? null })),
  };
}

async function pageFor(app: App, slug: string, viewer: Viewer): Promise<PageConfig> {
  const page = await app.config.page(slug);
  if (!page) throw notFound(`no page "${slug}"`);
  requireAccess(viewer.user, page, 'view');
  return page;
}

/**
 * The 415 for a call with a body it does not take. A call that reads a body takes JSON only:
 * a form or text that happens to parse as JSON would otherwise be saved — except the reports
 * of an external run, which read a form or text as such (`alsoTakes`), for shell scripts. A call that reads
 * none takes none at all (`curl -X POST` sends no body and no type), or JSON, for scripts
 * that send `{}` with every POST.
 */
function unsupportedBody(request: Request, readsJson: boolean, alsoTakes: readonly string[], address: string): HttpError | undefined {
  if (request.method === 'GET' || mediaType(request) === 'application/json' || (!readsJson && !hasBody(request))) return undefined;
  // The calls that take a shell script's types also take no body at all: their handlers say what is missing.
  if (alsoTakes.length > 0 && (alsoTakes.includes(mediaType(request)) || !hasBody(request))) return undefined;
  const accepted = readsJson ? ['a JSON object (Content-Type: application/json)', ...alsoTakes].join(' or ') : 'no body, or JSON (application/json)';
  return new HttpError(415, `${request.method} ${address} takes ${accepted}, not ${sentBody(request)}.`);
}

async function readBody(request: Request): Promise<Record<string, unknown>> {
  return readJsonObject(request, 1024 * 1024);
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
  // Not in `errors`, whose keys are parameter names (and a page may have a parameter called "reason").
  const why = checkReason(body.reason, page.require_reason === true);
  if ('error' in why) return json({ error: `"reason": ${why.error} Nothing was saved.` }, 422);
  const result = await recordSave(app, page, values, revision, { user: viewer.user!, ip: viewer.ip, reason: why.reason, detail: { via: 'api' } });
  if (result.status === 'conflict') return json({ error: 'the page was saved by someone else since that revision; nothing was saved', revision: result.revision, since: result.since.map(entryJson) }, 409);
  if (result.status === 'unchanged') return json({ unchanged: true, revision: result.revision });
  return json({ saved: entryJson(result.entry), revision: result.entry.id });
}

type Handler = (app: App, request: Request, viewer: Viewer, params: string[]) => Promise<Response>;

/**
 * Every call of the API: address pattern, then a handler per method (so a wrong method gets
 * 405 with Allow); `readsJson` where the handlers read a body (the other calls take none),
 * `alsoTakes` the media types such a call takes besides JSON (and then no body too).
 */
const ROUTES: { pattern: RegExp; methods: Record<string, Handler>; readsJson?: true; alsoTakes?: readonly string[] }[] = [
  {
    pattern: /^pages$/,
    methods: {
      GET: async (app, _r, viewer) => {
        const { config } = await app.config.current();
        return json({ pages: config.pages.filter((p) => may(viewer.user, p, 'view')).map((p) => pageJson(p, viewer)) });
      },
    },
  },
  {
    pattern: /^pages\/([^/]+)$/,
    methods: {
      GET: async (app, _r, viewer, [slug]) => {
        const page = await pageFor(app, slug!, viewer);
        const current = await currentValues(viewer.reads ?? app.db, page);
        return json({ ...pageJson(page, viewer), revision: current.revision, values: maskSecrets(page, current.values), last_save: current.lastSave ? { id: current.lastSave.id, author: current.lastSave.author, saved_at: current.lastSave.savedAt, reason: current.lastSave.reason ?? null } : null });
      },
    },
  },
  {
    pattern: /^pages\/([^/]+)\/history$/,
    methods: {
      GET: async (app, request, viewer, [slug]) => {
        const page = await pageFor(app, slug!, viewer);
        const q = new URL(request.url).searchParams;
        const { entries, more } = await pageHistory(app.db, page, { before: Number(q.get('before')) || undefined, limit: Number(q.get('limit')) || 50 });
        return json({ entries: entries.map(entryJson), more });
      },
    },
  },
  {
    pattern: /^pages\/([^/]+)\/values$/,
    methods: {
      PUT: async (app, request, viewer, [slug]) => saveValuesApi(app, await pageFor(app, slug!, viewer), viewer, request),
      POST: async (app, request, viewer, [slug]) => saveValuesApi(app, await pageFor(app, slug!, viewer), viewer, request),
    },
    readsJson: true,
  },
  {
    pattern: /^pages\/([^/]+)\/runs\/([^/]+)$/,
    methods: {
      POST: async (app, request, viewer, [slug, button]) => {
        // {"inputs": {...}} for a button that asks some; no body at all for one that does not.
        // A button with file inputs takes their bytes as base64: its bound (runBodyBytes) says how much.
        const body = hasBody(request) ? await readJsonObject(request, await runBodyBytes(app, slug!, button!)) : {};
        try {
          const run = await startRun(app, (await pageFor(app, slug!, viewer)).slug, button!, viewer, { json: body.inputs });
          return json({ id: run.id, url: `/runs/${run.id}`, run: runJson(run) }, 201);
        } catch (e) {
          if (e instanceof InputsRefused) return inputsRefusedJson(e);
          throw e;
        }
      },
    },
  },
  {
    pattern: /^pages\/([^/]+)\/buttons\/([^/]+)\/external-runs$/,
    methods: { POST: async (app, request, viewer, [slug, button]) => createExternal(app, request, viewer, (await pageFor(app, slug!, viewer)).slug, button!) },
    alsoTakes: [FORM],
    readsJson: true,
  },
  {
    pattern: /^runs\/([^/]+)\/log$/,
    methods: {
      GET: async (app, _r, viewer, [id]) => runLogDownload(app, await visibleRun(app, runIdFrom(id), viewer)),
      POST: async (app, request, viewer, [id]) => logExternal(app, request, viewer, runIdFrom(id)),
    },
    alsoTakes: [TEXT],
    readsJson: true,
  },
  {
    pattern: /^runs\/([^/]+)\/progress$/,
    methods: { POST: async (app, request, viewer, [id]) => progressExternal(app, request, viewer, runIdFrom(id)) },
    alsoTakes: [FORM],
    readsJson: true,
  },
  {
    pattern: /^runs\/([^/]+)\/finish$/,
    methods: { POST: async (app, request, viewer, [id]) => finishExternal(app, request, viewer, runIdFrom(id)) },
    alsoTakes: [FORM],
    readsJson: true,
  },
  {
    pattern: /^runs$/,
    methods: {
      GET: async (app, request, viewer) => {
        const q = new URL(request.url).searchParams;
        const limit = Math.min(Math.max(Number(q.get('limit')) || 50, 1), 500);
        const { runs, more } = await visibleRuns(app, viewer, runFilterFrom(q), limit);
        return json({ runs: runs.map(runJson), more, next: more ? `/api/v1/runs?${nextPage(q, runs.at(-1)!.id)}` : null });
      },
    },
  },
  {
    pattern: /^runs\/([^/]+)$/,
    methods: {
      GET: async (app, _r, viewer, [id]) => json(runJson(await visibleRun(app, runIdFrom(id), viewer))),
    },
  },
  {
    pattern: /^runs\/([^/]+)\/artifacts$/,
    methods: { GET: async (app, _r, viewer, [id]) => json({ artifacts: await runArtifactList(app, viewer, id) }) },
  },
  {
    pattern: /^runs\/([^/]+)\/artifacts\/([^/]+)$/,
    methods: { GET: async (app, request, viewer, [id, name]) => artifactResponse(request, await runArtifact(app, viewer, id, name)) },
  },
  {
    pattern: /^pages\/([^/]+)\/buttons\/([^/]+)\/artifacts\/([^/]+)$/,
    methods: { GET: async (app, request, viewer, [slug, button, name]) => artifactResponse(request, await latestButtonArtifact(app, viewer, slug, button, name)) },
  },
  {
    pattern: /^runs\/([^/]+)\/events$/,
    methods: {
      GET: async (app, request, viewer, [id]) => {
        const run = await visibleRun(app, runIdFrom(id), viewer);
        const last = Number(request.headers.get('last-event-id') ?? new URL(request.url).searchParams.get('after') ?? 0);
        return runEventStream(app, run, Number.isSafeInteger(last) && last > 0 ? last : 0, request.signal);
      },
    },
  },
  {
    pattern: /^runs\/([^/]+)\/cancel$/,
    methods: { POST: async (app, _r, viewer, [id]) => json(runJson(await cancel(app, runIdFrom(id), viewer))) },
  },
  {
    pattern: /^runs\/([^/]+)\/rerun$/,
    methods: {
      POST: async (app, _r, viewer, [id]) => {
        const run = await rerun(app, runIdFrom(id), viewer).catch((e: unknown) => {
          if (e instanceof InputsRefused) throw new HttpError(422, `${e.message} (${Object.entries(e.result.errors).map(([k, v]) => `${k}: ${v}`).join('; ')})`);
          throw e;
        });
        return json({ id: run.id, url: `/runs/${run.id}`, run: runJson(run) }, 201);
      },
    },
  },
];

/** The same query with `before` moved past the last run shown. */
function nextPage(q: URLSearchParams, lastId: number): string {
  const next = new URLSearchParams(q);
  next.set('before', String(lastId));
  return next.toString();
}

export async function handleApi(app: App, request: Request, path: string, viewer: Viewer): Promise<Response> {
  try {
    const rest = path.split('/').filter(Boolean).join('/');
    const route = ROUTES.find((r) => r.pattern.test(rest));
    if (!route) throw notFound(`no API call ${request.method} /api/v1/${rest}`);
    const handler = route.methods[request.method];
    if (!handler) {
      const allow = Object.keys(route.methods).join(', ');
      throw new HttpError(405, `/api/v1/${rest} takes ${allow}, not ${request.method}`, { Allow: allow });
    }
    if (!viewer.user) throw new HttpError(401, 'send Authorization: Bearer <token> (create one on your account page)');
    const refused = unsupportedBody(request, route.readsJson === true, route.alsoTakes ?? [], `/api/v1/${rest}`);
    if (refused) throw refused;
    const params = route.pattern.exec(rest)!.slice(1).map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        throw notFound(`no API call ${request.method} /api/v1/${rest}`);
      }
    });
    return await handler(app, request, viewer, params);
  } catch (e) {
    // A refusal is answered here; a database fault goes on to the edge handler, which logs it too.
    if (e instanceof HttpError || e instanceof Refused) return errorJson(asHttpError(e)!);
    throw e;
  }
}
