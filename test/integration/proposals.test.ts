/**
 * Saves proposed instead of committed, through the built server: a local
 * remote whose hook refuses pushes to main (merged by hand, or its side
 * branch deleted), and GitHub with branch protection or git.mode:
 * pull_request (pull requests opened, updated, merged, closed).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Client, textOf } from '../helpers/client.ts';
import { FakeGitHub } from '../helpers/fake-github.ts';
import { git, IDENT, localConfig, publication, save, until, withBareRemote } from '../helpers/publication.ts';
import { EXAMPLE_CONFIG, startServer, type TestServer } from '../helpers/server.ts';

const USERS = [{ name: 'ed', role: 'editor' as const, password: 'ed-password' }];
const PAGE = 'data-processing';
const FILE = `values/${PAGE}.yaml`;
/** Open proposals are looked at this often here (30 s by default). */
const CHECK_ENV = { SWITCHYARD_PROPOSAL_CHECK_MS: '200' };

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function serve(config: string, env: Record<string, string> = {}): Promise<{ server: TestServer; c: Client }> {
  const server = await startServer({ config, users: USERS, env: { ...CHECK_ENV, ...env } });
  cleanup.push(() => server.stop());
  const c = new Client(server.url);
  await c.login('ed', 'ed-password');
  return { server, c };
}

async function historyState(c: Client): Promise<string | undefined> {
  return textOf(await (await c.get(`/page/${PAGE}/history`)).text(), 'publication');
}

async function publishedBlob(server: TestServer): Promise<string | undefined> {
  const { rows } = await server.db().execute({ sql: 'SELECT blob_sha FROM published_files WHERE path = ?', args: [FILE] });
  return rows[0] ? String(rows[0].blob_sha) : undefined;
}

describe('a local remote that refuses pushes to main', () => {
  /** The server's working copy clones a bare remote with one commit on main and a hook refusing main unless ALLOW_MAIN is set; a person's clone too. */
  async function protectedLocal(): Promise<{ server: TestServer; c: Client; remote: string; person: string }> {
    const { server, c } = await serve(localConfig('path: work\nbranch: main\nremote: origin'));
    const { remote, work } = withBareRemote(server.dir);
    git(work, 'commit', '--quiet', '--allow-empty', '-m', 'start');
    git(work, 'push', '--quiet', 'origin', 'main');
    const hook = join(remote, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\n[ -n "$ALLOW_MAIN" ] && exit 0\nwhile read old new ref; do\n  [ "$ref" = refs/heads/main ] && { echo "main is protected: open a pull request"; exit 1; }\ndone\nexit 0\n');
    chmodSync(hook, 0o755);
    const person = join(server.dir, 'person');
    execFileSync('git', [...IDENT, 'clone', '--quiet', remote, person], { stdio: 'ignore' });
    return { server, c, remote, person };
  }

  it('proposes the saves on switchyard/<slug>, one on top of the other; merged by hand, they are published as the merge', async () => {
    const { server, c, remote, person } = await protectedLocal();
    const start = git(remote, 'rev-parse', 'main');
    const id1 = await save(c, PAGE, { inputs_directory: '/p/one' });
    const first = await until(server, id1, (p) => p.state !== 'pending');
    expect(first.state).toBe('proposed');
    const id2 = await save(c, PAGE, { inputs_directory: '/p/two' });
    const second = await until(server, id2, (p) => p.state !== 'pending');
    expect(second.state).toBe('proposed');
    expect(git(remote, 'rev-list', '--reverse', `main..switchyard/${PAGE}`).split('\n')).toEqual([first.commit_sha, second.commit_sha]);
    expect(git(remote, 'rev-parse', 'main')).toBe(start);
    expect(await historyState(c)).toBe(`Proposed on the branch switchyard/${PAGE}`);
    expect(server.output()).toContain('origin refused the push to main: main is protected: open a pull request; proposing save');

    git(person, 'fetch', '--quiet', 'origin');
    git(person, 'merge', '--quiet', '--no-ff', '-m', 'Merge the proposal', `origin/switchyard/${PAGE}`);
    execFileSync('git', ['-C', person, 'push', '--quiet', 'origin', 'main'], { env: { ...process.env, ALLOW_MAIN: '1' }, stdio: 'ignore' });
    const merge = git(person, 'rev-parse', 'main');
    const merged = await until(server, id2, (p) => p.state === 'committed');
    expect(merged.commit_sha).toBe(merge);
    expect(await publication(server, id1)).toMatchObject({ state: 'committed', commit_sha: merge });
    expect(await historyState(c)).toBe(`Merged as ${merge.slice(0, 10)}`);
    expect(await publishedBlob(server)).toBe(git(remote, 'rev-parse', `main:${FILE}`));

    // The merge is Switchyard's own write: with main open again, the next save commits straight on top, no conflict.
    rmSync(join(remote, 'hooks', 'pre-receive'));
    const direct = await until(server, await save(c, PAGE, { inputs_directory: '/p/three' }), (p) => p.state !== 'pending');
    expect(direct.state).toBe('committed');
    expect(git(remote, 'rev-parse', `${direct.commit_sha}^`)).toBe(merge);
    expect(parse(git(remote, 'show', `main:${FILE}`))).toEqual({ inputs_directory: '/p/three' });
  });

  it('says "closed without merging" once the side branch is deleted, and the next save opens a new proposal from main', async () => {
    const { server, c, remote, person } = await protectedLocal();
    const id1 = await save(c, PAGE, { inputs_directory: '/p/one' });
    const first = await until(server, id1, (p) => p.state !== 'pending');
    expect(first.state).toBe('proposed');
    git(person, 'push', '--quiet', 'origin', '--delete', `switchyard/${PAGE}`);
    const closed = await until(server, id1, (p) => p.state !== 'proposed');
    expect(closed).toMatchObject({ state: 'closed', last_error: `the branch switchyard/${PAGE} was deleted without being merged into main` });
    expect(await historyState(c)).toBe(`Closed without merging: the branch switchyard/${PAGE} was deleted without being merged into main`);

    const next = await until(server, await save(c, PAGE, { inputs_directory: '/p/again' }), (p) => p.state !== 'pending');
    expect(next.state).toBe('proposed');
    expect(git(remote, 'rev-parse', `switchyard/${PAGE}^`)).toBe(git(remote, 'rev-parse', 'main'));
    expect(await publication(server, id1)).toMatchObject({ state: 'closed' });
  });
});

describe('GitHub', () => {
  let gh: FakeGitHub;

  async function github(opts: { mode?: string; protect?: boolean } = {}): Promise<{ server: TestServer; c: Client }> {
    gh = new FakeGitHub();
    await gh.start();
    cleanup.push(() => gh.stop());
    gh.commitFile('README.md', 'hello\n', 'start');
    if (opts.protect) gh.protectedBranches.add('main');
    const mode = opts.mode ? `\n  mode: ${opts.mode}` : '';
    return serve(`${EXAMPLE_CONFIG}\ngit:${mode}\n  github:\n    repository: acme/settings\n    branch: main\n    api_url: ${gh.url}\n`, { GITHUB_TOKEN: gh.token });
  }

  it('opens one pull request for a protected branch, updates it with the next save, and publishes both as the merge', async () => {
    const { server, c } = await github({ protect: true });
    const start = gh.refs.get('heads/main');
    const id1 = await save(c, PAGE, { inputs_directory: '/gh/one' });
    const first = await until(server, id1, (p) => p.state !== 'pending');
    expect(first.state).toBe('proposed');
    const id2 = await save(c, PAGE, { inputs_directory: '/gh/two' });
    const second = await until(server, id2, (p) => p.state !== 'pending');
    expect(second.state).toBe('proposed');

    expect([...gh.pulls.keys()]).toEqual([1]);
    const pull = gh.pulls.get(1)!;
    expect(pull).toMatchObject({ head: `switchyard/${PAGE}`, base: 'main', title: 'Data Processing Pipeline: values from Switchyard', state: 'open' });
    expect(pull.body).toContain(`- Save ${id1}: data-processing: inputs_directory /mnt/data/inputs → /gh/one (ed)`);
    expect(pull.body).toContain(`- Save ${id2}: data-processing: inputs_directory /gh/one → /gh/two (ed)`);
    expect(gh.commits.get(second.commit_sha!)!.parents).toEqual([first.commit_sha]);
    expect(gh.refs.get('heads/main')).toBe(start);
    const history = await (await c.get(`/page/${PAGE}/history`)).text();
    expect(textOf(history, 'publication')).toBe('Proposed in #1');
    expect(history).toContain('href="https://github.example/acme/settings/pull/1"');

    // Unchanged, the pull request costs a 304 each time it is looked at.
    await waitFor(() => gh.requests.some((r) => r.method === 'GET' && r.path.endsWith('/pulls/1') && r.status === 304));

    const merge = gh.mergePull(1);
    const merged = await until(server, id2, (p) => p.state === 'committed');
    expect(merged.commit_sha).toBe(merge);
    expect(await publication(server, id1)).toMatchObject({ state: 'committed', commit_sha: merge });
    expect(textOf(await (await c.get(`/page/${PAGE}/history`)).text(), 'publication')).toBe(`Merged as ${merge.slice(0, 10)}`);
    expect(await publishedBlob(server)).toBe(gh.trees.get(gh.commits.get(merge)!.tree)!.get(FILE));
  });

  it('with git.mode: pull_request proposes even when the branch would take the commit', async () => {
    const { server, c } = await github({ mode: 'pull_request' });
    const start = gh.refs.get('heads/main');
    const p = await until(server, await save(c, PAGE, { inputs_directory: '/gh/pr' }), (x) => x.state !== 'pending');
    expect(p.state).toBe('proposed');
    expect(gh.pulls.get(1)).toMatchObject({ head: `switchyard/${PAGE}`, state: 'open' });
    expect(gh.refs.get('heads/main')).toBe(start);
    expect(gh.requests.some((r) => r.method === 'PATCH' && r.path.endsWith('/git/refs/heads/main'))).toBe(false);
  });

  it('says "closed without merging" when the pull request is closed, and the next save opens a new one', async () => {
    const { server, c } = await github({ protect: true });
    const id1 = await save(c, PAGE, { inputs_directory: '/gh/one' });
    await until(server, id1, (p) => p.state === 'proposed');
    gh.closePull(1);
    const closed = await until(server, id1, (p) => p.state !== 'proposed');
    expect(closed).toMatchObject({ state: 'closed', last_error: 'pull request #1 was closed without merging' });
    expect(textOf(await (await c.get(`/page/${PAGE}/history`)).text(), 'publication')).toBe('Closed without merging: pull request #1 was closed without merging');

    const next = await until(server, await save(c, PAGE, { inputs_directory: '/gh/again' }), (p) => p.state !== 'pending');
    expect(next.state).toBe('proposed');
    expect(gh.pulls.get(2)).toMatchObject({ head: `switchyard/${PAGE}`, state: 'open' });
    expect(gh.commits.get(next.commit_sha!)!.parents).toEqual([gh.refs.get('heads/main')]);
  });
});

async function waitFor(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
