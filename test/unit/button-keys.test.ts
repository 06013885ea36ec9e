/**
 * A button's own keys: `access` (who may see and run it), `docs` (Markdown
 * shown with it) and a `confirm` text that names its inputs, filled with the
 * values entered. The config refuses what could not work (config-errors.test.ts
 * has the messages); these are what a valid config means.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/core/config/load.ts';
import { buttonRefusal, mayRunButton, showsButton } from '../../src/core/access.ts';
import { fillConfirm, placeholders } from '../../src/core/confirm.ts';
import { reviewFields } from '../../src/web/run-review.ts';
import { translator } from '../../src/core/i18n.ts';

const yaml = `toplevel_title: T
pages:
  - slug: restore
    title: Restore
    access: {run: editor}
    buttons:
      - name: restore
        label: Restore
        script_path: scripts/restore.sh
        status_file: app_data/status/restore.json
        report_path: app_data/reports/restore.log
        access: {run: admin}
        docs: {en: "Unpacks **one** archive.", fr: restore-fr.md}
        confirm: {en: "Restore {archive} into {target}?", fr: "Restaurer {archive} dans {target} ?"}
        inputs:
          - {name: archive, type: text, required: true}
          - {name: target, type: text, default: check}
          - {name: parts, type: multiselect, options: [db, files]}
          - {name: overwrite, type: boolean}
      - name: list
        label: List
        script_path: scripts/list.sh
        status_file: app_data/status/list.json
        report_path: app_data/reports/list.log
`;

function site() {
  const r = parseConfig(yaml);
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.path}: ${p.message}`).join('\n'));
  return r;
}

describe("a button's access, docs and confirm", () => {
  it('parses access, docs per language and a confirm naming the inputs', () => {
    const r = site();
    const restore = r.config.pages[0]!.buttons[0]!;
    expect(restore.access).toEqual({ run: 'admin' });
    expect(restore.docs).toEqual({ en: 'Unpacks **one** archive.', fr: 'restore-fr.md' });
    expect(restore.confirm).toBe('Restore {archive} into {target}?');
    expect(r.inLanguage('fr').pages[0]!.buttons[0]!.confirm).toBe('Restaurer {archive} dans {target} ?');
    expect(r.config.pages[0]!.buttons[1]!.access).toBeUndefined();
  });

  it('lets only those who may run a button with access see it; the others keep the page rule', () => {
    const page = site().config.pages[0]!;
    const [restore, list] = page.buttons as [typeof page.buttons[0], typeof page.buttons[0]];
    const who = (role: 'viewer' | 'operator' | 'editor' | 'admin') => ({ role });
    expect(mayRunButton(who('admin'), page, restore)).toBe(true);
    expect(mayRunButton(who('editor'), page, restore)).toBe(false);
    expect(mayRunButton(who('editor'), page, list)).toBe(true);
    expect(mayRunButton(who('operator'), page, list)).toBe(false);
    expect(mayRunButton(undefined, page, list)).toBe(false);
    // Hidden only where the button narrows the page: a viewer still sees "list", with the page's reason.
    expect(showsButton(who('viewer'), page, list)).toBe(true);
    expect(showsButton(who('editor'), page, restore)).toBe(false);
    expect(buttonRefusal(who('editor'), page, restore)).toBe('Your role (editor) may not run this task; admins may.');
    expect(buttonRefusal(who('operator'), page, restore)).toBe('Your role (operator) may not run these tasks; editors and admins may.');
    expect(buttonRefusal(who('editor'), page, restore, translator('fr'))).toBe('Votre rôle (éditeur) ne permet pas de lancer cette tâche\u00a0; c\'est réservé aux administrateurs.');
    expect(buttonRefusal(who('admin'), page, restore)).toBeUndefined();
  });

  it('fills each {input} with the value entered, lists comma-separated, and leaves other braces alone', () => {
    const text = 'Restore {archive} into {target} ({parts}, overwrite: {overwrite})? {Not} {a-b} {}';
    expect(placeholders(text)).toEqual(['archive', 'target', 'parts', 'overwrite']);
    expect(fillConfirm(text, { archive: 'docs-1.tar', target: '<b>x</b>', parts: ['db', 'files'], overwrite: false }))
      .toBe('Restore docs-1.tar into <b>x</b> (db, files, overwrite: false)? {Not} {a-b} {}');
    expect(fillConfirm('Go {target} {later}?', { target: null })).toBe('Go  {later}?');
  });

  it('posts the inputs of the review page back as the dialog would send them', () => {
    const restore = site().config.pages[0]!.buttons[0]!;
    expect(reviewFields(restore, { archive: 'a.tar', target: 'check', parts: 'db\r\nfiles', overwrite: 'on' }))
      .toEqual([['archive', 'a.tar'], ['target', 'check'], ['parts', 'db'], ['parts', 'files'], ['overwrite', 'on']]);
    expect(reviewFields(restore, { archive: 'a.tar', target: '', parts: '', overwrite: '' })).toEqual([['archive', 'a.tar'], ['target', '']]);
  });
});
