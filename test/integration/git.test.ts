/**
 * Git publication against real repositories: a local working copy, a bare
 * remote on disk, and the ways they fail.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Client, textOf } from '../helpers/client.ts';
import { git, IDENT, localConfig, publication, save, until, withBareRemote } from '../helpers/publication.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const USERS = [{ name: 'ed', role: 'editor' as const, password: 'ed-password' }];

const config = localConfig;

let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function serve(cfg: string, prepare?: (dir: string) => void): Promise<{ server: TestServer; c: Client }> {
  const server = await startServer({ config: cfg, users: USERS, env: {} });
  cleanup.push(() => server.stop());
  prepare?.(server.dir);
  const c = new Client(server.url);
  await c.login('ed', 'ed-password');
  return { server, c };
}



describe('a local working copy', () => {
  it('gets one commit per save, in order, by the person who saved, with the values file', async () => {
    const { server, c } = await serve(config('path: values-repo\nbranch: main'));
    const repo = join(server.dir, 'values-repo');
    const first = await save(c, 'data-processing', { inputs_directory: '/mnt/b' });
    const second = await save(c, 'toplevel', { version: '2.0', instance_name: 'prod', logging_level: 'debug', debug_mode: 'on' });
    const p2 = await until(server, second, (p) => p.state === 'committed');
    const p1 = await publication(server, first);
    expect(p1!.state).toBe('committed');
    expect(git(repo, 'log', '--format=%H %s')).toBe(`${p2.commit_sha} toplevel: version, instance_name, debug_mode, logging_level\n${p1!.commit_sha} data-processing: inputs_directory /mnt/data/inputs → /mnt/b`);
    expect(git(repo, 'log', '-1', '--format=%an|%ae|%cn|%ce', p1!.commit_sha!)).toBe('ed|ed@users.switchyard.invalid|Switchyard|switchyard@localhost');
    expect(git(repo, 'log', '-1', '--format=%(trailers:key=Switchyard-Save,valueonly)', p1!.commit_sha!)).toBe(String(first));
    const file = readFileSync(join(repo, 'values/toplevel.yaml'), 'utf8');
    expect(file.startsWith("# Global Settings (toplevel): values published by Switchyard.\n# Edits committed here are offered to the page's editors in Switchyard.\n")).toBe(true);
    expect(parse(file)).toEqual({ version: '2.0', instance_name: 'prod', debug_mode: true, logging_level: 'debug' });
    expect(git(repo, 'status', '--porcelain')).toBe('');
    const history = await (await c.get('/page/toplevel/history')).text();
    expect(textOf(history, 'publication')).toBe(`Committed ${p2.commit_sha!.slice(0, 10)}`);
  });

  it("opens the commit's body with the save's reason", async () => {
    const { server, c } = await serve(config('path: values-repo\nbranch: main'));
    const repo = join(server.dir, 'values-repo');
    const id = await save(c, 'data-processing', { inputs_directory: '/mnt/why', _reason: 'The old disk is full\r\nso: the new one' });
    const p = await until(server, id, (x) => x.state === 'committed');
    expect(git(repo, 'log', '-1', '--format=%b', p.commit_sha!).split('\n').slice(0, 3)).toEqual(['The old disk is full so: the new one', '', '- inputs_directory /mnt/data/inputs → /mnt/why']);
    // The history keeps its line break (shown as one, whitespace-pre-line).
    const history = await (await c.get('/page/data-processing/history')).text();
    expect(textOf(history, `reason-${id}`)).toBe('Reason: The old disk is full so: the new one');
    expect(history).toContain('The old disk is full\nso: the new one');
  });

  it('removes a stale index.lock, but waits for a fresh one', async () => {
    const { server, c } = await serve(config('path: values-repo\nbranch: main'));
    const repo = join(server.dir, 'values-repo');
    await until(server, await save(c, 'data-processing', { inputs_directory: '/one' }), (p) => p.state === 'committed');
    const lock = join(repo, '.git', 'index.lock');
    writeFileSync(lock, '');
    const fresh = await save(c, 'data-processing', { inputs_directory: '/two' });
    const failed = await until(server, fresh, (p) => p.attempts > 0);
    expect(failed.state).toBe('pending');
    expect(failed.last_error).toMatch(/^another git process holds .*index\.lock \(since /);
    const old = new Date(Date.now() - 60 * 60 * 1000);
    utimesSync(lock, old, old);
    await until(server, fresh, (p) => p.state === 'committed', 20_000);
    expect(existsSync(lock)).toBe(false);
    expect(server.output()).toMatch(/removed the stale .*index\.lock \(left 60 minutes ago\)/);
  });
});

describe('with a remote', () => {
  it('pushes each commit to a bare remote, never forcing', async () => {
    const { server, c } = await serve(config('path: work\nbranch: main\nremote: origin'), (dir) => withBareRemote(dir));
    const id = await save(c, 'data-processing', { inputs_directory: '/pushed' });
    const p = await until(server, id, (x) => x.state === 'committed');
    expect(git(join(server.dir, 'remote.git'), 'rev-parse', 'main')).toBe(p.commit_sha);
  });

  it('builds on top when someone else pushed other files, and refuses to overwrite their edit of a page file', async () => {
    const { server, c } = await serve(config('path: work\nbranch: main\nremote: origin'), (dir) => withBareRemote(dir));
    const remote = join(server.dir, 'remote.git');
    await until(server, await save(c, 'data-processing', { inputs_directory: '/first' }), (p) => p.state === 'committed');
    // Someone else clones, adds a README and pushes.
    const other = join(server.dir, 'other');
    execFileSync('git', [...IDENT, 'clone', '--quiet', remote, other], { stdio: 'ignore' });
    writeFileSync(join(other, 'README.md'), 'values\n');
    git(other, 'add', 'README.md');
    git(other, 'commit', '--quiet', '-m', 'readme');
    git(other, 'push', '--quiet', 'origin', 'main');
    const theirs = git(other, 'rev-parse', 'HEAD');
    const ours = await until(server, await save(c, 'data-processing', { inputs_directory: '/second' }), (p) => p.state === 'committed');
    expect(git(remote, 'rev-parse', `${ours.commit_sha}^`)).toBe(theirs);
    // Now they edit the page's file itself.
    git(other, 'pull', '--quiet', '--ff-only');
    writeFileSync(join(other, 'values/data-processing.yaml'), 'inputs_directory: /edited/by/hand\n');
    git(other, 'commit', '--quiet', '-am', 'hand edit');
    git(other, 'push', '--quiet', 'origin', 'main');
    const handEdit = git(other, 'rev-parse', 'HEAD');
    const thirdId = await save(c, 'data-processing', { inputs_directory: '/third' });
    const conflicted = await until(server, thirdId, (p) => p.state !== 'pending');
    expect(conflicted.state).toBe('conflict');
    expect(conflicted.last_error).toMatch(/^values\/data-processing\.yaml was changed in the repository \(at [0-9a-f]{12}\) since Switchyard last wrote it; not overwriting it$/);
    expect(git(remote, 'rev-parse', 'main')).toBe(handEdit);
    const page = await (await c.get('/page/data-processing')).text();
    expect(textOf(page, 'publication')).toMatch(/^Not committed: values\/data-processing\.yaml was changed/);
    expect(page).toContain('value="/third"'); // the save itself stands
    // A later save of the page meets the same hand edit.
    const thirdAndAHalf = await save(c, 'data-processing', { inputs_directory: '/third-and-a-half' });
    expect((await until(server, thirdAndAHalf, (p) => p.state !== 'pending')).state).toBe('conflict');

    // Someone decides the older save should win: an ordinary commit on top of the hand edit,
    // and the save after it follows in order instead of staying stuck behind the same conflict.
    const history = await (await c.get('/page/data-processing/history')).text();
    expect(history).toContain(`data-testid="publish-anyway-${thirdId}"`);
    // It asks first (the dialog itself is tested in the browser, test/e2e/confirm.test.ts).
    expect(history).toMatch(/<form method="post" action="\/page\/data-processing\/publish-anyway"[^>]* data-confirm="The file was changed in the repository[^"]+"/);
    const res = await c.post('/page/data-processing/publish-anyway', { change: String(thirdId) });
    expect(res.status).toBe(303);
    const published = await until(server, thirdId, (p) => p.state === 'committed');
    const after = await until(server, thirdAndAHalf, (p) => p.state === 'committed');
    expect(git(remote, 'rev-parse', 'main')).toBe(after.commit_sha);
    expect(git(remote, 'rev-parse', `${after.commit_sha}^`)).toBe(published.commit_sha);
    expect(git(remote, 'rev-parse', `${published.commit_sha}^`)).toBe(handEdit);
    expect(parse(git(remote, 'show', `${published.commit_sha}:values/data-processing.yaml`))).toEqual({ inputs_directory: '/third' });
    expect(parse(git(remote, 'show', 'main:values/data-processing.yaml'))).toEqual({ inputs_directory: '/third-and-a-half' });
    expect((await c.post('/page/data-processing/publish-anyway', { change: String(thirdId) })).status).toBe(409);
    // And the next save publishes normally again.
    await until(server, await save(c, 'data-processing', { inputs_directory: '/fourth' }), (p) => p.state === 'committed');
  });

  it('keeps a save when the remote cannot be reached, says why, and commits once it can', async () => {
    const { server, c } = await serve(config('path: work\nbranch: main\nremote: origin'), (dir) => {
      const { work } = withBareRemote(dir);
      git(work, 'remote', 'set-url', 'origin', join(dir, 'nowhere.git'));
    });
    const id = await save(c, 'data-processing', { inputs_directory: '/kept' });
    const failed = await until(server, id, (p) => p.attempts > 0);
    expect(failed.state).toBe('pending');
    expect(failed.last_error).toMatch(/^cannot fetch from origin: .*nowhere\.git/);
    const page = await (await c.get('/page/data-processing')).text();
    expect(page).toContain('value="/kept"');
    expect(textOf(page, 'publication')).toMatch(/^Not committed yet: cannot fetch from origin: .* Trying again at .* \(attempt 2\)\.$/);
    git(join(server.dir, 'work'), 'remote', 'set-url', 'origin', join(server.dir, 'remote.git'));
    const done = await until(server, id, (p) => p.state === 'committed', 20_000);
    expect(git(join(server.dir, 'remote.git'), 'rev-parse', 'main')).toBe(done.commit_sha);
  });

  it('never forces a push: a push target that has diverged keeps its history', async () => {
    const { server, c } = await serve(config('path: work\nbranch: main\nremote: origin'), (dir) => {
      const { work } = withBareRemote(dir);
      // Pushes go to a repository whose main has a history of its own.
      const diverged = join(dir, 'diverged.git');
      execFileSync('git', [...IDENT, 'init', '--bare', '--quiet', diverged]);
      const seed = join(dir, 'seed');
      execFileSync('git', [...IDENT, 'clone', '--quiet', diverged, seed], { stdio: 'ignore' });
      writeFileSync(join(seed, 'x'), 'x');
      git(seed, 'add', 'x');
      git(seed, 'commit', '--quiet', '-m', 'theirs');
      git(seed, 'push', '--quiet', 'origin', 'main');
      git(work, 'remote', 'set-url', '--push', 'origin', diverged);
    });
    const before = git(join(server.dir, 'diverged.git'), 'rev-parse', 'main');
    const id = await save(c, 'data-processing', { inputs_directory: '/x' });
    const failed = await until(server, id, (p) => p.attempts > 0);
    expect(failed.last_error).toBe('the branch main kept moving; will try again');
    expect(git(join(server.dir, 'diverged.git'), 'rev-parse', 'main')).toBe(before);
  });

  it('reports failing authentication clearly', async () => {
    const http: Server = createServer((_req, res) => {
      res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' });
      res.end('authentication required');
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => http.close(() => r())));
    const port = (http.address() as { port: number }).port;
    const { server, c } = await serve(config('path: work\nbranch: main\nremote: origin'), (dir) => {
      const { work } = withBareRemote(dir);
      git(work, 'remote', 'set-url', 'origin', `http://127.0.0.1:${port}/values.git`);
    });
    const failed = await until(server, await save(c, 'data-processing', { inputs_directory: '/auth' }), (p) => p.attempts > 0);
    expect(failed.state).toBe('pending');
    expect(failed.last_error).toMatch(/^cannot fetch from origin: (could not read Username|Authentication failed)/);
  });

  it('resumes what was pending after a restart', async () => {
    const { server, c } = await serve(config('path: work\nbranch: main\nremote: origin'), (dir) => {
      const { work } = withBareRemote(dir);
      git(work, 'remote', 'set-url', 'origin', join(dir, 'nowhere.git'));
    });
    const id = await save(c, 'data-processing', { inputs_directory: '/after-restart' });
    await until(server, id, (p) => p.attempts > 0);
    git(join(server.dir, 'work'), 'remote', 'set-url', 'origin', join(server.dir, 'remote.git'));
    await server.restart();
    const done = await until(server, id, (p) => p.state === 'committed');
    expect(git(join(server.dir, 'remote.git'), 'rev-parse', 'main')).toBe(done.commit_sha);
  });
});

