/** Personal API tokens and the JSON API, as a script would use them. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, Client, textOf } from '../helpers/client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
const tokens: Record<string, string> = {};

const tokenFor = (name: string, password: string) => apiToken(server.url, name, password);
const call = (token: string | undefined, method: string, path: string, body?: unknown) =>
  fetch(`${server.url}/api/v1/${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
/** A call with exactly this body and type: bytes, so that fetch adds no type of its own. */
const send = (token: string, method: string, path: string, type: string | undefined, body?: string) =>
  fetch(`${server.url}/api/v1/${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(type ? { 'content-type': type } : {}) },
    body: body === undefined ? undefined : new TextEncoder().encode(body),
  });

/** An error answer: the status, in JSON, its message matching. */
async function expectError(res: Response, status: number, error: RegExp): Promise<Response> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/json');
  const body = (await res.json()) as { error: string };
  expect(body.error).toMatch(error);
  expect(body.error).not.toContain('NaN');
  return res;
}

beforeAll(async () => {
  server = await startServer({
    users: [
      { name: 'ed', role: 'editor', password: 'ed-password' },
      { name: 'vera', role: 'viewer', password: 'vera-password' },
      { name: 'root', role: 'admin', password: 'root-password' },
      { name: 'olga', role: 'operator', password: 'olga-password' },
      { name: 'vic', role: 'viewer', password: 'vic-password' },
    ],
  });
  tokens.ed = await tokenFor('ed', 'ed-password');
  tokens.vera = await tokenFor('vera', 'vera-password');
});
afterAll(() => server?.stop());

describe('API tokens', () => {
  it('are stored only as a hash', async () => {
    const { rows } = await server.db().execute('SELECT token_hash FROM api_tokens');
    for (const t of Object.values(tokens)) expect(rows.map((r) => r.token_hash)).not.toContain(t);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(String(r.token_hash)))).toBe(true);
  });

  it('refuse a missing or unknown token with JSON', async () => {
    const none = await call(undefined, 'GET', 'pages');
    expect(none.status).toBe(401);
    expect(((await none.json()) as { error: string }).error).toMatch(/^send Authorization: Bearer <token>/);
    const bad = await call('syu_nope', 'GET', 'pages');
    expect(bad.status).toBe(401);
    expect(await bad.json()).toEqual({ error: 'unknown or revoked API token' });
  });
});

describe('the JSON API', () => {
  let revision = 0;

  it('lists pages and reads values with the revision to save against', async () => {
    const pages = (await (await call(tokens.ed, 'GET', 'pages')).json()) as { pages: { slug: string }[] };
    expect(pages.pages.map((p) => p.slug)).toEqual(['toplevel', 'data-processing', 'database-backup', 'field-types']);
    const page = (await (await call(tokens.ed, 'GET', 'pages/toplevel')).json()) as { revision: number; values: Record<string, unknown>; parameters: unknown[] };
    expect(page.values).toEqual({ version: '1.0', instance_name: '', debug_mode: false, logging_level: 'info' });
    expect(page.parameters).toContainEqual({ name: 'logging_level', label: 'Logging Level', type: 'select', required: false, options: ['debug', 'info', 'warning', 'error', 'critical'] });
    revision = page.revision;
  });

  it('saves with the same validation, conflict rule and audit as the form', async () => {
    const res = await call(tokens.ed, 'PUT', 'pages/toplevel/values', { revision, values: { version: '2.0', instance_name: 'api', debug_mode: true } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { revision: number; saved: { author: string; changes: { name: string; before: unknown; after: unknown }[] } };
    expect(body.saved.author).toBe('ed');
    expect(body.saved.changes).toEqual([
      { name: 'version', before: '1.0', after: '2.0' },
      { name: 'instance_name', before: '', after: 'api' },
      { name: 'debug_mode', before: false, after: true },
    ]);
    const { rows } = await server.db().execute("SELECT detail FROM audit_log WHERE action = 'save' ORDER BY id DESC LIMIT 1");
    expect(JSON.parse(String(rows[0]!.detail))).toMatchObject({ page: 'toplevel', via: 'api' });

    const stale = await call(tokens.ed, 'PUT', 'pages/toplevel/values', { revision, values: { version: '3.0' } });
    expect(stale.status).toBe(409);
    const conflict = (await stale.json()) as { revision: number; since: { author: string }[] };
    expect(conflict.revision).toBe(body.revision);
    expect(conflict.since.map((s) => s.author)).toEqual(['ed']);
    revision = body.revision;
  });

  it('names every invalid value and saves nothing', async () => {
    const before = await server.db().execute('SELECT count(*) AS n FROM changes');
    const res = await call(tokens.ed, 'PUT', 'pages/toplevel/values', { revision, values: { version: 3, debug_mode: 'yes', logging_level: 'loud', colour: 'red' } });
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({
      error: 'invalid values; nothing was saved',
      errors: {
        version: 'expected text, got 3 (put it in quotes)',
        debug_mode: 'expected true or false, got "yes"',
        logging_level: 'Choose one of: debug, info, warning, error, critical (got "loud")',
        colour: 'not a parameter of this page',
      },
    });
    const missing = await call(tokens.ed, 'PUT', 'pages/toplevel/values', { values: { version: '4.0' } });
    expect(missing.status).toBe(422);
    expect(((await missing.json()) as { error: string }).error).toMatch(/^"revision" is required/);
    expect((await server.db().execute('SELECT count(*) AS n FROM changes')).rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('takes only JSON to save: anything else is refused with 415 and saves nothing', async () => {
    const before = await server.db().execute('SELECT count(*) AS n FROM changes');
    const body = JSON.stringify({ revision, values: { version: '5.0' } });
    const takes = /^PUT \/api\/v1\/pages\/toplevel\/values takes a JSON object \(Content-Type: application\/json\), not /;
    // Text that parses as JSON, a form, JSON without its type, and no body at all.
    await expectError(await send(tokens.ed!, 'PUT', 'pages/toplevel/values', 'text/plain', body), 415, new RegExp(`${takes.source}"text/plain"\\.$`));
    await expectError(await send(tokens.ed!, 'PUT', 'pages/toplevel/values', 'application/x-www-form-urlencoded', 'revision=1&version=5.0'), 415, /not "application\/x-www-form-urlencoded"\.$/);
    await expectError(await send(tokens.ed!, 'PUT', 'pages/toplevel/values', undefined, body), 415, /not a body without a Content-Type\.$/);
    await expectError(await send(tokens.ed!, 'POST', 'pages/toplevel/values', undefined), 415, /^POST .* not no body\.$/);
    expect((await server.db().execute('SELECT count(*) AS n FROM changes')).rows[0]!.n).toBe(before.rows[0]!.n);
    // JSON with a charset is JSON; JSON that is not an object stays a 400.
    expect((await send(tokens.ed!, 'PUT', 'pages/toplevel/values', 'application/json; charset=utf-8', JSON.stringify({ revision, values: {} }))).status).toBe(200);
    await expectError(await send(tokens.ed!, 'PUT', 'pages/toplevel/values', 'application/json', '[1]'), 400, /^body must be a JSON object$/);
  });

  it('reads the history', async () => {
    const h = (await (await call(tokens.vera, 'GET', 'pages/toplevel/history')).json()) as { entries: { id: number; values: Record<string, unknown> }[] };
    expect(h.entries[0]).toMatchObject({ id: revision, values: { version: '2.0', instance_name: 'api' } });
  });

  it('holds a token to its owner\'s rights', async () => {
    expect((await call(tokens.vera, 'PUT', 'pages/toplevel/values', { revision, values: { version: '9' } })).status).toBe(403);
    const run = await call(tokens.vera, 'POST', 'pages/data-processing/runs/start_processing');
    expect(run.status).toBe(403);
    expect(await run.json()).toEqual({ error: 'Your role (viewer) may not run these tasks; operators, editors and admins may.' });
  });

  it('starts a run and reads it back', async () => {
    const res = await call(tokens.ed, 'POST', 'pages/data-processing/runs/start_processing');
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: number };
    const run = (await (await call(tokens.ed, 'GET', `runs/${id}`)).json()) as { state: string; params: unknown };
    expect(run).toMatchObject({ state: 'queued', params: { inputs_directory: '/mnt/data/inputs' } });
  });

  it('stops accepting a revoked token, and the token of a disabled user', async () => {
    const c = new Client(server.url);
    await c.login('ed', 'ed-password');
    const html = await (await c.get('/account')).text();
    const id = html.match(/name="action" value="revoke-token"[^>]*><input type="hidden" name="id" value="(\d+)"/)![1]!;
    expect(textOf((await c.submit('/account', { action: 'revoke-token', id })).html, 'flash-ok')).toBe('Token "test script" revoked.');
    expect((await call(tokens.ed, 'GET', 'pages')).status).toBe(401);
    const admin = new Client(server.url);
    await admin.login('root', 'root-password');
    await admin.post('/admin/users', { action: 'disable', username: 'vera' });
    expect((await call(tokens.vera, 'GET', 'pages')).status).toBe(401);
  });
});

describe('runs through the API', () => {
  beforeAll(async () => {
    tokens.olga = await tokenFor('olga', 'olga-password');
    tokens.vic = await tokenFor('vic', 'vic-password');
  });

  it('lists, reads, cancels, re-runs, downloads the log and follows the events of runs', async () => {
    const started = await call(tokens.olga, 'POST', 'pages/data-processing/runs/start_processing');
    expect(started.status).toBe(201);
    const { id } = (await started.json()) as { id: number };

    const list = (await (await call(tokens.olga, 'GET', 'runs?page=data-processing&state=queued')).json()) as { runs: { id: number; state: string }[]; more: boolean };
    expect(list.runs.map((r) => r.id)).toContain(id);
    expect(list.runs.every((r) => r.state === 'queued')).toBe(true);

    const cancelled = await call(tokens.olga, 'POST', `runs/${id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(await cancelled.json()).toMatchObject({ id, state: 'cancelled' });
    expect((await call(tokens.olga, 'POST', `runs/${id}/cancel`)).status).toBe(409);

    const events = await fetch(`${server.url}/api/v1/runs/${id}/events`, { headers: { authorization: `Bearer ${tokens.olga}` }, signal: AbortSignal.timeout(8000) });
    expect(events.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect((await events.text()).trimEnd().endsWith('event: end\ndata: {}')).toBe(true);

    const log = await call(tokens.olga, 'GET', `runs/${id}/log`);
    expect(log.status).toBe(200);
    expect(log.headers.get('content-type')).toBe('text/plain; charset=utf-8');

    const again = await call(tokens.olga, 'POST', `runs/${id}/rerun`);
    expect(again.status).toBe(201);
    expect(await again.json()).toMatchObject({ run: { state: 'queued', rerun_of: id } });
  });

  it('start, cancel and re-run without a body, with any type or none, or with JSON; another body gets 415', async () => {
    const start = (type?: string, body?: string) => send(tokens.olga!, 'POST', 'pages/data-processing/runs/start_processing', type, body);
    for (const res of [await start(), await start('text/plain'), await start('application/x-www-form-urlencoded', ''), await start('application/json', '{}')]) expect(res.status).toBe(201);
    const { id } = (await (await start()).json()) as { id: number };
    for (const path of ['pages/data-processing/runs/start_processing', `runs/${id}/cancel`, `runs/${id}/rerun`]) {
      const takes = new RegExp(`^POST /api/v1/${path} takes no body, or JSON \\(application/json\\), not `);
      await expectError(await send(tokens.olga!, 'POST', path, 'text/plain', 'go'), 415, new RegExp(`${takes.source}"text/plain"\\.$`));
      await expectError(await send(tokens.olga!, 'POST', path, 'application/x-www-form-urlencoded', 'go=1'), 415, /not "application\/x-www-form-urlencoded"\.$/);
      await expectError(await send(tokens.olga!, 'POST', path, undefined, 'go'), 415, /not a body without a Content-Type\.$/);
    }
    // Refused before anything was done: the run is still queued, and was not re-run.
    expect(await (await call(tokens.olga, 'GET', `runs/${id}`)).json()).toMatchObject({ state: 'queued' });
    expect((await send(tokens.olga!, 'POST', `runs/${id}/cancel`, undefined)).status).toBe(200);
    expect((await send(tokens.olga!, 'POST', `runs/${id}/rerun`, 'application/json', '{}')).status).toBe(201);
  });

  it('answers every mistake with JSON and the right status', async () => {
    await expectError(await call(tokens.olga, 'GET', 'runs/abc'), 404, /^There is no run "abc"\.$/);
    await expectError(await call(tokens.olga, 'GET', 'runs/999999'), 404, /^There is no run 999999\.$/);
    const wrong = await expectError(await call(tokens.olga, 'DELETE', 'runs/1'), 405, /^\/api\/v1\/runs\/1 takes GET, not DELETE$/);
    expect(wrong.headers.get('allow')).toBe('GET');
    await expectError(await call(tokens.olga, 'GET', 'nothing/here'), 404, /^no API call GET \/api\/v1\/nothing\/here$/);
    await expectError(await call(tokens.vic, 'POST', 'runs/1/cancel'), 403, /may not run/);
    // A script that sends no body and no content type still gets JSON.
    const bare = await fetch(`${server.url}/api/v1/runs/1/cancel`, { method: 'POST', headers: { authorization: `Bearer ${tokens.olga}` } });
    expect(bare.headers.get('content-type')).toBe('application/json');
  });
});

describe('API tokens and passwords', () => {
  it('keep working when their owner changes the password, and end when an admin resets it', async () => {
    const token = await tokenFor('olga', 'olga-password');
    const olga = new Client(server.url);
    await olga.login('olga', 'olga-password');
    const changed = await olga.post('/account', { action: 'change-password', current: 'olga-password', password: 'olga-new-password', repeat: 'olga-new-password' });
    expect([200, 303]).toContain(changed.status);
    expect((await call(token, 'GET', 'pages')).status).toBe(200);

    const root = new Client(server.url);
    await root.login('root', 'root-password');
    const reset = await root.submit('/admin/users', { action: 'reset-password', username: 'olga' });
    expect(textOf(reset.html, 'flash-ok')).toMatch(/^"olga" has a new password; their sessions were ended\. Their \d+ API tokens? (was|were) revoked\.$/);
    expect((await call(token, 'GET', 'pages')).status).toBe(401);
  });
});
