/**
 * When to look at the Git target's branch for changes made outside
 * Switchyard (adopt.ts does the looking). Of all app processes on one
 * database, one looks per poll interval (its turn is a row beside the
 * publisher leases, taken when the last turn ended), and only while it holds
 * the target's publisher lease, so a look never runs in a working copy a
 * publish is using. A push webhook or a conflict asks for a look at once.
 */
import type { GitConfig, SiteConfig } from '../../core/config/schema.ts';
import type { App } from '../app.ts';
import { CLAIM } from '../claims.ts';
import { lookForChanges } from './adopt.ts';
import { GitHubBranchReader, LocalBranchReader, type BranchReader } from './branch-files.ts';
import { holdPublisherLease } from './outbox.ts';
import { localPath } from './target.ts';

function readerFor(git: GitConfig, configPath: string, timeoutMs: number): BranchReader | undefined {
  if (git.github) {
    const g = git.github;
    return new GitHubBranchReader({ repository: g.repository, branch: g.branch, apiUrl: g.api_url, token: process.env[g.token_env] || undefined, tokenEnv: g.token_env, timeoutMs });
  }
  if (git.local) return new LocalBranchReader({ path: localPath(git.local, configPath), branch: git.local.branch, remote: git.local.remote, timeoutMs });
  return undefined;
}

/**
 * Takes this process's turn to look, unless another process looked within
 * the poll interval (`now` asked: a turn is taken whatever the last one).
 */
async function takeTurn(app: App, target: string, now: boolean): Promise<boolean> {
  const at = Date.now();
  const { rows } = await app.db.write({
    sql: `INSERT INTO publisher_leases (target, holder, until) VALUES (?, ?, ?)
          ON CONFLICT (target) DO UPDATE SET holder = excluded.holder, until = excluded.until WHERE ? OR publisher_leases.until <= ?
          RETURNING holder`,
    args: [`look:${target}`, CLAIM, at + app.settings.gitPollMs, now ? 1 : 0, at],
  });
  return rows.length > 0;
}

export interface GitLooker {
  /** Looks when it is time (or asked): whether it took the target's lease to look, and how long until the next look is due. */
  lookIfDue(site: SiteConfig, target: string, asked: boolean): Promise<{ leased: boolean; nextInMs: number }>;
}

export function gitLooker(app: App, log: (m: string) => void): GitLooker {
  let built: { key: string; reader: BranchReader | undefined } | undefined;
  let seenHead: string | undefined;
  let nextAt = 0;
  let pendingAsk = false;
  let lastError = '';
  return {
    async lookIfDue(site, target, asked) {
      pendingAsk ||= asked;
      const git = site.git!;
      const key = JSON.stringify([git, git.github ? process.env[git.github.token_env] : undefined]);
      if (built?.key !== key) {
        built = { key, reader: readerFor(git, app.settings.configPath, app.settings.gitTimeoutMs) };
        seenHead = undefined;
      }
      const reader = built.reader;
      const poll = app.settings.gitPollMs;
      if (!reader) return { leased: false, nextInMs: poll };
      if (!pendingAsk && Date.now() < nextAt) return { leased: false, nextInMs: nextAt - Date.now() };
      if (!(await holdPublisherLease(app.db, target))) return { leased: false, nextInMs: 500 }; // publishing elsewhere: soon again
      nextAt = Date.now() + poll;
      if (!(await takeTurn(app, target, pendingAsk))) return { leased: true, nextInMs: poll };
      pendingAsk = false;
      try {
        seenHead = await lookForChanges(app, site, reader, seenHead, log);
        lastError = '';
      } catch (e) {
        const message = (e as Error).message;
        if (message !== lastError) log(`Looking for changes made in Git failed: ${message}; trying again at the next look.`);
        lastError = message;
      }
      return { leased: true, nextInMs: poll };
    },
  };
}
