/**
 * Publication to a local Git working copy, optionally pushed to a remote.
 * Commits are written by one fast-import, never through the working copy's
 * index (so a half-edited working copy or a stale lock never gets in the
 * way; see fast-import.ts), the branch moves only
 * from the head the commit was built on (update-ref with the expected old
 * value), and pushes are never forced: if the remote moved, the commit is
 * rebuilt on top of it, as long as the page's file is unchanged there.
 * Publishing a save whose commit already landed (a crash came before the app
 * recorded it) finds that commit by its trailer and answers with it.
 * A remote that refuses the branch's push ([remote rejected]: a hook, a
 * protected branch) is answered as `refused`, and the save is proposed: the
 * same commit is built on the page's side branch instead (see propose).
 * Every git command has a deadline that ends it and all its helpers.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { saveOf } from '../../core/commit-message.ts';
import { blobId, fastImportInput } from './fast-import.ts';
import { runCommand, type RunOptions } from './process.ts';
import { localTarget } from './target.ts';
import { COMMITTER, commitOfSave, HISTORY_DEPTH, lastWrittenBy, type FileCommit, SIDE_PREFIX, type OpenProposal, type ProposalCheck, type ProposeRequest, type PublishRequest, type PublishResult, type Publisher } from './types.ts';

const STALE_LOCK_MS = 10 * 60 * 1000;
const ATTEMPTS = 3;

/**
 * The branch a commit goes to. A side branch (`from` set) is built on its own
 * head while its proposal is open, and on `from` (the target branch) when it
 * is new or `fresh` (a proposal opened again after one was closed).
 */
interface Dest {
  branch: string;
  from?: string;
  fresh?: boolean;
}

/** A commit landed (or was there already), and whether it is on the target branch rather than the side branch. */
type Landed = { status: 'committed'; sha: string; blob: string; onTarget: boolean };
type Failed = Extract<PublishResult, { status: 'failed' }>;
type Refs = { target: string; side: (branch: string) => string };
/** How long what a proposal check fetched serves the save that follows it. */
const CHECKED_FETCH_MS = 2000;
type Outcome = Landed | Exclude<PublishResult, { status: 'committed' }> | 'moved';

/** A push the remote refused outright (a hook, a protected branch), as opposed to one it found out of date. */
export const REFUSED_PUSH = /\[remote rejected\]|pre-receive hook declined|protected branch/i;

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
  /** The refs a proposal check just fetched, for the save it lets go on top (see refs). */
  private checked: { at: number; refs: Refs } | undefined;
  /** This publisher's last commit, its branch, and the file and blob it wrote (see lastWritten). */
  private last: { branch: string; commit: string; path: string; blob: string } | undefined;

  constructor(opts: { path: string; branch: string; remote?: string; log?: (m: string) => void; timeoutMs?: number }) {
    this.dir = opts.path;
    this.timeoutMs = opts.timeoutMs ?? GIT_TIMEOUT_MS;
    this.branch = opts.branch;
    this.remote = opts.remote;
    this.log = opts.log ?? (() => {});
    this.target = localTarget(opts.path, opts.branch, opts.remote);
  }

  private async git(args: string[], opts: { input?: string; converse?: RunOptions['converse']; env?: Record<string, string> } = {}): Promise<GitResult> {
    return runCommand('git', ['-C', this.dir, ...args], {
      input: opts.input,
      converse: opts.converse,
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

  private silent(what: string): Failed {
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

  async publish(req: PublishRequest): Promise<PublishResult> {
    const landed = await this.commitTo(req, { branch: this.branch });
    return landed.status === 'committed' ? { status: 'committed', sha: landed.sha, blob: landed.blob } : landed;
  }

  /**
   * The save's commit on the page's side branch (pushed to the remote when
   * there is one). Locally a proposal is the side branch alone: someone
   * merges it into the target branch, or deletes it to close it.
   */
  async propose(req: PublishRequest, proposal: ProposeRequest): Promise<PublishResult> {
    const landed = await this.commitTo(req, { branch: proposal.branch, from: this.branch, fresh: !proposal.open });
    // The side branch refused too: nowhere to put the save now; it is tried again.
    if (landed.status === 'refused') return { status: 'failed', reason: landed.reason };
    if (landed.status !== 'committed') return landed;
    // Already on the target branch (it holds this content, or the save's commit was merged): nothing to propose.
    if (landed.onTarget) return { status: 'committed', sha: landed.sha, blob: landed.blob };
    return { status: 'proposed', sha: landed.sha, blob: landed.blob, branch: proposal.branch };
  }

  private async commitTo(req: PublishRequest, dest: Dest): Promise<Exclude<Outcome, 'moved'>> {
    try {
      await this.ensureRepo();
      const busy = await this.clearStaleLock();
      if (busy) return { status: 'failed', reason: busy };
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const outcome = await this.attempt(req, attempt === 1, dest);
        if (outcome !== 'moved') return outcome;
        this.log(`${dest.branch} moved while publishing ${req.path}; building again on top (attempt ${attempt + 1})`);
      }
      return { status: 'failed', reason: `the branch ${dest.branch} kept moving; will try again` };
    } catch (e) {
      return { status: 'failed', reason: (e as Error).message };
    }
  }

  /**
   * Where branch heads are read. With a remote, one fetch brings its target
   * branch and Switchyard's side branches (pruned: a side branch deleted
   * there loses its remote-tracking ref); a remote without the target branch
   * yet leaves the local branch to build on.
   */
  private async refs(reuseChecked = false): Promise<Refs | Failed> {
    if (!this.remote) return { target: `refs/heads/${this.branch}`, side: (b) => `refs/heads/${b}` };
    // A save is proposed right after its page's proposal was checked: that fetch serves it, once. If
    // the remote moved since, the push is refused as out of date and the next attempt fetches again.
    const checked = this.checked;
    this.checked = undefined;
    if (reuseChecked && checked && Date.now() - checked.at < CHECKED_FETCH_MS) return checked.refs;
    const tracking = (b: string) => `refs/remotes/${this.remote}/${b}`;
    const sides = `+refs/heads/${SIDE_PREFIX}*:${tracking(SIDE_PREFIX)}*`;
    const fetch = (...refspecs: string[]) => this.git(['fetch', '--quiet', '--no-tags', '--prune', this.remote!, ...refspecs]);
    let fetched = await fetch(`+refs/heads/${this.branch}:${tracking(this.branch)}`, sides);
    const noTarget = !fetched.timedOut && fetched.code !== 0 && /couldn't find remote ref/i.test(fetched.stderr);
    if (noTarget) fetched = await fetch(sides);
    if (fetched.timedOut) return this.silent(`fetch from ${this.remote}`);
    if (fetched.code !== 0) return { status: 'failed', reason: `cannot fetch from ${this.remote}: ${firstLine(fetched.stderr)}` };
    return { target: noTarget ? `refs/heads/${this.branch}` : tracking(this.branch), side: tracking };
  }

  /** The commit the save builds on and the file's blob there, and whether that is the target branch. */
  private async baseOf(req: PublishRequest, dest: Dest, trustLast: boolean): Promise<{ base?: string; current?: string; onTarget: boolean } | Failed> {
    const refs = await this.refs(!!dest.from);
    if ('status' in refs) return refs;
    if (dest.from && !dest.fresh) {
      const found = (trustLast && this.lastWritten(req, dest.branch)) || (await this.lookUp(refs.side(dest.branch), req.path));
      if (found.base) return { ...found, onTarget: false };
    }
    const found = (!dest.from && trustLast && this.lastWritten(req, dest.branch)) || (await this.lookUp(refs.target, req.path));
    return { ...found, onTarget: true };
  }

  private async attempt(req: PublishRequest, trustLast: boolean, dest: Dest): Promise<Outcome> {
    const localRef = `refs/heads/${dest.branch}`;
    const found = await this.baseOf(req, dest, trustLast);
    if ('status' in found) return found;
    const { base, current, onTarget } = found;
    const blob = base ? blobId(req.content, base) : undefined;
    const history = current && mayHoldSave(current, blob!, req.expectedBlob) ? await this.fileHistory(base!, req.path) : [];
    const own = commitOfSave(history, req.saveId);
    if (own) return { ...(await this.alreadyCommitted(own.sha, base!, current!, req, onTarget ? (dest.from ?? dest.branch) : dest.branch)), onTarget };
    if (current && req.expectedBlob && current !== req.expectedBlob && !lastWrittenBy(history, req.earlierSaves)) {
      return { status: 'conflict', reason: `${req.path} was changed in the repository (at ${base!.slice(0, 12)}) since Switchyard last wrote it; not overwriting it` };
    }
    // The file already holds this content: nothing to commit (the tree would be the base's).
    if (base && blob && blob === current) return { status: 'committed', sha: base, blob, onTarget };

    const made = await this.writeCommit(base, req);
    // A side branch started again from the target replaces what a closed proposal left there: Switchyard's own branch.
    const replace = !!dest.from && onTarget;
    if (this.remote) {
      // Not --quiet: it would keep back the remote's own words on a refusal ("remote: …").
      const pushed = await this.git(['push', '--porcelain', this.remote, `${replace ? '+' : ''}${made.commit}:${localRef}`]);
      if (pushed.timedOut) return this.silent(`push to ${this.remote}`);
      if (pushed.code !== 0) {
        const said = `${pushed.stdout}\n${pushed.stderr}`;
        if (REFUSED_PUSH.test(said)) return { status: 'refused', reason: `${this.remote} refused the push to ${dest.branch}: ${refusal(said)}` };
        if (/\[rejected\]|non-fast-forward|fetch first/i.test(said)) return 'moved';
        return { status: 'failed', reason: `cannot push to ${this.remote}: ${firstLine(pushed.stderr || pushed.stdout)}` };
      }
      // The remote is the record; the local branch follows it.
      await this.must(['update-ref', '-m', 'switchyard: publish', localRef, made.commit]);
    } else {
      const expected = replace ? [] : [base ?? '0'.repeat(40)];
      const moved = await this.git(['update-ref', '-m', 'switchyard: publish', localRef, made.commit, ...expected]);
      this.last = moved.code === 0 ? { branch: dest.branch, commit: made.commit, path: req.path, blob: made.blob } : undefined;
      if (moved.code !== 0) return 'moved';
    }
    await this.syncWorkingCopy(req.path, req.content, made.blob, dest.branch);
    return { status: 'committed', sha: made.commit, blob: made.blob, onTarget: !dest.from };
  }

  /**
   * A local proposal is merged once its last commit is in the target branch
   * (however it got there: a merge, a fast-forward, a rebase keeping it), and
   * closed once its side branch is gone without that.
   */
  async checkProposal(proposal: OpenProposal): Promise<ProposalCheck> {
    const refs = await this.refs();
    if ('status' in refs) throw new Error(refs.reason);
    this.checked = { at: Date.now(), refs };
    if (await this.isAncestor(proposal.headSha, refs.target)) {
      const sha = await this.mergeOf(proposal.headSha, refs.target);
      const blob = (await this.git(['rev-parse', '--verify', '--quiet', `${refs.target}:${proposal.path}`])).stdout.trim() || undefined;
      return { state: 'merged', sha, blob, head: proposal.headSha };
    }
    const exists = (await this.git(['rev-parse', '--verify', '--quiet', refs.side(proposal.branch)])).code === 0;
    return exists ? { state: 'open' } : { state: 'closed', reason: `the branch ${proposal.branch} was deleted without being merged into ${this.branch}` };
  }

  private async isAncestor(sha: string, ref: string): Promise<boolean> {
    const r = await this.git(['merge-base', '--is-ancestor', sha, ref]);
    if (r.timedOut) throw new Error(`git merge-base did not finish within ${seconds(this.timeoutMs)}`);
    if (r.code > 1) throw new Error(`git merge-base failed: ${firstLine(r.stderr)}`);
    return r.code === 0;
  }

  /** The commit that brought `sha` into `ref`: the first merge on the way from it, or itself (a fast-forward). */
  private async mergeOf(sha: string, ref: string): Promise<string> {
    const path = await this.must(['rev-list', '--ancestry-path', '--reverse', '--parents', `${sha}..${ref}`]);
    const merge = path.split('\n').map((l) => l.split(' ')).find((ids) => ids.length > 2 && ids.slice(2).includes(sha));
    return merge?.[0] ?? sha;
  }

  /**
   * The branch head and the file's blob without asking git, when the save
   * builds on this publisher's last commit: same file, the app still expects
   * the blob written then, and the save changes it (so there is no history
   * to read, see mayHoldSave). If the branch moved since, the compare-and-set
   * branch move fails and the next attempt asks git.
   */
  private lastWritten(req: PublishRequest, branch: string): { base: string; current: string } | undefined {
    const last = this.last;
    if (this.remote || !last || last.branch !== branch || last.path !== req.path || last.blob !== req.expectedBlob) return undefined;
    if (blobId(req.content, last.commit) === last.blob) return undefined;
    return { base: last.commit, current: last.blob };
  }

  /**
   * The commit `ref` points at and the blob of `path` in it, from one
   * cat-file: the path is asked of the commit id once it is known (not of
   * the ref again, which may have moved in between).
   */
  private async lookUp(ref: string, path: string): Promise<{ base?: string; current?: string }> {
    const answer = (line: string | undefined) => (line && !line.endsWith(' missing') ? line.split(' ')[0] : undefined);
    let base: string | undefined;
    let asked = false;
    const r = await this.git(['cat-file', '--batch-check=%(objectname)'], {
      input: `${ref}\n`,
      converse: (out) => {
        const lines = out.split('\n');
        if (lines.length < 2) return ''; // the first answer is not complete yet
        base = answer(lines[0]);
        if (!base) return null;
        if (asked) return lines.length > 2 ? null : '';
        asked = true;
        return `${base}:${path}\n`;
      },
    });
    if (r.timedOut) throw new Error(`git cat-file did not finish within ${seconds(this.timeoutMs)}`);
    if (r.code !== 0) throw new Error(`git cat-file failed: ${firstLine(r.stderr)}`);
    return base ? { base, current: answer(r.stdout.split('\n')[1]) } : {};
  }

  /** Writes the save's blob and its commit on `base` (one fast-import); moves no branch. */
  private async writeCommit(base: string | undefined, req: PublishRequest): Promise<{ blob: string; commit: string }> {
    const input = fastImportInput({
      base,
      path: req.path,
      content: req.content,
      message: req.message,
      author: { ...req.author, date: req.date },
      committer: COMMITTER,
      scratchRef: `refs/switchyard/publish-${randomBytes(6).toString('hex')}`,
    });
    const [blob, commit] = (await this.must(['fast-import', '--quiet', '--done'], { input })).split('\n');
    if (!blob || !commit) throw new Error('git fast-import did not say what it wrote');
    return { blob, commit };
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
  private async alreadyCommitted(sha: string, base: string, current: string, req: PublishRequest, branch: string): Promise<{ status: 'committed'; sha: string; blob: string }> {
    const blob = await this.must(['rev-parse', `${sha}:${req.path}`]);
    if (this.remote) await this.must(['update-ref', '-m', 'switchyard: follow the remote', `refs/heads/${branch}`, base]);
    if (current === blob) await this.syncWorkingCopy(req.path, req.content, blob, branch);
    this.log(`save ${req.saveId} was already committed as ${sha.slice(0, 12)}; recording it`);
    return { status: 'committed', sha, blob };
  }

  /** Keeps the checked-out file and the index in step with the branch, when that branch is checked out. */
  private async syncWorkingCopy(path: string, content: string, blob: string, branch: string): Promise<void> {
    if ((await this.checkedOut()) !== `refs/heads/${branch}`) return;
    try {
      await mkdir(dirname(join(this.dir, path)), { recursive: true });
      await writeFile(join(this.dir, path), content);
      const r = await this.git(['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`]);
      if (r.code !== 0) this.log(`committed, but could not update the working copy's index: ${firstLine(r.stderr)}`);
    } catch (e) {
      this.log(`committed, but could not update the working copy: ${(e as Error).message}`);
    }
  }

  /** HEAD's branch, read from .git/HEAD when .git is a folder (a linked worktree's .git is a file: git is asked then). */
  private async checkedOut(): Promise<string> {
    const head = await readFile(join(this.dir, '.git', 'HEAD'), 'utf8').catch(() => undefined);
    const ref = head?.match(/^ref: (refs\/\S+)\n?$/)?.[1];
    if (ref) return ref;
    if (head !== undefined) return ''; // a detached HEAD
    return (await this.git(['symbolic-ref', '--quiet', 'HEAD'])).stdout.trim();
  }
}

/**
 * Whether the file's commit history must be read: it may hold this save's
 * commit already, or tell Switchyard's own write from someone else's. It
 * need not when the file is still the blob Switchyard last recorded writing
 * and this save's blob differs: had this save's commit landed (a crash before
 * it was recorded), the file would hold this save's blob, since the page's
 * later saves wait for this one; and there is no conflict to tell apart.
 * (Only a hand edit putting the old bytes back after such a lost commit
 * escapes this; publishing then commits the save again on top of it.)
 */
export function mayHoldSave(current: string, blob: string, expectedBlob: string | undefined): boolean {
  return !(current === expectedBlob && blob !== current);
}

/** The remote's own words for a refused push: its `remote: error:` lines, else the rejected ref's reason. */
function refusal(said: string): string {
  const remote = said.split('\n').filter((l) => /^remote: /.test(l)).map((l) => l.replace(/^remote:\s*(error:\s*)?/, '').trim()).filter(Boolean);
  if (remote.length) return remote.join(' ').slice(0, 300);
  return said.match(/\[remote rejected\][^\n]*/)?.[0] ?? firstLine(said);
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function firstLine(text: string): string {
  return (text.split('\n').find((l) => l.trim()) ?? 'no details').replace(/^(fatal|error): /, '').trim().slice(0, 300);
}
