/**
 * Publication to a local Git working copy, optionally pushed to a remote.
 * Commits are built with plumbing on a temporary index (so a half-edited
 * working copy or a stale lock never gets in the way), the branch moves only
 * from the head the commit was built on (update-ref with the expected old
 * value), and pushes are never forced: if the remote moved, the commit is
 * rebuilt on top of it, as long as the page's file is unchanged there.
 * Publishing a save whose commit already landed (a crash came before the app
 * recorded it) finds that commit by its trailer and answers with it.
 * Every git command has a deadline that ends it and all its helpers.
 */
import { existsSync } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { saveOf } from '../../core/commit-message.ts';
import { runCommand } from './process.ts';
import { localTarget } from './target.ts';
import { COMMITTER, commitOfSave, HISTORY_DEPTH, lastWrittenBy, type FileCommit, type PublishRequest, type PublishResult, type Publisher } from './types.ts';

const STALE_LOCK_MS = 10 * 60 * 1000;
const ATTEMPTS = 3;

interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** The default deadline of one git command. */
export const GIT_TIMEOUT_MS = 60_000;

export class LocalGitPublisher implements Publisher {
  readonly target: string;
  private dir: string;
  private branch: string;
  private remote: string | undefined;
  private log: (m: string) => void;
  private timeoutMs: number;

  constructor(opts: { path: string; branch: string; remote?: string; log?: (m: string) => void; timeoutMs?: number }) {
    this.dir = opts.path;
    this.timeoutMs = opts.timeoutMs ?? GIT_TIMEOUT_MS;
    this.branch = opts.branch;
    this.remote = opts.remote;
    this.log = opts.log ?? (() => {});
    this.target = localTarget(opts.path, opts.branch, opts.remote);
  }

  private async git(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<GitResult> {
    return runCommand('git', ['-C', this.dir, ...args], {
      input: opts.input,
      timeoutMs: this.timeoutMs,
      // Never wait for a password prompt; a remote that wants one fails at once.
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', SSH_ASKPASS: 'true', LC_ALL: 'C', GIT_SSH_COMMAND: 'ssh -o BatchMode=yes', ...opts.env },
    });
  }

  private async must(args: string[], opts: { input?: string; env?: Record<string, string> } = {}): Promise<string> {
    const r = await this.git(args, opts);
    if (r.timedOut) throw new Error(`git ${args[0]} did not finish within ${seconds(this.timeoutMs)}`);
    if (r.code !== 0) throw new Error(`git ${args[0]} failed: ${firstLine(r.stderr)}`);
    return r.stdout.trim();
  }

  private silent(what: string): PublishResult {
    return { status: 'failed', reason: `git ${what} did not answer within ${seconds(this.timeoutMs)}` };
  }

  private async ensureRepo(): Promise<void> {
    if (existsSync(join(this.dir, '.git'))) return;
    await mkdir(this.dir, { recursive: true });
    await this.must(['init', '--quiet', '--initial-branch', this.branch]);
    this.log(`created the Git repository ${this.dir}`);
  }

  /** A lock left by a git that crashed is removed; a fresh one means git is busy. */
  private async clearStaleLock(): Promise<string | undefined> {
    const lock = join(this.dir, '.git', 'index.lock');
    const s = await stat(lock).catch(() => undefined);
    if (!s) return undefined;
    if (Date.now() - s.mtimeMs < STALE_LOCK_MS) return `another git process holds ${lock} (since ${new Date(s.mtimeMs).toISOString()})`;
    await rm(lock, { force: true });
    this.log(`removed the stale ${lock} (left ${Math.round((Date.now() - s.mtimeMs) / 60000)} minutes ago)`);
    return undefined;
  }

  private async revParse(rev: string): Promise<string | undefined> {
    const r = await this.git(['rev-parse', '--verify', '--quiet', rev]);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }

  async publish(req: PublishRequest): Promise<PublishResult> {
    try {
      await this.ensureRepo();
      const busy = await this.clearStaleLock();
      if (busy) return { status: 'failed', reason: busy };
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const outcome = await this.attempt(req);
        if (outcome !== 'moved') return outcome;
        this.log(`${this.branch} moved while publishing ${req.path}; building again on top (attempt ${attempt + 1})`);
      }
      return { status: 'failed', reason: `the branch ${this.branch} kept moving; will try again` };
    } catch (e) {
      return { status: 'failed', reason: (e as Error).message };
    }
  }

  private async attempt(req: PublishRequest): Promise<PublishResult | 'moved'> {
    const localRef = `refs/heads/${this.branch}`;
    let base: string | undefined;
    if (this.remote) {
      const fetched = await this.git(['fetch', '--quiet', '--no-tags', this.remote, `+${localRef}:refs/remotes/${this.remote}/${this.branch}`]);
      if (fetched.timedOut) return this.silent(`fetch from ${this.remote}`);
      if (fetched.code !== 0 && !/couldn't find remote ref/i.test(fetched.stderr)) {
        return { status: 'failed', reason: `cannot fetch from ${this.remote}: ${firstLine(fetched.stderr)}` };
      }
      base = fetched.code === 0 ? await this.revParse(`refs/remotes/${this.remote}/${this.branch}`) : await this.revParse(localRef);
    } else {
      base = await this.revParse(localRef);
    }

    const current = base ? await this.revParse(`${base}:${req.path}`) : undefined;
    const history = current ? await this.fileHistory(base!, req.path) : [];
    const own = commitOfSave(history, req.saveId);
    if (own) return this.alreadyCommitted(own.sha, base!, current!, req);
    if (current && req.expectedBlob && current !== req.expectedBlob && !lastWrittenBy(history, req.earlierSaves)) {
      return { status: 'conflict', reason: `${req.path} was changed in the repository (at ${base!.slice(0, 12)}) since Switchyard last wrote it; not overwriting it` };
    }

    const blob = await this.must(['hash-object', '-w', '--stdin'], { input: req.content });
    const index = join(tmpdir(), `switchyard-index-${randomBytes(6).toString('hex')}`);
    let commit: string;
    try {
      const env = { GIT_INDEX_FILE: index };
      if (base) await this.must(['read-tree', base], { env });
      await this.must(['update-index', '--add', '--cacheinfo', `100644,${blob},${req.path}`], { env });
      const tree = await this.must(['write-tree'], { env });
      if (base && tree === (await this.revParse(`${base}^{tree}`))) return { status: 'committed', sha: base, blob };
      commit = await this.must(['commit-tree', tree, ...(base ? ['-p', base] : []), '-F', '-'], {
        input: req.message,
        env: {
          GIT_AUTHOR_NAME: req.author.name,
          GIT_AUTHOR_EMAIL: req.author.email,
          GIT_AUTHOR_DATE: req.date,
          GIT_COMMITTER_NAME: COMMITTER.name,
          GIT_COMMITTER_EMAIL: COMMITTER.email,
        },
      });
    } finally {
      await rm(index, { force: true });
    }

    if (this.remote) {
      const pushed = await this.git(['push', '--quiet', '--porcelain', this.remote, `${commit}:${localRef}`]);
      if (pushed.timedOut) return this.silent(`push to ${this.remote}`);
      if (pushed.code !== 0) {
        if (/\[rejected\]|non-fast-forward|fetch first/i.test(pushed.stdout + pushed.stderr)) return 'moved';
        return { status: 'failed', reason: `cannot push to ${this.remote}: ${firstLine(pushed.stderr || pushed.stdout)}` };
      }
      // The remote is the record; the local branch follows it.
      await this.must(['update-ref', '-m', 'switchyard: publish', localRef, commit]);
    } else {
      const moved = await this.git(['update-ref', '-m', 'switchyard: publish', localRef, commit, base ?? '0'.repeat(40)]);
      if (moved.code !== 0) return 'moved';
    }
    await this.syncWorkingCopy(req.path, req.content, blob);
    return { status: 'committed', sha: commit, blob };
  }

  /** The latest commits on `base` that changed `path`, newest first. */
  private async fileHistory(base: string, path: string): Promise<FileCommit[]> {
    const log = await this.must(['log', `-n${HISTORY_DEPTH}`, '--format=%H%x1f%ce%x1f%B%x1e', base, '--', path]);
    return log
      .split('\x1e')
      .map((entry) => entry.trim().split('\x1f'))
      .filter((f) => f.length === 3)
      .map(([sha, committerEmail, message]) => ({ sha: sha!, committerEmail: committerEmail!, save: saveOf(message!) }));
  }

  /**
   * The save's commit is already on the branch: the local branch and working
   * copy are brought where they would have been, and the commit is the answer.
   */
  private async alreadyCommitted(sha: string, base: string, current: string, req: PublishRequest): Promise<PublishResult> {
    const blob = await this.must(['rev-parse', `${sha}:${req.path}`]);
    if (this.remote) await this.must(['update-ref', '-m', 'switchyard: follow the remote', `refs/heads/${this.branch}`, base]);
    if (current === blob) await this.syncWorkingCopy(req.path, req.content, blob);
    this.log(`save ${req.saveId} was already committed as ${sha.slice(0, 12)}; recording it`);
    return { status: 'committed', sha, blob };
  }

  /** Keeps the checked-out file and the index in step with the branch, when that branch is checked out. */
  private async syncWorkingCopy(path: string, content: string, blob: string): Promise<void> {
    const head = await this.git(['symbolic-ref', '--quiet', 'HEAD']);
    if (head.stdout.trim() !== `refs/heads/${this.branch}`) return;
    try {
      await mkdir(dirname(join(this.dir, path)), { recursive: true });
      await writeFile(join(this.dir, path), content);
      const r = await this.git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`]);
      if (r.code !== 0) this.log(`committed, but could not update the working copy's index: ${firstLine(r.stderr)}`);
    } catch (e) {
      this.log(`committed, but could not update the working copy: ${(e as Error).message}`);
    }
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim()) ?? 'no details').replace(/^(fatal|error): /, '').trim().slice(0, 300);
}
