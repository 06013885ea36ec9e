/**
 * What a page shows: its form with the current values, the last save, each
 * button's latest run, and what the visitor may do. The actions
 * (./actions.ts) never need it; the edge builds it to show the page, or to
 * show a refused form again as it was typed.
 */
import { buttonDocs, markdownHtml, pageDocs, type Docs } from '../docs.ts';
import { REASON_FIELD } from '../../core/reason.ts';
import { scheduleViews, type ScheduleView } from '../schedules/service.ts';
import type { ConfigProblem } from '../../core/config/load.ts';
import type { Button, PageConfig, SiteConfig, Values } from '../../core/config/schema.ts';
import { buttonRefusal, may, mayRunButton, refusal, showsButton } from '../../core/access.ts';
import { formText, isSet } from '../../core/values.ts';
import { isFinal } from '../../protocol/index.ts';
import type { App } from '../app.ts';
import { requireAccess, type Viewer } from '../auth/access.ts';
import { currentValues, pageHistory, type CurrentValues, type HistoryEntry } from '../history.ts';
import { notFound } from '../refused.ts';
import { gitChangeView, type GitChangeView } from './git-change.ts';
import { withHostOptions } from '../runs/host-options.ts';
import { latestRuns, logTail, type LogLine, type RunView } from '../runs/read.ts';
import { pageOf } from '../../core/config/lookup.ts';
import { waitingForRunner } from '../runners.ts';
import { ENGLISH, translator, type Translate } from '../../core/i18n.ts';
import { DEFAULT_LANGUAGE, type Language } from '../../core/languages.ts';

export type Notice =
  | { kind: 'saved'; entry: HistoryEntry }
  | { kind: 'unchanged' }
  /** Fields refused by the rules; what was `nothing` done: not saved, not exported. */
  | { kind: 'invalid'; count: number; nothing: 'saved' | 'exported' }
  | { kind: 'conflict'; since: HistoryEntry[] }
  | { kind: 'import-failed'; filename?: string; error: string }
  /** The database refused the write (busy, disk full): nothing was saved, the typed values are kept. */
  | { kind: 'unavailable'; message: string };

export interface Task {
  button: Button;
  latest?: RunView;
  tail: LogLine[];
  schedule?: ScheduleView;
  /** Why its runs would wait: no online runner has its runs_on: labels. */
  waiting?: string;
  /** Whether the visitor may run it, and why not when they may not. */
  canRun: boolean;
  runBlockedReason?: string;
  /** The button's own docs, as HTML (or why they cannot be shown). */
  docs?: Docs;
}

export interface PageView {
  site: SiteConfig;
  page: PageConfig;
  /** Problems of a config file on disk that was refused; shown to admins only. */
  configProblems?: ConfigProblem[];
  /** Text shown in each field; for a box whether it is ticked, for a secret whether one is saved (never its value). */
  fields: Record<string, string | boolean>;
  errors: Record<string, string>;
  revision: number;
  lastSave?: CurrentValues['lastSave'];
  canEdit: boolean;
  /** Why this visitor cannot save, when they cannot. */
  saveBlockedReason?: string;
  notice?: Notice;
  filename: string;
  /** The reason as typed, kept when the form comes back (invalid, conflict). */
  reason?: string;
  /** Each button the visitor may see with its latest run and the tail of that run's log. */
  tasks: Task[];
  /** The description and docs as safe HTML (Markdown from config.yaml). */
  descriptionHtml?: string;
  docs?: Docs;
  /** A change of the page's values file made in Git: offered to those who may edit, or refused (shown to admins). */
  gitChange?: GitChangeView;
}

/** The page a slug names (the first page for none), with the live config it comes from; `t` words the refusal. */
export async function findPage(app: App, slug: string | undefined, t: Translate = ENGLISH) {
  const live = await app.config.current();
  const page = slug === undefined ? live.config.pages[0]! : pageOf(live.config, slug);
  if (!page) throw notFound(t('page.errors.notFound', { slug }));
  return { live, page };
}

/** Form text for each parameter (only those in `only`, when given). */
export function fieldsFrom(page: PageConfig, values: Values, only?: string[]): Record<string, string | boolean> {
  const params = only ? page.parameters.filter((p) => only.includes(p.name)) : page.parameters;
  return Object.fromEntries(params.map((p) => [p.name, p.type === 'boolean' ? values[p.name] === true : p.type === 'secret' ? isSet(values[p.name]) : formText(values[p.name] ?? null)]));
}

/** The buttons this visitor may see (one with its own `access` only by those who may run it), each with its latest run. */
async function tasksOf(app: App, page: PageConfig, viewer: Viewer, lang: Language): Promise<Task[]> {
  const reads = viewer.reads ?? app.db;
  const t = translator(lang);
  const latest = page.buttons.length > 0 ? await latestRuns(reads, page.slug) : new Map<string, RunView>();
  const schedules = await scheduleViews(app, page, viewer, Date.now(), lang);
  return Promise.all(
    page.buttons.filter((b) => showsButton(viewer.user, page, b)).map(async (configured) => {
      const button = await withHostOptions(reads, page.slug, configured);
      const run = latest.get(button.name);
      return {
        button, latest: run, tail: run ? await logTail(reads, run.id, isFinal(run.state) ? 10 : 50) : [], schedule: schedules.get(button.name),
        waiting: await waitingForRunner(reads, button.runs_on, Date.now(), t),
        canRun: mayRunButton(viewer.user, page, button),
        runBlockedReason: buttonRefusal(viewer.user, page, button, t),
        docs: await buttonDocs(app.settings.configPath, button, lang),
      };
    }),
  );
}

/** The page as this visitor sees it, with the current values, worded (and its docs chosen) in `lang`. */
export async function pageView(app: App, slug: string | undefined, viewer: Viewer, lang: Language = DEFAULT_LANGUAGE): Promise<PageView> {
  const t = translator(lang);
  const { live, page } = await findPage(app, slug, t);
  requireAccess(viewer.user, page, 'view');
  const current = await currentValues(viewer.reads ?? app.db, page);
  return {
    tasks: await tasksOf(app, page, viewer, lang),
    site: live.config,
    page,
    configProblems: viewer.user?.role === 'admin' ? live.rejected?.problems : undefined,
    fields: fieldsFrom(page, current.values),
    errors: {},
    revision: current.revision,
    lastSave: current.lastSave,
    canEdit: may(viewer.user, page, 'edit'),
    saveBlockedReason: refusal(viewer.user, page, 'edit', t),
    filename: page.slug,
    descriptionHtml: page.description ? markdownHtml(page.description) : undefined,
    docs: await pageDocs(app.settings.configPath, page, lang),
    gitChange: await gitChangeView(app, page, viewer, current.values, t),
  };
}

/** The page after a save redirected to it: says what the save changed, while it is still the latest. */
export async function pageViewAfterSave(app: App, slug: string | undefined, viewer: Viewer, savedId: number | undefined, lang: Language = DEFAULT_LANGUAGE): Promise<PageView> {
  const view = await pageView(app, slug, viewer, lang);
  if (savedId !== undefined && savedId === view.revision) {
    const { entries } = await pageHistory(app.db, view.page, { after: savedId - 1, limit: 1 });
    if (entries[0]?.id === savedId) view.notice = { kind: 'saved', entry: entries[0] };
  }
  return view;
}

/** What was typed; a typed secret is not sent back, the field says again whether one is saved. */
function typedFields(view: PageView, form: FormData): Record<string, string | boolean> {
  const typed = (p: PageConfig['parameters'][number]) =>
    p.type === 'boolean' ? form.get(p.name) !== null && form.get(p.name) !== ''
    : p.type === 'secret' ? view.fields[p.name] === true
    : form.getAll(p.name).map(String).join('\n');
  return Object.fromEntries(view.page.parameters.map((p) => [p.name, typed(p)]));
}

/** `view` with the values and file name as typed in `form`: a refused form shown again, nothing lost. */
export function asTyped(view: PageView, form: FormData, notice?: Notice, errors: Record<string, string> = {}): PageView {
  return { ...view, fields: typedFields(view, form), filename: String(form.get('filename') ?? view.page.slug), reason: String(form.get(REASON_FIELD) ?? ''), errors, notice };
}
