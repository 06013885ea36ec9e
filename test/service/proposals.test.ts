/**
 * Proposals through the local publisher on real repositories: a bare remote
 * whose pre-receive hook refuses pushes to main (as a protected branch does),
 * the side branch each page's saves go on, and how a merge or a deleted side
 * branch is read back.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalGitPublisher } from '../../src/server/git/local.ts';
import type { PublishRequest, PublishResult } from '../../src/server/git/types.ts';
import { git, IDENT, withBareRemote } from '../helpers/publication.ts';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

const PATH = 'values/a.yaml';
function request(saveId: number, content: string, expectedBlob?: string): PublishRequest {
  return { path: PATH, content, message: `a: n\n\nSwitchyard-Save: ${saveId}\n`, author: { name: 'ed', email: 'ed@example.org' }, date: '2026-01-02T03:04:05Z', saveId, earlierSaves: [], expectedBlob };
}

/** A bare remote refusing pushes to main unless the pusher sets ALLOW_MAIN, its clone for Switchyard, and a clone for a person. */
function protectedRemote(): { remote: string; work: string; person: string } {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-proposals-'));
  dirs.push(dir);
  const { remote, work } = withBareRemote(dir);
  git(work, 'commit', '--quiet', '--allow-empty', '-m', 'start');
  git(work, 'push', '--quiet', 'origin', 'main');
  const hook = join(remote, 'hooks', 'pre-receive');
  writeFileSync(hook, '#!/bin/sh\n[ -n "$ALLOW_MAIN" ] && exit 0\nwhile read old new ref; do\n  if [ "$ref" = refs/heads/main ]; then echo "GH006: Protected branch update failed for refs/heads/main." >&2; exit 1; fi\ndone\n');
  chmodSync(hook, 0o755);
  const person = join(dir, 'person');
  execFileSync('git', [...IDENT, 'clone', '--quiet', remote, person], { stdio: 'ignore' });
  return { remote, work, person };
}

/** A person merges the side branch into main in their clone and pushes it, allowed past the hook. */
function mergeByHand(person: string, branch: string): string {
  git(person, 'fetch', '--quiet', 'origin');
  git(person, 'merge', '--quiet', '--no-ff', '-m', `Merge ${branch}`, `origin/${branch}`);
  execFileSync('git', ['-C', person, 'push', '--quiet', 'origin', 'main'], { env: { ...process.env, ALLOW_MAIN: '1' }, stdio: 'ignore' });
  return git(person, 'rev-parse', 'main');
}

function landed<S extends PublishResult['status']>(r: PublishResult, status: S): Extract<PublishResult, { status: S }> {
  if (r.status !== status) throw new Error(JSON.stringify(r));
  return r as Extract<PublishResult, { status: S }>;
}

const proposal = (open?: boolean) => ({ branch: 'switchyard/a', open: open ? {} : undefined, title: 'A: values from Switchyard', body: 'saves' });

describe('the local publisher, when the remote refuses pushes to the branch', () => {
  it('answers refused (not moved), then proposes on the side branch, each save on top of the last, and main is untouched', async () => {
    const { remote, work } = protectedRemote();
    const main = git(remote, 'rev-parse', 'main');
    const p = new LocalGitPublisher({ path: work, branch: 'main', remote: 'origin' });
    const refused = landed(await p.publish(request(1, 'n: 1\n')), 'refused');
    expect(refused.reason).toBe('origin refused the push to main: GH006: Protected branch update failed for refs/heads/main.');
    const first = landed(await p.propose(request(1, 'n: 1\n'), proposal()), 'proposed');
    expect(first.branch).toBe('switchyard/a');
    expect(git(remote, 'rev-parse', 'switchyard/a')).toBe(first.sha);
    expect(git(remote, 'rev-parse', 'switchyard/a^')).toBe(main);
    const second = landed(await p.propose(request(2, 'n: 2\n', first.blob), proposal(true)), 'proposed');
    expect(git(remote, 'rev-parse', 'switchyard/a^')).toBe(first.sha);
    expect(git(remote, 'show', `switchyard/a:${PATH}`)).toBe('n: 2');
    expect(git(remote, 'rev-parse', 'main')).toBe(main);
    expect(await p.checkProposal({ branch: 'switchyard/a', headSha: second.sha, path: PATH })).toEqual({ state: 'open' });
  });

  it('reads a merge made by hand as merged, with the merge commit and the blob main now holds', async () => {
    const { remote, work, person } = protectedRemote();
    const p = new LocalGitPublisher({ path: work, branch: 'main', remote: 'origin' });
    const proposed = landed(await p.propose(request(1, 'n: 1\n'), proposal()), 'proposed');
    const merge = mergeByHand(person, 'switchyard/a');
    expect(git(remote, 'rev-parse', 'main')).toBe(merge);
    expect(await p.checkProposal({ branch: 'switchyard/a', headSha: proposed.sha, path: PATH })).toEqual({ state: 'merged', sha: merge, blob: proposed.blob, head: proposed.sha });
    // Deleting the branch after merging it does not make it closed.
    git(person, 'push', '--quiet', 'origin', '--delete', 'switchyard/a');
    expect((await p.checkProposal({ branch: 'switchyard/a', headSha: proposed.sha, path: PATH })).state).toBe('merged');
  });

  it('reads a side branch deleted without merging as closed, and starts the next proposal again from main', async () => {
    const { remote, work, person } = protectedRemote();
    const p = new LocalGitPublisher({ path: work, branch: 'main', remote: 'origin' });
    const proposed = landed(await p.propose(request(1, 'n: 1\n'), proposal()), 'proposed');
    git(person, 'push', '--quiet', 'origin', '--delete', 'switchyard/a');
    expect(await p.checkProposal({ branch: 'switchyard/a', headSha: proposed.sha, path: PATH })).toEqual({ state: 'closed', reason: 'the branch switchyard/a was deleted without being merged into main' });
    const again = landed(await p.propose(request(2, 'n: 2\n'), proposal()), 'proposed');
    expect(git(remote, 'rev-parse', 'switchyard/a^')).toBe(git(remote, 'rev-parse', 'main'));
    expect(again.sha).not.toBe(proposed.sha);
  });
});

describe('the local publisher with a remote that has no branch yet', () => {
  it('builds on the local branch and pushes it, as before side branches were fetched with it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-proposals-'));
    dirs.push(dir);
    const { remote, work } = withBareRemote(dir);
    git(work, 'commit', '--quiet', '--allow-empty', '-m', 'local only');
    const local = git(work, 'rev-parse', 'main');
    const p = new LocalGitPublisher({ path: work, branch: 'main', remote: 'origin' });
    const first = landed(await p.publish(request(1, 'n: 1\n')), 'committed');
    expect(git(remote, 'rev-parse', 'main^')).toBe(local);
    expect(git(remote, 'rev-parse', 'main')).toBe(first.sha);
  });
});

describe('the local publisher without a remote', () => {
  it('proposes on a local side branch; git branch -D closes it, a merge into main publishes it', async () => {
    const repo = mkdtempSync(join(tmpdir(), 'switchyard-proposals-'));
    dirs.push(repo);
    const p = new LocalGitPublisher({ path: repo, branch: 'main' });
    landed(await p.publish(request(1, 'n: 1\n')), 'committed');
    const proposed = landed(await p.propose(request(2, 'n: 2\n'), proposal()), 'proposed');
    expect(git(repo, 'rev-parse', 'switchyard/a')).toBe(proposed.sha);
    expect(git(repo, 'show', `main:${PATH}`)).toBe('n: 1');
    git(repo, 'branch', '-D', 'switchyard/a');
    expect((await p.checkProposal({ branch: 'switchyard/a', headSha: proposed.sha, path: PATH })).state).toBe('closed');

    const next = landed(await p.propose(request(3, 'n: 3\n'), proposal()), 'proposed');
    git(repo, 'merge', '--quiet', '--ff-only', 'switchyard/a');
    expect(await p.checkProposal({ branch: 'switchyard/a', headSha: next.sha, path: PATH })).toEqual({ state: 'merged', sha: next.sha, blob: next.blob, head: next.sha });
  });
});
