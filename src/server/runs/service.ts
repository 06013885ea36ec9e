/** What people do with runs: start one from a button, re-run, cancel, and who may see them. */
import type { App } from '../app.ts';
import { audit } from '../audit.ts';
import { may, mayRunButton } from '../../core/access.ts';
import { requireAccess, requireButtonRun } from '../auth/access.ts';
import type { PageConfig } from '../../core/config/schema.ts';
import type { Viewer } from '../auth/access.ts';
import { currentValues } from '../history.ts';
import { secretsOf } from '../../core/values.ts';
import { loginFirst, notFound, Refused } from '../refused.ts';
import { createRun, requestCancel } from './queue.ts';
import { createExternalRun } from './external.ts';
import { getRun, listRuns, type RunFilter, type RunView } from './read.ts';
import { buttonOf, pageOf } from '../../core/config/lookup.ts';
import type { Button } from '../../core/config/schema.ts';
import { withHostOptions } from './host-options.ts';
import { inputsFromForm, inputsFromJson, type FileSource, type InputsResult } from '../../core/inputs.ts';
import { copyInputFilesIn, storeInputFilesIn } from './input-files.ts';
import { isFileValue } from '../../core/files.ts';
import type { Transaction } from '../db.ts';
import type { FieldSource } from '../../core/fields.ts';
import { ENGLISH, type Translate } from '../../core/i18n.ts';

/**
 * The words of refusals a person reads on a page; API callers and logs get
 * English (the default), the pages pass the viewer's `t`.
 */

/** A button's inputs that do not pass their checks: nothing was started. The edge answers 422 with the reasons. */
export class InputsRefused extends Error {
  readonly result: InputsResult;
  constructor(message: string, result: InputsResult) {
    super(message);
    this.result = result;
    this.name = 'InputsRefused';
  }
}

/** The inputs as given: the dialog's form fields, or a JSON object (the API; a re-run's recorded inputs). */
/** `named`: the input names a pipeline's form gave (each must be an input); the dialog's form gives only inputs. */
/** `files`: the files a form sent; `kept`: the JSON is a run's recorded inputs, whose files are copied from it (a re-run). */
export type GivenInputs = { form: FieldSource; partial?: boolean; named?: string[]; files?: FileSource } | { json: unknown; kept?: boolean };

/** The inputs, checked; a form's problems are worded by `t` (the dialog's), JSON's stay English (the API's). */
function checkedInputs(button: Button, given: GivenInputs, message: string, t?: Translate): InputsResult['values'] {
  return checkedResult(button, given, message, t).values;
}

function checkedResult(button: Button, given: GivenInputs, message: string, t?: Translate): InputsResult {
  const result = 'form' in given ? inputsFromForm(button, given.form, given.partial, t, given.named, given.files) : inputsFromJson(button, given.json, given.kept);
  if (Object.keys(result.errors).length) throw new InputsRefused(message, result);
  return result;
}

/** A button's inputs checked as a start would check them, starting nothing (the review before a confirmed start). */
export function checkInputs(button: Button, given: GivenInputs, t: Translate = ENGLISH): InputsResult {
  return checkedResult(button, given, t('run.errors.inputsRefused'), t);
}

/**
 * The person, if they may run `button` of `page`: the page's `run` rule and
 * the button's own `access`. Every way a person starts, re-runs, reports or
 * cancels a run comes through here; schedules start runs without a person.
 */
function requireRun(viewer: Viewer, page: PageConfig | undefined, button: Button | undefined, t: Translate = ENGLISH): { id: number; username: string } {
  if (!page) throw new Refused('conflict', t('run.errors.pageGone'));
  if (button) requireButtonRun(viewer.user, page, button);
  else requireAccess(viewer.user, page, 'run');
  return viewer.user!;
}

/** Whether the viewer may run the button (run again, cancel); a button the config dropped keeps the page's rule. */
export function canRun(viewer: Viewer, page: PageConfig | undefined, button?: Button): boolean {
  return !!page && mayRunButton(viewer.user, page, button ?? {});
}

async function findButton(app: App, slug: string, name: string) {
  const live = await app.config.current();
  const page = pageOf(live.config, slug);
  const configured = buttonOf(live.config, slug, name);
  // Choices a run lists (options_from) are read now, for the dialog and for the check of a start alike.
  const button = configured && (await withHostOptions(app.db, slug, configured));
  return { live, page, button };
}

/** A button this viewer may run, for the form that asks its inputs. */
export async function buttonToRun(app: App, slug: string, buttonName: string, viewer: Viewer, t: Translate = ENGLISH) {
  const { live, page, button } = await findButton(app, slug, buttonName);
  if (!page) throw notFound(t('run.errors.noPage', { slug }));
  requireAccess(viewer.user, page, 'view');
  if (!button) throw notFound(t('run.errors.noButton', { page: page.title, button: buttonName }));
  requireRun(viewer, page, button, t);
  return { site: live.config, page, button };
}

/** A button this viewer may run, with a typed snapshot of its page's current values. */
async function runnableButton(app: App, slug: string, buttonName: string, viewer: Viewer, t: Translate = ENGLISH) {
  const { live, page, button } = await findButton(app, slug, buttonName);
  if (!page) throw notFound(t('run.errors.noPage', { slug }));
  requireAccess(viewer.user, page, 'view');
  if (!button) throw notFound(t('run.errors.noButton', { page: page.title, button: buttonName }));
  const user = requireRun(viewer, page, button, t);
  const { values } = await currentValues(app.db, page);
  return { page, button, values, configRevision: live.revision, user };
}

/** Queues a run of a button with a typed snapshot of the page's current values and the button's inputs, once they pass their checks. */
export async function startRun(app: App, slug: string, buttonName: string, viewer: Viewer, given: GivenInputs = { json: {} }, t: Translate = ENGLISH): Promise<RunView> {
  const req = await runnableButton(app, slug, buttonName, viewer, t);
  const checked = checkedResult(req.button, given, t('run.errors.inputsRefused'), t);
  const inputs = checked.values;
  return createRun(app.db, app.runs, { ...req, inputs }, async (tx, run) => {
    await keepFiles(tx, run, checked);
    await audit(tx, { action: 'run_started', userId: req.user.id, username: req.user.username, ip: viewer.ip, detail: { run, page: slug, button: buttonName, ...(req.button.inputs.length ? { inputs } : {}) } });
  });
}

/** The files given with a run's inputs, kept with it in the transaction that creates it. */
async function keepFiles(tx: Transaction, runId: number, checked: InputsResult): Promise<void> {
  const files = Object.entries(checked.files ?? {}).flatMap(([input, bytes]) => {
    const value = checked.values[input];
    return isFileValue(value) ? [{ input, bytes, value }] : [];
  });
  await storeInputFilesIn(tx, runId, files);
}

/**
 * Creates a run of a button that a pipeline outside reports (external.ts):
 * the same access, values snapshot and audit as starting it from the page.
 */
export async function startExternalRun(app: App, slug: string, buttonName: string, viewer: Viewer, silenceMs: number, given: GivenInputs = { json: {} }): Promise<RunView> {
  const req = await runnableButton(app, slug, buttonName, viewer);
  const inputs = checkedInputs(req.button, given, 'Some inputs are not valid; nothing was started.');
  return createExternalRun(app.db, app.runs, { ...req, inputs, external: { silenceMs } }, (tx, run) =>
    audit(tx, { action: 'run_started', userId: req.user.id, username: req.user.username, ip: viewer.ip, detail: { run, page: slug, button: buttonName, external: true, ...(req.button.inputs.length ? { inputs } : {}) } }),
  );
}

/**
 * A run this viewer may report on: anyone who may run its page's button may
 * report any external run of it, not only its creator, so a team's pipelines
 * can share a token's rights without sharing the token. Whether the run is
 * external and still running is checked in the report's own transaction.
 */
export async function reportableRun(app: App, id: number, viewer: Viewer): Promise<RunView> {
  const run = await visibleRun(app, id, viewer);
  const { page, button } = await findButton(app, run.page, run.button);
  requireRun(viewer, page, button);
  return run;
}

/**
 * Runs the same button again with the same values and inputs as an earlier
 * run. The inputs are checked against the button as it is now: an input the
 * config added since takes its default, and one that no longer fits refuses the re-run.
 */
export async function rerun(app: App, id: number, viewer: Viewer, t: Translate = ENGLISH): Promise<RunView> {
  const old = await visibleRun(app, id, viewer, t);
  const { live, page, button } = await findButton(app, old.page, old.button);
  const user = requireRun(viewer, page, button, t);
  if (!page || !button) throw new Refused('conflict', t('run.errors.buttonGone', { button: old.button, page: old.page }));
  const inputs = checkedInputs(button, { json: old.inputs, kept: true }, t('run.errors.inputsChanged', { id: old.id }));
  // The old run's secrets were kept masked and are forgotten: it runs with the current ones.
  const values = { ...old.params, ...secretsOf(page, (await currentValues(app.db, page)).values) };
  // Its files are the old run's, copied: the same bytes under the same records.
  const files = Object.keys(inputs).filter((name) => isFileValue(inputs[name]));
  return createRun(app.db, app.runs, { page, button, values, inputs, configRevision: live.revision, user, rerunOf: old.id }, async (tx, run) => {
    await copyInputFilesIn(tx, old.id, run, files);
    await audit(tx, { action: 'run_started', userId: user.id, username: user.username, ip: viewer.ip, detail: { run, rerun_of: old.id } });
  });
}

export async function cancel(app: App, id: number, viewer: Viewer, t: Translate = ENGLISH): Promise<RunView> {
  const run = await visibleRun(app, id, viewer, t);
  const { page, button } = await findButton(app, run.page, run.button);
  const user = requireRun(viewer, page, button, t);
  const out = await requestCancel(app.db, app.runs, id, user.username, (tx) =>
    audit(tx, { action: 'run_cancelled', userId: user.id, username: user.username, ip: viewer.ip, detail: { run: id } }),
  );
  if (!out.ok) {
    const { state } = out;
    throw new Refused('conflict', (tt) => (state === 'gone' ? tt('run.errors.noSuchRun') : tt('run.errors.ended', { state: tt(`runs.states.${state}`) })));
  }
  return out.run;
}

/** A run, if this viewer may see it: runs follow their page's visibility. */
export async function visibleRun(app: App, id: number, viewer: Viewer, t: Translate = ENGLISH): Promise<RunView> {
  const run = Number.isSafeInteger(id) ? await getRun(app.db, id) : undefined;
  if (!run) throw notFound(Number.isSafeInteger(id) ? t('run.errors.noRun', { id }) : t('run.errors.noSuchRun'));
  const page = await app.config.page(run.page);
  if (page) requireAccess(viewer.user, page, 'view');
  else if (!viewer.user) throw loginFirst(t('run.errors.logIn'));
  return run;
}

/** Runs the viewer may see, newest first, by the filters. */
export async function visibleRuns(app: App, viewer: Viewer, filter: Omit<RunFilter, 'pages' | 'limit'>, limit = 50) {
  const { config } = await app.config.current();
  const visible = config.pages.filter((p) => may(viewer.user, p, 'view')).map((p) => p.slug);
  return { site: config, ...(await listRuns(app.db, { ...filter, pages: visible, limit })) };
}
