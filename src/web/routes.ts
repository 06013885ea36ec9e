/**
 * The page routes: read the request, call one action or view, and turn its
 * result into what the browser gets (a redirect, a status with the form as
 * typed, a file). The services know nothing of HTTP; this is where it lives.
 */
import type { APIContext, AstroGlobal } from 'astro';
import type { ConfigProblem } from '../core/config/load.ts';
import { may } from '../core/access.ts';
import type { PageConfig, SiteConfig } from '../core/config/schema.ts';
import { attachmentDisposition } from '../core/export.ts';
import { requireAccess, type Viewer } from '../server/auth/access.ts';
import { currentValues, pageHistory } from '../server/history.ts';
import { decideGitChange } from '../server/pages/git-change.ts';
import { compareVersions, exportPage, publishAnyway, restoreVersion, savePage, type Comparison, type OnPage, type SaveResult } from '../server/pages/actions.ts';
import { asTyped, findPage, pageView, pageViewAfterSave, type PageView } from '../server/pages/view.ts';
import { refusedByDatabase } from './errors.ts';
import { loginAddress } from './http.ts';
import type { Translate } from '../core/i18n.ts';

export type PageRoute = { redirect: string } | { status: number; view: PageView; headers?: Record<string, string> };

export function viewerOf(locals: App.Locals): Viewer {
  return { user: locals.user, ip: locals.ip, reads: locals.reads };
}

const pagePath = (page: PageConfig) => `/page/${page.slug}`;

/** The site as configured now, for the layout of pages that show no page of their own. */
export async function siteConfig(locals: App.Locals): Promise<SiteConfig> {
  return (await locals.app.config.current()).config;
}

/** Where `/` leads: the first page this visitor may see (the first page when none, which then asks for a login). */
export async function homeAddress(locals: App.Locals): Promise<string> {
  const { pages } = await siteConfig(locals);
  return pagePath(pages.find((p) => may(locals.user, p, 'view')) ?? pages[0]!);
}

/** Where a visitor who may not see a page is sent first, or undefined when they may look. */
function loginFirst(page: PageConfig, viewer: Viewer, path: string): string | undefined {
  return page.requires_login && !viewer.user ? loginAddress(path) : undefined;
}

/** A save's (or restore's) result as the browser gets it: the page with what changed, or the form again saying why not. */
async function answerSave(locals: App.Locals, form: FormData | undefined, { page, result }: OnPage<SaveResult>): Promise<PageRoute> {
  if (result.kind === 'saved') return { redirect: `${pagePath(page)}?saved=${result.entry.id}` };
  const view = await pageView(locals.app, page.slug, viewerOf(locals), locals.lang);
  if (result.kind === 'unchanged') return { status: 200, view: { ...view, notice: { kind: 'unchanged' } } };
  const typed = (notice: PageView['notice'], errors?: Record<string, string>) => (form ? asTyped(view, form, notice, errors) : { ...view, notice });
  if (result.kind === 'stale') return { status: 409, view: typed({ kind: 'conflict', since: result.since }) };
  return { status: 422, view: typed({ kind: 'invalid', count: Object.keys(result.errors).length, nothing: 'saved' }, result.errors) };
}

/** GET shows the page, POST saves it; both for `/` (the first page) and `/page/<slug>`. */
export async function pageRoute(Astro: AstroGlobal, slug: string | undefined): Promise<PageRoute> {
  const { app, t, lang } = Astro.locals;
  const viewer = viewerOf(Astro.locals);
  const { page } = await findPage(app, slug, t);
  if (Astro.request.method === 'POST') {
    if (!viewer.user) return { redirect: loginAddress(pagePath(page)) };
    const form = await Astro.request.formData();
    return savePage(app, page.slug, viewer, form, t).then(
      (done) => answerSave(Astro.locals, form, done),
      (e: unknown) => keptForm(Astro.locals, page.slug, form, e),
    );
  }
  const toLogin = loginFirst(page, viewer, Astro.url.pathname + Astro.url.search);
  if (toLogin) return { redirect: toLogin };
  const saved = Number(Astro.url.searchParams.get('saved'));
  return { status: 200, view: await pageViewAfterSave(app, slug, viewer, Number.isSafeInteger(saved) && saved > 0 ? saved : undefined, lang) };
}

export type HistoryRoute =
  | { redirect: string }
  | ({
      site: SiteConfig;
      page: PageConfig;
      configProblems?: ConfigProblem[];
      canEdit: boolean;
      revision: number;
      comparison?: Comparison;
    } & Awaited<ReturnType<typeof pageHistory>>);

export async function historyRoute(Astro: AstroGlobal, slug: string): Promise<HistoryRoute> {
  const { app, t } = Astro.locals;
  const viewer = viewerOf(Astro.locals);
  const { live, page } = await findPage(app, slug, t);
  const toLogin = loginFirst(page, viewer, Astro.url.pathname + Astro.url.search);
  if (toLogin) return { redirect: toLogin };
  requireAccess(viewer.user, page, 'view');
  const q = Astro.url.searchParams;
  const before = Number(q.get('before'));
  const history = await pageHistory(app.db, page, { limit: 50, before: Number.isSafeInteger(before) && before > 0 ? before : undefined });
  const comparison = q.has('from') && q.has('to') ? await compareVersions(app, page, Number(q.get('from')), Number(q.get('to')), t) : undefined;
  const { revision } = await currentValues(app.db, page);
  return { site: live.config, page, configProblems: viewer.user?.role === 'admin' ? live.rejected?.problems : undefined, canEdit: may(viewer.user, page, 'edit'), revision, comparison, ...history };
}

/** POST /page/<slug>/restore: an earlier version saved again. */
export async function restoreRoute(Astro: AstroGlobal): Promise<PageRoute> {
  const { app, t } = Astro.locals;
  const viewer = viewerOf(Astro.locals);
  const { page } = await findPage(app, Astro.params.slug, t);
  if (Astro.request.method !== 'POST') return { redirect: `${pagePath(page)}/history` };
  if (!viewer.user) return { redirect: loginAddress(`${pagePath(page)}/history`) };
  return answerSave(Astro.locals, undefined, await restoreVersion(app, page.slug, viewer, await Astro.request.formData(), t));
}

export async function exportRoute(Astro: AstroGlobal, slug: string): Promise<{ file: Response } | PageRoute> {
  const { app, t, lang } = Astro.locals;
  const viewer = viewerOf(Astro.locals);
  const { page } = await findPage(app, slug, t);
  if (Astro.request.method !== 'POST') return { redirect: pagePath(page) };
  const toLogin = loginFirst(page, viewer, pagePath(page));
  if (toLogin) return { redirect: toLogin };
  const form = await Astro.request.formData();
  try {
    const { result } = await exportPage(app, page.slug, viewer, form, t);
    if (result.kind === 'file') {
      const headers = { 'Content-Type': 'text/yaml; charset=utf-8', 'Content-Disposition': attachmentDisposition(result.filename), 'Cache-Control': 'no-store' };
      return { file: new Response(result.yaml, { headers }) };
    }
    const notice = { kind: 'invalid' as const, count: Object.keys(result.errors).length, nothing: 'exported' as const };
    return { status: 422, view: asTyped(await pageView(app, page.slug, viewer, lang), form, notice, result.errors) };
  } catch (e) {
    return keptForm(Astro.locals, page.slug, form, e);
  }
}

/**
 * A form the database refused (busy, disk full) comes back as typed, with
 * why and when to try again; nothing was written. Anything else goes on up.
 */
async function keptForm(locals: App.Locals, slug: string, form: FormData, e: unknown): Promise<{ status: number; view: PageView; headers: Record<string, string> }> {
  const { status, headers, message } = refusedByDatabase(e, locals.t);
  const view = asTyped(await pageView(locals.app, slug, viewerOf(locals), locals.lang), form, { kind: 'unavailable', message });
  return { status, headers, view };
}

/** POST /page/<slug>/git-change: adopt a change made in Git, or keep Switchyard's values; the history shows the outcome. */
export async function gitChangeRoute(ctx: APIContext): Promise<Response> {
  const viewer = viewerOf(ctx.locals);
  const { page } = await findPage(ctx.locals.app, ctx.params.slug, ctx.locals.t);
  if (!viewer.user) return ctx.redirect(loginAddress(pagePath(page)), 303);
  await decideGitChange(ctx.locals.app, page.slug, viewer, await ctx.request.formData(), ctx.locals.t);
  return ctx.redirect(`${pagePath(page)}/history`, 303);
}

/** POST /page/<slug>/publish-anyway: resolve a Git conflict in favour of a save. */
export async function publishAnywayRoute(ctx: APIContext): Promise<Response> {
  const viewer = viewerOf(ctx.locals);
  const { page } = await findPage(ctx.locals.app, ctx.params.slug, ctx.locals.t);
  if (!viewer.user) return ctx.redirect(loginAddress(`${pagePath(page)}/history`), 303);
  await publishAnyway(ctx.locals.app, page.slug, viewer, await ctx.request.formData(), ctx.locals.t);
  return ctx.redirect(`${pagePath(page)}/history`, 303);
}
