/** Comparing any two versions of a page, and restoring an earlier one as a new save. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, revisionOf, textOf } from '../helpers/client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let ed: Client;
const versions: number[] = [];

async function save(dir: string) {
  const rev = revisionOf(await (await ed.get('/page/data-processing')).text());
  const res = await ed.post('/page/data-processing', { inputs_directory: dir, _revision: rev });
  expect(res.status).toBe(303);
  versions.push(Number(res.headers.get('location')!.split('saved=')[1]));
}

beforeAll(async () => {
  server = await startServer({
    users: [
      { name: 'ed', role: 'editor', password: 'ed-password' },
      { name: 'vera', role: 'viewer', password: 'vera-password' },
    ],
  });
  ed = new Client(server.url);
  await ed.login('ed', 'ed-password');
  for (const dir of ['/v/one', '/v/two', '/v/three']) await save(dir);
});
afterAll(() => server?.stop());

describe('comparing versions', () => {
  it('shows two versions side by side, marking what differs', async () => {
    const [one, , three] = versions;
    const html = await (await ed.get(`/page/data-processing/history?from=${one}&to=${three}`)).text();
    expect(textOf(html, 'comparison')).toBe(
      `version ${one} (ed) → version ${three} (ed) Parameter version ${one} (ed) version ${three} (ed) Inputs Directory (inputs_directory) /v/one /v/three`,
    );
    expect(html).toMatch(/data-compare="inputs_directory" data-changed="true"/);
  });

  it('compares with the defaults as version 0, and says when nothing differs', async () => {
    const html = await (await ed.get(`/page/data-processing/history?from=0&to=${versions[0]}`)).text();
    expect(textOf(html, 'comparison')).toContain('/mnt/data/inputs /v/one');
    const same = await (await ed.get(`/page/data-processing/history?from=${versions[1]}&to=${versions[1]}`)).text();
    expect(same).toContain('These versions hold the same values.');
  });

  it('answers 404 for a version of another page', async () => {
    expect((await ed.get('/page/toplevel/history?from=0&to=' + versions[0])).status).toBe(404);
  });
});

describe('restoring a version', () => {
  it('saves the old values again as a new, audited version', async () => {
    const history = await (await ed.get('/page/data-processing/history')).text();
    expect(history).toContain(`data-testid="restore-${versions[0]}"`);
    expect(history).not.toContain(`data-testid="restore-${versions[2]}"`); // the current one
    const res = await ed.post('/page/data-processing/restore', { version: String(versions[0]), _revision: String(versions[2]) });
    expect(res.status).toBe(303);
    const restored = Number(res.headers.get('location')!.split('saved=')[1]);
    expect(restored).toBeGreaterThan(versions[2]!);
    const page = await (await ed.get(res.headers.get('location')!)).text();
    expect(page).toContain('value="/v/one"');
    expect(textOf(page, 'notice-saved')).toContain('/v/three → /v/one');
    const { rows } = await server.db().execute({ sql: "SELECT detail FROM audit_log WHERE action = 'save' ORDER BY id DESC LIMIT 1", args: [] });
    expect(JSON.parse(String(rows[0]!.detail))).toMatchObject({ page: 'data-processing', change: restored, restored_from: versions[0] });
    versions.push(restored);
  });

  it('refuses with 409 when the page changed since the history was loaded', async () => {
    const res = await ed.post('/page/data-processing/restore', { version: String(versions[1]), _revision: String(versions[0]) });
    expect(res.status).toBe(409);
    expect(textOf(await res.text(), 'notice-conflict')).toContain('Not saved: this page was changed by someone else after you opened it.');
  });

  it('is not offered to a viewer, and refused if tried', async () => {
    const vera = new Client(server.url);
    await vera.login('vera', 'vera-password');
    expect(await (await vera.get('/page/data-processing/history')).text()).not.toContain('Restore this version');
    const res = await vera.post('/page/data-processing/restore', { version: String(versions[0]), _revision: String(versions.at(-1)) });
    expect(res.status).toBe(403);
  });
});

describe('importing a YAML file', () => {
  const upload = (c: Client, slug: string, content: string, filename = 'values.yaml') => {
    const form = new FormData();
    form.set('file', new File([content], filename, { type: 'text/yaml' }));
    return fetch(`${server.url}/page/${slug}/import`, { method: 'POST', body: form, redirect: 'manual', headers: { cookie: c.cookieHeader(), origin: server.url } });
  };

  /** The fields "Save these values" sends: the preview form's hidden copies. */
  const previewForm = (html: string) => {
    const form = html.slice(html.indexOf('data-testid="import-preview"'));
    const entries = [...form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')] as [string, string]);
    return new URLSearchParams(entries);
  };
  const changes = async () => Number((await server.db().execute('SELECT count(*) AS n FROM changes')).rows[0]!.n);

  it("shows an export's changes against the current values, saves nothing, then saves them as one save with a reason", async () => {
    const exported = await (await ed.post('/page/toplevel/export', { version: '7.7', instance_name: 'from-file', debug_mode: 'on', logging_level: 'error', filename: 'x' })).text();
    // The export says where it comes from, in comments the import skips.
    expect(exported).toMatch(/^# Switchyard values of page "Global Settings" \(toplevel\)\n# revision: none, never saved: values as typed in the form, not saved\n# exported by: ed\n# exported at: /);
    const before = await changes();
    const res = await upload(ed, 'toplevel', exported, 'prod settings.yaml');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(textOf(html, 'import-preview')).toContain('4 changes');
    expect(textOf(html, 'import-preview')).toContain('Instance Name (instance_name) : (empty) → from-file');
    expect(textOf(html, 'import-problems')).toBeUndefined();
    expect(await changes()).toBe(before);
    // Saving the preview is an ordinary save of the page, based on the revision compared, with the reason typed.
    const form = previewForm(html);
    expect(form.get('_imported_from')).toBe('prod settings.yaml');
    form.set('_reason', 'Values from production');
    const saved = await ed.post('/page/toplevel', form);
    expect(saved.status).toBe(303);
    const page = await (await ed.get(saved.headers.get('location')!)).text();
    expect(page).toMatch(/name="version" type="text" value="7.7"/);
    expect(page).toMatch(/name="debug_mode" type="checkbox" checked/);
    const { rows } = await server.db().execute("SELECT detail FROM audit_log WHERE action = 'save' ORDER BY id DESC LIMIT 1");
    expect(JSON.parse(String(rows[0]!.detail))).toMatchObject({ page: 'toplevel', imported_from: 'prod settings.yaml', reason: 'Values from production' });
    expect(textOf(await (await ed.get('/page/toplevel/history')).text(), `reason-${Number(saved.headers.get('location')!.split('saved=')[1])}`)).toBe('Reason: Values from production');
    // The same file again changes nothing, and offers no save.
    const again = await (await upload(ed, 'toplevel', exported)).text();
    expect(textOf(again, 'import-no-changes')).toBe('The file holds the current values: saving it would change nothing.');
    expect(again).not.toContain('data-testid="import-save"');
  });

  it("refuses the preview's save when the page was saved since, as the form's", async () => {
    const html = await (await upload(ed, 'toplevel', 'version: "8.8"\ninstance_name: from-file\n')).text();
    const rev = revisionOf(await (await ed.get('/page/toplevel')).text());
    expect((await ed.post('/page/toplevel', { version: '8.0', instance_name: 'between', logging_level: 'error', _revision: rev })).status).toBe(303);
    const before = await changes();
    const res = await ed.post('/page/toplevel', previewForm(html));
    const page = await res.text();
    expect(res.status).toBe(409);
    expect(textOf(page, 'notice-conflict')).toContain('Not saved: this page was changed by someone else after you opened it.');
    expect(page).toMatch(/name="version" type="text" value="8.8"/);
    expect(await changes()).toBe(before);
  });

  it('names unknown keys and wrong types, and keeps what it could not take', async () => {
    const res = await upload(ed, 'toplevel', 'version: 1.0\nlogging_level: loud\ncolour: red\n');
    const html = await res.text();
    expect(textOf(html, 'import-problems')).toBe(
      'Not taken from the file: ' +
        'colour: not a parameter of this page (it has version, instance_name, debug_mode, logging_level) ' +
        'version: expected text, got 1.0 (put it in quotes) ' +
        'logging_level: Choose one of: debug, info, warning, error, critical (got "loud") ' +
        'Not in the file, so unchanged: instance_name, debug_mode.',
    );
    expect(textOf(html, 'import-no-changes')).toBeDefined();
  });

  it('refuses a file that is not YAML values, and a viewer', async () => {
    const res = await upload(ed, 'toplevel', '- just\n- a list\n');
    expect(res.status).toBe(422);
    expect(textOf(await res.text(), 'notice-import-failed')).toBe('Nothing imported from values.yaml: The file must be a mapping of parameter names to values, like an export; it holds a list.');
    const vera = new Client(server.url);
    await vera.login('vera', 'vera-password');
    expect((await upload(vera, 'toplevel', 'version: "1"\n')).status).toBe(403);
  });
});
