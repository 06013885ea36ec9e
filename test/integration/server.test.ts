/**
 * The built server on a real libSQL file: login, save, history, export,
 * conflicts, bad input, redirects and headers, driven over HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Client, revisionOf, textOf } from '../helpers/client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const USERS = [
  { name: 'alice', role: 'editor', password: 'alice-password' },
  { name: 'bob', role: 'editor', password: 'bob-password-1' },
  { name: 'vera', role: 'viewer', password: 'vera-password' },
  { name: 'root', role: 'admin', password: 'root-password' },
] as const;

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ users: [...USERS] });
});
afterAll(() => server?.stop());

const client = () => new Client(server.url);
async function loggedIn(name: (typeof USERS)[number]['name']) {
  const c = client();
  await c.login(name, USERS.find((u) => u.name === name)!.password);
  return c;
}
async function count(table: string): Promise<number> {
  const { rows } = await server.db().execute(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]!.n);
}
/** Audit entries of an action, once no batch is still on its way (exports are written in batches a few ms apart). */
async function auditCount(action: string): Promise<number> {
  const read = async () => Number((await server.db().execute({ sql: 'SELECT count(*) AS n FROM audit_log WHERE action = ?', args: [action] })).rows[0]!.n);
  for (let n = await read(); ; ) {
    await new Promise((r) => setTimeout(r, 150));
    const again = await read();
    if (again === n) return n;
    n = again;
  }
}
const escapeHtml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const VALID = { version: '2.0', instance_name: 'prod-eu', debug_mode: 'on', logging_level: 'warning' };

describe('without a session', () => {
  it('redirects every login-only page to the login form, keeping where it was going', async () => {
    for (const path of ['/', '/page/toplevel', '/page/data-processing', '/page/toplevel/history']) {
      const res = await client().get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location'), path).toMatch(/^\/login\?next=%2Fpage%2F/);
    }
  });

  it('sends a save to the login form and writes nothing', async () => {
    const before = await count('config_history');
    const res = await client().post('/page/toplevel', { ...VALID, _revision: '0' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2Fpage%2Ftoplevel');
    expect(await count('config_history')).toBe(before);
  });

  it('sends an export to the login form', async () => {
    const res = await client().post('/page/toplevel/export', { ...VALID, filename: 'x' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/login/);
  });

  it('answers unknown addresses with 404', async () => {
    expect((await client().get('/no/such/thing')).status).toBe(404);
  });

  it('names an unknown page slug in its 404', async () => {
    const c = await loggedIn('vera');
    const res = await c.get('/page/no-such-page');
    expect(res.status).toBe(404);
    expect(textOf(await res.text(), 'error')).toBe('Not found There is no page "no-such-page". Pick one from the sidebar. Back to the start page');
  });
});

describe('login', () => {
  it('refuses a wrong password with 401 and a message', async () => {
    const res = await client().post('/login', { username: 'alice', password: 'wrong-password' });
    expect(res.status).toBe(401);
    expect(textOf(await res.text(), 'login-error')).toBe('Wrong username or password.');
  });

  it('refuses an unknown user with the same message', async () => {
    const res = await client().post('/login', { username: 'nobody', password: 'whatever-pass' });
    expect(res.status).toBe(401);
    expect(textOf(await res.text(), 'login-error')).toBe('Wrong username or password.');
  });

  it('sets an HttpOnly, SameSite=Lax session cookie and follows a local next', async () => {
    const c = client();
    const res = await c.post('/login?next=%2Fpage%2Fdata-processing', { username: 'alice', password: 'alice-password' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/page/data-processing');
    const cookie = res.headers.getSetCookie().find((h) => h.startsWith('switchyard_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(cookie).not.toMatch(/Secure/i); // plain HTTP here
    expect((await c.get('/page/toplevel')).status).toBe(200);
  });

  it('never follows a next that leads off the site', async () => {
    for (const next of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
      const res = await client().post(`/login?next=${encodeURIComponent(next)}`, { username: 'alice', password: 'alice-password' });
      expect(res.headers.get('location'), next).toBe('/');
    }
  });

  it('stores only a hash of the session token', async () => {
    const c = await loggedIn('alice');
    const token = c.cookies.get('switchyard_session')!;
    const { rows } = await server.db().execute({ sql: 'SELECT count(*) AS n FROM sessions WHERE id = ?', args: [token] });
    expect(Number(rows[0]!.n)).toBe(0);
    expect(token).toMatch(/^[a-z2-7]{32}$/);
  });

  it('throttles repeated failures for an account', async () => {
    const c = client();
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await c.post('/login', { username: 'root', password: `bad-${i}-password` })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    const res = await c.post('/login', { username: 'root', password: 'root-password' });
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(textOf(await res.text(), 'login-error')).toMatch(/^Too many failed attempts\. Try again in \d+ seconds?\.$/);
  });

  it('ends the session on logout', async () => {
    const c = await loggedIn('bob');
    const token = c.cookies.get('switchyard_session')!;
    const out = await c.post('/logout', {});
    expect(out.status).toBe(303);
    const stale = new Client(server.url);
    stale.cookies.set('switchyard_session', token);
    expect((await stale.get('/page/toplevel')).status).toBe(303);
  });
});

describe('a page', () => {
  it('shows defaults before the first save, with every parameter as a field', async () => {
    const c = await loggedIn('vera');
    const html = await (await c.get('/page/toplevel')).text();
    expect(html).toContain('<h1 class="text-2xl font-semibold tracking-tight">Global Settings</h1>');
    expect(html).toMatch(/name="version" type="text" value="1.0"/);
    expect(html).toMatch(/name="instance_name" type="text" value(?!=)/);
    expect(html).toMatch(/<option value="info" selected>/);
    expect(html).toMatch(/name="debug_mode" type="checkbox"(?! checked)/);
    // The file name and its button belong to a form of their own, which carries copies of the values for a browser without the page script.
    expect(html).toMatch(/<input id="export-filename" form="export-form" name="filename"/);
    expect(html).toMatch(/<button type="submit" form="export-form"[^>]*>Export to YAML<\/button>/);
    expect(html).toMatch(/<form id="export-form" method="post" action="\/page\/toplevel\/export"[^>]*><input type="hidden" name="version" value="1.0">/);
    expect(html).not.toMatch(/type="hidden" name="debug_mode"/);
    expect(textOf(html, 'last-save')).toMatch(/^Not saved yet/);
  });

  it('serves the first page at /', async () => {
    const c = await loggedIn('vera');
    const res = await c.get('/');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Global Settings</h1>');
  });

  it('lists the page buttons by label, and tells a viewer they may not run them', async () => {
    const c = await loggedIn('vera');
    const html = await (await c.get('/page/data-processing')).text();
    expect(html).toContain('Start Full Processing');
    expect(html).not.toContain('data-testid="run-start_processing"');
    expect(textOf(html, 'run-blocked')).toBe('Your role (viewer) may not run these tasks; operators, editors and admins may.');
  });

  it('says a page without parameters has none, not that it was never saved', async () => {
    const c = await loggedIn('vera');
    const html = await (await c.get('/page/database-backup')).text();
    expect(textOf(html, 'no-parameters')).toBe('This page has no parameters to set, only the tasks below.');
    expect(html).not.toContain('Not saved yet');
    expect(textOf(html, 'last-save')).toBeUndefined();
    expect(html).not.toContain('href="/page/database-backup/history"');
  });

  it('puts every config page in the sidebar', async () => {
    const c = await loggedIn('vera');
    const html = await (await c.get('/page/database-backup')).text();
    expect(html).toContain('My Awesome Project');
    for (const slug of ['toplevel', 'data-processing', 'database-backup']) expect(html).toContain(`href="/page/${slug}"`);
    expect(html).toMatch(/href="\/page\/database-backup" aria-current="page"/);
  });
});

describe('saving', () => {
  it('writes one row per parameter in one save, then shows the new values', async () => {
    const c = await loggedIn('alice');
    const rev = revisionOf(await (await c.get('/page/toplevel')).text());
    const res = await c.post('/page/toplevel', { ...VALID, _revision: rev });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/page\/toplevel\?saved=\d+$/);
    const changeId = Number(location.split('=')[1]);

    const { rows } = await server.db().execute({
      sql: 'SELECT page_slug, parameter_name, value, saved_at, saved_by FROM config_history WHERE change_id = ? ORDER BY id',
      args: [changeId],
    });
    expect(rows.map((r) => [r.page_slug, r.parameter_name, r.value, r.saved_by])).toEqual([
      ['toplevel', 'version', '2.0', 'alice'],
      ['toplevel', 'instance_name', 'prod-eu', 'alice'],
      ['toplevel', 'debug_mode', 'true', 'alice'],
      ['toplevel', 'logging_level', 'warning', 'alice'],
    ]);
    const change = await server.db().execute({ sql: 'SELECT author, page_slug FROM changes WHERE id = ?', args: [changeId] });
    expect(change.rows[0]).toMatchObject({ author: 'alice', page_slug: 'toplevel' });

    const html = await (await c.get(location)).text();
    expect(textOf(html, 'notice-saved')).toContain(`Saved. Version ${changeId} by alice`);
    expect(html).toMatch(/name="version" type="text" value="2.0"/);
    expect(html).toMatch(/name="debug_mode" type="checkbox" checked/);
    expect(html).toMatch(/<option value="warning" selected>/);
    expect(textOf(html, 'last-save')).toMatch(/^Last saved by alice at/);
  });

  it.each([
    ['a required text left empty', { instance_name: '' }, 'instance_name', 'This field is required.'],
    ['a text with a line break', { instance_name: 'a\r\nb' }, 'instance_name', 'Must be a single line.'],
    ['a text over the length limit', { version: 'x'.repeat(10_001) }, 'version', 'At most 10000 characters (this has 10001).'],
    ['a select value not among the options', { logging_level: 'verbose' }, 'logging_level', 'Choose one of: debug, info, warning, error, critical.'],
    ['a boolean that is neither on nor off', { debug_mode: 'maybe' }, 'debug_mode', 'Choose on or off.'],
  ])('refuses %s with 422, keeps what was typed, writes nothing', async (_name, override, field, message) => {
    const c = await loggedIn('alice');
    const rev = revisionOf(await (await c.get('/page/toplevel')).text());
    const before = await count('config_history');
    const form = { ...VALID, instance_name: 'typed-by-hand', ...override, _revision: rev };
    const res = await c.post('/page/toplevel', form);
    expect(res.status).toBe(422);
    const html = await res.text();
    expect(html).toContain(`data-error-for="${field}">${message}</p>`);
    expect(html).toMatch(new RegExp(`id="field-${field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="field-${field}"|id="field-${field}"[\\s\\S]{0,400}aria-invalid="true"`));
    if (field !== 'instance_name') expect(html).toContain('value="typed-by-hand"');
    expect(textOf(html, 'notice-invalid')).toBe('1 field needs attention. Nothing was saved; your input is kept below.');
    expect(await count('config_history')).toBe(before);
  });

  it('refuses an integer that is not a whole number', async () => {
    const config = `toplevel_title: T
pages:
  - slug: tuning
    title: Tuning
    parameters:
      - {name: workers, label: Workers, type: integer, default: 4, min: 1, max: 64}
`;
    const s = await startServer({ config, users: [{ name: 'ed', role: 'editor', password: 'ed-password' }] });
    try {
      const c = new Client(s.url);
      await c.login('ed', 'ed-password');
      for (const [typed, message] of [['4.5', 'Enter a whole number, such as 42.'], ['0', 'Must be at least 1.'], ['65', 'Must be at most 64.']]) {
        const res = await c.post('/page/tuning', { workers: typed!, _revision: '0' });
        expect(res.status).toBe(422);
        const html = await res.text();
        expect(html).toContain(`data-error-for="workers">${message}</p>`);
        expect(html).toContain(`value="${typed}"`);
      }
      expect((await c.post('/page/tuning', { workers: '8', _revision: '0' })).status).toBe(303);
    } finally {
      await s.stop();
    }
  });

  it('refuses with 409 a save based on an older revision, naming who changed what', async () => {
    const a = await loggedIn('alice');
    const b = await loggedIn('bob');
    const page = '/page/data-processing';
    const revA = revisionOf(await (await a.get(page)).text());
    const revB = revisionOf(await (await b.get(page)).text());
    expect(revA).toBe(revB);
    expect((await a.post(page, { inputs_directory: '/mnt/a', _revision: revA })).status).toBe(303);
    const before = await count('config_history');
    const res = await b.post(page, { inputs_directory: '/mnt/b', _revision: revB });
    expect(res.status).toBe(409);
    const html = await res.text();
    const notice = textOf(html, 'notice-conflict')!;
    expect(notice).toContain('Not saved: this page was changed by someone else after you opened it.');
    expect(notice).toMatch(/alice saved version \d+ at/);
    expect(notice).toContain('/mnt/data/inputs → /mnt/a');
    expect(html).toContain('value="/mnt/b"'); // bob's typing is kept
    expect(await count('config_history')).toBe(before);
    // Saving again from the conflict form applies bob's value knowingly.
    expect((await b.post(page, { inputs_directory: '/mnt/b', _revision: revisionOf(html) })).status).toBe(303);
  });

  it('lets exactly one of many simultaneous saves from the same revision through', async () => {
    const c = await loggedIn('alice');
    const page = '/page/data-processing';
    const rev = revisionOf(await (await c.get(page)).text());
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => c.post(page, { inputs_directory: `/mnt/race-${i}`, _revision: rev })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([303, 409, 409, 409, 409, 409, 409, 409]);
  });

  it('says so when nothing changed, and records no version', async () => {
    const c = await loggedIn('alice');
    const html = await (await c.get('/page/data-processing')).text();
    const before = await count('changes');
    const value = html.match(/name="inputs_directory" type="text" value="([^"]*)"/)![1]!;
    const res = await c.post('/page/data-processing', { inputs_directory: value, _revision: revisionOf(html) });
    expect(res.status).toBe(200);
    expect(textOf(await res.text(), 'notice-unchanged')).toBe('Nothing changed, so no new version was recorded.');
    expect(await count('changes')).toBe(before);
  });

  it('does not let a viewer save', async () => {
    const c = await loggedIn('vera');
    const html = await (await c.get('/page/toplevel')).text();
    expect(textOf(html, 'save-blocked')).toBe('Your role (viewer) may not change these values; editors and admins may.');
    const before = await count('config_history');
    const res = await c.post('/page/toplevel', { ...VALID, _revision: revisionOf(html) });
    expect(res.status).toBe(403);
    expect(textOf(await res.text(), 'error')).toBe('Not allowed Your role (viewer) may not change these values; editors and admins may. Back to the start page');
    expect(await count('config_history')).toBe(before);
  });

  it('refuses a form post without a matching Origin (cross-site request)', async () => {
    const c = await loggedIn('alice');
    const before = await count('config_history');
    const foreign = await c.post('/page/toplevel', { ...VALID, _revision: '0' }, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(await foreign.text()).toContain('Cross-site POST requests are refused');
    // Without any Origin, as text/plain, or as a bodiless JSON-API call riding on the cookie: refused too.
    const noOrigin = await fetch(`${c.base}/page/toplevel`, { method: 'POST', redirect: 'manual', body: new URLSearchParams({ ...VALID, _revision: '0' }), headers: { cookie: c.cookieHeader() } });
    expect(noOrigin.status).toBe(403);
    const plain = await fetch(`${c.base}/page/toplevel`, { method: 'POST', body: 'x', headers: { cookie: c.cookieHeader(), origin: 'https://evil.example', 'content-type': 'text/plain' } });
    expect(plain.status).toBe(403);
    const api = await fetch(`${c.base}/api/v1/pages/data-processing/runs/start_processing`, { method: 'POST', headers: { cookie: c.cookieHeader(), origin: 'https://evil.example' } });
    expect(api.status).toBe(403);
    expect(api.headers.get('content-type')).toBe('application/json');
    expect(await count('config_history')).toBe(before);
    expect(Number((await server.db().execute('SELECT count(*) AS n FROM runs')).rows[0]!.n)).toBe(0);
  });

  it('escapes saved values when showing them', async () => {
    const c = await loggedIn('alice');
    const html = await (await c.get('/page/toplevel')).text();
    const hostile = '"><script>alert(1)</script>';
    expect((await c.post('/page/toplevel', { ...VALID, instance_name: hostile, _revision: revisionOf(html) })).status).toBe(303);
    const page = await (await c.get('/page/toplevel')).text();
    // Inside a quoted attribute only the quote and & need escaping; the value cannot break out.
    expect(page).toContain('value="&quot;><script>alert(1)</script>"');
    expect(page).not.toContain('value=""><script>');
    const history = await (await c.get('/page/toplevel/history')).text();
    expect(history).not.toContain('<script>alert(1)');
    expect(history).toContain('&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
  });
});

describe('history', () => {
  it('lists every save newest first with who, when, and old → new values', async () => {
    const c = await loggedIn('alice');
    const slug = 'data-processing';
    for (const dir of ['/srv/h1', '/srv/h2']) {
      const html = await (await c.get(`/page/${slug}`)).text();
      expect((await c.post(`/page/${slug}`, { inputs_directory: dir, _revision: revisionOf(html) })).status).toBe(303);
    }
    const html = await (await c.get(`/page/${slug}/history`)).text();
    const versions = [...html.matchAll(/data-version="(\d+)"/g)].map((m) => Number(m[1]));
    expect(versions.length).toBeGreaterThanOrEqual(2);
    expect(versions).toEqual([...versions].sort((x, y) => y - x));
    const newest = html.slice(html.indexOf(`data-version="${versions[0]}"`), html.indexOf(`data-version="${versions[1]}"`)).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(newest).toContain('alice');
    expect(newest).toContain('Inputs Directory (inputs_directory) : /srv/h1 → /srv/h2');
  });

  it('shows an empty history before the first save', async () => {
    const c = await loggedIn('vera');
    const html = await (await c.get('/page/database-backup/history')).text();
    expect(textOf(html, 'history-empty')).toBe('No saves yet.');
  });
});

describe('export', () => {
  it('returns the form values as typed YAML, as an attachment, and saves nothing', async () => {
    const c = await loggedIn('vera'); // reading is enough to export
    const before = await count('config_history');
    const res = await c.post('/page/toplevel/export', { ...VALID, version: '3.0', filename: 'my-data-processing-settings' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/yaml; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="my-data-processing-settings.yaml"; filename*=UTF-8''my-data-processing-settings.yaml`,
    );
    const text = await res.text();
    expect(text).toMatch(/^# Switchyard values of page "Global Settings" \(toplevel\)\n[\s\S]*# exported by: vera\n/);
    const body = text.slice(text.indexOf('\n\n') + 2); // the values, after the provenance comments
    expect(body).toBe('version: "3.0"\ninstance_name: prod-eu\ndebug_mode: true\nlogging_level: warning\n');
    expect(parse(body)).toEqual({ version: '3.0', instance_name: 'prod-eu', debug_mode: true, logging_level: 'warning' });
    expect(await count('config_history')).toBe(before);
  });

  it('keeps every export in the audit log across a clean stop right after them', async () => {
    const c = await loggedIn('vera');
    const exports = await auditCount('export');
    for (let i = 0; i < 5; i++) expect((await c.post('/page/toplevel/export', { ...VALID, filename: `stop-${i}` })).status).toBe(200);
    await server.restart();
    expect(await auditCount('export')).toBe(exports + 5);
  });

  it('exports an unchecked box as false', async () => {
    const c = await loggedIn('vera');
    const { debug_mode: _unchecked, ...rest } = VALID;
    const res = await c.post('/page/toplevel/export', { ...rest, filename: '' });
    expect(parse(await res.text()).debug_mode).toBe(false);
    expect(res.headers.get('content-disposition')).toContain('filename="toplevel.yaml"');
  });

  it.each([
    ['réglages été', 'reglages ete.yaml', 'r%C3%A9glages%20%C3%A9t%C3%A9.yaml'],
    ['settings.yaml', 'settings.yaml', 'settings.yaml'],
  ])('names the file %j as typed', async (given, ascii, encoded) => {
    const c = await loggedIn('vera');
    const res = await c.post('/page/toplevel/export', { ...VALID, filename: given });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`);
  });

  it.each([
    ['../../x', 'A file name cannot contain “/” or “\\”: your browser decides which folder the file goes to.'],
    ['evil"\r\nSet-Cookie: a=b', 'A file name cannot contain “"”, U+000D, U+000A, “:”.'],
  ])('refuses the file name %j beside its field, keeping it and the values as typed', async (given, error) => {
    const c = await loggedIn('vera');
    const exports = await auditCount('export');
    const res = await c.post('/page/toplevel/export', { ...VALID, version: '4.2', filename: given });
    expect(res.status).toBe(422);
    expect(res.headers.get('content-disposition')).toBeNull();
    expect(res.headers.get('set-cookie') ?? '').not.toContain('a=b');
    const html = await res.text();
    expect(textOf(html, 'notice-invalid')).toBe('1 field needs attention. Nothing was exported; your input is kept below.');
    expect(html).toContain(`data-error-for="filename">${escapeHtml(error)}</p>`);
    expect(html).toMatch(/<input id="export-filename"[^>]* value="([^"]*)"[^>]* aria-invalid="true" aria-describedby="export-filename-error"/);
    expect(/<input id="export-filename"[^>]* value="([^"]*)"/.exec(html)![1]).toBe(escapeHtml(given));
    expect(html).toMatch(/name="version" type="text" value="4.2"/);
    expect(await auditCount('export')).toBe(exports);
  });

  it('re-shows the form with errors instead of exporting invalid values', async () => {
    const c = await loggedIn('vera');
    const res = await c.post('/page/toplevel/export', { ...VALID, logging_level: 'loud', filename: 'x' });
    expect(res.status).toBe(422);
    expect(await res.text()).toContain('data-error-for="logging_level">Choose one of: debug, info, warning, error, critical.</p>');
  });
});

describe('headers', () => {
  it('sends security headers with a CSP on every response', async () => {
    const c = await loggedIn('vera');
    for (const res of [await client().get('/login'), await c.get('/page/toplevel'), await client().get('/nope')]) {
      const csp = res.headers.get('content-security-policy')!;
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
    }
  });

  it('sends them with static files too', async () => {
    const html = await (await client().get('/login')).text();
    const script = html.match(/<script type="module" src="([^"]+)"/)![1]!;
    for (const path of [script, '/theme.js', '/favicon.svg']) {
      const res = await client().get(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'self'");
    }
  });

  it('serves static files from memory with validators, and caches built assets for good', async () => {
    const html = await (await client().get('/login')).text();
    const script = html.match(/<script type="module" src="([^"]+)"/)![1]!;
    const asset = await client().get(script);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const icon = await client().get('/favicon.svg?v=2');
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('public, max-age=0');
    const etag = icon.headers.get('etag')!;
    expect((await client().get('/favicon.svg', { 'if-none-match': etag })).status).toBe(304);
    const head = await fetch(`${server.url}/favicon.svg`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length'), await head.text()]).toEqual([200, icon.headers.get('content-length'), '']);
    // Only files of the build: nothing above it, and no other method.
    expect((await client().get('/../package.json')).status).toBe(404);
    expect((await client().get('/%2e%2e/package.json')).status).toBe(404);
    expect((await client().get('/%E0%A4%A')).status).toBe(400);
    expect((await fetch(`${server.url}/favicon.svg`, { method: 'POST', headers: { origin: server.url } })).status).not.toBe(200);
  });

  it('marks authenticated pages no-store', async () => {
    const c = await loggedIn('vera');
    expect((await c.get('/page/toplevel')).headers.get('cache-control')).toBe('no-store');
  });

  it('ships no inline script, so the CSP needs no exception', async () => {
    const c = await loggedIn('vera');
    const html = (await (await c.get('/page/database-backup')).text()) + (await (await client().get('/login')).text());
    // The browser's words come as a JSON data block, which is never run: every script that runs has a src.
    const tags = (html.match(/<script[^>]*>/g) ?? []).filter((tag) => !/^<script type="application\/json" id="client-words">$/.test(tag));
    expect(tags.length).toBeGreaterThan(0);
    for (const tag of tags) expect(tag).toMatch(/src="\/[^"]+"/);
    expect(html).not.toMatch(/<style/);
    expect(html).not.toMatch(/ style="/);
  });
});
