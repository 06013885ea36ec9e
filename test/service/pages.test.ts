/**
 * The page actions in this process on a real libSQL file: each answers with
 * a domain result (or a refusal) and records exactly what it says.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportPage, importFile, restoreVersion, savePage } from '../../src/server/pages/actions.ts';
import { pageView } from '../../src/server/pages/view.ts';
import { Refused } from '../../src/server/refused.ts';
import { localApp, type LocalApp } from '../helpers/in-process.ts';

let local: LocalApp;
beforeAll(async () => {
  local = await localApp();
});
afterAll(() => local?.close());

const VALID = { version: '2.0', instance_name: 'main', debug_mode: 'on', logging_level: 'info' };
const form = (fields: Record<string, string | File>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
};
const count = async (table: string) => Number((await local.app.db.execute(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
const refusal = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => (e instanceof Refused ? e.kind : e));

describe('saving a page', () => {
  it('saves, then finds nothing to save, then refuses a stale revision with what was missed', async () => {
    const editor = await local.as('editor');
    const first = await savePage(local.app, 'toplevel', editor, form({ ...VALID, _revision: '0' }));
    expect(first.result.kind).toBe('saved');
    const id = first.result.kind === 'saved' ? first.result.entry.id : 0;
    expect((await savePage(local.app, 'toplevel', editor, form({ ...VALID, _revision: String(id) }))).result).toEqual({ kind: 'unchanged' });
    const stale = await savePage(local.app, 'toplevel', editor, form({ ...VALID, version: '2.1', _revision: '0' }));
    expect(stale.result.kind).toBe('stale');
    expect(stale.result.kind === 'stale' && stale.result.since.map((e) => e.id)).toEqual([id]);
  });

  it('answers invalid values field by field and writes nothing', async () => {
    const before = await count('changes');
    const { result } = await savePage(local.app, 'toplevel', await local.as('editor'), form({ ...VALID, instance_name: '', _revision: '0' }));
    expect(result).toEqual({ kind: 'invalid', errors: { instance_name: 'This field is required.' } });
    expect(await count('changes')).toBe(before);
  });

  it('refuses those who may not edit, before reading the form', async () => {
    expect(await refusal(savePage(local.app, 'toplevel', await local.as('viewer'), form(VALID)))).toBe('forbidden');
    expect(await refusal(savePage(local.app, 'toplevel', await local.as('anonymous'), form(VALID)))).toBe('login');
    expect(await refusal(savePage(local.app, 'no-such-page', await local.as('editor'), form(VALID)))).toBe('not_found');
    expect(await refusal(savePage(local.app, 'toplevel', await local.as('editor'), form({ ...VALID, _revision: 'x' })))).toBe('malformed');
  });
});

describe('the other actions', () => {
  it('restores an earlier version as a new save', async () => {
    const editor = await local.as('editor');
    const { revision } = await pageView(local.app, 'data-processing', editor);
    const a = await savePage(local.app, 'data-processing', editor, form({ inputs_directory: '/mnt/a', _revision: String(revision) }));
    const aId = a.result.kind === 'saved' ? a.result.entry.id : 0;
    await savePage(local.app, 'data-processing', editor, form({ inputs_directory: '/mnt/b', _revision: String(aId) }));
    const latest = (await pageView(local.app, 'data-processing', editor)).revision;
    const { result } = await restoreVersion(local.app, 'data-processing', editor, form({ version: String(aId), _revision: String(latest) }));
    expect(result.kind).toBe('saved');
    expect((await pageView(local.app, 'data-processing', editor)).fields.inputs_directory).toBe('/mnt/a');
    expect(await refusal(restoreVersion(local.app, 'data-processing', editor, form({ version: '999999', _revision: String(latest) })))).toBe('not_found');
  });

  it('exports under the name typed, or says why not, saving nothing', async () => {
    const viewer = await local.as('viewer');
    const before = await count('changes');
    const ok = await exportPage(local.app, 'toplevel', viewer, form({ ...VALID, filename: 'prod settings' }));
    expect(ok.result).toMatchObject({ kind: 'file', filename: 'prod settings.yaml' });
    expect(ok.result.kind === 'file' && ok.result.yaml).toContain('version: "2.0"\n');
    const bad = await exportPage(local.app, 'toplevel', viewer, form({ ...VALID, filename: '../../x' }));
    expect(bad.result.kind === 'invalid' && Object.keys(bad.result.errors)).toEqual(['filename']);
    expect(await count('changes')).toBe(before);
  });

  it('records exports in the audit log a batch at a time: one commit for many, all of them written', async () => {
    const viewer = await local.as('viewer');
    const exports = async () => (await local.app.db.execute("SELECT count(*) AS n FROM audit_log WHERE action = 'export'")).rows[0]!.n;
    await local.app.auditLater.flush();
    const before = await exports();
    await Promise.all(Array.from({ length: 30 }, (_, i) => exportPage(local.app, 'toplevel', viewer, form({ ...VALID, filename: `e${i}` }))));
    // Not one commit per export: the entries wait for their batch …
    expect(await exports()).toBe(before);
    // … and all of them are there once it is written (as before the database closes on a clean stop).
    await local.app.auditLater.flush();
    expect(await exports()).toBe(Number(before) + 30);
    const { rows } = await local.app.db.execute("SELECT username, detail FROM audit_log WHERE action = 'export' ORDER BY id DESC LIMIT 1");
    expect(rows[0]).toMatchObject({ username: 'viewer-1' });
    expect(JSON.parse(String(rows[0]!.detail))).toMatchObject({ page: 'toplevel', filename: expect.stringMatching(/^e\d+\.yaml$/) });
  });

  it('compares an imported file with the current values, saving nothing, or says why not', async () => {
    const editor = await local.as('editor');
    const before = await count('changes');
    const { revision, fields } = await pageView(local.app, 'toplevel', editor);
    const yaml = new File(['version: "3.0"\ncolour: red\n'], 'values.yaml');
    const { result } = await importFile(local.app, 'toplevel', editor, form({ file: yaml }));
    expect(result).toMatchObject({ kind: 'preview', filename: 'values.yaml', revision, values: { version: '3.0', instance_name: fields.instance_name } });
    expect(result.kind === 'preview' && result.changes).toEqual([{ name: 'version', label: 'Project Version', before: fields.version, after: '3.0' }]);
    expect(result.kind === 'preview' && result.problems.join()).toContain('colour');
    expect(result.kind === 'preview' && result.errors).toEqual({});
    expect(await count('changes')).toBe(before);
    expect((await importFile(local.app, 'toplevel', editor, form({}))).result).toEqual({ kind: 'failed', error: 'Choose a YAML file to import.' });
  });
});
