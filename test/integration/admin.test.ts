/** The admin area and the account page, against the built server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, secretOf, textOf } from '../helpers/client.ts';
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
/** An admin action as the browser makes it: a POST, then the page it redirects to. */
const act = async (page: string, form: Record<string, string>) => {
  const { status, location, html } = await admin.submit(`/admin/${page}`, form);
  return { status, location, ok: textOf(html, 'flash-ok'), error: textOf(html, 'flash-error'), secret: secretOf(html), html };
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
    expect(r.ok).toBe('"ed" has a new password; their sessions were ended.');
    const password = r.secret!;
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
    const token = created.secret!;
    expect(token).toMatch(/^syr_/);
    const claim = (t: string) =>
      fetch(`${server.url}/api/runner/claim`, { method: 'POST', body: JSON.stringify({ hostname: 'h', version: '1', wait_ms: 0 }), headers: { authorization: `Bearer ${t}`, 'switchyard-protocol': '1', 'content-type': 'application/json' } });
    expect((await claim(token)).status).toBe(204);
    expect((await act('runners', { action: 'create-runner', name: 'build-01' })).error).toBe('Runner "build-01" already exists. Revoke it first, or use rotate to give it a new token.');
    const rotated = (await act('runners', { action: 'rotate-runner', name: 'build-01' })).secret!;
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
  it('says who you are once, in words', async () => {
    const olga = await as('olga', 'olga-password');
    expect(textOf(await (await olga.get('/account')).text(), 'who')).toBe('Logged in as olga (Olga Op), role operator, Git author email olga@example.org.');
  });

  it('changes your password with the current one, ending your other sessions only', async () => {
    const here = await as('olga', 'olga-password');
    const elsewhere = await as('olga', 'olga-password');
    const wrong = await here.post('/account', { current: 'nope', password: 'olga-new-password', repeat: 'olga-new-password' });
    expect(wrong.status).toBe(422);
    expect(textOf(await wrong.text(), 'flash-error')).toBe('Your current password is not right.');
    const differ = await here.post('/account', { current: 'olga-password', password: 'olga-new-password', repeat: 'olga-other' });
    expect(textOf(await differ.text(), 'flash-error')).toBe('The new password and its repetition differ.');
    const ok = await here.submit('/account', { current: 'olga-password', password: 'olga-new-password', repeat: 'olga-new-password' });
    expect(ok.status).toBe(303);
    expect(textOf(ok.html, 'flash-ok')).toBe('Password changed. Your other sessions were ended.');
    expect((await here.get('/page/toplevel')).status).toBe(200);
    expect((await elsewhere.get('/page/toplevel')).status).toBe(303);
    await as('olga', 'olga-new-password');
  });
});

describe('post/redirect/get', () => {
  const ACTIONS: [string, Record<string, string>][] = [
    ['users', { action: 'create-user', username: 'prg', password: 'prg-password', role: 'viewer' }],
    ['users', { action: 'set-role', username: 'prg', role: 'editor' }],
    ['users', { action: 'disable', username: 'prg' }],
    ['users', { action: 'enable', username: 'prg' }],
    ['users', { action: 'reset-password', username: 'prg' }],
    ['runners', { action: 'create-runner', name: 'prg-runner' }],
    ['runners', { action: 'rotate-runner', name: 'prg-runner' }],
    ['runners', { action: 'revoke-runner', name: 'prg-runner' }],
  ];

  it('answers every admin action with a redirect whose page shows the outcome once', async () => {
    for (const [page, form] of ACTIONS) {
      const r = await act(page, form);
      expect(r.status, form.action).toBe(303);
      expect(r.location, form.action).toMatch(new RegExp(`^/admin/${page}\\?done=[\\w-]+\\.[\\w-]+$`));
      expect(r.ok, form.action).toBeTruthy();
      const again = await (await admin.get(r.location!)).text();
      expect(textOf(again, 'flash-ok'), `${form.action} reloaded`).toBeUndefined();
      expect(secretOf(again)).toBeUndefined();
    }
    const { rows } = await server.db().execute("SELECT count(*) AS n FROM audit_log WHERE action = 'user_created' AND detail LIKE '%\"prg\"%'");
    expect(rows[0]!.n).toBe(1);
  });

  it('answers account actions and ending a session with a redirect too', async () => {
    const olga = await as('olga', 'olga-new-password');
    const token = await olga.submit('/account', { action: 'create-token', name: 'prg' });
    expect([token.status, secretOf(token.html)?.slice(0, 4)]).toEqual([303, 'syu_']);
    expect(token.html).toContain('Shown once.');
    const page = await (await admin.get('/admin/sessions')).text();
    const id = page.match(/data-session-user="olga"[\s\S]*?name="session" value="([0-9a-f]{64})"/)![1]!;
    const ended = await act('sessions', { action: 'end-session', session: id });
    expect([ended.status, ended.ok]).toEqual([303, 'Ended a session of "olga".']);
  });

  it('keeps a one-time secret for the session that made it only, sealed in the database', async () => {
    const res = await admin.post('/admin/users', { action: 'reset-password', username: 'prg' });
    const location = res.headers.get('location')!;
    const { rows } = await server.db().execute('SELECT sealed FROM outcomes');
    expect(rows).toHaveLength(1);
    const sealed = Buffer.from(rows[0]!.sealed as ArrayBuffer);
    const otherAdmin = await as('root', 'root-password');
    expect(secretOf(await (await otherAdmin.get(location)).text())).toBeUndefined();
    const forged = location.replace(/\.[\w-]+$/, `.${'A'.repeat(43)}`);
    expect(secretOf(await (await admin.get(forged)).text())).toBeUndefined();
    const password = secretOf(await (await admin.get(location)).text())!;
    expect(password).toMatch(/^[\w-]{16}$/);
    expect(sealed.includes(Buffer.from(password))).toBe(false);
    expect((await server.db().execute('SELECT count(*) AS n FROM outcomes')).rows[0]!.n).toBe(0);
    await as('prg', password);
  });
});
