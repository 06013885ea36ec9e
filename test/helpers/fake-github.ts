/**
 * A local HTTP server speaking the part of GitHub's REST API that Switchyard
 * uses (Git Data API, contents, repository), with an in-memory repository
 * whose ids are real Git ids, and injectable failures: error answers, and
 * requests that are accepted and never answered (before or after they took effect).
 * Pull requests too: opened, updated, merged or closed by "a person" (the
 * test), read with ETags (an unchanged one answers 304), and branch protection
 * that refuses ref updates of a branch as GitHub does.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

interface Commit { tree: string; parents: string[]; message: string; author: { name: string; email: string; date: string }; committer: { name: string; email: string } }
export interface Failure { method: string; path: RegExp; status: number; headers?: Record<string, string>; message?: string; times: number }
/** A request that gets no answer; with `afterApplying`, it takes effect first (the answer is lost). */
export interface Hang { method: string; path: RegExp; afterApplying?: boolean; times: number }

export interface Pull { number: number; head: string; base: string; title: string; body: string; state: 'open' | 'closed'; merged: boolean; mergeSha: string | null; headSha: string; version: number }

const sha1 = (s: string) => createHash('sha1').update(s).digest('hex');
export const blobId = (content: string) => {
  const b = Buffer.from(content);
  return createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
};

export class FakeGitHub {
  token = 'ghp_switchyard_test';
  owner = 'acme';
  repo = 'settings';
  refs = new Map<string, string>();
  commits = new Map<string, Commit>();
  trees = new Map<string, Map<string, string>>();
  blobs = new Map<string, string>();
  failures: Failure[] = [];
  hangs: Hang[] = [];
  /** Requests left hanging so far. */
  hung = 0;
  /** Conditional requests answered 304 Not Modified. */
  notModified = 0;
  requests: { method: string; path: string; at: number; status?: number }[] = [];
  pulls = new Map<number, Pull>();
  /** Branches whose ref updates are refused as GitHub refuses them on a protected branch (a required pull request). */
  protectedBranches = new Set<string>();
  private server: Server | undefined;
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
    return this.url;
  }

  stop(): Promise<void> {
    return new Promise((r) => {
      if (!this.server) return r();
      this.server.close(() => r());
      this.server.closeAllConnections();
    });
  }

  hang(h: Omit<Hang, 'times'> & { times?: number }): void {
    this.hangs.push({ times: 1, ...h });
  }

  fail(f: Omit<Failure, 'times'> & { times?: number }): void {
    this.failures.push({ times: 1, ...f });
  }

  /** A commit made by someone else, straight on the branch. */
  commitFile(path: string, content: string, message: string, branch = 'main'): string {
    const head = this.refs.get(`heads/${branch}`);
    const files = new Map(head ? this.trees.get(this.commits.get(head)!.tree) : []);
    const blob = blobId(content);
    this.blobs.set(blob, content);
    files.set(path, blob);
    const tree = this.saveTree(files);
    const sha = this.saveCommit({ tree, parents: head ? [head] : [], message, author: { name: 'Someone Else', email: 'else@example.org', date: new Date().toISOString() }, committer: { name: 'GitHub', email: 'noreply@github.com' } });
    this.refs.set(`heads/${branch}`, sha);
    return sha;
  }

  /** Someone merges the pull request on GitHub: a merge commit on its base with the head's tree. */
  mergePull(number: number): string {
    const pull = this.pulls.get(number)!;
    const base = this.refs.get(`heads/${pull.base}`)!;
    const head = this.refs.get(`heads/${pull.head}`)!;
    const sha = this.saveCommit({ tree: this.commits.get(head)!.tree, parents: [base, head], message: `Merge pull request #${number} from ${this.owner}/${pull.head}`, author: { name: 'Reviewer', email: 'reviewer@example.org', date: new Date().toISOString() }, committer: { name: 'GitHub', email: 'noreply@github.com' } });
    this.refs.set(`heads/${pull.base}`, sha);
    Object.assign(pull, { state: 'closed', merged: true, mergeSha: sha, headSha: head, version: pull.version + 1 });
    return sha;
  }

  /** Someone closes the pull request without merging it. */
  closePull(number: number): void {
    const pull = this.pulls.get(number)!;
    Object.assign(pull, { state: 'closed', version: pull.version + 1 });
  }

  private pullJson(p: Pull): unknown {
    return {
      number: p.number,
      state: p.state,
      merged: p.merged,
      merge_commit_sha: p.mergeSha,
      title: p.title,
      body: p.body,
      html_url: `https://github.example/${this.owner}/${this.repo}/pull/${p.number}`,
      // A merged pull request keeps the head it was merged with, whatever its branch got since.
      head: { ref: p.head, sha: p.merged ? p.headSha : (this.refs.get(`heads/${p.head}`) ?? p.headSha) },
      base: { ref: p.base },
    };
  }

  /** The pulls endpoints; undefined when the request is not one of them. */
  private pullsRoute(method: string, rest: string, body: Record<string, unknown>, query: URLSearchParams, ifNoneMatch: string | undefined): [number, unknown, Record<string, string>?] | undefined {
    if (method === 'POST' && rest === '/pulls') {
      const head = String(body.head);
      if (!this.refs.has(`heads/${head}`)) return [422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] }];
      if ([...this.pulls.values()].some((p) => p.head === head && p.state === 'open')) {
        return [422, { message: 'Validation Failed', errors: [{ resource: 'PullRequest', code: 'custom', message: `A pull request already exists for ${this.owner}:${head}.` }] }];
      }
      const pull: Pull = { number: this.pulls.size + 1, head, base: String(body.base), title: String(body.title), body: String(body.body ?? ''), state: 'open', merged: false, mergeSha: null, headSha: this.refs.get(`heads/${head}`)!, version: 1 };
      this.pulls.set(pull.number, pull);
      return [201, this.pullJson(pull)];
    }
    if (method === 'GET' && rest === '/pulls') {
      const head = query.get('head')?.replace(/^[^:]+:/, '');
      const state = query.get('state') ?? 'open';
      const found = [...this.pulls.values()].filter((p) => (!head || p.head === head) && (state === 'all' || p.state === state));
      return [200, found.map((p) => this.pullJson(p))];
    }
    const m = /^\/pulls\/(\d+)$/.exec(rest);
    const pull = m ? this.pulls.get(Number(m[1])) : undefined;
    if (!m) return undefined;
    if (!pull) return [404, { message: 'Not Found' }];
    if (method === 'GET') {
      const etag = `"pull-${pull.number}-${pull.version}"`;
      if (ifNoneMatch === etag) return [304, null, { etag }];
      return [200, this.pullJson(pull), { etag }];
    }
    if (method === 'PATCH') {
      if (typeof body.body === 'string') pull.body = body.body;
      if (typeof body.title === 'string') pull.title = body.title;
      pull.version++;
      return [200, this.pullJson(pull)];
    }
    return undefined;
  }

  fileAt(ref: string, path: string): string | undefined {
    const sha = this.refs.get(`heads/${ref}`) ?? ref;
    const blob = this.trees.get(this.commits.get(sha)?.tree ?? '')?.get(path);
    return blob ? this.blobs.get(blob) : undefined;
  }

  private saveTree(files: Map<string, string>): string {
    const sha = sha1(`tree ${JSON.stringify([...files].sort())}`);
    this.trees.set(sha, files);
    return sha;
  }

  private saveCommit(c: Commit): string {
    const sha = sha1(`commit ${JSON.stringify(c)}`);
    this.commits.set(sha, c);
    return sha;
  }

  private isAncestor(ancestor: string, of: string): boolean {
    const seen = new Set<string>();
    const todo = [of];
    while (todo.length) {
      const s = todo.pop()!;
      if (s === ancestor) return true;
      if (seen.has(s)) continue;
      seen.add(s);
      todo.push(...(this.commits.get(s)?.parents ?? []));
    }
    return false;
  }

  /** The commits reachable from `sha` that changed `path`, newest first, as GET /commits lists them. */
  private history(q: URLSearchParams): unknown[] {
    const path = q.get('path') ?? '';
    const fileAt = (sha: string | undefined) => (sha ? this.trees.get(this.commits.get(sha)?.tree ?? '')?.get(path) : undefined);
    const found: unknown[] = [];
    let sha: string | undefined = this.refs.get(`heads/${q.get('sha')}`) ?? q.get('sha') ?? undefined;
    while (sha && found.length < Number(q.get('per_page') ?? 30)) {
      const c: Commit = this.commits.get(sha)!;
      if (!path || fileAt(sha) !== fileAt(c.parents[0])) {
        found.push({ sha, html_url: `https://github.example/${this.owner}/${this.repo}/commit/${sha}`, commit: { message: c.message, author: c.author, committer: c.committer } });
      }
      sha = c.parents[0];
    }
    return found;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    const method = req.method ?? 'GET';
    this.requests.push({ method, path, at: Date.now() });
    const hang = this.hangs.find((h) => h.times > 0 && h.method === method && h.path.test(path));
    if (hang) {
      hang.times--;
      this.hung++;
      if (!hang.afterApplying) return; // accepted, never answered
    }
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests[this.requests.length - 1]!.status = status;
      if (hang) return; // it took effect; the answer is lost
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(status === 304 ? undefined : JSON.stringify(body));
    };
    const failure = this.failures.find((f) => f.times > 0 && f.method === method && f.path.test(path));
    if (failure) {
      failure.times--;
      return send(failure.status, { message: failure.message ?? 'injected failure' }, failure.headers);
    }
    const auth = req.headers.authorization ?? '';
    if (auth !== `token ${this.token}` && auth !== `bearer ${this.token}` && auth !== `Bearer ${this.token}`) return send(401, { message: 'Bad credentials' });
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
    const base = `/repos/${this.owner}/${this.repo}`;
    if (!path.startsWith(base)) return send(404, { message: 'Not Found' });
    const rest = path.slice(base.length);

    if (method === 'GET' && rest === '') return send(200, { full_name: `${this.owner}/${this.repo}` });
    let m = /^\/git\/ref\/(heads\/.+)$/.exec(rest);
    if (method === 'GET' && m) {
      if (this.refs.size === 0) return send(409, { message: 'Git Repository is empty.' });
      const sha = this.refs.get(m[1]!);
      if (!sha) return send(404, { message: 'Not Found' });
      // A conditional request for an unchanged ref costs a 304, as on GitHub.
      const etag = `"${sha1(`ref ${m[1]} ${sha}`)}"`;
      if (req.headers['if-none-match'] === etag) {
        this.notModified++;
        res.writeHead(304, { etag });
        return void res.end();
      }
      return send(200, { ref: `refs/${m[1]}`, object: { sha, type: 'commit' } }, { etag });
    }
    m = /^\/git\/trees\/([0-9a-f]{40})$/.exec(rest);
    if (method === 'GET' && m) {
      const files = this.trees.get(m[1]!);
      if (!files) return send(404, { message: 'Not Found' });
      const tree = [...files].map(([path, sha]) => ({ path, mode: '100644', type: 'blob', sha, size: Buffer.byteLength(this.blobs.get(sha) ?? '') }));
      return send(200, { sha: m[1], tree, truncated: false });
    }
    m = /^\/git\/blobs\/([0-9a-f]{40})$/.exec(rest);
    if (method === 'GET' && m) {
      const content = this.blobs.get(m[1]!);
      return content === undefined ? send(404, { message: 'Not Found' }) : send(200, { sha: m[1], size: Buffer.byteLength(content), encoding: 'base64', content: Buffer.from(content).toString('base64') });
    }
    m = /^\/git\/commits\/([0-9a-f]{40})$/.exec(rest);
    if (method === 'GET' && m) {
      const c = this.commits.get(m[1]!);
      return c ? send(200, { sha: m[1], tree: { sha: c.tree }, parents: c.parents.map((sha) => ({ sha })), message: c.message, html_url: `https://github.example/${this.owner}/${this.repo}/commit/${m[1]}` }) : send(404, { message: 'Not Found' });
    }
    if (method === 'GET' && rest === '/commits') return send(200, this.history(url.searchParams));
    m = /^\/contents\/(.+)$/.exec(rest);
    if (method === 'GET' && m) {
      const ref = url.searchParams.get('ref') ?? 'main';
      const commit = this.commits.get(this.refs.get(`heads/${ref}`) ?? ref);
      const blob = commit && this.trees.get(commit.tree)?.get(m[1]!);
      return blob ? send(200, { type: 'file', path: m[1], sha: blob, content: Buffer.from(this.blobs.get(blob)!).toString('base64'), encoding: 'base64' }) : send(404, { message: 'Not Found' });
    }
    if (method === 'POST' && rest === '/git/blobs') {
      const content = body.encoding === 'base64' ? Buffer.from(body.content, 'base64').toString('utf8') : String(body.content);
      const sha = blobId(content);
      this.blobs.set(sha, content);
      return send(201, { sha });
    }
    if (method === 'POST' && rest === '/git/trees') {
      const files = new Map(body.base_tree ? this.trees.get(body.base_tree) : []);
      if (body.base_tree && !this.trees.has(body.base_tree)) return send(422, { message: 'Invalid tree info' });
      for (const e of body.tree as { path: string; sha: string }[]) {
        if (!this.blobs.has(e.sha)) return send(422, { message: 'Invalid tree info' });
        files.set(e.path, e.sha);
      }
      return send(201, { sha: this.saveTree(files) });
    }
    if (method === 'POST' && rest === '/git/commits') {
      if (!this.trees.has(body.tree)) return send(422, { message: 'Tree SHA does not exist' });
      const sha = this.saveCommit({ tree: body.tree, parents: body.parents, message: body.message, author: body.author, committer: body.committer });
      return send(201, { sha, html_url: `https://github.example/${this.owner}/${this.repo}/commit/${sha}` });
    }
    m = /^\/git\/refs\/(heads\/.+)$/.exec(rest);
    if (method === 'PATCH' && m) {
      const current = this.refs.get(m[1]!);
      if (!current) return send(422, { message: 'Reference does not exist' });
      // What GitHub answers on a branch whose protection requires a pull request.
      if (this.protectedBranches.has(m[1]!.slice('heads/'.length))) {
        return send(422, { message: 'Changes must be made through a pull request.', documentation_url: 'https://docs.github.com/rest/git/refs#update-a-reference', status: '422' });
      }
      if (!body.force && !this.isAncestor(current, body.sha)) return send(422, { message: 'Update is not a fast forward' });
      this.refs.set(m[1]!, body.sha);
      return send(200, { ref: `refs/${m[1]}`, object: { sha: body.sha } });
    }
    if (method === 'POST' && rest === '/git/refs') {
      const name = String(body.ref).replace(/^refs\//, '');
      if (this.refs.has(name)) return send(422, { message: 'Reference already exists' });
      this.refs.set(name, body.sha);
      return send(201, { ref: body.ref, object: { sha: body.sha } });
    }
    const pulls = this.pullsRoute(method, rest, body, url.searchParams, req.headers['if-none-match']);
    if (pulls) return send(...pulls);
    send(404, { message: 'Not Found' });
  }
}
