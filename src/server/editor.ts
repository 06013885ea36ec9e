/**
 * What a page shows and what its form does: view, save, export. Pages call
 * these and render the result; every rule lives here.
 */
import type { ConfigProblem } from '../core/config/load.ts';
import type { Button, PageConfig, SiteConfig, Values } from '../core/config/schema.ts';
import { attachmentDisposition, exportFilename, valuesToYaml } from '../core/export.ts';
import { isValid, parseForm, REVISION_FIELD } from '../core/fields.ts';
import type { App } from './app.ts';
import { audit } from './audit.ts';
import type { SessionUser } from './auth/sessions.ts';
import { may, refusal } from '../core/access.ts';
import { requireAccess } from './auth/access.ts';
import { currentValues, pageHistory, type CurrentValues, type HistoryEntry } from './history.ts';
import { recordSave } from './save.ts';
import { formText } from '../core/values.ts';
import { latestRuns, logTail, type LogLine, type RunView } from './runs/read.ts';
import { isFinal } from '../protocol/index.ts';
import { loginFirst, notFound, Refused } from './refused.ts';


export interface Viewer {
  user: SessionUser | undefined;
  ip: string;
}

export type Notice =
  | { kind: 'saved'; entry: HistoryEntry }
  | { kind: 'unchanged' }
  /** Fields refused by the rules; what was `nothing` done: not saved, not exported. */
  | { kind: 'invalid'; count: number; nothing: 'saved' | 'exported' }
  | { kind: 'conflict'; since: HistoryEntry[] }
  | { kind: 'imported'; filename: string; count: number; problems: string[]; missing: string[] }
  | { kind: 'import-failed'; filename?: string; error: string }
  /** The database refused the write (busy, disk full): nothing was saved, the typed values are kept. */
  | { kind: 'unavailable'; message: string };

export interface PageView {
  site: SiteConfig;
  page: PageConfig;
  /** Problems of a config file on disk that was refused; shown to admins only. */
  configProblems?: ConfigProblem[];
  /** Text shown in each field. */
  fields: Record<string, string | boolean>;
  errors: Record<string, string>;
  revision: number;
  lastSave?: CurrentValues['lastSave'];
  canEdit: boolean;
  /** Why this visitor cannot save, when they cannot. */
  saveBlockedReason?: string;
  notice?: Notice;
  filename: string;
  /** Each button with its latest run and the tail of that run's log. */
  tasks: { button: Button; latest?: RunView; tail: LogLine[] }[];
  canRun: boolean;
  runBlockedReason?: string;
}

/** Where a visitor who may not see a page is sent, or undefined when they may. */
export function loginRedirect(page: PageConfig, viewer: Viewer, path: string): string | undefined {
  if (!page.requires_login || viewer.user) return undefined;
  return `/login?next=${encodeURIComponent(path)}`;
}

/** The revision a form was loaded at; a damaged value is refused with a way forward. */
export function formRevision(form: FormData): number {
  const revision = Number(form.get(REVISION_FIELD));
  if (!Number.isSafeInteger(revision) || revision < 0) throw new Refused('malformed', 'The form was damaged (bad revision). Reload the page and try again.');
  return revision;
}

export function canEdit(viewer: Viewer, page: PageConfig): boolean {
  return may(viewer.user, page, 'edit');
}

export async function findPage(app: App, slug: string | undefined) {
  const live = await app.config.current();
  const page = slug === undefined ? live.config.pages[0]! : live.config.pages.find((p) => p.slug === slug);
  if (!page) throw notFound(`There is no page "${slug}". Pick one from the sidebar.`);
  return { live, page };
}

/** Form text for each parameter (only those in `only`, when given). */
export function fieldsFrom(page: PageConfig, values: Values, only?: string[]): Record<string, string | boolean> {
  const params = only ? page.parameters.filter((p) => only.includes(p.name)) : page.parameters;
  return Object.fromEntries(params.map((p) => [p.name, p.type === 'boolean' ? values[p.name] === true : formText(values[p.name] ?? null)]));
}

/** The page as this visitor sees it before any action; the actions below start from it. */
export async function baseView(app: App, slug: string | undefined, viewer: Viewer): Promise<PageView> {
  const { live, page } = await findPage(app, slug);
  requireAccess(viewer.user, page, 'view');
  const current = await currentValues(app.db, page);
  const latest = page.buttons.length > 0 ? await latestRuns(app.db, page.slug) : new Map<string, RunView>();
  const tasks = await Promise.all(
    page.buttons.map(async (button) => {
      const run = latest.get(button.name);
      return { button, latest: run, tail: run ? await logTail(app.db, run.id, isFinal(run.state) ? 10 : 50) : [] };
    }),
  );
  return {
    tasks,
    canRun: may(viewer.user, page, 'run'),
    runBlockedReason: refusal(viewer.user, page, 'run'),
    site: live.config,
    page,
    configProblems: viewer.user?.role === 'admin' ? live.rejected?.problems : undefined,
    fields: fieldsFrom(page, current.values),
    errors: {},
    revision: current.revision,
    lastSave: current.lastSave,
    canEdit: may(viewer.user, page, 'edit'),
    saveBlockedReason: refusal(viewer.user, page, 'edit'),
    filename: page.slug,
  };
}

export async function viewPage(app: App, slug: string | undefined, viewer: Viewer, savedId?: number): Promise<PageView> {
  const view = await baseView(app, slug, viewer);
  if (savedId !== undefined && savedId === view.revision) {
    const { entries } = await pageHistory(app.db, view.page, { after: savedId - 1, limit: 1 });
    if (entries[0]?.id === savedId) view.notice = { kind: 'saved', entry: entries[0] };
  }
  return view;
}

export type SaveOutcome = { redirect: string } | { status: number; view: PageView };

function typedFields(page: PageConfig, form: FormData): Record<string, string | boolean> {
  return Object.fromEntries(page.parameters.map((p) => [p.name, p.type === 'boolean' ? form.get(p.name) !== null && form.get(p.name) !== '' : String(form.get(p.name) ?? '')]));
}

/** `view` with the values and file name as typed in `form`, for showing the form again after a refusal. */
function withTyped(view: PageView, form: FormData): PageView {
  return { ...view, fields: typedFields(view.page, form), filename: String(form.get('filename') ?? view.page.slug) };
}

/** The page with the values as typed in `form`, for showing the form again after a refusal. */
export async function typedView(app: App, slug: string, viewer: Viewer, form: FormData): Promise<PageView> {
  return withTyped(await baseView(app, slug, viewer), form);
}

/** The form again as typed, each error beside its field, saying that nothing was done. */
function invalidView(view: PageView, form: FormData, errors: Record<string, string>, nothing: 'saved' | 'exported'): PageView {
  return { ...withTyped(view, form), errors, notice: { kind: 'invalid', count: Object.keys(errors).length, nothing } };
}

export async function savePage(app: App, slug: string | undefined, viewer: Viewer, form: FormData): Promise<SaveOutcome> {
  const view = await baseView(app, slug, viewer);
  const { page } = view;
  requireAccess(viewer.user, page, 'edit');
  if (!viewer.user) throw loginFirst('Log in to save.');
  if (page.parameters.length === 0) throw new Refused('malformed', 'This page has no parameters to save.');

  const parsed = parseForm(page, (name) => fieldText(form, name));
  if (!isValid(parsed)) return { status: 422, view: invalidView(view, form, parsed.errors, 'saved') };
  // The form always sends the revision it was loaded at; a client that sends none saves on top of the latest.
  const baseRevision = form.get(REVISION_FIELD) === null ? undefined : formRevision(form);

  const result = await recordSave(app, page, parsed.values, baseRevision, { user: viewer.user, ip: viewer.ip });
  if (result.status === 'conflict') {
    return { status: 409, view: { ...withTyped(view, form), notice: { kind: 'conflict', since: result.since } } };
  }
  if (result.status === 'unchanged') return { status: 200, view: { ...view, notice: { kind: 'unchanged' } } };
  return { redirect: `${pagePath(page)}?saved=${result.entry.id}` };
}

export type ExportOutcome = { file: Response } | { status: number; view: PageView };

export async function exportPage(app: App, slug: string, viewer: Viewer, form: FormData): Promise<ExportOutcome> {
  const view = await baseView(app, slug, viewer);
  const { page } = view;
  const parsed = parseForm(page, (name) => fieldText(form, name));
  const chosen = exportFilename(fieldText(form, 'filename'), page.slug);
  // A name we would have to change is refused, not changed: the file is called what the person typed.
  if (!isValid(parsed) || 'error' in chosen) {
    // No parameter is called "filename" (a reserved name), so this error hides none of theirs.
    const errors = 'error' in chosen ? { ...parsed.errors, filename: chosen.error } : parsed.errors;
    return { status: 422, view: invalidView(view, form, errors, 'exported') };
  }
  const { filename } = chosen;
  const body = valuesToYaml(page, parsed.values);
  if (viewer.user) {
    await audit(app.db, { action: 'export', userId: viewer.user.id, username: viewer.user.username, ip: viewer.ip, detail: { page: page.slug, filename } });
  }
  return {
    file: new Response(body, {
      headers: {
        'Content-Type': 'text/yaml; charset=utf-8',
        'Content-Disposition': attachmentDisposition(filename),
        'Cache-Control': 'no-store',
      },
    }),
  };
}

/** Text of a form field; files and absent fields read as undefined. */
function fieldText(form: FormData, name: string): string | undefined {
  const v = form.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function pagePath(page: PageConfig): string {
  return `/page/${page.slug}`;
}
