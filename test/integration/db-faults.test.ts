/**
 * The built server while another process holds the database's write lock:
 * the app keeps serving, a save that cannot get the lock in time is refused
 * clearly (form kept, JSON for JSON clients), and the next saves work.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Client, revisionOf, textOf } from '../helpers/client.ts';
import { holdWriteLock, type WriteLock } from '../helpers/db-lock.ts';
import { runnerToken } from '../helpers/runner.ts';
import { PROTOCOL_HEADER, PROTOCOL_VERSION } from '../../src/protocol/index.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const USERS = [
  { name: 'alice', role: 'editor', password: 'alice-password' },
  { name: 'root', role: 'admin', password: 'root-password' },
] as const;
const BUSY_MS = 2500;
const VALID = { version: '3.1', instance_name: 'typed-while-busy', debug_mode: 'on', logging_level: 'warning' };

let server: TestServer;
let lock: WriteLock | undefined;
beforeAll(async () => {
  server = await startServer({ users: [...USERS], env: { SWITCHYARD_DB_BUSY_MS: String(BUSY_MS) } });
});
afterEach(async () => {
  await lock?.release();
  lock = undefined;
});
afterAll(() => server?.stop());

const dbPath = () => join(server.dataDir, 'switchyard.db');
async function alice(): Promise<Client> {
  const c = new Client(server.url);
  await c.login('alice', 'alice-password');
  return c;
}
async function revision(c: Client): Promise<string> {
  return revisionOf(await (await c.get('/page/toplevel')).text());
}
async function changes(): Promise<number> {
  const { rows } = await server.db().execute("SELECT count(*) AS n FROM changes WHERE page_slug = 'toplevel'");
  return Number(rows[0]!.n);
}
/** Settles with the time order it finished in, so overlap can be checked without timing anything. */
function track<T>(p: Promise<T>, order: string[], name: string): Promise<T> {
  return p.finally(() => order.push(name));
}

describe('a save waiting for another process’s write lock', () => {
  it('leaves the rest of the app serving: pages, static files and reads answer before the save does', async () => {
    const c = await alice();
    const base = await revision(c);
    const before = await changes();
    lock = await holdWriteLock(dbPath());
    const order: string[] = [];
    const save = track(c.post('/page/toplevel', { ...VALID, version: '3.2', _revision: base }), order, 'save');
    // Give the save time to reach the lock; if it has not, this test cannot fail wrongly, only pass.
    await new Promise((r) => setTimeout(r, 500));
    const gets = await Promise.all([
      track(fetch(`${server.url}/favicon.svg`), order, 'static'),
      track(fetch(`${server.url}/login`), order, 'login'),
      track(c.get('/page/toplevel'), order, 'page'),
    ]);
    expect(gets.map((r) => r.status)).toEqual([200, 200, 200]);
    // The save was still waiting when the lock ended (it may finish while release() waits for the holder to exit).
    expect(order).not.toContain('save');
    await lock.release();
    const saved = await save;
    expect(saved.status).toBe(303);
    expect(await changes()).toBe(before + 1);
  });
});

describe('a lock held past the deadline', () => {
  it('refuses the save with 503 and Retry-After, the typed values kept and nothing written, and the next saves all work', async () => {
    const c = await alice();
    const base = await revision(c);
    const before = await changes();
    lock = await holdWriteLock(dbPath());
    const res = await c.post('/page/toplevel', { ...VALID, _revision: base });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    const html = await res.text();
    expect(textOf(html, 'notice-unavailable')).toContain('The database is busy (another process is writing); nothing was saved. Try again in a few seconds.');
    expect(html).toContain('value="typed-while-busy"');
    expect(revisionOf(html)).toBe(base);
    await lock.release();
    expect(await changes()).toBe(before);

    // Recovers at once: every save after the refusal goes through.
    let rev = base;
    for (let i = 0; i < 6; i++) {
      const r = await c.post('/page/toplevel', { ...VALID, version: `4.${i}`, _revision: rev });
      expect(r.status, `save ${i}: ${(await r.clone().text()).slice(0, 300)}`).toBe(303);
      rev = await revision(c);
    }
    expect(await changes()).toBe(before + 6);
    const { rows } = await server.db().execute("SELECT count(*) AS n FROM audit_log WHERE action = 'save'");
    expect(Number(rows[0]!.n)).toBe(before + 6);
  });

  it('answers JSON clients with 503 JSON and Retry-After (the API, the run routes, the runner API), and keeps the login form', async () => {
    const c = await alice();
    const { revision: rev } = (await (await c.get('/api/v1/pages/toplevel', { accept: 'application/json' })).json()) as { revision: number };
    const token = await runnerToken(server, 'busy-runner');
    lock = await holdWriteLock(dbPath());
    const [api, run, runner, login] = await Promise.all([
      fetch(`${server.url}/api/v1/pages/toplevel/values`, {
        method: 'PUT',
        headers: { cookie: c.cookieHeader(), 'content-type': 'application/json' },
        body: JSON.stringify({ revision: rev, values: { version: '9.9' } }),
      }),
      fetch(`${server.url}/page/data-processing/run/start_processing`, {
        method: 'POST',
        headers: { cookie: c.cookieHeader(), 'content-type': 'application/json', accept: 'application/json' },
      }),
      fetch(`${server.url}/api/runner/claim`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, [PROTOCOL_HEADER]: PROTOCOL_VERSION, 'content-type': 'application/json' },
        body: JSON.stringify({ hostname: 'h', version: 'test', wait_ms: 0 }),
      }),
      new Client(server.url).post('/login', { username: 'root', password: 'root-password' }),
    ]);
    for (const r of [api, run, runner]) {
      expect(r.status).toBe(503);
      expect(r.headers.get('content-type')).toContain('application/json');
      expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(((await r.json()) as { error: string }).error).toMatch(/database is busy/);
    }
    expect(login.status).toBe(503);
    const html = await login.text();
    expect(textOf(html, 'login-error')).toMatch(/database is busy/);
    expect(html).toMatch(/name="username"[^>]*value="root"/);
  });
});
