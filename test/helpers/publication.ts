/** What the Git publication tests share: git as someone else, a local git block, saves and their publication rows. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { revisionOf, type Client } from './client.ts';
import { EXAMPLE_CONFIG, type TestServer } from './server.ts';

export const IDENT = ['-c', 'user.name=Someone Else', '-c', 'user.email=else@example.org', '-c', 'init.defaultBranch=main'];

/** git in `dir` as a person other than Switchyard. */
export const git = (dir: string, ...args: string[]) =>
  execFileSync('git', [...IDENT, '-C', dir, ...args], { encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } }).trim();

/** The example config with a `git: local:` block holding `local` (YAML lines). */
export function localConfig(local: string): string {
  return `${EXAMPLE_CONFIG}\ngit:\n  directory: values\n  local:\n${local.replace(/^/gm, '    ')}\n`;
}

/** Saves a page through its form; returns the save's id. */
export async function save(c: Client, slug: string, form: Record<string, string>): Promise<number> {
  const rev = revisionOf(await (await c.get(`/page/${slug}`)).text());
  const res = await c.post(`/page/${slug}`, { ...form, _revision: rev });
  expect(res.status).toBe(303);
  return Number(res.headers.get('location')!.split('saved=')[1]);
}

export type Pub = { state: string; commit_sha: string | null; last_error: string | null; attempts: number };

export async function publication(server: TestServer, id: number): Promise<Pub | undefined> {
  const { rows } = await server.db().execute({ sql: 'SELECT state, commit_sha, last_error, attempts FROM publications WHERE change_id = ?', args: [id] });
  return rows[0] as unknown as Pub | undefined;
}

/** The save's publication row once `check` holds for it. */
export async function until(server: TestServer, id: number, check: (p: Pub) => boolean, ms = 20_000): Promise<Pub> {
  const deadline = Date.now() + ms;
  for (;;) {
    const p = await publication(server, id);
    if (p && check(p)) return p;
    if (Date.now() > deadline) throw new Error(`publication of save ${id}: ${JSON.stringify(p)}\n${server.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A bare repository in `dir` and a clone of it (the app's working copy, with `origin`). */
export function withBareRemote(dir: string): { remote: string; work: string } {
  const remote = join(dir, 'remote.git');
  execFileSync('git', [...IDENT, 'init', '--bare', '--quiet', remote]);
  const work = join(dir, 'work');
  execFileSync('git', [...IDENT, 'clone', '--quiet', remote, work], { stdio: 'ignore' });
  return { remote, work };
}
