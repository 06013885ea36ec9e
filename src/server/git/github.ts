/**
 * Publication to a GitHub repository through the Git Data API: blob → tree →
 * commit on the branch's head → ref update without force. If the branch moved
 * meanwhile, the commit is built again on the new head, as long as the page's
 * file there is still what Switchyard last wrote. Every refusal GitHub can
 * give ends in a clear state; rate limits are waited out, never hammered.
 * A save whose commit already landed (a crash, or an answer lost on the way
 * back) is found by its trailer among the file's recent commits, never
 * committed twice. Every request has a deadline that really ends it.
 * A branch that refuses the ref update as protected (a required review or
 * status check) is answered as `refused`: the save is then proposed, its
 * commit built the same way on the page's side branch, in a pull request.
 */
import { createHash } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { saveOf } from '../../core/commit-message.ts';
import { githubTarget } from './target.ts';
import { COMMITTER, commitOfSave, HISTORY_DEPTH, lastWrittenBy, type FileCommit, type OpenProposal, type ProposalCheck, type ProposeRequest, type PublishRequest, type PublishResult, type Publisher } from './types.ts';

const ATTEMPTS = 3;
/** The default deadline of one request. */
export const GITHUB_TIMEOUT_MS = 60_000;

/** A request that got no (complete) answer before its deadline. */
class NoAnswer extends Error {}

/**
 * fetch with a deadline covering the whole exchange, body included: the
 * response is read in full before Octokit sees it, so a server that sends
 * headers and then stalls is cut off too (Octokit itself applies no timeout).
 */
export function fetchWithin(ms: number): typeof fetch {
  return async (input, init) => {
    const deadline = AbortSignal.timeout(ms);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    try {
      const res = await fetch(input, { ...init, signal });
      const body = [101, 204, 205, 304].includes(res.status) ? null : await res.arrayBuffer();
      return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
    } catch (e) {
      if (deadline.aborted) throw new NoAnswer(`no answer within ${Math.round(ms / 100) / 10} s`);
      throw e;
    }
  };
}

/**
 * How GitHub refuses a ref update on a protected branch (422, or 403 for some
 * rules): "Protected branch update failed for refs/heads/main.", "Changes
 * must be made through a pull request.", "Required status check … is expected",
 * "At least 1 approving review is required…". "Update is not a fast forward"
 * is none of these: the branch moved, and the commit is built again.
 */
export const PROTECTED = /protected branch|pull request|required status check|review/i;

/** The branch a commit goes to; a side branch (`from` set) as in local.ts. */
interface Dest {
  branch: string;
  from?: string;
  fresh?: boolean;
}
type Landed = { status: 'committed'; sha: string; blob: string; url?: string; onTarget: boolean };

interface HttpishError {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

export class GitHubPublisher implements Publisher {
  readonly target: string;
  private octokit: Octokit | undefined;
  private owner: string;
  private repo: string;
  private branch: string;
  private tokenEnv: string;
  private apiUrl: string;
  private timeoutMs: number;

  constructor(opts: { repository: string; branch: string; tokenEnv: string; apiUrl: string; token: string | undefined; timeoutMs?: number }) {
    [this.owner, this.repo] = opts.repository.split('/') as [string, string];
    this.branch = opts.branch;
    this.tokenEnv = opts.tokenEnv;
    this.apiUrl = opts.apiUrl.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? GITHUB_TIMEOUT_MS;
    this.target = githubTarget(opts.repository, opts.branch, this.apiUrl);
    if (opts.token) this.octokit = new Octokit({ auth: opts.token, baseUrl: this.apiUrl, userAgent: 'switchyard', request: { fetch: fetchWithin(opts.timeoutMs ?? GITHUB_TIMEOUT_MS) } });
  }

  async publish(req: PublishRequest): Promise<PublishResult> {
    const landed = await this.commitTo(req, { branch: this.branch });
    if (landed.status !== 'committed') return landed;
    const { onTarget: _, ...committed } = landed;
    return committed;
  }

  /** The save's commit on the page's side branch, and the page's pull request opened or its description brought up to date. */
  async propose(req: PublishRequest, proposal: ProposeRequest): Promise<PublishResult> {
    const landed = await this.commitTo(req, { branch: proposal.branch, from: this.branch, fresh: !proposal.open });
    if (landed.status === 'refused') return { status: 'failed', reason: landed.reason };
    if (landed.status !== 'committed') return landed;
    if (landed.onTarget) return { status: 'committed', sha: landed.sha, blob: landed.blob, url: landed.url };
    try {
      const pull = await this.pullFor(this.octokit!, proposal);
      return { status: 'proposed', sha: landed.sha, blob: landed.blob, branch: proposal.branch, number: pull.number, url: pull.html_url };
    } catch (e) {
      return this.explain(e as HttpishError);
    }
  }

  /** The page's open pull request: updated when known, else opened (or found, when opening it got no answer last time). */
  private async pullFor(gh: Octokit, proposal: ProposeRequest): Promise<{ number: number; html_url: string }> {
    const repo = { owner: this.owner, repo: this.repo };
    if (proposal.open?.number) return (await gh.rest.pulls.update({ ...repo, pull_number: proposal.open.number, body: proposal.body })).data;
    try {
      return (await gh.rest.pulls.create({ ...repo, head: proposal.branch, base: this.branch, title: proposal.title, body: proposal.body })).data;
    } catch (e) {
      if ((e as HttpishError).status !== 422) throw e;
      const { data } = await gh.rest.pulls.list({ ...repo, head: `${this.owner}:${proposal.branch}`, base: this.branch, state: 'open' });
      if (!data[0]) throw e;
      return (await gh.rest.pulls.update({ ...repo, pull_number: data[0].number, body: proposal.body })).data;
    }
  }

  /** One GET of the pull request; unchanged since the last one (its ETag), GitHub answers 304 and it stays open. */
  async checkProposal(proposal: OpenProposal): Promise<ProposalCheck> {
    const gh = this.octokit;
    if (!gh) throw new Error(`no GitHub token: set the environment variable ${this.tokenEnv}`);
    if (!proposal.number) return { state: 'open' };
    const repo = { owner: this.owner, repo: this.repo };
    let pull;
    try {
      pull = await gh.rest.pulls.get({ ...repo, pull_number: proposal.number, headers: proposal.etag ? { 'if-none-match': proposal.etag } : {} });
    } catch (e) {
      if ((e as HttpishError).status === 304) return { state: 'open', etag: proposal.etag };
      throw new Error(this.explain(e as HttpishError).reason);
    }
    const etag = pull.headers.etag;
    if (pull.data.merged && pull.data.merge_commit_sha) {
      const sha = pull.data.merge_commit_sha;
      const url = (await gh.rest.git.getCommit({ ...repo, commit_sha: sha })).data.html_url;
      return { state: 'merged', sha, url, blob: await this.blobAt(gh, proposal.path, this.branch), head: pull.data.head.sha };
    }
    if (pull.data.state === 'closed') return { state: 'closed', reason: `pull request #${proposal.number} was closed without merging` };
    return { state: 'open', etag };
  }

  private async commitTo(req: PublishRequest, dest: Dest): Promise<Landed | Exclude<PublishResult, { status: 'committed' }>> {
    if (!this.octokit) return { status: 'failed', reason: `no GitHub token: set the environment variable ${this.tokenEnv}` };
    try {
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const outcome = await this.attempt(this.octokit, req, dest);
        if (outcome !== 'moved') return outcome;
      }
      return { status: 'failed', reason: `the branch ${dest.branch} kept moving; will try again` };
    } catch (e) {
      return this.explain(e as HttpishError);
    }
  }

  private async attempt(gh: Octokit, req: PublishRequest, dest: Dest): Promise<Landed | Exclude<PublishResult, { status: 'committed' }> | 'moved'> {
    const repo = { owner: this.owner, repo: this.repo };
    // A side branch builds on its own head while its proposal is open, else on the target branch.
    const sideHead = dest.from && !dest.fresh ? await this.refHead(gh, dest.branch) : undefined;
    const onTarget = !sideHead;
    const head = sideHead ?? (await this.headOf(gh, dest.from ?? dest.branch));
    let baseTree: string | undefined;
    if (head) {
      baseTree = (await gh.rest.git.getCommit({ ...repo, commit_sha: head })).data.tree.sha;
      const current = await this.blobAt(gh, req.path, head);
      const history = current ? await this.fileHistory(gh, req.path, head) : [];
      const own = commitOfSave(history, req.saveId);
      if (own) return { status: 'committed', sha: own.sha, blob: (await this.blobAt(gh, req.path, own.sha)) ?? this.hashOf(req.content), url: own.url, onTarget };
      if (current && req.expectedBlob && current !== req.expectedBlob && !lastWrittenBy(history, req.earlierSaves)) {
        return { status: 'conflict', reason: `${req.path} was changed in the repository (at ${head.slice(0, 12)}) since Switchyard last wrote it; not overwriting it` };
      }
      if (current && current === this.hashOf(req.content)) return { status: 'committed', sha: head, blob: current, onTarget };
    }
    const blob = (await gh.rest.git.createBlob({ ...repo, content: req.content, encoding: 'utf-8' })).data.sha;
    const tree = (await gh.rest.git.createTree({ ...repo, ...(baseTree ? { base_tree: baseTree } : {}), tree: [{ path: req.path, mode: '100644', type: 'blob', sha: blob }] })).data.sha;
    const commit = (
      await gh.rest.git.createCommit({
        ...repo,
        message: req.message,
        tree,
        parents: head ? [head] : [],
        author: { ...req.author, date: req.date },
        committer: { ...COMMITTER, date: new Date().toISOString() },
      })
    ).data;
    try {
      if (dest.from) await this.moveSide(gh, dest, sideHead, commit.sha);
      else if (head) await gh.rest.git.updateRef({ ...repo, ref: `heads/${dest.branch}`, sha: commit.sha, force: false });
      else await gh.rest.git.createRef({ ...repo, ref: `refs/heads/${dest.branch}`, sha: commit.sha });
    } catch (e) {
      const err = e as HttpishError;
      const detail = (err.response?.data as { message?: string } | undefined)?.message ?? err.message ?? '';
      if (!dest.from && (err.status === 422 || err.status === 403) && PROTECTED.test(detail)) return { status: 'refused', reason: `GitHub refused the update of ${dest.branch} (${err.status} ${detail})` };
      // Not a fast-forward (422), or the branch appeared meanwhile (422 "Reference already exists"): build again.
      if (err.status === 422) return 'moved';
      throw e;
    }
    return { status: 'committed', sha: commit.sha, blob, url: commit.html_url, onTarget: !dest.from };
  }

  /**
   * Moves the side branch to the new commit: on from its head while the
   * proposal is open, else created, or replaced when a closed proposal left
   * it behind (Switchyard's own branch; the target branch is never forced).
   */
  private async moveSide(gh: Octokit, dest: Dest, sideHead: string | undefined, sha: string): Promise<void> {
    const repo = { owner: this.owner, repo: this.repo };
    if (sideHead) {
      await gh.rest.git.updateRef({ ...repo, ref: `heads/${dest.branch}`, sha, force: false });
      return;
    }
    try {
      await gh.rest.git.createRef({ ...repo, ref: `refs/heads/${dest.branch}`, sha });
    } catch (e) {
      if ((e as HttpishError).status !== 422) throw e;
      await gh.rest.git.updateRef({ ...repo, ref: `heads/${dest.branch}`, sha, force: true });
    }
  }

  /** The branch's head, or undefined when there is no such branch. */
  private async refHead(gh: Octokit, branch: string): Promise<string | undefined> {
    try {
      return (await gh.rest.git.getRef({ owner: this.owner, repo: this.repo, ref: `heads/${branch}` })).data.object.sha;
    } catch (e) {
      if ((e as HttpishError).status === 404) return undefined;
      throw e;
    }
  }

  private async headOf(gh: Octokit, branch: string): Promise<string | undefined> {
    try {
      return (await gh.rest.git.getRef({ owner: this.owner, repo: this.repo, ref: `heads/${branch}` })).data.object.sha;
    } catch (e) {
      const err = e as HttpishError;
      // 404: no such branch yet; 409: the repository is empty. Both: the first commit starts it.
      if (err.status === 409 || (err.status === 404 && (await this.repoExists(gh)))) return undefined;
      throw e;
    }
  }

  /** The latest commits on `head` that changed `path`, newest first. */
  private async fileHistory(gh: Octokit, path: string, head: string): Promise<FileCommit[]> {
    const { data } = await gh.rest.repos.listCommits({ owner: this.owner, repo: this.repo, sha: head, path, per_page: HISTORY_DEPTH });
    return data.map((c) => ({ sha: c.sha, committerEmail: c.commit.committer?.email ?? '', save: saveOf(c.commit.message), url: c.html_url }));
  }

  private async repoExists(gh: Octokit): Promise<boolean> {
    try {
      await gh.rest.repos.get({ owner: this.owner, repo: this.repo });
      return true;
    } catch {
      return false;
    }
  }

  private async blobAt(gh: Octokit, path: string, ref: string): Promise<string | undefined> {
    try {
      const { data } = await gh.rest.repos.getContent({ owner: this.owner, repo: this.repo, path, ref });
      return Array.isArray(data) ? undefined : data.sha;
    } catch (e) {
      if ((e as HttpishError).status === 404) return undefined;
      throw e;
    }
  }

  /** The Git blob id of `content`, as GitHub computes it. */
  private hashOf(content: string): string {
    const body = Buffer.from(content);
    return createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex');
  }

  /** Turns GitHub's answer into a state an operator can act on. */
  private explain(err: HttpishError & { cause?: unknown }): Extract<PublishResult, { status: 'failed' }> {
    if (err instanceof NoAnswer || err.cause instanceof NoAnswer) {
      return { status: 'failed', reason: `GitHub (${this.apiUrl}) did not answer within ${Math.round(this.timeoutMs / 100) / 10} s` };
    }
    const headers = err.response?.headers ?? {};
    const detail = (err.response?.data as { message?: string } | undefined)?.message ?? err.message ?? 'no details';
    const where = `${this.owner}/${this.repo}`;
    switch (err.status) {
      case 401:
        return { status: 'failed', reason: `GitHub refused the token in ${this.tokenEnv} (401 ${detail}); replace it` };
      case 403:
      case 429: {
        const reset = Number(headers['x-ratelimit-reset']);
        const retryAfter = Number(headers['retry-after']);
        if (err.status === 429 || headers['x-ratelimit-remaining'] === '0' || retryAfter > 0) {
          const waitMs = retryAfter > 0 ? retryAfter * 1000 : reset > 0 ? Math.max(1000, reset * 1000 - Date.now()) : 60_000;
          return { status: 'failed', reason: `GitHub rate limit reached (${err.status}); waiting ${Math.ceil(waitMs / 1000)} s`, retryAfterMs: waitMs };
        }
        return { status: 'failed', reason: `the token in ${this.tokenEnv} may not write to ${where} (403 ${detail}); it needs contents: write` };
      }
      case 404:
        return { status: 'failed', reason: `GitHub repository ${where} not found, or the token in ${this.tokenEnv} cannot see it (404)` };
      case 409:
        return { status: 'failed', reason: `GitHub reported a conflict in ${where} (409 ${detail})` };
      case 422:
        return { status: 'failed', reason: `GitHub refused the change (422 ${detail})` };
      default:
        if (err.status && err.status >= 500) return { status: 'failed', reason: `GitHub is having trouble (${err.status} ${detail}); will try again` };
        return { status: 'failed', reason: `cannot reach ${this.apiUrl}: ${err.message ?? 'unknown error'}` };
    }
  }
}
