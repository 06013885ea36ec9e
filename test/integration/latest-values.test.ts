/**
 * A page's latest values at /page/<slug>/latest.yaml and latest.json, read as
 * scripts read them (a personal token, conditional GETs) and as a browser
 * session does, against the built server and its real database.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiToken, Client, textOf } from '../helpers/client.ts';
import { ROOT, startServer, type TestServer } from '../helpers/server.ts';

const CONFIG = `toplevel_title: "Latest"
pages:
  - slug: "settings"
    title: "Settings"
    parameters:
      - {name: "version", type: "text", default: "1.0"}
      - {name: "answer", type: "text", default: "no"}
      - {name: "debug", type: "boolean", default: false}
      - {name: "workers", type: "integer", default: 4}
      - {name: "level", type: "select", options: ["info", "debug"], default: "info"}
  - slug: "public"
    title: "Public"
    requires_login: false
    parameters:
      - {name: "motd", type: "text", default: "hello"}
  - slug: "secret"
    title: "Secret"
    access: {view: "editor"}
    parameters:
      - {name: "key", type: "text", default: "k"}
`;
const DEFAULTS = { version: '1.0', answer: 'no', debug: false, workers: 4, level: 'info' };

let server: TestServer;
const tokens: Record<string, string> = {};
let session: Client;

const latest = (path: string, headers: Record<string, string> = {}, method = 'GET') => fetch(`${server.url}${path}`, { method, redirect: 'manual', headers });
const withToken = (who: string, headers: Record<string, string> = {}) => ({ authorization: `Bearer ${tokens[who]}`, ...headers });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function save(values: Record<string, unknown>): Promise<number> {
  const auth = { authorization: `Bearer ${tokens.ed}`, 'content-type': 'application/json' };
  const page = (await (await fetch(`${server.url}/api/v1/pages/settings`, { headers: auth })).json()) as { revision: number };
  const res = await fetch(`${server.url}/api/v1/pages/settings/values`, { method: 'PUT', headers: auth, body: JSON.stringify({ revision: page.revision, values }) });
  expect(res.status).toBe(200);
  return ((await res.json()) as { revision: number }).revision;
}

/** Audit entries of reads of the latest values, once no batch is still on its way (they are written a few ms apart). */
async function latestReads(): Promise<number> {
  const read = async () => Number((await server.db().execute(`SELECT count(*) AS n FROM audit_log WHERE action = 'export' AND detail LIKE '%"address":"latest.%'`)).rows[0]!.n);
  for (let n = await read(); ; ) {
    await sleep(150);
    const again = await read();
    if (again === n) return n;
    n = again;
  }
}

beforeAll(async () => {
  server = await startServer({
    config: CONFIG,
    users: [
      { name: 'ed', role: 'editor', password: 'ed-password' },
      { name: 'vera', role: 'viewer', password: 'vera-password' },
    ],
  });
  tokens.ed = await apiToken(server.url, 'ed', 'ed-password');
  tokens.vera = await apiToken(server.url, 'vera', 'vera-password');
  session = new Client(server.url);
  await session.login('vera', 'vera-password');
});
afterAll(() => server?.stop());

describe('who may read the latest values', () => {
  it('a token and a session read the same body, the defaults before any save', async () => {
    const byToken = await latest('/page/settings/latest.json', withToken('vera'));
    expect(byToken.status).toBe(200);
    expect(byToken.headers.get('content-type')).toBe('application/json');
    expect(byToken.headers.get('cache-control')).toBe('private, no-cache');
    const body = await byToken.text();
    expect(JSON.parse(body)).toEqual({ page: 'settings', revision: 0, saved_at: null, saved_by: null, values: DEFAULTS });
    const bySession = await session.get('/page/settings/latest.json');
    expect(bySession.status).toBe(200);
    expect(await bySession.text()).toBe(body);
    expect(bySession.headers.get('etag')).toBe(byToken.headers.get('etag'));

    const yaml = await session.get('/page/settings/latest.yaml');
    expect(yaml.headers.get('content-type')).toBe('text/yaml; charset=utf-8');
    const text = await yaml.text();
    // "no" stays a string for YAML 1.1 readers too, as in the export.
    expect(text).toContain('answer: "no"');
    expect(parse(text)).toEqual(DEFAULTS);
    expect(parse(text, { version: '1.1' })).toEqual(DEFAULTS);
  });

  it('refuses a script without credentials with 401 and WWW-Authenticate, and sends a browser to log in', async () => {
    for (const path of ['/page/settings/latest.json', '/page/settings/latest.yaml']) {
      const res = await latest(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(((await res.json()) as { error: string }).error).toMatch(/Log in to see this page\. Scripts: send Authorization: Bearer <token>/);
    }
    const browser = await latest('/page/settings/latest.yaml', { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(browser.status).toBe(303);
    expect(browser.headers.get('location')).toBe('/login?next=%2Fpage%2Fsettings%2Flatest.yaml');
    const revoked = await latest('/page/settings/latest.json', { authorization: 'Bearer syu_unknown' });
    expect(revoked.status).toBe(401);
    expect(revoked.headers.get('www-authenticate')).toMatch(/^Bearer .*invalid_token/);
    expect(await revoked.json()).toEqual({ error: 'unknown or revoked API token' });
  });

  it("follows the page's view access: 403 for a role below it, 404 for no such page, anyone for a public page", async () => {
    const below = await latest('/page/secret/latest.json', withToken('vera'));
    expect(below.status).toBe(403);
    expect(((await below.json()) as { error: string }).error).toMatch(/Your role \(viewer\) may not see this page/);
    expect((await session.get('/page/secret/latest.yaml')).status).toBe(403);
    expect(JSON.parse(await (await latest('/page/secret/latest.json', withToken('ed'))).text())).toMatchObject({ page: 'secret', values: { key: 'k' } });
    const missing = await latest('/page/nope/latest.json', withToken('ed'));
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: string }).error).toMatch(/no page "nope"/);
    const open = await latest('/page/public/latest.json');
    expect(open.status).toBe(200);
    expect(((await open.json()) as { values: unknown }).values).toEqual({ motd: 'hello' });
  });

  it('the page offers both addresses, with a curl line to copy', async () => {
    const html = await (await session.get('/page/settings')).text();
    expect(html).toContain('href="/page/settings/latest.yaml"');
    expect(html).toContain('href="/page/settings/latest.json"');
    expect(textOf(html, 'for-scripts')).toContain(`curl -H "Authorization: Bearer $TOKEN" ${server.url}/page/settings/latest.yaml`);
  });

  it('takes a token only at these two addresses: the page itself still asks for a login', async () => {
    const page = await latest('/page/settings', withToken('ed'));
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toMatch(/^\/login/);
  });

  it('answers other methods with 405 and Allow', async () => {
    const res = await session.post('/page/settings/latest.json', {}, { accept: 'application/json' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('GET, HEAD');
  });
});

describe('conditional GETs', () => {
  it('change the ETag and Last-Modified with a save; 304 only for the current ones; audit only 200s', async () => {
    // Read once before the save: Last-Modified is also never earlier than the config this server serves.
    await (await latest('/page/settings/latest.json', withToken('ed'))).text();
    const firstRevision = await save({ version: '2.0', debug: true });
    // Last-Modified names whole seconds, so it is sent once the second of the change has passed (see conditional.ts).
    await sleep(2100);
    const before = await latest('/page/settings/latest.json', withToken('ed'));
    const oldEtag = before.headers.get('etag')!;
    const oldModified = before.headers.get('last-modified')!;
    const saved = (await before.json()) as { revision: number; saved_at: string; saved_by: string; values: unknown };
    expect(saved).toMatchObject({ revision: firstRevision, saved_by: 'ed', values: { ...DEFAULTS, version: '2.0', debug: true } });
    expect(oldEtag).toMatch(/^"[\w-]{22}"$/);
    expect(Date.parse(oldModified)).toBe(Math.floor(Date.parse(saved.saved_at) / 1000) * 1000);

    const audited = await latestReads();
    const unchanged = await latest('/page/settings/latest.json', withToken('ed', { 'if-none-match': oldEtag }));
    expect(unchanged.status).toBe(304);
    expect(await unchanged.text()).toBe('');
    expect(unchanged.headers.get('etag')).toBe(oldEtag);
    expect((await latest('/page/settings/latest.json', withToken('ed', { 'if-modified-since': oldModified }))).status).toBe(304);
    expect(await latestReads()).toBe(audited);

    const secondRevision = await save({ workers: 8 });
    const after = await latest('/page/settings/latest.json', withToken('ed', { 'if-none-match': oldEtag }));
    expect(after.status).toBe(200);
    expect(after.headers.get('etag')).not.toBe(oldEtag);
    expect(((await after.json()) as { revision: number }).revision).toBe(secondRevision);
    const newEtag = after.headers.get('etag')!;
    expect((await latest('/page/settings/latest.json', withToken('ed', { 'if-none-match': `"x", ${newEtag}` }))).status).toBe(304);
    // The old date and the old tag: the tag decides, and it is out of date.
    expect((await latest('/page/settings/latest.json', withToken('ed', { 'if-none-match': oldEtag, 'if-modified-since': new Date().toUTCString() }))).status).toBe(200);
    expect(await latestReads()).toBe(audited + 2);

    await sleep(2100);
    const settled = await latest('/page/settings/latest.yaml', withToken('ed', { 'if-modified-since': oldModified }));
    expect(settled.status).toBe(200);
    const newModified = settled.headers.get('last-modified')!;
    expect(Date.parse(newModified)).toBeGreaterThan(Date.parse(oldModified));
    expect(parse(await settled.text())).toEqual({ ...DEFAULTS, version: '2.0', debug: true, workers: 8 });
    expect((await latest('/page/settings/latest.yaml', withToken('ed', { 'if-modified-since': newModified }))).status).toBe(304);
    expect(await latestReads()).toBe(audited + 3);
    const { rows } = await server.db().execute(`SELECT username, detail FROM audit_log WHERE action = 'export' ORDER BY id DESC LIMIT 1`);
    expect(rows[0]!.username).toBe('ed');
    expect(JSON.parse(String(rows[0]!.detail))).toEqual({ page: 'settings', address: 'latest.yaml', revision: secondRevision });
  });

  it('answer HEAD with the headers of a GET and no body, unaudited', async () => {
    const audited = await latestReads();
    const get = await latest('/page/settings/latest.yaml', withToken('vera'));
    await get.text();
    const head = await latest('/page/settings/latest.yaml', withToken('vera'), 'HEAD');
    expect(head.status).toBe(200);
    for (const h of ['etag', 'last-modified', 'content-type', 'cache-control']) expect(head.headers.get(h), h).toBe(get.headers.get(h));
    expect(await head.text()).toBe('');
    const conditional = await latest('/page/settings/latest.yaml', withToken('vera', { 'if-none-match': get.headers.get('etag')! }), 'HEAD');
    expect(conditional.status).toBe(304);
    expect(await latestReads()).toBe(audited + 1);
  });
});

describe('provenance', () => {
  it('heads latest.yaml with the save it holds, the same for every reader; ?provenance=0 leaves it out', async () => {
    const revision = await save({ version: '2.5', answer: 'because' });
    const byToken = await (await latest('/page/settings/latest.yaml', withToken('vera'))).text();
    const savedAt = ((await (await latest('/page/settings/latest.json', withToken('vera'))).json()) as { saved_at: string }).saved_at;
    expect(byToken.split('\n').filter((l) => l.startsWith('#'))).toEqual(['# Switchyard values of page "Settings" (settings)', `# revision: ${revision}`, '# saved by: ed', `# saved at: ${savedAt}`]);
    // No reader and no time of reading: the body stays a function of the save, so conditional GETs keep working.
    expect(await (await session.get('/page/settings/latest.yaml')).text()).toBe(byToken);
    const bare = await latest('/page/settings/latest.yaml?provenance=0', withToken('vera'));
    const bareText = await bare.text();
    expect(bareText).not.toContain('#');
    expect(byToken.endsWith(bareText)).toBe(true);
    expect(parse(bareText)).toEqual(parse(byToken));
    expect((await latest('/page/settings/latest.yaml?provenance=0', withToken('vera', { 'if-none-match': bare.headers.get('etag')! }))).status).toBe(304);
  });
});

/** The README section's sh block, its `\\`-continued lines joined, comments left out. */
function readmeCommands(heading: string): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const rest = readme.slice(readme.indexOf(`\n${heading}\n`) + heading.length + 2);
  const block = /^```sh\n([\s\S]*?)^```$/m.exec(rest);
  expect(block && !/^#{1,6} /m.test(rest.slice(0, block.index)), `"${heading}" has an sh block`).toBe(true);
  return block![1]!.replace(/\\\n/g, '').split('\n').filter((l) => l.trim() && !l.trimStart().startsWith('#'));
}

describe('README: Reading the latest values from a script', () => {
  it('runs its example as written: a 200 writes the file, a 304 leaves it, a save brings the new values', async () => {
    const [setup, readJson, poll, ...more] = readmeCommands('## Reading the latest values from a script');
    expect(setup).toBe('TOKEN=syu_…; PAGE=http://localhost:4321/page/toplevel');
    expect(more).toEqual([]);
    // The example's page is the example config's first page; here it is this test's.
    const local = (command: string) => command.replace('syu_…', tokens.ed!).replace('http://localhost:4321/page/toplevel', `${server.url}/page/settings`).replaceAll('toplevel.', 'settings.');
    const cwd = mkdtempSync(join(tmpdir(), 'switchyard-latest-'));
    // The status after the body, added by a function (a line may end in a comment); no ~/.curlrc or proxy of whoever runs the tests.
    const wrapper = `curl() { command curl -q "$@" --max-time 15 --write-out '\\n%{http_code}'; }`;
    const bash = async (command: string) => {
      const r = await execa('bash', ['-c', [wrapper, local(setup!), command].join('\n')], { cwd, env: { PATH: process.env.PATH!, HOME: cwd }, extendEnv: false, reject: false });
      expect(r.exitCode, r.stderr).toBe(0);
      return { body: r.stdout.slice(0, r.stdout.lastIndexOf('\n')), status: Number(r.stdout.slice(r.stdout.lastIndexOf('\n') + 1)) };
    };
    const file = () => readFileSync(join(cwd, 'settings.yaml'), 'utf8');
    try {
      const json = await bash(local(readJson!));
      expect(json.status).toBe(200);
      const before = JSON.parse(json.body) as { values: Record<string, unknown> };
      expect(before).toMatchObject({ page: 'settings', saved_by: 'ed' });

      expect((await bash(local(poll!))).status).toBe(200);
      expect(parse(file())).toEqual(before.values);
      const written = file();
      expect((await bash(local(poll!))).status).toBe(304);
      expect(file()).toBe(written);

      await save({ version: '3.0' });
      expect((await bash(local(poll!))).status).toBe(200);
      expect(parse(file())).toEqual({ ...before.values, version: '3.0' });
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
