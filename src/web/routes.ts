/** Glue between Astro's request objects and the services: read the request, call one service. */
import { loginAddress } from './http.ts';
import type { APIContext, AstroGlobal } from 'astro';
import type { ConfigProblem } from '../core/config/load.ts';
import type { PageConfig, SiteConfig } from '../core/config/schema.ts';
import { canEdit, exportPage, findPage, loginRedirect, savePage, typedView, viewPage, type ExportOutcome, type PageView, type Viewer } from '../server/editor.ts';
import type { App } from '../server/app.ts';
import { refusedByDatabase } from './errors.ts';
import { compareVersions, importIntoPage, publishAnyway, restoreVersion, type Comparison } from '../server/versions.ts';
import { currentValues, pageHistory } from '../server/history.ts';
import { requireAccess } from '../server/auth/access.ts';

export type PageRoute = { redirect: string } | { status: number; view: PageView; headers?: Record<string, string> };

export function viewerOf(locals: App.Locals): Viewer {
  return { user: locals.user, ip: locals.ip };
}

/** GET shows the page, POST saves it; both for `/` (the first page) and `/page/<slug>`. */
export async function pageRoute(Astro: AstroGlobal, slug: string | undefined): Promise<PageRoute> {
  const { app } = Astro.locals;
  const viewer = viewerOf(Astro.locals);
  const { page } = await findPage(app, slug);
  const toLogin = loginRedirect(page, viewer, Astro.url.pathname + Astro.url.search);
  if (Astro.request.method === 'POST') {
    if (!viewer.user) return { redirect: loginAddress(`/page/${page.slug}`) };
    const form = await Astro.request.formData();
    return savePage(app, page.slug, viewer, form).catch((e: unknown) => keptForm(app, page.slug, viewer, form, e));
  }
  if (toLogin) return { redirect: toLogin };
  const saved = Number(Astro.url.searchParams.get('saved'));
  return { status: 200, view: await viewPage(app, slug, viewer, Number.isSafeInteger(saved) && saved > 0 ? saved : undefined) };
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
  const { app } = Astro.locals;
  const viewer = viewerOf(Astro.locals);
  const { live, page } = await findPage(app, slug);
  const toLogin = loginRedirect(page, viewer, Astro.url.pathname + Astro.url.search);
  if (toLogin) return { redirect: toLogin };
  requireAccess(viewer.user, page, 'view');
  const q = Astro.url.searchParams;
  const before = Number(q.get('before'));
  const history = await pageHistory(app.db, page, { limit: 50, before: Number.isSafeInteger(before) && before > 0 ? before : undefined });
  const comparison = q.has('from') && q.has('to') ? await compareVersions(app, page, Number(q.get('from')), Number(q.get('to'))) : undefined;
  const { revision } = await currentValues(app.db, page);
  return { site: live.config, page, configProblems: viewer.user?.role === 'admin' ? live.rejected?.problems : undefined, canEdit: canEdit(viewer, page), revision, comparison, ...history };
}

/** POST /page/<slug>/restore: an earlier version saved again. */
export async function restoreRoute(Astro: AstroGlobal): Promise<PageRoute> {
  const { app } = Astro.locals;
  const viewer = viewerOf(Astro.locals);
  const { page } = await findPage(app, Astro.params.slug);
  if (Astro.request.method !== 'POST') return { redirect: `/page/${page.slug}/history` };
  if (!viewer.user) return { redirect: loginAddress(`/page/${page.slug}/history`) };
  return restoreVersion(app, page.slug, viewer, await Astro.request.formData());
}

export async function exportRoute(Astro: AstroGlobal, slug: string): Promise<ExportOutcome | { redirect: string } | { status: number; view: PageView; headers: Record<string, string> }> {
  const { app } = Astro.locals;
  const viewer = viewerOf(Astro.locals);
  const { page } = await findPage(app, slug);
  if (Astro.request.method !== 'POST') return { redirect: `/page/${page.slug}` };
  const toLogin = loginRedirect(page, viewer, `/page/${page.slug}`);
  if (toLogin) return { redirect: toLogin };
  const form = await Astro.request.formData();
  return exportPage(app, page.slug, viewer, form).catch((e: unknown) => keptForm(app, page.slug, viewer, form, e));
}

/**
 * A form the database refused (busy, disk full) comes back as typed, with
 * why and when to try again; nothing was written. Anything else goes on up.
 */
async function keptForm(app: App, slug: string, viewer: Viewer, form: FormData, e: unknown): Promise<{ status: number; view: PageView; headers: Record<string, string> }> {
  const { status, headers, message } = refusedByDatabase(e);
  const view = await typedView(app, slug, viewer, form);
  return { status, headers, view: { ...view, notice: { kind: 'unavailable', message } } };
}

export async function importRoute(Astro: AstroGlobal): Promise<PageRoute> {
  const { app } = Astro.locals;
  const viewer = viewerOf(Astro.locals);
  const { page } = await findPage(app, Astro.params.slug);
  if (Astro.request.method !== 'POST') return { redirect: `/page/${page.slug}` };
  if (!viewer.user) return { redirect: loginAddress(`/page/${page.slug}`) };
  return importIntoPage(app, page.slug, viewer, await Astro.request.formData());
}

/** POST /page/<slug>/publish-anyway: resolve a Git conflict in favour of a save. */
export async function publishAnywayRoute(ctx: APIContext): Promise<Response> {
  const viewer = viewerOf(ctx.locals);
  const { page } = await findPage(ctx.locals.app, ctx.params.slug);
  if (!viewer.user) return ctx.redirect(loginAddress(`/page/${page.slug}/history`), 303);
  const { redirect } = await publishAnyway(ctx.locals.app, page.slug, viewer, await ctx.request.formData());
  return ctx.redirect(redirect, 303);
}
