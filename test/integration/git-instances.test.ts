/**
 * Git publication with two app processes serving one port and one database
 * (SWITCHYARD_PROCESSES=2), each running the publication worker: 1,000 saves
 * made through both give 1,000 history entries and exactly 1,000 commits, in
 * save order, none twice; and with the second process killed while it
 * publishes, the first finishes the work.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, revisionOf } from '../helpers/client.ts';
import { git } from '../helpers/publication.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const PAGES = 10;
const SAVES = 1000;

const CONFIG = `toplevel_title: Instances
git:
  directory: values
  local: {path: values-repo, branch: main}
pages:
${Array.from({ length: PAGES }, (_, i) => `  - slug: p${i + 1}\n    title: Page ${i + 1}\n    parameters:\n      - {name: v, type: text, default: "0"}`).join('\n')}
`;

/** The serving process the first one started (the one with --serving-only). */
function servingChild(server: TestServer): number {
  const out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(server.pid())], { encoding: 'utf8' });
  const line = out.split('\n').find((l) => l.includes('--serving-only'));
  if (!line) throw new Error(`no serving process among:\n${out}`);
  return Number(line.trim().split(/\s+/)[0]);
}

/** One person saving one page, again and again, each time on the revision they see. */
async function saveMany(c: Client, slug: string, from: number, count: number): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const revision = revisionOf(await (await c.get(`/page/${slug}`)).text());
    const res = await c.post(`/page/${slug}`, { v: String(i + 1), _revision: revision });
    expect(res.status, `save ${i} of ${slug}`).toBe(303);
  }
}

const committed = async (server: TestServer) => Number((await server.db().execute("SELECT count(*) AS n FROM publications WHERE state = 'committed'")).rows[0]!.n);

async function until(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('Git publication from two app processes on one database', () => {
  let server: TestServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await startServer({ config: CONFIG, users: [{ name: 'ed', role: 'editor', password: 'ed-password' }], env: { SWITCHYARD_PROCESSES: '2' } });
    // One connection per page and person: the kernel spreads connections over both processes.
    for (let i = 0; i < PAGES; i++) {
      const c = new Client(server.url);
      await c.login('ed', 'ed-password');
      clients.push(c);
    }
  }, 60_000);
  afterAll(() => server?.stop());

  it('commits every save once, in save order, while saves arrive through both', { timeout: 300_000 }, async () => {
    // Each page's first entry (its defaults, recorded at start) is not a save to publish.
    const before = Number((await server.db().execute('SELECT coalesce(max(id), 0) AS n FROM changes')).rows[0]!.n);
    const half = SAVES / 2;
    await Promise.all(clients.map((c, i) => saveMany(c, `p${i + 1}`, 0, half / PAGES)));
    // Halfway, the second process dies while it may be publishing; the saves go on.
    process.kill(servingChild(server), 'SIGKILL');
    await Promise.all(clients.map((c, i) => saveMany(c, `p${i + 1}`, half / PAGES, half / PAGES)));

    const { rows } = await server.db().execute({ sql: 'SELECT id FROM changes WHERE id > ? ORDER BY id', args: [before] });
    const saves = rows.map((r) => Number(r.id));
    expect(saves).toHaveLength(SAVES);
    const published = await server.db().execute('SELECT change_id FROM publications ORDER BY change_id');
    expect(published.rows.map((r) => Number(r.change_id))).toEqual(saves);
    await until(async () => (await committed(server)) === SAVES, 240_000, `${SAVES} saves committed (${await committed(server)} so far)`);
    const repo = join(server.dir, 'values-repo');
    const trailers = git(repo, 'log', '--reverse', '--format=%(trailers:key=Switchyard-Save,valueonly)').split('\n').filter(Boolean).map(Number);
    expect(trailers).toEqual(saves);
    expect(await (server.db().execute("SELECT count(*) AS n FROM publications WHERE state <> 'committed'")).then((r) => Number(r.rows[0]!.n))).toBe(0);
  });
});
