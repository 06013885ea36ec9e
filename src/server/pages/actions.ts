/**
 * What a page's forms do: save, restore, export, import, compare, publish a
 * conflicting save anyway. Each checks
 * access, records first and answers with a domain result; none builds the page
 * view (the edge does that only to show a refused form again).
 */
import { decodeValue, defaultValues, encodeValue, sameValue, SECRET_SET } from '../../core/values.ts';
import { exportFilename, valuesToYaml } from '../../core/export.ts';
import { isValid, parseForm, REVISION_FIELD } from '../../core/fields.ts';
import { IMPORT_MAX_BYTES, ImportError, importValues } from '../../core/import.ts';
import { checkReason, REASON_FIELD } from '../../core/reason.ts';
import { NO_PROVENANCE_FIELD, provenanceHeader, type Provenance } from '../../core/provenance.ts';
import { diffValues, type ValueChange } from '../../core/diff.ts';
import type { PageConfig, Values } from '../../core/config/schema.ts';
import type { App } from '../app.ts';
import { audit } from '../audit.ts';
import { requireAccess, type Viewer } from '../auth/access.ts';
import { currentValues, secretsThatDiffer, versionOf, type CurrentValues, type HistoryEntry } from '../history.ts';
import { loginFirst, notFound, Refused } from '../refused.ts';
import { recordSave } from '../save.ts';
import { requeueConflict } from '../git/outbox.ts';
import { fieldsFrom, findPage } from './view.ts';
import { countExport } from '../metrics.ts';
import { ENGLISH, type Translate } from '../../core/i18n.ts';

// Each action words what it refuses in the language of the page that asked (`t`); English by default.

export type Saved = { kind: 'saved'; entry: HistoryEntry } | { kind: 'unchanged' } | { kind: 'stale'; since: HistoryEntry[] };
export type SaveResult = Saved | { kind: 'invalid'; errors: Record<string, string> };
export type ExportResult = { kind: 'file'; filename: string; yaml: string } | { kind: 'invalid'; errors: Record<string, string> };
export type ImportResult =
  | {
      kind: 'preview';
      filename: string;
      /** The page's values with the file's over them: what "Save these values" saves. */
      values: Values;
      /** Against the current values, at `revision`, which the save is then based on. */
      changes: ValueChange[];
      revision: number;
      problems: string[];
      missing: string[];
      /** Why the save would be refused as things stand (a required value neither saved nor in the file), by parameter. */
      errors: Record<string, string>;
    }
  | { kind: 'failed'; filename?: string; error: string };

/** The preview's save carries the file's name, for the save's audit entry. */
export const IMPORTED_FROM_FIELD = '_imported_from';

/** The result of an action with the page it was on (the first page when the address names none). */
export type OnPage<T> = { page: PageConfig; result: T };

/** Text of a form field; files and absent fields read as undefined. */
function fieldText(form: FormData, name: string): string | undefined {
  // A multiselect sends one entry per ticked box: parseField reads them one per line.
  const all = form.getAll(name).filter((v): v is string => typeof v === 'string');
  return all.length === 0 ? undefined : all.join('\n');
}

/** The revision a form was loaded at; a damaged value is refused with a way forward. */
function formRevision(form: FormData, t: Translate): number {
  const revision = Number(form.get(REVISION_FIELD));
  if (!Number.isSafeInteger(revision) || revision < 0) throw new Refused('malformed', t('page.errors.badRevision'));
  return revision;
}

/** The page, for someone who may `edit` it and is logged in (`why` says what they tried). */
export async function pageToEdit(app: App, slug: string | undefined, viewer: Viewer, why: string, t: Translate) {
  const { page } = await findPage(app, slug, t);
  requireAccess(viewer.user, page, 'view');
  requireAccess(viewer.user, page, 'edit');
  if (!viewer.user) throw loginFirst(why);
  return { page, user: viewer.user };
}

function saved(result: Awaited<ReturnType<typeof recordSave>>): Saved {
  if (result.status === 'conflict') return { kind: 'stale', since: result.since };
  if (result.status === 'unchanged') return { kind: 'unchanged' };
  return { kind: 'saved', entry: result.entry };
}

/** Saves the form's values: validated, checked against the revision it was loaded at, audited, published. */
export async function savePage(app: App, slug: string | undefined, viewer: Viewer, form: FormData, t: Translate = ENGLISH): Promise<OnPage<SaveResult>> {
  const { page, user } = await pageToEdit(app, slug, viewer, t('page.errors.logInToSave'), t);
  if (page.parameters.length === 0) throw new Refused('malformed', t('page.errors.noParameters'));
  // A required secret left empty is refused only while none is saved.
  const current = page.parameters.some((p) => p.type === 'secret' && p.required) ? (await currentValues(app.db, page)).values : undefined;
  const parsed = parseForm(page, (name) => fieldText(form, name), current, t);
  const why = checkReason(fieldText(form, REASON_FIELD), page.require_reason === true, t);
  // The reason's error sits beside the fields' (its key cannot be a parameter's name), so all show at once.
  if (!isValid(parsed) || 'error' in why) return { page, result: { kind: 'invalid', errors: { ...parsed.errors, ...('error' in why ? { [REASON_FIELD]: why.error } : {}) } } };
  // The form always sends the revision it was loaded at; a client that sends none saves on top of the latest.
  const baseRevision = form.get(REVISION_FIELD) === null ? undefined : formRevision(form, t);
  const imported = fieldText(form, IMPORTED_FROM_FIELD)?.slice(0, 200);
  const detail = imported === undefined ? undefined : { imported_from: imported };
  return { page, result: saved(await recordSave(app, page, parsed.values, baseRevision, { user, ip: viewer.ip, reason: why.reason, detail })) };
}

/**
 * Saves an earlier version's values again as a new save: audited, checked
 * for conflicts and published like any other. Values that no longer fit the
 * page's parameters keep their current value.
 */
export async function restoreVersion(app: App, slug: string, viewer: Viewer, form: FormData, t: Translate = ENGLISH): Promise<OnPage<Saved>> {
  const { page, user } = await pageToEdit(app, slug, viewer, t('page.errors.logInToRestore'), t);
  const id = Number(form.get('version'));
  const version = await versionOf(app.db, page, id);
  if (!version) throw notFound(t('page.errors.noVersion', { title: page.title, id: form.get('version') }));
  // The history's restore form marks the field required, so only a hand-made request gets here without one.
  const why = checkReason(fieldText(form, REASON_FIELD), page.require_reason === true, t);
  if ('error' in why) throw new Refused('malformed', t('page.errors.notRestored', { id, why: why.error }));
  const values: Values = {};
  for (const p of page.parameters) {
    const v = version.values[p.name];
    // A version's secrets are masked: restoring keeps the current ones.
    if (p.type !== 'secret' && v !== undefined && decodeValue(p, encodeValue(v)) !== undefined) values[p.name] = v;
  }
  const result = await recordSave(app, page, values, formRevision(form, t), { user, ip: viewer.ip, reason: why.reason, detail: { restored_from: id } });
  return { page, result: saved(result) };
}

/** The form's values as a YAML file under the name typed, or why not; audited, never saved. */
export async function exportPage(app: App, slug: string, viewer: Viewer, form: FormData, t: Translate = ENGLISH): Promise<OnPage<ExportResult>> {
  const { page } = await findPage(app, slug, t);
  requireAccess(viewer.user, page, 'view');
  const parsed = parseForm(page, (name) => fieldText(form, name), undefined, t);
  const chosen = exportFilename(fieldText(form, 'filename'), page.slug, t);
  // A name we would have to change is refused, not changed: the file is called what the person typed.
  if (!isValid(parsed) || 'error' in chosen) {
    // No parameter is called "filename" (a reserved name), so this error hides none of theirs.
    const errors = 'error' in chosen ? { ...parsed.errors, filename: chosen.error } : parsed.errors;
    return { page, result: { kind: 'invalid', errors } };
  }
  const { filename } = chosen;
  if (viewer.user) {
    // Nothing changed, so the entry need not cost the export a commit of its own: it goes in the next batch.
    app.auditLater.add({ action: 'export', userId: viewer.user.id, username: viewer.user.username, ip: viewer.ip, detail: { page: page.slug, filename } });
  }
  countExport(page.slug);
  const header = form.get(NO_PROVENANCE_FIELD) === null ? provenanceHeader(await exportProvenance(app, page, viewer, parsed.values)) : undefined;
  return { page, result: { kind: 'file', filename, yaml: valuesToYaml(page, parsed.values, header) } };
}

/** What a header says of a save, as far as it is known: by whom, when, and its commit once published. */
export function savedProvenance(page: PageConfig, current: CurrentValues): Omit<Provenance, 'asSaved' | 'exported'> {
  const save = current.lastSave;
  const commit = save?.publication?.state === 'committed' ? (save.publication.sha ?? undefined) : undefined;
  return { page: { slug: page.slug, title: page.title }, revision: current.revision, savedBy: save?.author, savedAt: save?.savedAt, commit };
}

/** The form export's provenance: the page's latest save, and whether the form still holds its values. */
async function exportProvenance(app: App, page: PageConfig, viewer: Viewer, values: Values): Promise<Provenance> {
  const current = await currentValues(viewer.reads ?? app.db, page);
  const asSaved = diffValues(page, current.values, values).length === 0;
  const by = viewer.user?.username ?? 'anonymous (not logged in)';
  return { ...savedProvenance(page, current), asSaved, exported: { by, at: new Date().toISOString() } };
}

/**
 * Reads an uploaded YAML file and compares it with the current values, for
 * review; nothing is saved until the person presses "Save these values",
 * which saves through savePage, based on the revision compared here.
 * Problems are listed by key.
 */
export async function importFile(app: App, slug: string, viewer: Viewer, form: FormData, t: Translate = ENGLISH): Promise<OnPage<ImportResult>> {
  const { page, user } = await pageToEdit(app, slug, viewer, t('page.errors.logInToImport'), t);
  const file = form.get('file');
  if (!(file instanceof File) || file.size === 0) return { page, result: { kind: 'failed', error: t('import.error.noFile') } };
  const filename = file.name.slice(0, 200);
  if (file.size > IMPORT_MAX_BYTES) return { page, result: { kind: 'failed', filename, error: t('import.error.tooLarge', { size: IMPORT_MAX_BYTES / 1024 }) } };
  try {
    const { values, problems, missing } = importValues(page, await file.text(), t);
    const current = await currentValues(app.db, page);
    const merged = { ...current.values, ...values };
    await audit(app.db, { action: 'import', userId: user.id, username: user.username, ip: viewer.ip, detail: { page: page.slug, filename, imported: Object.keys(values), problems: problems.length } });
    const changes = diffValues(page, current.values, merged);
    // The save reads these values back from form text: the same check here, so the preview can warn first.
    const fields = fieldsFrom(page, merged);
    const { errors } = parseForm(page, (name) => (fields[name] === true ? 'on' : fields[name] === false ? undefined : (fields[name] as string | undefined)), undefined, t);
    return { page, result: { kind: 'preview', filename, values: merged, changes, revision: current.revision, problems, missing, errors } };
  } catch (e) {
    if (!(e instanceof ImportError)) throw e;
    return { page, result: { kind: 'failed', filename, error: e.message } };
  }
}

/**
 * A save marked as conflicting is published after all: its file replaces the
 * one in the repository, by an ordinary commit on top of whatever is there.
 * For people who may edit the page; audited.
 */
export async function publishAnyway(app: App, slug: string, viewer: Viewer, form: FormData, t: Translate = ENGLISH): Promise<void> {
  const { page, user } = await pageToEdit(app, slug, viewer, t('page.errors.logInToPublish'), t);
  const id = Number(form.get('change'));
  const now = new Date().toISOString();
  await app.db.transaction(async (tx) => {
    // The page's later conflicting saves go back in line after this one (see requeueConflict).
    const back = await requeueConflict(tx, page.slug, id, now);
    if (!back) throw new Refused('conflict', t('page.errors.notInConflict'));
    const { requeued } = back;
    await audit(tx, { action: 'publish_anyway', userId: user.id, username: user.username, ip: viewer.ip, detail: { page: page.slug, change: id, requeued } });
    await tx.commit();
  });
  app.publications.saved();
}

export interface Comparison {
  from: { id: number; label: string };
  to: { id: number; label: string };
  /** `replaced`: a secret set on both sides, but to another value (the values themselves never leave the server). */
  rows: { name: string; label: string; from: Values[string] | undefined; to: Values[string] | undefined; changed: boolean; replaced: boolean }[];
}

/** Two versions side by side; version 0 means the defaults. */
export async function compareVersions(app: App, page: PageConfig, fromId: number, toId: number, t: Translate = ENGLISH): Promise<Comparison> {
  const load = async (id: number) => {
    if (id === 0) return { id: 0, label: t('history.defaultsLabel'), values: defaultValues(page) };
    const v = await versionOf(app.db, page, id);
    if (!v) throw notFound(t('page.errors.noVersion', { title: page.title, id }));
    return { id, label: t('history.versionBy', { id, author: v.author }), values: v.values };
  };
  const [a, b, replaced] = await Promise.all([load(fromId), load(toId), secretsThatDiffer(app.db, page, fromId, toId)]);
  const isSecret = (name: string) => page.parameters.some((p) => p.name === name && p.type === 'secret');
  const names = [...page.parameters.map((p) => p.name), ...Object.keys({ ...a.values, ...b.values }).filter((n) => !page.parameters.some((p) => p.name === n))];
  return {
    from: { id: a.id, label: a.label },
    to: { id: b.id, label: b.label },
    rows: names.map((name) => ({
      name,
      label: page.parameters.find((p) => p.name === name)?.label ?? name,
      from: a.values[name],
      to: b.values[name],
      // Two secrets both shown as set may still differ: the saved values say.
      changed: isSecret(name) ? replaced.has(name) : !sameValue(a.values[name], b.values[name]),
      replaced: replaced.has(name) && a.values[name] === SECRET_SET && b.values[name] === SECRET_SET,
    })),
  };
}
