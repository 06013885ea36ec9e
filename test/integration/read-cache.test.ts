/**
 * The reads a server keeps while the database is unchanged (sessions, a
 * page's current values) against two app processes on one database: no page
 * or API answer may show a value older than the last save its user saw, and a
 * logout in one process ends the session in the other at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { apiToken, Client, revisionOf } from '../helpers/client.ts';
import { freePort, ROOT, startServer, stopProcess, testEnv, waitUntilServing, type TestServer } from '../helpers/server.ts';

const USERS = ['ann', 'bob', 'cy', 'dee'].map((name) => ({ name, role: 'editor' as const, password: `${name}-password-1` }));

let first: TestServer;
let second: { url: string; stop: () => Promise<void> };

beforeAll(async () => {
  first = await startServer({ users: USERS });
  const port = await freePort();
  let out = '';
  const child = spawn(process.execPath, [join(ROOT, 'src/cli/start.ts')], { cwd: ROOT, env: testEnv(first.dir, { PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const url = `http://127.0.0.1:${port}`;
  await waitUntilServing(child, url, () => out);
  second = { url, stop: () => stopProcess(child) };
}, 60_000);

afterAll(async () => {
  await second?.stop();
  await first?.stop();
});

/** The form to save: on the first page the instance name carries the value, on the second the inputs directory. */
const PAGES = {
  toplevel: { field: 'instance_name', form: (v: string) => ({ version: '1.0', instance_name: v, logging_level: 'info' }) },
  'data-processing': { field: 'inputs_directory', form: (v: string) => ({ inputs_directory: v }) },
} as const;
type Slug = keyof typeof PAGES;

function shown(html: string, field: string): { revision: number; value: string } {
  const value = html.match(new RegExp(`name="${field}"[^>]*value="([^"]*)"`))?.[1];
  if (value === undefined) throw new Error(`no ${field} field in the page`);
  return { revision: Number(revisionOf(html)), value };
}

describe('reads kept while the database is unchanged, with two app processes on one database', () => {
  it('never show a user a value older than the last save they saw, under concurrent saves on both processes', async () => {
    const people = await Promise.all(
      USERS.map(async (u, i) => {
        const byServer = [new Client(first.url), new Client(second.url)];
        for (const c of byServer) await c.login(u.name, u.password);
        return { name: u.name, byServer, token: await apiToken(i % 2 ? second.url : first.url, u.name, u.password), slugs: (i < 2 ? ['toplevel'] : ['toplevel', 'data-processing']) as Slug[] };
      }),
    );
    const failures: string[] = [];
    let checks = 0;
    await Promise.all(
      people.map(async (p) => {
        // The newest save each page has shown this person, anywhere.
        const seen: Record<string, number> = {};
        for (let i = 0; i < 12; i++) {
          const slug = p.slugs[i % p.slugs.length]!;
          const { field, form } = PAGES[slug];
          const saver = p.byServer[i % 2]!;
          const value = `${p.name}-${i}`;
          const res = await saver.post(`/page/${slug}`, form(value));
          const id = Number(res.headers.get('location')?.match(/saved=(\d+)/)?.[1]);
          if (res.status !== 303 || !id) throw new Error(`${p.name}'s save ${i} was not stored: ${res.status}`);
          seen[slug] = Math.max(seen[slug] ?? 0, id);
          // Read back at once from both processes, the page and the API: the own value, or a newer save.
          for (const [n, c] of p.byServer.entries()) {
            const page = shown(await (await c.get(`/page/${slug}`)).text(), field);
            const api = (await (await fetch(`${c.base}/api/v1/pages/${slug}`, { headers: { authorization: `Bearer ${p.token}` } })).json()) as { revision: number; values: Record<string, string> };
            for (const [what, got] of [['page', page], ['API', { revision: api.revision, value: api.values[field] }]] as const) {
              checks++;
              const where = `${p.name}, save ${i} (${id}) of ${slug}, ${what} of process ${n + 1}`;
              if (got.revision < seen[slug]!) failures.push(`${where}: shows revision ${got.revision}, older than ${seen[slug]}`);
              else if (got.revision === id && got.value !== value) failures.push(`${where}: revision ${id} shows "${got.value}", not "${value}"`);
              seen[slug] = Math.max(seen[slug]!, got.revision);
            }
          }
        }
      }),
    );
    expect(failures).toEqual([]);
    expect(checks).toBe(USERS.length * 12 * 4);
  }, 120_000);

  it('end a session in the other process at once when it is logged out in one', async () => {
    const c = new Client(first.url);
    await c.login('ann', 'ann-password-1');
    const elsewhere = new Client(second.url);
    elsewhere.cookies = new Map(c.cookies);
    // Read twice in the other process first, so that what it keeps is warm.
    for (let i = 0; i < 2; i++) expect((await elsewhere.get('/page/toplevel')).status).toBe(200);
    expect((await c.post('/logout', {})).status).toBe(303);
    const after = await elsewhere.get('/page/toplevel');
    expect(after.status).toBe(303);
    expect(after.headers.get('location')).toMatch(/^\/login/);
  });
});
