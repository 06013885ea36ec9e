/** Glue for the run pages and endpoints: read the request, call one service, shape the answer. */
import type { APIContext, AstroGlobal } from 'astro';
import { errorJson, HttpError, json, loginAddress, mediaType, readBoundedBytes, readJsonObject } from './http.ts';
import { runRequestBytes, type UploadedFile } from '../core/files.ts';
import { notFound } from '../server/refused.ts';
import { runJson } from '../server/runs/json.ts';
import { logTail, runReport, type LogLine, type RunView } from '../server/runs/read.ts';
import { buttonToRun, cancel, canRun, checkInputs, InputsRefused, rerun, startRun, visibleRun, visibleRuns, type GivenInputs } from '../server/runs/service.ts';
import { runEventStream } from './run-stream.ts';
import { setSchedulePaused } from '../server/schedules/service.ts';
import { runFilterFrom, runFilterQuery, runIdFrom, runLogDownload } from './run-http.ts';
import { runsExport } from './run-export.ts';
import { dashboard } from '../server/dashboard.ts';
import { viewerOf } from './routes.ts';
import { waitingForRunner } from '../server/runners.ts';
import { asHttpError } from './errors.ts';
import type { Button, PageConfig, SiteConfig } from '../core/config/schema.ts';
import { buttonOf, pageOf } from '../core/config/lookup.ts';
import { ENGLISH, type Translate } from '../core/i18n.ts';
import type { ChartedFigures } from '../core/figures.ts';
import { CONFIRMED_FIELD, fillConfirm } from '../core/confirm.ts';
import { buttonDocs, type Docs } from '../server/docs.ts';

const wantsJson = (r: Request) => (r.headers.get('accept') ?? '').includes('application/json');

/** The words of a refusal: the person's language on a page, English for JSON and event-stream clients (machines). */
function wordsFor(request: Request, locals: App.Locals): Translate {
  const machine = wantsJson(request) || (request.headers.get('accept') ?? '').includes('text/event-stream');
  return !machine && locals.t ? locals.t : ENGLISH;
}

/** JSON clients get `{ error }` with the status; people get the error page. */
function asJson(e: unknown): Response {
  const http = asHttpError(e);
  if (!http) throw e;
  return errorJson(http);
}

/** The 422 of inputs that did not pass, as JSON: the reason per input name. */
export function inputsRefusedJson(e: InputsRefused): Response {
  return json({ error: e.message, errors: e.result.errors }, 422);
}

/**
 * The inputs a POST to the run address sent: form fields (the dialog; multipart
 * when it has files), or `{"inputs": {...}}` as JSON. At most `maxBytes` of the
 * body is read (runBodyBytes), before any of it is parsed.
 */
async function givenInputs(request: Request, maxBytes: number): Promise<GivenInputs> {
  const type = mediaType(request);
  if (type === 'application/json') {
    return { json: (await readJsonObject(request, maxBytes, { allowEmpty: true })).inputs };
  }
  if (type === '') return { json: {} };
  const body = await readBoundedBytes(request, maxBytes);
  if (!body) throw new HttpError(413, (t) => t('http.tooLarge', { size: Math.floor(maxBytes / MB) }));
  const form = await new Response(body as Uint8Array<ArrayBuffer>, { headers: { 'content-type': request.headers.get('content-type') ?? '' } }).formData();
  const files = await formFiles(form);
  return { form: (name) => formText(form, name), files: (name) => files.get(name) };
}

const MB = 1024 * 1024;

/** The most a request to start a run of this button may send (its files as base64 included); a button the config lacks takes the least. */
export async function runBodyBytes(app: App.Locals['app'], slug: string, name: string): Promise<number> {
  const button = buttonOf((await app.config.current()).config, slug, name);
  return runRequestBytes(button ?? { inputs: [] });
}

/** The files a form sent, the first under each name, read once (a FileSource reads synchronously). */
async function formFiles(form: FormData): Promise<Map<string, UploadedFile>> {
  const files = new Map<string, UploadedFile>();
  for (const [name, value] of form) {
    if (typeof value !== 'string' && !files.has(name)) files.set(name, { name: value.name, bytes: new Uint8Array(await value.arrayBuffer()) });
  }
  return files;
}

/** A form field's text; a multiselect sends one entry per ticked box, read one per line (as the page's form is). */
function formText(form: FormData, name: string): string | undefined {
  const all = form.getAll(name).filter((v): v is string => typeof v === 'string');
  return all.length === 0 ? undefined : all.join('\n');
}

/**
 * A person's form post to a button with `confirm:` that has not been
 * confirmed yet: the browser's dialog sets CONFIRMED_FIELD once the person
 * agrees; without script, the review page asks and sends it.
 */
function needsReview(button: Button, given: GivenInputs): boolean {
  return button.confirm !== undefined && 'form' in given && given.form(CONFIRMED_FIELD) !== 'yes';
}

export type RunButtonRoute =
  | { response: Response }
  | { redirect: string }
  | {
    status: number; site: SiteConfig; page: PageConfig; button: Button; raw: Record<string, string>; errors: Record<string, string>;
    /** The button's docs as HTML (or why they cannot be shown). */
    docs?: Docs;
    /** Inputs that passed, waiting for the person to confirm: the confirm text filled with them. */
    review?: string;
  };

/**
 * `/page/<slug>/run/<button>`: POST starts a run with the inputs sent (then
 * the run page), GET shows the form that asks them — the page's dialog, as a
 * page of its own, and where refused inputs come back with their reasons (422).
 */
export async function runButtonRoute(Astro: AstroGlobal): Promise<RunButtonRoute> {
  const { app } = Astro.locals;
  const viewer = viewerOf(Astro.locals);
  const request = Astro.request;
  const { slug, button: name } = Astro.params as { slug: string; button: string };
  const t = wordsFor(request, Astro.locals);
  try {
    if (!viewer.user && !wantsJson(request)) return { redirect: loginAddress(`/page/${slug}`) };
    if (request.method !== 'POST') {
      const { site, page, button } = await buttonToRun(app, slug, name, viewer, t);
      // Nothing sent yet: the form shows each input's default.
      return { status: 200, site, page, button, raw: {}, errors: {}, docs: await buttonDocs(app.settings.configPath, button, Astro.locals.lang) };
    }
    // Who may run it is settled before the body is read, and the button says how much may come.
    const target = await buttonToRun(app, slug, name, viewer, t);
    const given = await givenInputs(request, runRequestBytes(target.button));
    if (needsReview(target.button, given)) {
      const { values, raw } = checkInputs(target.button, given, t);
      return { status: 200, ...target, raw, errors: {}, review: fillConfirm(target.button.confirm!, values) };
    }
    const run = await startRun(app, slug, name, viewer, given, t);
    return wantsJson(request) ? { response: json({ id: run.id, url: `/runs/${run.id}` }, 201) } : { redirect: `/runs/${run.id}` };
  } catch (e) {
    if (e instanceof InputsRefused) {
      if (wantsJson(request)) return { response: inputsRefusedJson(e) };
      const { site, page, button } = await buttonToRun(app, slug, name, viewer, t);
      return { status: 422, site, page, button, raw: e.result.raw, errors: e.result.errors, docs: await buttonDocs(app.settings.configPath, button, Astro.locals.lang) };
    }
    if (wantsJson(request)) return { response: asJson(e) };
    throw e;
  }
}

/** POST /page/<slug>/schedule/<button>: an admin pauses or resumes the button's schedule, then sees the page again. */
export async function scheduleRoute(ctx: APIContext): Promise<Response> {
  const viewer = viewerOf(ctx.locals);
  const back = `/page/${ctx.params.slug}#task-${ctx.params.button}`;
  if (!viewer.user) return ctx.redirect(loginAddress(`/page/${ctx.params.slug}`), 303);
  const action = String((await ctx.request.formData()).get('action') ?? '');
  if (action !== 'pause' && action !== 'resume') throw new HttpError(400, 'Say whether to pause or resume the schedule (action=pause or action=resume).');
  await setSchedulePaused(ctx.locals.app, ctx.params.slug!, ctx.params.button!, action === 'pause', viewer, ctx.locals.t);
  return ctx.redirect(back, 303);
}

export type RunPageRoute = { response: Response } | { redirect: string } | { run: RunView; tail: LogLine[]; canRun: boolean; site: SiteConfig; pageTitle: string; buttonLabel: string; charted: ChartedFigures; waiting?: string };

/** `/runs/<id>`: the page, the run as JSON, or its live event stream, by Accept. */
export async function runPageRoute(Astro: AstroGlobal): Promise<RunPageRoute> {
  const { app } = Astro.locals;
  const viewer = viewerOf(Astro.locals);
  const accept = Astro.request.headers.get('accept') ?? '';
  const t = wordsFor(Astro.request, Astro.locals);
  let run: RunView;
  try {
    run = await visibleRun(app, runIdFrom(Astro.params.id), viewer, t);
  } catch (e) {
    if (accept.includes('text/event-stream') || wantsJson(Astro.request)) return { response: asJson(e) };
    if (asHttpError(e)?.status === 401) return { redirect: loginAddress(Astro.url.pathname) };
    throw e;
  }
  if (accept.includes('text/event-stream')) {
    const last = Number(Astro.request.headers.get('last-event-id') ?? Astro.url.searchParams.get('after') ?? 0);
    return { response: runEventStream(app, run, Number.isSafeInteger(last) && last > 0 ? last : 0, Astro.request.signal) };
  }
  if (wantsJson(Astro.request)) return { response: json(runJson(run)) };
  const { config } = await app.config.current();
  const page = pageOf(config, run.page);
  const button = buttonOf(config, run.page, run.button);
  return {
    run,
    tail: await logTail(app.db, run.id, 2000),
    canRun: canRun(viewer, page, button),
    site: config,
    pageTitle: page?.title ?? run.page,
    buttonLabel: button?.label ?? run.button,
    // The figures its button charts, for their labels and units; any other the script gave shows by name.
    charted: Object.fromEntries((button?.metrics ?? []).map((m) => [m.name, { label: m.label, unit: m.unit }])),
    waiting: run.state === 'queued' ? await waitingForRunner(app.db, run.runsOn ?? undefined, Date.now(), t) : undefined,
  };
}

export async function cancelRoute(ctx: APIContext): Promise<Response> {
  try {
    const run = await cancel(ctx.locals.app, runIdFrom(ctx.params.id), viewerOf(ctx.locals), wordsFor(ctx.request, ctx.locals));
    return wantsJson(ctx.request) ? json(runJson(run)) : ctx.redirect(`/runs/${run.id}`, 303);
  } catch (e) {
    if (wantsJson(ctx.request)) return asJson(e);
    throw e;
  }
}

export async function rerunRoute(ctx: APIContext): Promise<Response> {
  try {
    const run = await rerun(ctx.locals.app, runIdFrom(ctx.params.id), viewerOf(ctx.locals), wordsFor(ctx.request, ctx.locals));
    return wantsJson(ctx.request) ? json({ id: run.id, url: `/runs/${run.id}` }, 201) : ctx.redirect(`/runs/${run.id}`, 303);
  } catch (e) {
    if (e instanceof InputsRefused) {
      if (wantsJson(ctx.request)) return inputsRefusedJson(e);
      throw new HttpError(422, `${e.message} (${Object.entries(e.result.errors).map(([k, v]) => `${k}: ${v}`).join('; ')})`);
    }
    if (wantsJson(ctx.request)) return asJson(e);
    throw e;
  }
}

/** The whole log as a text download. */
export async function logRoute(ctx: APIContext): Promise<Response> {
  const { app } = ctx.locals;
  return runLogDownload(app, await visibleRun(app, runIdFrom(ctx.params.id), viewerOf(ctx.locals), wordsFor(ctx.request, ctx.locals)));
}

/**
 * The report, for the sandboxed frame on the run page. HTML gets a CSP that
 * allows no script and no network at all (inline styles and data: images only).
 */
export async function reportRoute(ctx: APIContext): Promise<Response> {
  const { app } = ctx.locals;
  const run = await visibleRun(app, runIdFrom(ctx.params.id), viewerOf(ctx.locals));
  const report = await runReport(app.db, run.id);
  if (!report) throw notFound((t) => t('run.errors.noReport', { id: run.id }));
  const headers: Record<string, string> = {
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox; frame-ancestors 'self'",
    'X-Frame-Options': 'SAMEORIGIN',
    'Cache-Control': 'no-store',
  };
  if (report.type === 'html') return new Response(report.body, { headers: { ...headers, 'Content-Type': 'text/html; charset=utf-8' } });
  return new Response(report.body, { headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' } });
}

export async function runsListRoute(Astro: AstroGlobal) {
  const viewer = viewerOf(Astro.locals);
  if (!viewer.user) return { redirect: loginAddress(Astro.url.pathname + Astro.url.search) };
  const filter = runFilterFrom(Astro.url.searchParams);
  const list = await visibleRuns(Astro.locals.app, viewer, filter);
  const { before: _, ...sameFilters } = filter;
  return { filter, ...list, older: runFilterQuery(filter, { before: list.runs.at(-1)?.id }), exportQuery: runFilterQuery(sameFilters) };
}

/** `/runs/export.csv`, `/runs/export.json`: the list with the same filters, as a download. */
export function runsExportRoute(ctx: APIContext, format: 'csv' | 'json'): Response {
  const viewer = viewerOf(ctx.locals);
  if (!viewer.user) return ctx.redirect(loginAddress(`/runs?${ctx.url.searchParams}`), 303);
  return runsExport(ctx.locals.app, viewer, runFilterFrom(ctx.url.searchParams), format);
}

/** `/dashboard`: everything at a glance, for anyone logged in, limited to the pages they may see. */
export async function dashboardRoute(Astro: AstroGlobal) {
  const viewer = viewerOf(Astro.locals);
  if (!viewer.user) return { redirect: loginAddress(Astro.url.pathname) };
  const { config } = await Astro.locals.app.config.current();
  return { site: config, board: await dashboard(Astro.locals.app.db, config, viewer) };
}
