/**
 * Every route, every role, on a page with the default rights and on a page
 * that narrows them: allowed where the rules say, refused otherwise, and a
 * refusal writes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../helpers/client.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const CONFIG = `toplevel_title: Access
pages:
  - slug: open
    title: Open
    parameters: [{name: note, label: Note, type: text, default: x}]
    buttons: [{name: go, label: Go, script_path: scripts/go.sh, status_file: app_data/status/open.json, report_path: app_data/reports/open.log}]
  - slug: guarded
    title: Guarded
    access: {view: operator, edit: admin, run: admin}
    parameters: [{name: note, label: Note, type: text, default: y}]
    buttons: [{name: go, label: Go, script_path: scripts/go.sh, status_file: app_data/status/guarded.json, report_path: app_data/reports/guarded.log}]
`;
const ROLES = ['viewer', 'operator', 'editor', 'admin'] as const;
type Who = (typeof ROLES)[number] | 'anonymous';
const RANK: Record<Who, number> = { anonymous: -1, viewer: 0, operator: 1, editor: 2, admin: 3 };
const LEAST = {
  open: { view: 'viewer', edit: 'editor', run: 'operator' },
  guarded: { view: 'operator', edit: 'admin', run: 'admin' },
} as const;
const allowed = (who: Who, page: 'open' | 'guarded', action: 'view' | 'edit' | 'run') =>
  who !== 'anonymous' && RANK[who] >= RANK[LEAST[page][action]] && RANK[who] >= RANK[LEAST[page].view];

let server: TestServer;
const clients = {} as Record<Who, Client>;
let counter = 0;

beforeAll(async () => {
  server = await startServer({ config: CONFIG, users: ROLES.map((r) => ({ name: r, role: r, password: `${r}-password` })) });
  clients.anonymous = new Client(server.url);
  for (const r of ROLES) {
    clients[r] = new Client(server.url);
    await clients[r].login(r, `${r}-password`);
  }
  // One saved version per page, to restore.
  for (const page of ['open', 'guarded']) await clients.admin.post(`/page/${page}`, { note: 'first' });
});
afterAll(() => server?.stop());

const json = { accept: 'application/json', 'content-type': 'application/json' };
async function queuedRun(page: string): Promise<number> {
  const res = await fetch(`${server.url}/page/${page}/run/go`, { method: 'POST', headers: { ...json, cookie: clients.admin.cookieHeader() } });
  return ((await res.json()) as { id: number }).id;
}
async function latestChange(page: string): Promise<number> {
  const { rows } = await server.db().execute({ sql: 'SELECT max(id) AS id FROM changes WHERE page_slug = ?', args: [page] });
  return Number(rows[0]!.id);
}
async function writes(): Promise<string> {
  const { rows } = await server.db().execute(
    "SELECT (SELECT count(*) FROM changes) || '/' || (SELECT count(*) FROM runs) || '/' || (SELECT count(*) FROM runs WHERE cancel_requested_at IS NOT NULL OR state = 'cancelled') AS w",
  );
  return String(rows[0]!.w);
}

type Route = { name: string; action: 'view' | 'edit' | 'run'; writes: boolean; ok: number[]; call: (c: Client, page: string) => Promise<Response> };
const ROUTES: Route[] = [
  { name: 'GET page', action: 'view', writes: false, ok: [200], call: (c, p) => c.get(`/page/${p}`) },
  { name: 'POST save', action: 'edit', writes: true, ok: [303], call: (c, p) => c.post(`/page/${p}`, { note: `v${++counter}` }) },
  { name: 'POST export', action: 'view', writes: false, ok: [200], call: (c, p) => c.post(`/page/${p}/export`, { note: 'e', filename: 'f' }) },
  {
    name: 'POST import',
    action: 'edit',
    writes: false,
    ok: [200],
    call: (c, p) => {
      const form = new FormData();
      form.set('file', new File(['note: imported\n'], 'v.yaml'));
      return fetch(`${server.url}/page/${p}/import`, { method: 'POST', body: form, redirect: 'manual', headers: { cookie: c.cookieHeader(), origin: server.url } });
    },
  },
  { name: 'GET history', action: 'view', writes: false, ok: [200], call: (c, p) => c.get(`/page/${p}/history`) },
  {
    name: 'POST restore',
    action: 'edit',
    writes: true,
    ok: [303, 200],
    call: async (c, p) => {
      const { rows } = await server.db().execute({ sql: 'SELECT min(id) AS id FROM changes WHERE page_slug = ?', args: [p] });
      return c.post(`/page/${p}/restore`, { version: String(rows[0]!.id), _revision: String(await latestChange(p)) });
    },
  },
  // Allowed people get 409 here: no save of these pages is in a Git conflict.
  { name: 'POST publish anyway', action: 'edit', writes: true, ok: [409], call: async (c, p) => c.post(`/page/${p}/publish-anyway`, { change: String(await latestChange(p)) }) },
  { name: 'POST run', action: 'run', writes: true, ok: [201], call: (c, p) => fetch(`${server.url}/page/${p}/run/go`, { method: 'POST', redirect: 'manual', headers: { ...json, cookie: c.cookieHeader() } }) },
  {
    name: 'POST cancel',
    action: 'run',
    writes: true,
    ok: [200],
    call: async (c, p) => {
      const id = await queuedRun(p);
      const before = await writes();
      const res = await fetch(`${server.url}/runs/${id}/cancel`, { method: 'POST', redirect: 'manual', headers: { ...json, cookie: c.cookieHeader() } });
      (res as Response & { before?: string }).before = before;
      return res;
    },
  },
  { name: 'GET run (JSON)', action: 'view', writes: false, ok: [200], call: async (c, p) => c.get(`/runs/${await queuedRun(p)}`, { accept: 'application/json' }) },
  { name: 'GET run page', action: 'view', writes: false, ok: [200], call: async (c, p) => c.get(`/runs/${await queuedRun(p)}`) },
  { name: 'GET log download', action: 'view', writes: false, ok: [200], call: async (c, p) => c.get(`/runs/${await queuedRun(p)}/log`) },
  { name: 'GET report', action: 'view', writes: false, ok: [404], call: async (c, p) => c.get(`/runs/${await queuedRun(p)}/report`) },
];

describe.each(['open', 'guarded'] as const)('page "%s"', (page) => {
  for (const route of ROUTES) {
    it.each(['anonymous', ...ROLES] as Who[])(`${route.name}: %s`, async (who) => {
      const before = await writes();
      const res = await route.call(clients[who], page);
      const baseline = (res as Response & { before?: string }).before ?? before;
      if (allowed(who, page, route.action)) {
        expect(route.ok, `${who} ${route.name} ${page}: ${res.status}`).toContain(res.status);
      } else {
        const anonymous = who === 'anonymous';
        const expected = anonymous ? [303, 401] : [403];
        expect(expected, `${who} ${route.name} ${page}: ${res.status}`).toContain(res.status);
        if (anonymous && res.status === 303) expect(res.headers.get('location')).toMatch(/^\/login\?next=/);
        if (route.writes) expect(await writes()).toBe(baseline);
      }
    });
  }
});

describe('what people are shown', () => {
  it('hides pages a person may not see from the sidebar and the runs list', async () => {
    const html = await (await clients.viewer.get('/page/open')).text();
    expect(html).not.toContain('href="/page/guarded"');
    expect(await (await clients.operator.get('/page/open')).text()).toContain('href="/page/guarded"');
    const runs = await (await clients.viewer.get('/runs')).text();
    const { rows } = await server.db().execute("SELECT id FROM runs WHERE page_slug = 'guarded'");
    for (const r of rows) expect(runs).not.toContain(`data-run="${r.id}"`);
  });

  it('explains a narrowed page in words', async () => {
    const res = await clients.editor.get('/page/guarded');
    const html = await res.text();
    expect(html).toContain('Your role (editor) may not change these values; admins may.');
    expect(html).toContain('Your role (editor) may not run these tasks; admins may.');
    expect(await (await clients.viewer.get('/page/guarded')).text()).toContain('Your role (viewer) may not see this page; operators, editors and admins may.');
  });
});

describe('administration', () => {
  const ADMIN_ROUTES: { name: string; writes: boolean; call: (c: Client) => Promise<Response> }[] = [
    { name: 'GET users', writes: false, call: (c) => c.get('/admin/users') },
    { name: 'POST create user', writes: true, call: (c) => c.post('/admin/users', { action: 'create-user', username: `u${++counter}`, password: 'some-password', role: 'admin' }) },
    { name: 'GET sessions', writes: false, call: (c) => c.get('/admin/sessions') },
    { name: 'GET runners', writes: false, call: (c) => c.get('/admin/runners') },
    { name: 'POST create runner', writes: true, call: (c) => c.post('/admin/runners', { action: 'create-runner', name: `r${++counter}` }) },
    { name: 'GET audit log', writes: false, call: (c) => c.get('/admin/audit') },
    { name: 'GET audit CSV', writes: false, call: (c) => c.get('/admin/audit?format=csv') },
  ];
  const accounts = async () => String((await server.db().execute("SELECT (SELECT count(*) FROM users) || '/' || (SELECT count(*) FROM runners) AS n")).rows[0]!.n);
  for (const route of ADMIN_ROUTES) {
    it.each(['anonymous', ...ROLES] as Who[])(`${route.name}: %s`, async (who) => {
      const before = await accounts();
      const res = await route.call(clients[who]);
      if (who === 'admin') expect(res.status).toBe(route.writes ? 303 : 200);
      else {
        expect(res.status).toBe(who === 'anonymous' ? 401 : 403);
        if (route.writes) expect(await accounts()).toBe(before);
      }
    });
  }
});
