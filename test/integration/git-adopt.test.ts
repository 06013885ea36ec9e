/**
 * Changes made in Git come back: someone commits to a page's values file
 * (in the working copy, through a remote, or on GitHub) and the built server
 * offers it to the page's editors (adopt: review) or records it as a save by
 * the commit's author (adopt: auto); values config.yaml refuses are shown to
 * admins and nothing of them is applied. Real repositories, the real server.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Client, textOf } from '../helpers/client.ts';
import { eventually } from '../helpers/eventually.ts';
import { FakeGitHub } from '../helpers/fake-github.ts';
import { git, IDENT, save, until, withBareRemote } from '../helpers/publication.ts';
import { EXAMPLE_CONFIG, startServer, type TestServer } from '../helpers/server.ts';
import { signatureOf } from '../../src/web/github-webhook.ts';

const USERS = [
  { name: 'ed', role: 'editor' as const, password: 'ed-password' },
  { name: 'ada', role: 'admin' as const, password: 'ada-password' },
  { name: 'vi', role: 'viewer' as const, password: 'vi-password' },
];
const FILE = 'values/data-processing.yaml';

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function serve(gitBlock: string, env: Record<string, string> = {}): Promise<{ server: TestServer; ed: Client; ada: Client; vi: Client }> {
  const server = await startServer({ config: `${EXAMPLE_CONFIG}\ngit:\n${gitBlock.replace(/^/gm, '  ')}\n`, users: USERS, env: { SWITCHYARD_GIT_POLL_MS: '300', ...env } });
  cleanup.push(() => server.stop());
  const [ed, ada, vi] = [new Client(server.url), new Client(server.url), new Client(server.url)];
  await ed.login('ed', 'ed-password');
  await ada.login('ada', 'ada-password');
  await vi.login('vi', 'vi-password');
  return { server, ed, ada, vi };
}

/** Someone else edits the page's file in `repo` and commits it on its branch; the new commit. */
function commitElsewhere(repo: string, edit: (file: string) => string, message = 'Point the inputs at the new disk'): string {
  const path = join(repo, FILE);
  writeFileSync(path, edit(readFileSync(path, 'utf8')));
  git(repo, 'commit', '--quiet', '-am', message);
  return git(repo, 'rev-parse', 'HEAD');
}

const inputsTo = (value: string) => (file: string) => file.replace(/^inputs_directory: .*$/m, `inputs_directory: ${value}`);


/** The page's HTML once it shows a change made in Git in `state`. */
function pageShowing(c: Client, state: 'offered' | 'refused') {
  return eventually(`the page to show a ${state} change`, async () => {
    const html = await (await c.get('/page/data-processing')).text();
    return html.includes(`data-state="${state}"`) ? html : undefined;
  });
}

const currentInputs = async (c: Client) => ((await (await c.get('/api/v1/pages/data-processing')).json()) as { values: Record<string, unknown> }).values.inputs_directory;
const changeIdIn = (html: string) => Number(/name="change" value="(\d+)"/.exec(html)![1]);
const count = async (server: TestServer, sql: string) => Number((await server.db().execute(sql)).rows[0]!.n);

describe('adopt: review (the default), a local working copy', () => {
  it('offers a commit made in the repository to editors with its changes, and adopting records it as a save by its author, from that commit', async () => {
    const { server, ed, vi } = await serve('local:\n  path: values-repo');
    const repo = join(server.dir, 'values-repo');
    const mine = await save(ed, 'data-processing', { inputs_directory: '/mnt/ours' });
    await until(server, mine, (p) => p.state === 'committed');
    const theirs = commitElsewhere(repo, inputsTo('/mnt/theirs'));

    const html = await pageShowing(ed, 'offered');
    expect(textOf(html, 'git-change')).toContain(`Changed in Git`);
    expect(textOf(html, 'git-change')).toContain(`${FILE} was changed by Someone Else in commit ${theirs.slice(0, 12)}`);
    expect(html).toMatch(/data-change="inputs_directory"[\s\S]*?\/mnt\/ours[\s\S]*?\/mnt\/theirs/);
    expect(await (await vi.get('/page/data-processing')).text()).not.toContain('data-testid="git-change"'); // viewers may not decide
    expect(await currentInputs(ed)).toBe('/mnt/ours'); // nothing applied before someone decides

    const commits = git(repo, 'rev-list', '--count', 'HEAD');
    const res = await ed.post('/page/data-processing/git-change', { change: String(changeIdIn(html)), decision: 'adopt' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/page/data-processing/history');
    expect(await currentInputs(ed)).toBe('/mnt/theirs');
    const history = (await (await ed.get('/api/v1/pages/data-processing/history')).json()) as { entries: { id: number; author: string; reason: string | null; origin: { commit: string } | null; publication: { state: string; commit: string } }[] };
    const adopted = history.entries[0]!;
    expect(adopted).toMatchObject({ author: 'Someone Else', reason: 'Point the inputs at the new disk', origin: { commit: theirs }, publication: { state: 'committed', commit: theirs } });
    const page = await (await ed.get('/page/data-processing/history')).text();
    expect(textOf(page, `origin-${adopted.id}`)).toBe(`from Git commit ${theirs.slice(0, 12)}`);
    // It is in Git already: nothing is committed for it, and it is not offered again.
    await new Promise((r) => setTimeout(r, 1000));
    expect(git(repo, 'rev-list', '--count', 'HEAD')).toBe(commits);
    expect(await (await ed.get('/page/data-processing')).text()).not.toContain('data-testid="git-change"');
    expect(await count(server, `SELECT count(*) AS n FROM audit_log WHERE action = 'git_adopted' AND username = 'ed'`)).toBe(1);
    // A second decision on the same change is refused, and changes nothing.
    const again = await ed.post('/page/data-processing/git-change', { change: String(changeIdIn(html)), decision: 'keep' });
    expect(again.status).toBe(409);
    expect(await currentInputs(ed)).toBe('/mnt/theirs');
  });

  it("keeping ours commits Switchyard's values over the change, by an ordinary commit on top", async () => {
    const { server, ed } = await serve('local:\n  path: values-repo');
    const repo = join(server.dir, 'values-repo');
    await until(server, await save(ed, 'data-processing', { inputs_directory: '/mnt/ours' }), (p) => p.state === 'committed');
    const theirs = commitElsewhere(repo, inputsTo('/mnt/theirs'));
    const html = await pageShowing(ed, 'offered');
    const res = await ed.post('/page/data-processing/git-change', { change: String(changeIdIn(html)), decision: 'keep' });
    expect(res.status).toBe(303);
    const carrier = Number((await server.db().execute(`SELECT max(id) AS id FROM changes`)).rows[0]!.id);
    const p = await until(server, carrier, (x) => x.state === 'committed');
    expect(git(repo, 'rev-parse', `${p.commit_sha}^`)).toBe(theirs); // on top, never a rewrite
    expect(parse(git(repo, 'show', `HEAD:${FILE}`)).inputs_directory).toBe('/mnt/ours');
    expect(await currentInputs(ed)).toBe('/mnt/ours');
    const history = (await (await ed.get('/api/v1/pages/data-processing/history')).json()) as { entries: { reason: string | null; changes: unknown[] }[] };
    expect(history.entries[0]).toMatchObject({ reason: `Keeps these values over Git commit ${theirs.slice(0, 12)}`, changes: [] });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await (await ed.get('/page/data-processing')).text()).not.toContain('data-testid="git-change"');
  });

  it('offers the change when a save made here meets it, and adopting supersedes that save', async () => {
    const { server, ed } = await serve('local:\n  path: values-repo');
    const repo = join(server.dir, 'values-repo');
    await until(server, await save(ed, 'data-processing', { inputs_directory: '/mnt/ours' }), (p) => p.state === 'committed');
    commitElsewhere(repo, inputsTo('/mnt/theirs'));
    const late = await save(ed, 'data-processing', { inputs_directory: '/mnt/later' });
    await until(server, late, (p) => p.state === 'conflict');
    const html = await pageShowing(ed, 'offered');
    expect(textOf(html, 'git-change')).toContain('saves made here since are not in Git yet');
    expect((await ed.post('/page/data-processing/git-change', { change: String(changeIdIn(html)), decision: 'adopt' })).status).toBe(303);
    expect(await until(server, late, (p) => p.state === 'superseded')).toMatchObject({ state: 'superseded' });
    expect(await currentInputs(ed)).toBe('/mnt/theirs');
    expect(textOf(await (await ed.get('/page/data-processing/history')).text(), 'publication')).toBeTruthy();
  });
});

describe('adopt: auto, through a remote', () => {
  it('records a pushed change as a save by its author, and refuses values config.yaml does not accept, telling admins why', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-adopt-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const { remote, work } = withBareRemote(dir);
    const { server, ed, ada } = await serve(`adopt: auto\nlocal:\n  path: ${work}\n  remote: origin`);
    await until(server, await save(ed, 'data-processing', { inputs_directory: '/mnt/ours' }), (p) => p.state === 'committed');
    const clone = join(dir, 'someone');
    execFileSync('git', [...IDENT, 'clone', '--quiet', remote, clone], { stdio: 'ignore' });
    const theirs = commitElsewhere(clone, inputsTo('/mnt/pushed'));
    git(clone, 'push', '--quiet', 'origin', 'main');

    await eventually('the pushed value', async () => ((await currentInputs(ed)) === '/mnt/pushed' ? true : undefined));
    const entry = ((await (await ed.get('/api/v1/pages/data-processing/history')).json()) as { entries: { author: string; origin: { commit: string } | null }[] }).entries[0]!;
    expect(entry).toMatchObject({ author: 'Someone Else', origin: { commit: theirs } });
    expect(await count(server, `SELECT count(*) AS n FROM audit_log WHERE action = 'git_adopted' AND username = 'git'`)).toBe(1);

    // Values config.yaml refuses: nothing applied, the reason shown to admins (not to editors).
    commitElsewhere(clone, inputsTo('[a, b]'), 'Two folders');
    git(clone, 'push', '--quiet', 'origin', 'main');
    const html = await pageShowing(ada, 'refused');
    expect(textOf(html, 'git-change-reason')).toMatch(/^config\.yaml does not accept its values: .*inputs_directory.*Nothing of it was applied/);
    expect(await (await ed.get('/page/data-processing')).text()).not.toContain('data-testid="git-change"');
    expect(await currentInputs(ed)).toBe('/mnt/pushed');
    expect(await count(server, `SELECT count(*) AS n FROM git_changes WHERE state = 'refused'`)).toBe(1);
  });
});

describe('GitHub: conditional polling and the push webhook', () => {
  let gh: FakeGitHub;
  afterEach(() => gh?.stop());

  it('polls with conditional requests (an unchanged branch costs a 304) and finds a commit made there', async () => {
    gh = new FakeGitHub();
    await gh.start();
    const { server, ed } = await serve(`github:\n  repository: acme/settings\n  api_url: ${gh.url}`, { GITHUB_TOKEN: gh.token, SWITCHYARD_GIT_POLL_MS: '300' });
    await until(server, await save(ed, 'data-processing', { inputs_directory: '/mnt/ours' }), (p) => p.state === 'committed');
    await eventually('304 answers', async () => (gh.notModified > 2 ? true : undefined));
    const theirs = gh.commitFile(FILE, gh.fileAt('main', FILE)!.replace(/^inputs_directory: .*$/m, 'inputs_directory: /mnt/polled'), 'Polled');
    const html = await pageShowing(ed, 'offered');
    expect(textOf(html, 'git-change')).toContain(theirs.slice(0, 12));
  });

  it('looks at once on a signed push webhook, and refuses an unsigned one', async () => {
    gh = new FakeGitHub();
    await gh.start();
    const secret = 'hook-secret-for-tests';
    // Polls far apart: only the webhook can make it look within the test.
    const { server, ed } = await serve(`github:\n  repository: acme/settings\n  api_url: ${gh.url}\n  webhook_secret_env: HOOK_SECRET`, {
      GITHUB_TOKEN: gh.token,
      HOOK_SECRET: secret,
      SWITCHYARD_GIT_POLL_MS: '600000',
    });
    await until(server, await save(ed, 'data-processing', { inputs_directory: '/mnt/ours' }), (p) => p.state === 'committed');

    const content = gh.fileAt('main', FILE)!.replace(/^inputs_directory: .*$/m, 'inputs_directory: /mnt/github');
    const theirs = gh.commitFile(FILE, content, 'Use the GitHub disk');
    const body = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'acme/settings' } });
    const hook = (signature: string, event = 'push') =>
      fetch(`${server.url}/api/github/push`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-hub-signature-256': signature }, body });
    const unsigned = await hook('sha256=0000');
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: string }).error).toContain('X-Hub-Signature-256');
    expect((await hook(signatureOf(secret, Buffer.from(body)), 'ping')).status).toBe(200);
    const signed = await hook(signatureOf(secret, Buffer.from(body)));
    expect(signed.status).toBe(202);
    expect(await signed.json()).toMatchObject({ looking: true });

    const html = await pageShowing(ed, 'offered');
    expect(textOf(html, 'git-change')).toContain(theirs.slice(0, 12));
    expect((await ed.post('/page/data-processing/git-change', { change: String(changeIdIn(html)), decision: 'adopt' })).status).toBe(303);
    expect(await currentInputs(ed)).toBe('/mnt/github');
  });

  it('has no webhook address without a secret configured', async () => {
    gh = new FakeGitHub();
    await gh.start();
    const { server } = await serve(`github:\n  repository: acme/settings\n  api_url: ${gh.url}`, { GITHUB_TOKEN: gh.token });
    const res = await fetch(`${server.url}/api/github/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(404);
  });
});
