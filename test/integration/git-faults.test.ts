/**
 * Publication under faults, on real processes: the app killed at each point
 * of publishing a save, remotes that accept a connection and then say
 * nothing, and one page whose publication keeps failing while others go on.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { Client, textOf } from '../helpers/client.ts';
import { git, IDENT, localConfig, publication, save, until, withBareRemote } from '../helpers/publication.ts';
import { FakeGitHub } from '../helpers/fake-github.ts';
import { EXAMPLE_CONFIG, freePort, ROOT, startServer, stopProcess, testEnv, type TestServer } from '../helpers/server.ts';

const USERS = [{ name: 'ed', role: 'editor' as const, password: 'ed-password' }];
// Each test restarts the app or waits out deadlines and retries: slow on a busy machine.
vi.setConfig({ testTimeout: 120_000 });

/** Short deadlines, so that faults show within a test's time. */
const FAST = { SWITCHYARD_GIT_TIMEOUT_MS: '1500' };


let cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function serve(cfg: string, env: Record<string, string> = {}, prepare?: (dir: string) => void): Promise<{ server: TestServer; c: Client }> {
  const server = await startServer({ config: cfg, users: USERS, env });
  cleanup.push(() => server.stop());
  prepare?.(server.dir);
  const c = new Client(server.url);
  await c.login('ed', 'ed-password');
  return { server, c };
}



async function waitFor(what: string, check: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Processes whose command line mentions `text` (e.g. a git left behind). */
function processesMentioning(text: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline}`);
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

/** The app's process, found by its data folder: killed with SIGKILL, as by a crash or the OOM killer. */
function crash(server: TestServer): void {
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (cmdline.includes('src/cli/start.ts') && environ.includes(`SWITCHYARD_DATA_DIR=${server.dataDir}`)) process.kill(Number(pid), 'SIGKILL');
    } catch {
      /* not ours, or gone */
    }
  }
}

async function down(server: TestServer): Promise<boolean> {
  return fetch(`${server.url}/login`).then(
    () => false,
    () => true,
  );
}

/**
 * A reference-transaction hook that kills the app (the `src/cli/start.ts`
 * process among its ancestors) once, when the branch's update reaches `state`:
 * "prepared" is before the ref moves (the hook then aborts the update),
 * "committed" is after it moved.
 */
function crashHook(gitDir: string, state: 'prepared' | 'committed'): void {
  const hook = join(gitDir, 'hooks', 'reference-transaction');
  writeFileSync(
    hook,
    `#!/bin/sh
[ "$1" = "${state}" ] || exit 0
grep -q ' refs/heads/main$' || exit 0
[ -e "${hook}.fired" ] && exit 0
touch "${hook}.fired"
pid=$PPID
while [ "$pid" -gt 1 ]; do
  if tr '\\0' ' ' < /proc/$pid/cmdline | grep -q 'src/cli/start.ts'; then kill -9 "$pid"; break; fi
  pid=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$pid/status)
done
exit ${state === 'prepared' ? 1 : 0}
`,
  );
  chmodSync(hook, 0o755);
}

/** The commits on `ref` that publish save `id`. */
function commitsOfSave(dir: string, ref: string, id: number): string[] {
  return git(dir, 'log', '--format=%H', `--grep=^Switchyard-Save: ${id}$`, ref).split('\n').filter(Boolean);
}


describe('the app killed while publishing a save', () => {
  it.each(['prepared', 'committed'] as const)('to a local working copy (ref update %s): one commit for the save, recorded on restart, and the next save publishes', async (state) => {
    const { server, c } = await serve(localConfig('path: values-repo\nbranch: main'));
    const repo = join(server.dir, 'values-repo');
    await until(server, await save(c, 'data-processing', { inputs_directory: '/before' }), (p) => p.state === 'committed');
    crashHook(join(repo, '.git'), state);
    const id = await save(c, 'data-processing', { inputs_directory: '/crashed' });
    await waitFor('the app to die', () => down(server));
    expect((await publication(server, id))!.state).toBe('pending');
    await server.restart();

    const p = await until(server, id, (x) => x.state !== 'pending');
    expect(p).toMatchObject({ state: 'committed', last_error: null });
    expect(commitsOfSave(repo, 'main', id)).toEqual([p.commit_sha]);
    expect(git(repo, 'rev-parse', 'main')).toBe(p.commit_sha);
    expect(parse(git(repo, 'show', 'main:values/data-processing.yaml'))).toEqual({ inputs_directory: '/crashed' });

    const next = await until(server, await save(c, 'data-processing', { inputs_directory: '/after' }), (x) => x.state !== 'pending');
    expect(next.state).toBe('committed');
    expect(git(repo, 'rev-parse', `${next.commit_sha}^`)).toBe(p.commit_sha);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('after the push landed but before the local branch followed: recognised, the branch follows, the next save publishes', async () => {
    const { server, c } = await serve(localConfig('path: work\nbranch: main\nremote: origin'), {}, (dir) => withBareRemote(dir));
    const remote = join(server.dir, 'remote.git');
    const work = join(server.dir, 'work');
    await until(server, await save(c, 'data-processing', { inputs_directory: '/before' }), (p) => p.state === 'committed');
    crashHook(remote, 'committed');
    const id = await save(c, 'data-processing', { inputs_directory: '/pushed-then-crashed' });
    await waitFor('the app to die', () => down(server));
    await server.restart();

    const p = await until(server, id, (x) => x.state !== 'pending');
    expect(p).toMatchObject({ state: 'committed', last_error: null });
    expect(commitsOfSave(remote, 'main', id)).toEqual([p.commit_sha]);
    expect(git(work, 'rev-parse', 'main')).toBe(p.commit_sha);
    expect(git(work, 'status', '--porcelain')).toBe('');

    const next = await until(server, await save(c, 'data-processing', { inputs_directory: '/after' }), (x) => x.state !== 'pending');
    expect(next.state).toBe('committed');
    expect(git(remote, 'rev-parse', `${next.commit_sha}^`)).toBe(p.commit_sha);
  });

  it('a save whose earlier save of the page was committed but never recorded is not a conflict', async () => {
    const { server, c } = await serve(localConfig('path: values-repo\nbranch: main'));
    const repo = join(server.dir, 'values-repo');
    await until(server, await save(c, 'data-processing', { inputs_directory: '/before' }), (p) => p.state === 'committed');
    crashHook(join(repo, '.git'), 'committed');
    const lost = await save(c, 'data-processing', { inputs_directory: '/lost' });
    await waitFor('the app to die', () => down(server));
    // As an app that marked the save as conflicting (a false conflict, from before this was recognised) would have left it.
    await server.db().execute({ sql: `UPDATE publications SET state = 'conflict', last_error = 'x' WHERE change_id = ?`, args: [lost] });
    await server.restart();
    const next = await until(server, await save(c, 'data-processing', { inputs_directory: '/next' }), (x) => x.state !== 'pending');
    expect(next.state).toBe('committed');
    expect(git(repo, 'rev-parse', `${next.commit_sha}^`)).toBe(commitsOfSave(repo, 'main', lost)[0]);
  });
});

describe('GitHub: a ref update that took effect but whose answer never came', () => {
  let gh: FakeGitHub;
  async function boot(): Promise<{ server: TestServer; c: Client }> {
    gh = new FakeGitHub();
    await gh.start();
    cleanup.push(() => gh.stop());
    return serve(`${EXAMPLE_CONFIG}\ngit:\n  github:\n    repository: acme/settings\n    branch: main\n    api_url: ${gh.url}\n`, { GITHUB_TOKEN: gh.token, ...FAST });
  }
  /** The commits on main that publish save `id`. */
  function ghCommitsOfSave(id: number): string[] {
    const found: string[] = [];
    for (let sha = gh.refs.get('heads/main'); sha; sha = gh.commits.get(sha)?.parents[0]) {
      if (gh.commits.get(sha)!.message.includes(`\nSwitchyard-Save: ${id}\n`)) found.push(sha);
    }
    return found;
  }

  it.each(['the app is killed meanwhile', 'the request times out'])('is recognised when %s: one commit, recorded, and the next save publishes', async (how) => {
    const { server, c } = await boot();
    const before = await until(server, await save(c, 'data-processing', { inputs_directory: '/gh/before' }), (p) => p.state === 'committed');
    gh.hang({ method: 'PATCH', path: /\/git\/refs\/heads\/main$/, afterApplying: true });
    const id = await save(c, 'data-processing', { inputs_directory: '/gh/lost-answer' });
    await waitFor('the ref update', () => gh.refs.get('heads/main') !== before.commit_sha);
    if (how === 'the app is killed meanwhile') {
      crash(server);
      await waitFor('the app to die', () => down(server));
      await server.restart();
    }
    const p = await until(server, id, (x) => x.state !== 'pending');
    expect(p).toMatchObject({ state: 'committed', commit_sha: gh.refs.get('heads/main') });
    expect(ghCommitsOfSave(id)).toEqual([p.commit_sha]);
    const next = await until(server, await save(c, 'data-processing', { inputs_directory: '/gh/next' }), (x) => x.state !== 'pending');
    expect(next.state).toBe('committed');
    expect(gh.commits.get(next.commit_sha!)!.parents).toEqual([p.commit_sha]);
  });

  it('a request that is never answered ends at the deadline with a reason, and is retried', async () => {
    const { server, c } = await boot();
    await until(server, await save(c, 'data-processing', { inputs_directory: '/gh/ok' }), (p) => p.state === 'committed');
    gh.hang({ method: 'POST', path: /\/git\/blobs$/, times: 2 });
    const id = await save(c, 'data-processing', { inputs_directory: '/gh/silent' });
    const failed = await until(server, id, (p) => p.attempts >= 2);
    expect(failed).toMatchObject({ state: 'pending', last_error: `GitHub (${gh.url}) did not answer within 1.5 s` });
    const page = await (await c.get('/page/data-processing')).text();
    expect(textOf(page, 'publication')).toMatch(/^Not committed yet: GitHub \(.*\) did not answer within 1\.5 s\. Trying again at .* \(attempt 3\)\.$/);
    const done = await until(server, id, (p) => p.state === 'committed');
    expect(gh.refs.get('heads/main')).toBe(done.commit_sha);
    expect(gh.hung).toBe(2);
  });
});

describe('a remote that accepts the connection and then says nothing', () => {
  it.each(['http', 'git'])('over %s: git is stopped with all its helpers at the deadline, says why, retries, and commits once the remote answers', async (scheme) => {
    const sockets = new Set<Socket>();
    let connections = 0;
    const silent = createServer((s) => {
      connections++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {});
      s.resume(); // reads what git sends, so that it sees git hang up; never answers
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanup.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => silent.close(() => r()));
    });
    const port = (silent.address() as { port: number }).port;
    const url = `${scheme}://127.0.0.1:${port}/values.git`;
    const { server, c } = await serve(localConfig('path: work\nbranch: main\nremote: origin'), FAST, (dir) => {
      const { work } = withBareRemote(dir);
      git(work, 'remote', 'set-url', 'origin', url);
    });
    const id = await save(c, 'data-processing', { inputs_directory: '/silent' });
    const failed = await until(server, id, (p) => p.attempts >= 2);
    expect(failed).toMatchObject({ state: 'pending', last_error: 'git fetch from origin did not answer within 1.5 s' });
    expect(connections).toBeGreaterThanOrEqual(2);
    const page = await (await c.get('/page/data-processing')).text();
    expect(textOf(page, 'publication')).toMatch(/^Not committed yet: git fetch from origin did not answer within 1\.5 s\. Trying again at .* \(attempt \d\)\.$/);

    git(join(server.dir, 'work'), 'remote', 'set-url', 'origin', join(server.dir, 'remote.git'));
    const done = await until(server, id, (p) => p.state === 'committed');
    expect(git(join(server.dir, 'remote.git'), 'rev-parse', 'main')).toBe(done.commit_sha);
    // Nothing of the stopped attempts lives on: no process, no connection to the silent remote.
    expect(processesMentioning(`127.0.0.1:${port}`)).toEqual([]);
    expect(processesMentioning(join(server.dir, 'work'))).toEqual([]);
    await waitFor('the connections to close', () => sockets.size === 0, 5000);
  });
});

describe('one page whose publication keeps failing', () => {
  it('does not hold back the other pages; its own saves stay in order and publish once the fault is gone', async () => {
    const { server, c } = await serve(localConfig('path: work\nbranch: main\nremote: origin'), {}, (dir) => {
      const { remote } = withBareRemote(dir);
      // The remote refuses any push that changes data-processing's file while "frozen" exists, on any
      // branch: the branch refusing it, the save is proposed, and the side branch (new: compared with main) refuses it too.
      const hook = join(remote, 'hooks', 'pre-receive');
      writeFileSync(
        hook,
        `#!/bin/sh
[ -e "${join(remote, 'frozen')}" ] || exit 0
while read old new ref; do
  case "$old" in 0000000000000000000000000000000000000000) old=main ;; esac
  if git diff --name-only "$old" "$new" | grep -qx 'values/data-processing.yaml'; then echo "data-processing.yaml is frozen"; exit 1; fi
done
`,
      );
      chmodSync(hook, 0o755);
    });
    const remote = join(server.dir, 'remote.git');
    await until(server, await save(c, 'toplevel', { version: '1.0', instance_name: 'a', logging_level: 'info', debug_mode: 'on' }), (p) => p.state === 'committed');
    writeFileSync(join(remote, 'frozen'), '');

    const stuck = await save(c, 'data-processing', { inputs_directory: '/stuck' });
    const failed = await until(server, stuck, (p) => p.attempts > 0);
    expect(failed.last_error).toBe('origin refused the push to switchyard/data-processing: data-processing.yaml is frozen');
    const behind = await save(c, 'data-processing', { inputs_directory: '/behind' });
    const other = await until(server, await save(c, 'toplevel', { version: '2.0', instance_name: 'b', logging_level: 'info', debug_mode: 'on' }), (p) => p.state !== 'pending');
    expect(other.state).toBe('committed');
    expect(git(remote, 'rev-parse', 'main')).toBe(other.commit_sha);
    expect(await publication(server, stuck)).toMatchObject({ state: 'pending' });
    expect(await publication(server, behind)).toMatchObject({ state: 'pending', attempts: 0 });

    rmSync(join(remote, 'frozen'));
    const last = await until(server, behind, (p) => p.state !== 'pending', 30_000);
    expect(last.state).toBe('committed');
    const first = await publication(server, stuck);
    expect(first!.state).toBe('committed');
    expect(git(remote, 'rev-parse', `${last.commit_sha}^`)).toBe(first!.commit_sha);
    expect(parse(git(remote, 'show', 'main:values/data-processing.yaml'))).toEqual({ inputs_directory: '/behind' });
  });
});

describe('two app processes on one database', () => {
  it('publish one at a time: the second waits while the first holds the target, then every save is committed once, in save order', async () => {
    const { server, c } = await serve(localConfig('path: values-repo\nbranch: main'));
    const repo = join(server.dir, 'values-repo');
    await until(server, await save(c, 'data-processing', { inputs_directory: '/before' }), (p) => p.state === 'committed');
    // The first process's commit lands, and then it is held before it can record it.
    const hold = join(server.dir, 'hold');
    writeFileSync(hold, '');
    const hook = join(repo, '.git', 'hooks', 'reference-transaction');
    writeFileSync(hook, `#!/bin/sh\n[ "$1" = committed ] || exit 0\ngrep -q ' refs/heads/main$' || exit 0\n[ -e "${hook}.fired" ] && exit 0\ntouch "${hook}.fired"\nwhile [ -e "${hold}" ]; do sleep 0.1; done\n`);
    chmodSync(hook, 0o755);
    const held = await save(c, 'data-processing', { inputs_directory: '/held' });
    await waitFor('the commit to land', () => git(repo, 'log', '-1', '--format=%B', 'main').includes(`Switchyard-Save: ${held}`));

    const port = await freePort();
    let out = '';
    const second = spawn(process.execPath, [join(ROOT, 'src/cli/start.ts')], { cwd: ROOT, env: testEnv(server.dir, { PORT: String(port) }), stdio: ['ignore', 'pipe', 'pipe'] });
    second.stdout!.on('data', (d) => (out += d));
    second.stderr!.on('data', (d) => (out += d));
    cleanup.push(() => stopProcess(second));
    await waitFor('the second process to serve', async () => (await fetch(`http://127.0.0.1:${port}/login`).catch(() => undefined))?.status === 200);
    const c2 = new Client(`http://127.0.0.1:${port}`);
    await c2.login('ed', 'ed-password');
    const other = await save(c2, 'toplevel', { version: '3.0', instance_name: 'two', logging_level: 'info', debug_mode: 'on' });
    // The first process holds the target's lease while its commit is held: the second touches nothing meanwhile.
    await new Promise((r) => setTimeout(r, 2000));
    expect(await publication(server, other)).toMatchObject({ state: 'pending', attempts: 0 });

    rmSync(hold);
    const p = await until(server, held, (x) => x.state !== 'pending');
    expect(p.state).toBe('committed');
    expect(commitsOfSave(repo, 'main', held)).toEqual([p.commit_sha]);
    const o = await until(server, other, (x) => x.state !== 'pending');
    expect(o.state).toBe('committed');
    expect(commitsOfSave(repo, 'main', other)).toEqual([o.commit_sha]);
    // In save order: the other save's commit comes after the held one.
    expect(git(repo, 'log', '-2', '--format=%H', 'main').split('\n')).toEqual([o.commit_sha, p.commit_sha]);
    expect(out).not.toMatch(new RegExp(`[Ss]ave ${held} `));
    expect(existsSync(hold)).toBe(false);
  });
});
