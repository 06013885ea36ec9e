/**
 * Working with a page's versions: compare any two, restore an earlier one as
 * a new save, and fill the form from an uploaded YAML file for review.
 */
import type { PageConfig, Values } from '../core/config/schema.ts';
import { IMPORT_MAX_BYTES, ImportError, importValues } from '../core/import.ts';
import { decodeValue, defaultValues, encodeValue } from '../core/values.ts';
import type { App } from './app.ts';
import { audit } from './audit.ts';
import { requeueConflict } from './git/outbox.ts';
import { baseView, fieldsFrom, formRevision, pagePath, type PageView, type SaveOutcome, type Viewer } from './editor.ts';
import { versionOf } from './history.ts';
import { recordSave } from './save.ts';
import { loginFirst, notFound, Refused } from './refused.ts';
import { requireAccess } from './auth/access.ts';

export interface Comparison {
  from: { id: number; label: string };
  to: { id: number; label: string };
  rows: { name: string; label: string; from: Values[string] | undefined; to: Values[string] | undefined; changed: boolean }[];
}

/** Two versions side by side; version 0 means the defaults. */
export async function compareVersions(app: App, page: PageConfig, fromId: number, toId: number): Promise<Comparison> {
  const load = async (id: number) => {
    if (id === 0) return { id: 0, label: 'defaults', values: defaultValues(page) };
    const v = await versionOf(app.db, page, id);
    if (!v) throw notFound(`Page "${page.title}" has no version ${id}.`);
    return { id, label: `version ${id} (${v.author})`, values: v.values };
  };
  const [a, b] = await Promise.all([load(fromId), load(toId)]);
  const names = [...page.parameters.map((p) => p.name), ...Object.keys({ ...a.values, ...b.values }).filter((n) => !page.parameters.some((p) => p.name === n))];
  return {
    from: { id: a.id, label: a.label },
    to: { id: b.id, label: b.label },
    rows: names.map((name) => ({
      name,
      label: page.parameters.find((p) => p.name === name)?.label ?? name,
      from: a.values[name],
      to: b.values[name],
      changed: a.values[name] !== b.values[name],
    })),
  };
}

/**
 * Saves an earlier version's values again as a new save: audited, checked
 * for conflicts and published like any other. Values that no longer fit the
 * page's parameters keep their current value.
 */
export async function restoreVersion(app: App, slug: string, viewer: Viewer, form: FormData): Promise<SaveOutcome> {
  const view = await baseView(app, slug, viewer);
  const { page } = view;
  requireAccess(viewer.user, page, 'edit');
  if (!viewer.user) throw loginFirst('Log in to restore a version.');
  const id = Number(form.get('version'));
  const version = await versionOf(app.db, page, id);
  if (!version) throw notFound(`Page "${page.title}" has no version ${form.get('version')}.`);
  const values: Values = {};
  for (const p of page.parameters) {
    const v = version.values[p.name];
    if (v !== undefined && decodeValue(p, encodeValue(v)) !== undefined) values[p.name] = v;
  }
  const baseRevision = formRevision(form);
  const result = await recordSave(app, page, values, baseRevision, { user: viewer.user, ip: viewer.ip, detail: { restored_from: id } });
  if (result.status === 'conflict') return { status: 409, view: { ...view, notice: { kind: 'conflict', since: result.since } } };
  if (result.status === 'unchanged') return { status: 200, view: { ...view, notice: { kind: 'unchanged' } } };
  return { redirect: `${pagePath(page)}?saved=${result.entry.id}` };
}

/**
 * Fills the page's form from an uploaded YAML file for review; nothing is
 * saved until the person presses Save. Problems are listed by key.
 */
export async function importIntoPage(app: App, slug: string, viewer: Viewer, form: FormData): Promise<{ status: number; view: PageView }> {
  const view = await baseView(app, slug, viewer);
  const { page } = view;
  requireAccess(viewer.user, page, 'edit');
  if (!viewer.user) throw loginFirst('Log in to import values.');
  const file = form.get('file');
  if (!(file instanceof File) || file.size === 0) {
    return { status: 422, view: { ...view, notice: { kind: 'import-failed', error: 'Choose a YAML file to import.' } } };
  }
  const name = file.name.slice(0, 200);
  if (file.size > IMPORT_MAX_BYTES) return { status: 422, view: { ...view, notice: { kind: 'import-failed', filename: name, error: `The file is larger than ${IMPORT_MAX_BYTES / 1024} KiB.` } } };
  try {
    const result = importValues(page, await file.text());
    await audit(app.db, { action: 'import', userId: viewer.user.id, username: viewer.user.username, ip: viewer.ip, detail: { page: page.slug, filename: name, imported: Object.keys(result.values), problems: result.problems.length } });
    return {
      status: 200,
      view: {
        ...view,
        fields: { ...view.fields, ...fieldsFrom(page, { ...Object.fromEntries(page.parameters.map((p) => [p.name, null])), ...result.values }, Object.keys(result.values)) },
        notice: { kind: 'imported', filename: name, count: Object.keys(result.values).length, problems: result.problems, missing: result.missing },
      },
    };
  } catch (e) {
    if (!(e instanceof ImportError)) throw e;
    return { status: 422, view: { ...view, notice: { kind: 'import-failed', filename: name, error: e.message } } };
  }
}

/**
 * A save marked as conflicting is published after all: its file replaces the
 * one in the repository, by an ordinary commit on top of whatever is there.
 * For people who may edit the page; audited.
 */
export async function publishAnyway(app: App, slug: string, viewer: Viewer, form: FormData): Promise<{ redirect: string }> {
  const view = await baseView(app, slug, viewer);
  requireAccess(viewer.user, view.page, 'edit');
  const id = Number(form.get('change'));
  const now = new Date().toISOString();
  await app.db.transaction(async (tx) => {
    // The page's later conflicting saves go back in line after this one (see requeueConflict).
    const back = await requeueConflict(tx, view.page.slug, id, now);
    if (!back) throw new Refused('conflict', 'That save is not waiting on a conflict (any more).');
    const { requeued } = back;
    await audit(tx, { action: 'publish_anyway', userId: viewer.user!.id, username: viewer.user!.username, ip: viewer.ip, detail: { page: view.page.slug, change: id, requeued } });
    await tx.commit();
  });
  app.publications.saved();
  return { redirect: `/page/${view.page.slug}/history` };
}
