/**
 * The local publisher on real repositories, without the app around it: what
 * one fast-import writes, what cat-file answers for a file not there yet,
 * saves whose commit already landed, and which working copy is kept in step.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { blobId, ident } from '../../src/server/git/fast-import.ts';
import { LocalGitPublisher, mayHoldSave } from '../../src/server/git/local.ts';
import type { PublishRequest } from '../../src/server/git/types.ts';
import { git } from '../helpers/publication.ts';

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'switchyard-local-git-'));
  dirs.push(d);
  return d;
}

function request(saveId: number, content: string, extra: Partial<PublishRequest> = {}): PublishRequest {
  return {
    path: 'values/data processing "x".yaml',
    content,
    message: `data-processing: inputs_directory\n\nSaved by ed in Switchyard.\n\nSwitchyard-Save: ${saveId}\n`,
    author: { name: 'Éd <Tester>', email: 'ed@example.org' },
    date: '2026-01-02T03:04:05.678Z',
    saveId,
    earlierSaves: [],
    ...extra,
  };
}

async function committed(p: LocalGitPublisher, req: PublishRequest): Promise<{ sha: string; blob: string }> {
  const r = await p.publish(req);
  if (r.status !== 'committed') throw new Error(JSON.stringify(r));
  return r;
}

/** Someone edits the file in the repository by hand: the next save is refused as a conflict, and the branch keeps their commit. */
async function expectHandEditKept(p: LocalGitPublisher, repo: string, path: string, next: PublishRequest): Promise<void> {
  writeFileSync(join(repo, path), 'a: hand\n');
  git(repo, 'commit', '--quiet', '-am', 'hand edit');
  const hand = git(repo, 'rev-parse', 'main');
  expect((await p.publish(next)).status).toBe('conflict');
  expect(git(repo, 'rev-parse', 'main')).toBe(hand);
}

describe('the local publisher', () => {
  it('writes blob and commit in one go: file, author, committer, date, message, and no scratch ref left', async () => {
    const repo = join(tempDir(), 'repo');
    const p = new LocalGitPublisher({ path: repo, branch: 'main' });
    const req = request(7, 'inputs_directory: /mnt/ü\n');
    const first = await committed(p, req);
    expect(git(repo, 'rev-parse', 'main')).toBe(first.sha);
    expect(git(repo, 'rev-parse', `main:${req.path}`)).toBe(first.blob);
    expect(git(repo, 'show', `main:${req.path}`)).toBe('inputs_directory: /mnt/ü');
    expect(git(repo, 'log', '-1', '--format=%an|%ae|%aI|%cn|%ce', 'main')).toBe('Éd Tester|ed@example.org|2026-01-02T03:04:05+00:00|Switchyard|switchyard@localhost');
    const raw = execFileSync('git', ['-C', repo, 'cat-file', 'commit', 'main'], { encoding: 'utf8' });
    expect(raw.slice(raw.indexOf('\n\n') + 2)).toBe(req.message);
    expect(git(repo, 'for-each-ref', '--format=%(refname)')).toBe('refs/heads/main');
    expect(readFileSync(join(repo, req.path), 'utf8')).toBe(req.content);
    expect(git(repo, 'status', '--porcelain')).toBe('');
  });

  it('builds on the branch when the file is not there yet, keeping the other files', async () => {
    const repo = tempDir();
    git(repo, 'init', '--quiet');
    writeFileSync(join(repo, 'README.md'), 'hello\n');
    git(repo, 'add', 'README.md');
    git(repo, 'commit', '--quiet', '-m', 'readme');
    const theirs = git(repo, 'rev-parse', 'main');
    const p = new LocalGitPublisher({ path: repo, branch: 'main' });
    const mine = await committed(p, request(1, 'a: 1\n'));
    expect(git(repo, 'rev-parse', `${mine.sha}^`)).toBe(theirs);
    expect(git(repo, 'ls-tree', '-r', '-z', '--name-only', 'main').split('\0').filter(Boolean)).toEqual(['README.md', 'values/data processing "x".yaml']);
  });

  it('commits nothing when the file already holds the content', async () => {
    const p = new LocalGitPublisher({ path: join(tempDir(), 'repo'), branch: 'main' });
    const first = await committed(p, request(1, 'a: 1\n'));
    const again = await committed(p, request(2, 'a: 1\n', { expectedBlob: first.blob }));
    expect(again).toEqual(first);
  });

  it('recognises a save whose commit landed but was not recorded, by its trailer', async () => {
    const repo = join(tempDir(), 'repo');
    const p = new LocalGitPublisher({ path: repo, branch: 'main' });
    const before = await committed(p, request(1, 'a: 1\n'));
    const landed = await committed(p, request(2, 'a: 2\n', { expectedBlob: before.blob }));
    // Someone commits another file on top: the answer is still the save's own commit, not the branch head.
    writeFileSync(join(repo, 'README.md'), 'hello\n');
    git(repo, 'add', 'README.md');
    git(repo, 'commit', '--quiet', '-m', 'readme');
    // Published again as after a crash: the app still holds the blob of save 1 as the last it wrote.
    expect(await committed(p, request(2, 'a: 2\n', { expectedBlob: before.blob }))).toEqual(landed);
    expect(git(repo, 'log', '--format=%H', '--grep=^Switchyard-Save: 2$', 'main')).toBe(landed.sha);
  });

  it('refuses to overwrite an edit made in the repository', async () => {
    const repo = join(tempDir(), 'repo');
    const p = new LocalGitPublisher({ path: repo, branch: 'main' });
    const req = request(1, 'a: 1\n');
    const first = await committed(p, req);
    await expectHandEditKept(p, repo, req.path, request(2, 'a: 2\n', { expectedBlob: first.blob }));
  });

  it('builds on a commit made by someone else since its own last one, and still sees their edit of the file', async () => {
    const repo = join(tempDir(), 'repo');
    const logged: string[] = [];
    const p = new LocalGitPublisher({ path: repo, branch: 'main', log: (m) => logged.push(m) });
    const req = request(1, 'a: 1\n');
    const first = await committed(p, req);
    writeFileSync(join(repo, 'README.md'), 'hello\n');
    git(repo, 'add', 'README.md');
    git(repo, 'commit', '--quiet', '-m', 'readme');
    const theirs = git(repo, 'rev-parse', 'main');
    const second = await committed(p, request(2, 'a: 2\n', { expectedBlob: first.blob }));
    expect(git(repo, 'rev-parse', `${second.sha}^`)).toBe(theirs);
    expect(git(repo, 'show', 'main:README.md')).toBe('hello');
    expect(logged.join('\n')).toMatch(/main moved while publishing/);

    await expectHandEditKept(p, repo, req.path, request(3, 'a: 3\n', { expectedBlob: second.blob }));
  });

  it('keeps the working copy in step only where the branch is checked out, in a linked worktree too', async () => {
    const repo = join(tempDir(), 'repo');
    const p = new LocalGitPublisher({ path: repo, branch: 'main' });
    const req = request(1, 'a: 1\n');
    const first = await committed(p, req);
    git(repo, 'checkout', '--quiet', '-b', 'other');
    const second = await committed(p, request(2, 'a: 2\n', { expectedBlob: first.blob }));
    expect(readFileSync(join(repo, req.path), 'utf8')).toBe('a: 1\n');

    const linked = join(tempDir(), 'linked');
    git(repo, 'worktree', 'add', '--quiet', '-b', 'side', linked, 'main');
    const q = new LocalGitPublisher({ path: linked, branch: 'side' });
    const third = await committed(q, request(3, 'a: 3\n', { expectedBlob: second.blob }));
    expect(git(linked, 'rev-parse', 'HEAD')).toBe(third.sha);
    expect(readFileSync(join(linked, req.path), 'utf8')).toBe('a: 3\n');
    expect(git(linked, 'status', '--porcelain')).toBe('');
    expect(existsSync(join(linked, '.git'))).toBe(true);
  });
});

describe('object ids and identities', () => {
  it('gives the id git gives the same content', () => {
    const dir = tempDir();
    git(dir, 'init', '--quiet');
    const content = 'name: "ü ✓"\n';
    const hashed = execFileSync('git', ['-C', dir, 'hash-object', '--stdin'], { input: content, encoding: 'utf8' }).trim();
    expect(blobId(content, hashed)).toBe(hashed);
  });

  it('writes names as commit-tree would, without the characters an identity cannot hold', () => {
    expect(ident({ name: ' "Ed <E>" ', email: '<ed@example.org>' })).toBe('Ed E <ed@example.org>');
  });
});

describe('whether the file history must be read', () => {
  it('is skipped only when the file is what Switchyard last wrote and the save changes it', () => {
    expect(mayHoldSave('old', 'new', 'old')).toBe(false);
    // The same content: the save may have been committed as this very blob (or need no commit).
    expect(mayHoldSave('old', 'old', 'old')).toBe(true);
    // Changed since: the save's own commit, an earlier save's, or someone else's edit.
    expect(mayHoldSave('other', 'new', 'old')).toBe(true);
    // Publish anyway, or the first publication: nothing to compare with.
    expect(mayHoldSave('old', 'new', undefined)).toBe(true);
  });
});
