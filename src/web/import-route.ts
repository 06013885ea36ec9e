/**
 * POST /page/<slug>/import: an uploaded YAML file compared with the current
 * values, before anything is saved. The preview's "Save these values" posts
 * the whole set of values, with the revision compared against, to the page's
 * ordinary save: the same validation, reason and conflict rule as the form,
 * and no state kept between the two requests, so any process can take either.
 */
import type { AstroGlobal } from 'astro';
import type { ConfigProblem } from '../core/config/load.ts';
import type { PageConfig, SiteConfig } from '../core/config/schema.ts';
import type { ValueChange } from '../core/diff.ts';
import { formEntries, REVISION_FIELD } from '../core/fields.ts';
import { importFile, IMPORTED_FROM_FIELD } from '../server/pages/actions.ts';
import { fieldsFrom, findPage, pageView } from '../server/pages/view.ts';
import { loginAddress } from './http.ts';
import { viewerOf, type PageRoute } from './routes.ts';

export interface ImportPreview {
  site: SiteConfig;
  page: PageConfig;
  configProblems?: ConfigProblem[];
  filename: string;
  changes: ValueChange[];
  revision: number;
  problems: string[];
  missing: string[];
  /** Why the save would be refused now, by parameter label. */
  errors: { label: string; error: string }[];
  /** The form entries "Save these values" sends, as the page form would (formEntries). */
  entries: [string, string][];
}

export async function importRoute(Astro: AstroGlobal): Promise<PageRoute | { preview: ImportPreview }> {
  const { app, t, lang } = Astro.locals;
  const viewer = viewerOf(Astro.locals);
  const { live, page } = await findPage(app, Astro.params.slug, t);
  const path = `/page/${page.slug}`;
  if (Astro.request.method !== 'POST') return { redirect: path };
  if (!viewer.user) return { redirect: loginAddress(path) };
  const { result } = await importFile(app, page.slug, viewer, await Astro.request.formData(), t);
  if (result.kind === 'failed') {
    const view = await pageView(app, page.slug, viewer, lang);
    return { status: 422, view: { ...view, notice: { kind: 'import-failed', filename: result.filename, error: result.error } } };
  }
  const fields = formEntries(page, fieldsFrom(page, result.values));
  const { filename, changes, revision, problems, missing } = result;
  const errors = page.parameters.filter((p) => result.errors[p.name]).map((p) => ({ label: p.label ?? p.name, error: result.errors[p.name]! }));
  const configProblems = viewer.user.role === 'admin' ? live.rejected?.problems : undefined;
  return { preview: { site: live.config, page, configProblems, filename, changes, revision, problems, missing, errors, entries: [...fields, [REVISION_FIELD, String(revision)], [IMPORTED_FROM_FIELD, filename]] } };
}
