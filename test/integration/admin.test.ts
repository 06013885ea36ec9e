/** The admin area and the account page, against the built server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, textOf } from '../helpers/client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

let server: TestServer;
let admin: Client;

beforeAll(async () => {
  server = await startServer({
    users: [
      { name: 'root', role: 'admin', password: 'root-password' },
      { name: 'ed', role: 'editor', password: 'ed-password' },
      { name: 'vera', role: 'viewer', password: 'vera-password' },
    ],
  });
  admin = new Client(server.url);
  await admin.login('root', 'root-password');
});
afterAll(() => server?.stop());

const as = async (name: string, password: string) => {
  const c = new Client(server.url);
  await c.login(name, password);
  return c;
};
const act = async (page: string, form: Record<string, string>) => {
  const res = await admin.post(`/admin/${page}`, form);
  const html = await res.text();
  return { status: res.status, ok: textOf(html, 'flash-ok'), error: textOf(html, 'flash-error'), html };
};
async function lastAudit(action: string) {
  const { rows } = await server.db().execute({ sql: 'SELECT username, detail FROM audit_log WHERE action = ? ORDER BY id DESC LIMIT 1', args: [action] });
  return rows[0] ? { by: String(rows[0].username), detail: JSON.parse(String(rows[0].detail)) } : undefined;
}

describe('the admin area', () => {
  it('is for admins only', async () => {
    const ed = await as('ed', 'ed-password');
    for (const page of ['users', 'sessions', 'runners', 'audit']) {
      expect((await ed.get(`/admin/${page}`)).status, page).toBe(403);
      expect((await new Client(server.url).get(`/admin/${page}`)).status, page).toBe(401);
    }
    const before = await server.db().execute('SELECT count(*) AS n FROM users');
    expect((await ed.post('/admin/users', { action: 'create-user', username: 'mallory', password: 'mallory-password', role: 'admin' })).status).toBe(403);
    expect((await server.db().execute('SELECT count(*) AS n FROM users')).rows[0]!.n).toBe(before.rows[0]!.n);
  });

  it('creates users who can then log in', async () => {
    const r = await act('users', { action: 'create-user', username: 'olga', password: 'olga-password', role: 'operator', display_name: 'Olga Op', email: 'olga@example.org' });
    expect(r.ok).toBe('Created operator "olga".');
    await as('olga', 'olga-password');
    expect(await lastAudit('user_created')).toEqual({ by: 'root', detail: { user: 'olga', role: 'operator' } });
    expect((await act('users', { action: 'create-user', username: 'olga', password: 'olga-password', role: 'operator' })).error).toBe('User "olga" already exists.');
  });

  it('changes a role and ends that person\'s sessions at once', async () => {
    const vera = await as('vera', 'vera-password');
    const r = await act('users', { action: 'set-role', username: 'vera', role: 'editor' });
    expect(r.ok).toBe('"vera" is now editor; their sessions were ended.');
    expect((await vera.get('/page/toplevel')).status).toBe(303);
    expect(await lastAudit('user_role_changed')).toEqual({ by: 'root', detail: { user: 'vera', from: 'viewer', to: 'editor' } });
  });

  it('disables and enables an account', async () => {
    const ed = await as('ed', 'ed-password');
    expect((await act('users', { action: 'disable', username: 'ed' })).ok).toBe('"ed" is disabled and was logged out everywhere.');
    expect((await ed.get('/page/toplevel')).status).toBe(303);
    const attempt = await new Client(server.url).post('/login', { username: 'ed', password: 'ed-password' });
    expect(textOf(await attempt.text(), 'login-error')).toBe('This account is disabled. Ask an administrator.');
    expect((await act('users', { action: 'enable', username: 'ed' })).ok).toBe('"ed" may log in again.');
    await as('ed', 'ed-password');
  });

  it('resets a password: shown once, old one gone, sessions ended', async () => {
    const ed = await as('ed', 'ed-password');
    const r = await act('users', { action: 'reset-password', username: 'ed' });
    const password = r.ok!.match(/\(shown once\): (\S+)$/)![1]!;
    expect((await ed.get('/page/toplevel')).status).toBe(303);
    expect((await new Client(server.url).post('/login', { username: 'ed', password: 'ed-password' })).status).toBe(401);
    await as('ed', password);
    const { rows } = await server.db().execute('SELECT detail FROM audit_log');
    expect(rows.map((x) => String(x.detail)).join()).not.toContain(password);
  });

  it('keeps at least one active admin', async () => {
    expect((await act('users', { action: 'set-role', username: 'root', role: 'editor' })).error).toBe('"root" is the last active admin; make someone else admin first.');
    expect((await act('users', { action: 'disable', username: 'root' })).error).toBe('"root" is the last active admin; it cannot be disabled.');
    const { rows } = await server.db().execute("SELECT role, disabled FROM users WHERE username = 'root'");
    expect(rows[0]).toMatchObject({ role: 'admin', disabled: 0 });
  });

  it('lists sessions and ends one', async () => {
    const olga = await as('olga', 'olga-password');
    const page = await (await admin.get('/admin/sessions')).text();
    const id = page.match(/data-session-user="olga"[\s\S]*?name="session" value="([0-9a-f]{64})"/)![1]!;
    expect((await act('sessions', { action: 'end-session', session: id })).ok).toBe('Ended a session of "olga".');
    expect((await olga.get('/page/toplevel')).status).toBe(303);
  });

  it('creates, rotates and revokes runner tokens', async () => {
    const created = await act('runners', { action: 'create-runner', name: 'build-01' });
    const token = created.ok!.match(/: (syr_\S+)$/)![1]!;
    const claim = (t: string) =>
      fetch(`${server.url}/api/runner/claim`, { method: 'POST', body: JSON.stringify({ hostname: 'h', version: '1', wait_ms: 0 }), headers: { authorization: `Bearer ${t}`, 'switchyard-protocol': '1', 'content-type': 'application/json' } });
    expect((await claim(token)).status).toBe(204);
    expect((await act('runners', { action: 'create-runner', name: 'build-01' })).error).toBe('Runner "build-01" already exists. Revoke it first, or use rotate to give it a new token.');
    const rotated = (await act('runners', { action: 'rotate-runner', name: 'build-01' })).ok!.match(/: (syr_\S+)$/)![1]!;
    expect((await claim(token)).status).toBe(401);
    expect((await claim(rotated)).status).toBe(204);
    expect((await act('runners', { action: 'revoke-runner', name: 'build-01' })).ok).toBe('Runner "build-01" revoked; its token no longer works.');
    expect((await claim(rotated)).status).toBe(401);
    expect(await (await admin.get('/admin/runners')).text()).toMatch(/data-runner="build-01"[\s\S]*?revoked/);
    expect((await lastAudit('runner_revoked'))?.detail).toEqual({ runner: 'build-01' });
  });
});

describe('the audit log', () => {
  it('records failed logins with what was typed, filters, and exports safe CSV and JSON', async () => {
    await new Client(server.url).post('/login', { username: '=HYPERLINK("x")', password: 'nope-nope' });
    const filtered = await (await admin.get('/admin/audit?action=login_failed')).text();
    expect([...filtered.matchAll(/data-audit="([a-z_]+)"/g)].every((m) => m[1] === 'login_failed')).toBe(true);
    const csv = await admin.get('/admin/audit?action=login_failed&format=csv');
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment; filename="switchyard-audit-\d{4}-\d\d-\d\d\.csv"$/);
    const text = await csv.text();
    expect(text.split('\r\n')[0]).toBe('id,at,user,action,ip,detail');
    expect(text).toContain(`,"'=HYPERLINK(""x"")",login_failed,`);
    const json = (await (await admin.get('/admin/audit?user=root&format=json')).json()) as { username: string; action: string }[];
    expect(json.length).toBeGreaterThan(5);
    expect(json.every((e) => e.username === 'root')).toBe(true);
    expect(new Set(json.map((e) => e.action))).toContain('user_created');
  });
});

describe('your account', () => {
  it('changes your password with the current one, ending your other sessions only', async () => {
    const here = await as('olga', 'olga-password');
    const elsewhere = await as('olga', 'olga-password');
    const wrong = await here.post('/account', { current: 'nope', password: 'olga-new-password', repeat: 'olga-new-password' });
    expect(wrong.status).toBe(422);
    expect(textOf(await wrong.text(), 'flash-error')).toBe('Your current password is not right.');
    const differ = await here.post('/account', { current: 'olga-password', password: 'olga-new-password', repeat: 'olga-other' });
    expect(textOf(await differ.text(), 'flash-error')).toBe('The new password and its repetition differ.');
    const ok = await here.post('/account', { current: 'olga-password', password: 'olga-new-password', repeat: 'olga-new-password' });
    expect(textOf(await ok.text(), 'flash-ok')).toBe('Password changed. Your other sessions were ended.');
    expect((await here.get('/page/toplevel')).status).toBe(200);
    expect((await elsewhere.get('/page/toplevel')).status).toBe(303);
    await as('olga', 'olga-new-password');
  });
});
