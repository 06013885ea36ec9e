/**
 * What is on a Git target's branch now, read for changes made outside
 * Switchyard (see adopt.ts): the files under the values folder with their
 * blob ids, the latest commit that changed one of them, and a file's bytes.
 * A local working copy (fetched first when it has a remote) and GitHub (a
 * conditional request on the branch, so an unchanged branch costs a 304)
 * answer the same questions.
 */
import { Octokit } from '@octokit/rest';
import { saveOf } from '../../core/commit-message.ts';
import { fetchWithin, GITHUB_TIMEOUT_MS } from './github.ts';
import { runCommand } from './process.ts';
import { githubTarget, localTarget } from './target.ts';
import { COMMITTER } from './types.ts';

export interface BranchFile {
  path: string;
  blob: string;
  size: number;
}

/** The latest commit that changed a file: who made it, and whether it is Switchyard's own. */
export interface FileOrigin {
  sha: string;
  url?: string;
  authorName: string;
  authorEmail: string;
  committedAt?: string;
  /** The first line of its message. */
  subject: string;
  /** Written by Switchyard (its committer and a `Switchyard-Save` trailer). */
  ours: boolean;
}

export interface BranchReader {
  readonly target: string;
  /**
   * The files under `directory` at the branch's head; `unchanged` when the
   * head is still `seenHead`; undefined while the branch does not exist.
   */
  files(directory: string, seenHead?: string): Promise<{ head: string; files: BranchFile[] } | 'unchanged' | undefined>;
  lastCommit(head: string, path: string): Promise<FileOrigin | undefined>;
  content(blob: string): Promise<string>;
}

function originOf(c: { sha: string; url?: string; authorName: string; authorEmail: string; committedAt?: string; committerEmail: string; message: string }): FileOrigin {
  return {
    sha: c.sha,
    url: c.url,
    authorName: c.authorName.slice(0, 100) || c.authorEmail.slice(0, 100) || 'unknown',
    authorEmail: c.authorEmail.slice(0, 200),
    committedAt: c.committedAt,
    subject: (c.message.split('\n')[0] ?? '').trim().slice(0, 200),
    ours: c.committerEmail.toLowerCase() === COMMITTER.email && saveOf(c.message) !== undefined,
  };
}

const inFolder = (directory: string) => `${directory.replace(/\/+$/, '')}/`;

export class LocalBranchReader implements BranchReader {
  readonly target: string;
  private opts: { path: string; branch: string; remote?: string; timeoutMs: number };
  constructor(opts: { path: string; branch: string; remote?: string; timeoutMs: number }) {
    this.opts = opts;
    this.target = localTarget(opts.path, opts.branch, opts.remote);
  }

  private async git(args: string[]): Promise<string> {
    const r = await runCommand('git', ['-C', this.opts.path, ...args], {
      timeoutMs: this.opts.timeoutMs,
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true', SSH_ASKPASS: 'true', LC_ALL: 'C', GIT_SSH_COMMAND: 'ssh -o BatchMode=yes' },
    });
    if (r.timedOut) throw new Error(`git ${args[0]} did not finish within ${Math.round(this.opts.timeoutMs / 1000)} s`);
    if (r.code !== 0) throw new Error(`git ${args[0]} failed: ${(r.stderr.split('\n').find((l) => l.trim()) ?? 'no details').trim().slice(0, 300)}`);
    return r.stdout;
  }

  async files(directory: string, seenHead?: string): Promise<{ head: string; files: BranchFile[] } | 'unchanged' | undefined> {
    const { branch, remote } = this.opts;
    let ref = `refs/heads/${branch}`;
    if (remote) {
      await this.git(['fetch', '--quiet', '--no-tags', remote, `+refs/heads/${branch}:refs/remotes/${remote}/${branch}`]).catch((e: Error) => {
        if (!/couldn't find remote ref/i.test(e.message)) throw e;
      });
      ref = `refs/remotes/${remote}/${branch}`;
    }
    const head = (await this.git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]).catch(() => '')).trim();
    if (!head) return undefined;
    if (head === seenHead) return 'unchanged';
    const listing = await this.git(['ls-tree', '-r', '-l', '-z', head, '--', inFolder(directory)]);
    const files = listing
      .split('\0')
      .filter(Boolean)
      .flatMap((line) => {
        const m = /^\d+ blob ([0-9a-f]+)\s+(\d+)\t(.+)$/s.exec(line);
        return m ? [{ blob: m[1]!, size: Number(m[2]), path: m[3]! }] : [];
      });
    return { head, files };
  }

  async lastCommit(head: string, path: string): Promise<FileOrigin | undefined> {
    const out = await this.git(['log', '-1', '--format=%H%x1f%an%x1f%ae%x1f%aI%x1f%ce%x1f%B', head, '--', path]);
    const [sha, authorName, authorEmail, committedAt, committerEmail, message] = out.trim().split('\x1f');
    if (!sha || message === undefined) return undefined;
    return originOf({ sha, authorName: authorName!, authorEmail: authorEmail!, committedAt, committerEmail: committerEmail!, message });
  }

  content(blob: string): Promise<string> {
    return this.git(['cat-file', 'blob', blob]);
  }
}

interface HttpishError {
  status?: number;
  response?: { headers?: Record<string, string | number | undefined> };
}

export class GitHubBranchReader implements BranchReader {
  readonly target: string;
  private octokit: Octokit | undefined;
  private repo: { owner: string; repo: string };
  /** The branch's last answer: its ETag, for the next request to be conditional, and the head it named. */
  private lastRef: { etag: string; head: string } | undefined;

  private opts: { repository: string; branch: string; apiUrl: string; token: string | undefined; tokenEnv: string; timeoutMs?: number };
  constructor(opts: { repository: string; branch: string; apiUrl: string; token: string | undefined; tokenEnv: string; timeoutMs?: number }) {
    this.opts = opts;
    const [owner, repo] = opts.repository.split('/') as [string, string];
    this.repo = { owner, repo };
    this.target = githubTarget(opts.repository, opts.branch, opts.apiUrl);
    const timeout = opts.timeoutMs ?? GITHUB_TIMEOUT_MS;
    if (opts.token) this.octokit = new Octokit({ auth: opts.token, baseUrl: opts.apiUrl.replace(/\/+$/, ''), userAgent: 'switchyard', request: { fetch: fetchWithin(timeout) } });
  }

  private client(): Octokit {
    if (!this.octokit) throw new Error(`no GitHub token: set the environment variable ${this.opts.tokenEnv}`);
    return this.octokit;
  }

  async files(directory: string, seenHead?: string): Promise<{ head: string; files: BranchFile[] } | 'unchanged' | undefined> {
    const gh = this.client();
    const conditional = seenHead && this.lastRef?.head === seenHead ? { 'if-none-match': this.lastRef.etag } : {};
    let head: string;
    try {
      const ref = await gh.rest.git.getRef({ ...this.repo, ref: `heads/${this.opts.branch}`, headers: conditional });
      head = ref.data.object.sha;
      const etag = ref.headers.etag;
      this.lastRef = etag ? { etag, head } : undefined;
    } catch (e) {
      const status = (e as HttpishError).status;
      if (status === 304) return 'unchanged';
      if (status === 404 || status === 409) return undefined; // no such branch yet, or an empty repository
      throw e;
    }
    if (head === seenHead) return 'unchanged';
    const tree = (await gh.rest.git.getCommit({ ...this.repo, commit_sha: head })).data.tree.sha;
    const listing = (await gh.rest.git.getTree({ ...this.repo, tree_sha: tree, recursive: 'true' })).data.tree;
    const prefix = inFolder(directory);
    const files = listing.filter((e) => e.type === 'blob' && e.path?.startsWith(prefix) && e.sha).map((e) => ({ path: e.path!, blob: e.sha!, size: e.size ?? 0 }));
    return { head, files };
  }

  async lastCommit(head: string, path: string): Promise<FileOrigin | undefined> {
    const list = (await this.client().rest.repos.listCommits({ ...this.repo, sha: head, path, per_page: 1 })).data;
    const c = list[0];
    if (!c) return undefined;
    return originOf({
      sha: c.sha,
      url: c.html_url,
      authorName: c.commit.author?.name ?? '',
      authorEmail: c.commit.author?.email ?? '',
      committedAt: c.commit.author?.date,
      committerEmail: c.commit.committer?.email ?? '',
      message: c.commit.message,
    });
  }

  async content(blob: string): Promise<string> {
    const data = (await this.client().rest.git.getBlob({ ...this.repo, file_sha: blob })).data;
    return data.encoding === 'base64' ? Buffer.from(data.content, 'base64').toString('utf8') : data.content;
  }
}
