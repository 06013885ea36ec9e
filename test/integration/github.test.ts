/**
 * Publication to GitHub through Octokit, against a local server that speaks
 * the part of GitHub's REST contract Switchyard uses, with real Git ids.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Client, revisionOf, textOf } from '../helpers/client.ts';
import { blobId, FakeGitHub } from '../helpers/fake-github.ts';
import { EXAMPLE_CONFIG, startServer, type TestServer } from '../helpers/server.ts';

let gh: FakeGitHub;
let server: TestServer;
let c: Client;

async function boot(opts: { token?: string } = {}) {
  server = await startServer({
    config: `${EXAMPLE_CONFIG}\ngit:\n  github:\n    repository: acme/settings\n    branch: main\n    api_url: ${gh.url}\n`,
    users: [{ name: 'ed', role: 'editor', password: 'ed-password' }],
    env: opts.token === undefined ? { GITHUB_TOKEN: gh.token } : { GITHUB_TOKEN: opts.token },
  });
  c = new Client(server.url);
  await c.login('ed', 'ed-password');
}

beforeEach(async () => {
  gh = new FakeGitHub();
  await gh.start();
});
afterEach(async () => {
  await server?.stop();
  await gh.stop();
});

async function save(dir: string): Promise<number> {
  const rev = revisionOf(await (await c.get('/page/data-processing')).text());
  const res = await c.post('/page/data-processing', { inputs_directory: dir, _revision: rev });
  expect(res.status).toBe(303);
  return Number(res.headers.get('location')!.split('saved=')[1]);
}

type Pub = { state: string; commit_sha: string | null; commit_url: string | null; last_error: string | null; attempts: number; next_attempt_at: number };
async function until(id: number, check: (p: Pub) => boolean, ms = 15_000): Promise<Pub> {
  const deadline = Date.now() + ms;
  for (;;) {
    const { rows } = await server.db().execute({ sql: 'SELECT * FROM publications WHERE change_id = ?', args: [id] });
    const p = rows[0] as unknown as Pub | undefined;
    if (p && check(p)) return p;
    if (Date.now() > deadline) throw new Error(`publication ${id}: ${JSON.stringify(p)}\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('publishing to GitHub', () => {
  it('creates the branch in an empty repository, then commits on top with the expected parent', async () => {
    await boot();
    const first = await until(await save('/gh/one'), (p) => p.state === 'committed');
    expect(gh.refs.get('heads/main')).toBe(first.commit_sha);
    const second = await until(await save('/gh/two'), (p) => p.state === 'committed');
    const commit = gh.commits.get(second.commit_sha!)!;
    expect(commit.parents).toEqual([first.commit_sha]);
    expect(commit.message.split('\n')[0]).toBe('data-processing: inputs_directory /gh/one → /gh/two');
    expect(commit.author).toMatchObject({ name: 'ed', email: 'ed@users.switchyard.invalid' });
    expect(commit.committer).toMatchObject({ name: 'Switchyard' });
    expect(parse(gh.fileAt('main', 'values/data-processing.yaml')!)).toEqual({ inputs_directory: '/gh/two' });
    const history = await (await c.get('/page/data-processing/history')).text();
    expect(history).toContain(`href="https://github.example/acme/settings/commit/${second.commit_sha}"`);
    expect(textOf(history, 'publication')).toBe(`Committed ${second.commit_sha!.slice(0, 10)}`);
  });

  it('builds again on a branch that moved, and refuses to overwrite an edit of the page file', async () => {
    await boot();
    await until(await save('/gh/a'), (p) => p.state === 'committed');
    const theirs = gh.commitFile('README.md', 'hello\n', 'readme');
    const ours = await until(await save('/gh/b'), (p) => p.state === 'committed');
    expect(gh.commits.get(ours.commit_sha!)!.parents).toEqual([theirs]);
    const edit = gh.commitFile('values/data-processing.yaml', 'inputs_directory: /by/hand\n', 'hand edit');
    const conflict = await until(await save('/gh/c'), (p) => p.state !== 'pending');
    expect(conflict.state).toBe('conflict');
    expect(conflict.last_error).toBe(`values/data-processing.yaml was changed in the repository (at ${edit.slice(0, 12)}) since Switchyard last wrote it; not overwriting it`);
    expect(gh.refs.get('heads/main')).toBe(edit);
  });

  it('rebuilds when the ref update is not a fast-forward (422)', async () => {
    await boot();
    await until(await save('/gh/a'), (p) => p.state === 'committed');
    gh.fail({ method: 'PATCH', path: /\/git\/refs\/heads\/main$/, status: 422, message: 'Update is not a fast forward' });
    const p = await until(await save('/gh/b'), (x) => x.state === 'committed');
    expect(p.attempts).toBe(1);
    expect(gh.refs.get('heads/main')).toBe(p.commit_sha);
  });

  it.each([
    [401, {}, 'Bad credentials', 'GitHub refused the token in GITHUB_TOKEN (401 Bad credentials); replace it'],
    [403, {}, 'Resource not accessible by integration', 'the token in GITHUB_TOKEN may not write to acme/settings (403 Resource not accessible by integration); it needs contents: write'],
    [404, {}, 'Not Found', 'GitHub repository acme/settings not found, or the token in GITHUB_TOKEN cannot see it (404)'],
    [409, {}, 'Git Repository is empty.', 'GitHub reported a conflict in acme/settings (409 Git Repository is empty.)'],
    [502, {}, 'Bad Gateway', 'GitHub is having trouble (502 Bad Gateway); will try again'],
  ])('keeps the save and explains a %i, then recovers', async (status, headers, message, reason) => {
    await boot();
    await until(await save('/gh/ok'), (p) => p.state === 'committed');
    gh.fail({ method: 'POST', path: /\/git\/blobs$/, status, headers, message });
    const id = await save('/gh/after');
    const failed = await until(id, (p) => p.attempts > 0);
    expect(failed).toMatchObject({ state: 'pending', last_error: reason });
    await until(id, (p) => p.state === 'committed');
  });

  it('waits out a rate limit instead of hammering the API', async () => {
    await boot();
    await until(await save('/gh/ok'), (p) => p.state === 'committed');
    gh.fail({ method: 'POST', path: /\/git\/blobs$/, status: 429, headers: { 'retry-after': '3' }, message: 'rate limited' });
    const id = await save('/gh/limited');
    const failed = await until(id, (p) => p.attempts > 0);
    expect(failed.last_error).toBe('GitHub rate limit reached (429); waiting 3 s');
    const limitedAt = Date.now();
    const p = await until(id, (x) => x.state === 'committed', 10_000);
    expect(p.state).toBe('committed');
    const early = gh.requests.filter((r) => r.at > limitedAt && r.at < limitedAt + 2500);
    expect(early).toEqual([]);
  });

  it('also reads the primary rate limit headers on a 403', async () => {
    await boot();
    const reset = Math.ceil(Date.now() / 1000) + 120;
    gh.fail({ method: 'GET', path: /\/git\/ref\/heads\/main$/, status: 403, headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(reset) }, message: 'API rate limit exceeded' });
    const failed = await until(await save('/gh/x'), (p) => p.attempts > 0);
    expect(failed.last_error).toMatch(/^GitHub rate limit reached \(403\); waiting 1[12]\d s$/);
    expect(failed.next_attempt_at).toBeGreaterThan(Date.now() + 100_000);
  });

  it('says which variable to set when there is no token', async () => {
    await boot({ token: '' });
    const failed = await until(await save('/gh/x'), (p) => p.attempts > 0);
    expect(failed.last_error).toBe('no GitHub token: set the environment variable GITHUB_TOKEN');
  });

  it('has a fake that computes real Git blob ids', () => {
    expect(blobId('hello\n')).toBe('ce013625030ba8dba906f756967f9e9ca394464a');
  });
});
