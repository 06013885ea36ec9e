/**
 * Reasons and provenance on a real libSQL file: a save's reason is stored
 * with it and read back by the history, the API, the audit entry and the
 * notification event; `require_reason: true` refuses a save without one; an
 * export says where its values come from, in comments an import skips.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importValues } from '../../src/core/import.ts';
import { REASON_FIELD } from '../../src/core/reason.ts';
import type { Viewer } from '../../src/server/auth/access.ts';
import { currentValues, pageHistory } from '../../src/server/history.ts';
import { exportPage, importFile, restoreVersion, savePage } from '../../src/server/pages/actions.ts';
import { findPage, pageView } from '../../src/server/pages/view.ts';
import { Refused } from '../../src/server/refused.ts';
import { handleApi } from '../../src/web/api-v1.ts';
import { EXAMPLE_CONFIG } from '../helpers/server.ts';
import { localApp, type LocalApp } from '../helpers/in-process.ts';

// The example site, with every save of the data-processing page asked for a reason.
const CONFIG = EXAMPLE_CONFIG.replace('  - slug: "data-processing"\n', '  - slug: "data-processing"\n    require_reason: true\n');

let local: LocalApp;
beforeAll(async () => {
  expect(CONFIG).not.toBe(EXAMPLE_CONFIG);
  local = await localApp(CONFIG);
});
afterAll(() => local?.close());

const form = (fields: Record<string, string | File>) => {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
};
const TOP = { version: '2.0', instance_name: 'main', logging_level: 'info' };
const revision = async (slug: string, who: Viewer) => String((await pageView(local.app, slug, who)).revision);
const page = async (slug: string) => (await findPage(local.app, slug)).page;

async function api(viewer: Viewer, method: string, path: string, body?: unknown, query = '') {
  const init: RequestInit = { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) };
  const res = await handleApi(local.app, new Request(`http://switchyard.test/api/v1/${path}${query}`, init), path, viewer);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('a save with a reason', () => {
  it('is stored with the save and read back by the history, the audit entry and the notification event', async () => {
    const editor = await local.as('editor');
    const { result } = await savePage(local.app, 'toplevel', editor, form({ ...TOP, [REASON_FIELD]: '  Raise the level for the\r\nholiday peak  ', _revision: await revision('toplevel', editor) }));
    expect(result.kind).toBe('saved');
    const id = result.kind === 'saved' ? result.entry.id : 0;
    expect(result.kind === 'saved' && result.entry.reason).toBe('Raise the level for the\nholiday peak');
    const { entries } = await pageHistory(local.app.db, await page('toplevel'), { limit: 1 });
    expect(entries[0]).toMatchObject({ id, reason: 'Raise the level for the\nholiday peak' });
    expect((await currentValues(local.app.db, await page('toplevel'))).lastSave?.reason).toBe('Raise the level for the\nholiday peak');
    const audit = await local.app.db.execute({ sql: "SELECT detail FROM audit_log WHERE action = 'save' ORDER BY id DESC LIMIT 1", args: [] });
    expect(JSON.parse(String(audit.rows[0]!.detail))).toMatchObject({ change: id, reason: 'Raise the level for the\nholiday peak' });
    const event = await local.app.db.execute({ sql: "SELECT data FROM notification_events WHERE type = 'values.saved' ORDER BY id DESC LIMIT 1", args: [] });
    expect(JSON.stringify(JSON.parse(String(event.rows[0]!.data)))).toContain('"reason":"Raise the level for the\\nholiday peak"');
  });

  it('is optional by default: a save without one has none, and says so as null in the API', async () => {
    const editor = await local.as('editor');
    const { result } = await savePage(local.app, 'toplevel', editor, form({ ...TOP, version: '2.1', [REASON_FIELD]: '   ', _revision: await revision('toplevel', editor) }));
    expect(result.kind === 'saved' && 'reason' in result.entry).toBe(false);
    const history = await api(editor, 'GET', 'pages/toplevel/history', undefined, '?limit=2');
    expect(history.body.entries.map((e: { reason: unknown }) => e.reason)).toEqual([null, 'Raise the level for the\nholiday peak']);
  });

  it('is refused, with the form kept, when too long, too many lines or holding control characters', async () => {
    const editor = await local.as('editor');
    const rev = await revision('toplevel', editor);
    const tryReason = async (reason: string) => (await savePage(local.app, 'toplevel', editor, form({ ...TOP, version: '9', [REASON_FIELD]: reason, _revision: rev }))).result;
    expect(await tryReason('x'.repeat(501))).toEqual({ kind: 'invalid', errors: { [REASON_FIELD]: 'A reason can have at most 500 characters.' } });
    expect(await tryReason('a\nb\nc\nd\ne\nf')).toEqual({ kind: 'invalid', errors: { [REASON_FIELD]: 'A reason can have at most 5 lines.' } });
    expect(await tryReason('hidden\u001b[2Jtext')).toEqual({ kind: 'invalid', errors: { [REASON_FIELD]: 'A reason cannot contain control characters.' } });
    // Reported beside a field's own error, so both show at once.
    const both = (await savePage(local.app, 'toplevel', editor, form({ ...TOP, instance_name: '', [REASON_FIELD]: 'x'.repeat(501), _revision: rev }))).result;
    expect(both.kind === 'invalid' && Object.keys(both.errors)).toEqual(['instance_name', REASON_FIELD]);
    expect(await revision('toplevel', editor)).toBe(rev);
  });
});

describe('require_reason: true', () => {
  it('refuses a save without a reason, from the form and the API, and takes one with it', async () => {
    const editor = await local.as('editor');
    const rev = await revision('data-processing', editor);
    const without = await savePage(local.app, 'data-processing', editor, form({ inputs_directory: '/mnt/r', _revision: rev }));
    expect(without.result).toEqual({ kind: 'invalid', errors: { [REASON_FIELD]: 'Give a reason for this change: this page asks for one with every save.' } });
    const byApi = await api(editor, 'PUT', 'pages/data-processing/values', { revision: Number(rev), values: { inputs_directory: '/mnt/r' } });
    expect(byApi).toEqual({ status: 422, body: { error: '"reason": Give a reason for this change: this page asks for one with every save. Nothing was saved.' } });
    expect((await api(editor, 'PUT', 'pages/data-processing/values', { revision: Number(rev), values: { inputs_directory: '/mnt/r' }, reason: 42 })).status).toBe(422);
    expect(await revision('data-processing', editor)).toBe(rev);
    const ok = await api(editor, 'PUT', 'pages/data-processing/values', { revision: Number(rev), values: { inputs_directory: '/mnt/r' }, reason: 'New mount' });
    expect(ok.status).toBe(200);
    expect(ok.body.saved).toMatchObject({ reason: 'New mount', changes: [{ name: 'inputs_directory', after: '/mnt/r' }] });
    expect((await api(editor, 'GET', 'pages/data-processing')).body.last_save).toMatchObject({ id: ok.body.revision, reason: 'New mount' });
  });

  it('applies to restores: refused without a reason, saved with it', async () => {
    const editor = await local.as('editor');
    const later = await savePage(local.app, 'data-processing', editor, form({ inputs_directory: '/mnt/later', [REASON_FIELD]: 'Later', _revision: await revision('data-processing', editor) }));
    expect(later.result.kind).toBe('saved');
    const rev = await revision('data-processing', editor);
    const first = (await pageHistory(local.app.db, await page('data-processing'), { limit: 50 })).entries.at(-1)!;
    const refused = await restoreVersion(local.app, 'data-processing', editor, form({ version: String(first.id), _revision: rev })).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(Refused);
    expect((refused as Refused).message).toBe(`Version ${first.id} was not restored. Give a reason for this change: this page asks for one with every save.`);
    const { result } = await restoreVersion(local.app, 'data-processing', editor, form({ version: String(first.id), _revision: rev, [REASON_FIELD]: 'Back to the old mount' }));
    expect(result.kind === 'saved' && result.entry.reason).toBe('Back to the old mount');
  });
});

describe('an export', () => {
  it('says where its values come from, in comments an import skips', async () => {
    const editor = await local.as('editor');
    const current = await currentValues(local.app.db, await page('toplevel'));
    const values = { version: String(current.values.version), instance_name: String(current.values.instance_name), logging_level: String(current.values.logging_level) };
    const { result } = await exportPage(local.app, 'toplevel', editor, form({ ...values, filename: 'x' }));
    const yaml = result.kind === 'file' ? result.yaml : '';
    const header = yaml.split('\n').filter((l) => l.startsWith('#'));
    expect(header.slice(0, 4)).toEqual([
      '# Switchyard values of page "Global Settings" (toplevel)',
      `# revision: ${current.revision}`,
      `# saved by: ${current.lastSave!.author}`,
      `# saved at: ${current.lastSave!.savedAt}`,
    ]);
    expect(header[4]).toBe('# exported by: editor-1');
    expect(header[5]).toMatch(/^# exported at: \d{4}-\d\d-\d\dT/);
    expect(importValues(await page('toplevel'), yaml)).toEqual({ values: { ...current.values }, problems: [], missing: [] });
  });

  it('says when the form was edited and the values are not saved, and leaves it all out when asked', async () => {
    const viewer = await local.as('viewer');
    const edited = await exportPage(local.app, 'toplevel', viewer, form({ ...TOP, version: 'edited', filename: 'x' }));
    expect(edited.result.kind === 'file' && edited.result.yaml).toMatch(/^# revision: \d+ is the latest save; these values differ from it \(edited in the form, not saved\)$/m);
    const bare = await exportPage(local.app, 'toplevel', viewer, form({ ...TOP, filename: 'x', _no_provenance: 'on' }));
    expect(bare.result.kind === 'file' && bare.result.yaml).toBe('version: "2.0"\ninstance_name: main\ndebug_mode: false\nlogging_level: info\n');
  });
});

describe('an import', () => {
  it('compares the file with the current values and saves nothing until the preview is saved', async () => {
    const editor = await local.as('editor');
    const before = await currentValues(local.app.db, await page('data-processing'));
    const file = new File(['# a comment, like a provenance header\ninputs_directory: /mnt/imported\n'], 'dp.yaml');
    const { result } = await importFile(local.app, 'data-processing', editor, form({ file }));
    expect(result).toEqual({
      kind: 'preview',
      filename: 'dp.yaml',
      values: { inputs_directory: '/mnt/imported' },
      changes: [{ name: 'inputs_directory', label: 'Inputs Directory', before: before.values.inputs_directory, after: '/mnt/imported' }],
      revision: before.revision,
      problems: [],
      missing: [],
      errors: {},
    });
    expect((await currentValues(local.app.db, await page('data-processing'))).revision).toBe(before.revision);
  });

  it('says before the save when the values could not be saved as they are', async () => {
    const fresh = await localApp(CONFIG);
    try {
      // The example's instance_name is required and has no default: on a page never saved, a file without it cannot be saved.
      const { result } = await importFile(fresh.app, 'toplevel', await fresh.as('editor'), form({ file: new File(['version: "5"\n'], 'v.yaml') }));
      expect(result.kind === 'preview' && result.errors).toEqual({ instance_name: 'This field is required.' });
    } finally {
      fresh.close();
    }
  });
});
