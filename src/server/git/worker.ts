/**
 * Works through the publication outbox in save order: one save at a time,
 * oldest first, each retried with backoff until it is committed or found to
 * conflict. A failing save holds back the ones after it, so commits always
 * land in the order the saves were made. Saves never wait for any of this.
 */
import { dirname, resolve } from 'node:path';
import { EventEmitter } from 'node:events';
import { commitMessage } from '../../core/commit-message.ts';
import type { GitConfig, SiteConfig } from '../../core/config/schema.ts';
import { valuesToYaml } from '../../core/export.ts';
import type { App } from '../app.ts';
import { pageHistory } from '../history.ts';
import { LocalGitPublisher } from './local.ts';
import { GitHubPublisher } from './github.ts';
import type { Publisher, PublishResult } from './types.ts';

const MAX_BACKOFF_MS = 5 * 60 * 1000;
const IDLE_CHECK_MS = 30_000;

export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempts - 1));
}

/** The publisher for a config's git block, or undefined when publication is off. */
export function publisherFor(git: GitConfig | undefined, configPath: string, log: (m: string) => void): Publisher | undefined {
  if (git?.github) {
    const g = git.github;
    return new GitHubPublisher({ repository: g.repository, branch: g.branch, tokenEnv: g.token_env, apiUrl: g.api_url, token: process.env[g.token_env] || undefined });
  }
  if (!git?.local) return undefined;
  const path = resolve(dirname(configPath), git.local.path);
  return new LocalGitPublisher({ path, branch: git.local.branch, remote: git.local.remote, log });
}

export function fileFor(git: GitConfig, slug: string): string {
  return `${git.directory.replace(/\/+$/, '')}/${slug}.yaml`;
}

export class PublicationSignals extends EventEmitter {
  saved(): void {
    this.emit('saved');
  }
}

interface Pending {
  changeId: number;
  slug: string;
  attempts: number;
  nextAttemptAt: number;
  /** Replace the repository's file even if someone changed it there. */
  overwrite: boolean;
}

async function nextPending(app: App): Promise<Pending | undefined> {
  const { rows } = await app.db.execute(`SELECT change_id, page_slug, attempts, next_attempt_at, overwrite FROM publications WHERE state = 'pending' ORDER BY change_id LIMIT 1`);
  const r = rows[0];
  return r
    ? { changeId: Number(r.change_id), slug: String(r.page_slug), attempts: Number(r.attempts), nextAttemptAt: Number(r.next_attempt_at), overwrite: Number(r.overwrite) !== 0 }
    : undefined;
}

/** Publishes one save; returns what happened. */
export async function publishOne(app: App, site: SiteConfig, publisher: Publisher, item: Pending): Promise<PublishResult> {
  const git = site.git!;
  const page = site.pages.find((p) => p.slug === item.slug);
  if (!page) return { status: 'failed', reason: `page "${item.slug}" is no longer in config.yaml` };
  const { entries } = await pageHistory(app.db, page, { before: item.changeId + 1, limit: 1 });
  const entry = entries[0];
  if (!entry || entry.id !== item.changeId) return { status: 'failed', reason: `save ${item.changeId} not found` };
  const { rows } = await app.db.execute({
    sql: `SELECT u.username, u.display_name, u.email FROM changes c LEFT JOIN users u ON u.id = c.user_id WHERE c.id = ?`,
    args: [item.changeId],
  });
  const u: Record<string, unknown> = rows[0] ?? {};
  const username = String(u.username ?? entry.author);
  const author = { name: String(u.display_name || username), email: String(u.email || `${username}@users.switchyard.invalid`) };
  const path = fileFor(git, page.slug);
  const last = await app.db.execute({ sql: 'SELECT blob_sha FROM published_files WHERE target = ? AND path = ?', args: [publisher.target, path] });
  const header = `${page.title} (${page.slug}): values published by Switchyard.\nChange them in Switchyard; edits made here are not taken back.`;
  return publisher.publish({
    path,
    content: valuesToYaml(page, entry.values, header),
    message: commitMessage(page.slug, entry.changes, entry.id, username),
    author,
    date: entry.savedAt,
    expectedBlob: item.overwrite || !last.rows[0] ? undefined : String(last.rows[0].blob_sha),
  });
}

async function record(app: App, publisher: Publisher, site: SiteConfig, item: Pending, result: PublishResult): Promise<void> {
  const now = new Date().toISOString();
  if (result.status === 'committed') {
    await app.db.batch([
      { sql: `UPDATE publications SET state = 'committed', commit_sha = ?, commit_url = ?, last_error = NULL, attempts = attempts + 1, target = ?, updated_at = ? WHERE change_id = ?`, args: [result.sha, result.url ?? null, publisher.target, now, item.changeId] },
      {
        sql: `INSERT INTO published_files (target, path, blob_sha, change_id) VALUES (?, ?, ?, ?)
              ON CONFLICT (target, path) DO UPDATE SET blob_sha = excluded.blob_sha, change_id = excluded.change_id`,
        args: [publisher.target, fileFor(site.git!, item.slug), result.blob, item.changeId],
      },
    ]);
  } else if (result.status === 'conflict') {
    await app.db.write({ sql: `UPDATE publications SET state = 'conflict', last_error = ?, attempts = attempts + 1, updated_at = ? WHERE change_id = ?`, args: [result.reason, now, item.changeId] });
  } else {
    const attempts = item.attempts + 1;
    const next = Date.now() + Math.max(result.retryAfterMs ?? 0, backoffMs(attempts));
    await app.db.write({ sql: `UPDATE publications SET last_error = ?, attempts = ?, next_attempt_at = ?, updated_at = ? WHERE change_id = ?`, args: [result.reason, attempts, next, now, item.changeId] });
  }
}

export function startPublisher(app: App, signals: PublicationSignals, log: (m: string) => void = console.log): () => void {
  let stopped = false;
  let wake: (() => void) | undefined;
  const onSaved = () => wake?.();
  signals.on('saved', onSaved);
  const sleep = (ms: number) =>
    new Promise<void>((r) => {
      const t = setTimeout(r, ms);
      wake = () => {
        clearTimeout(t);
        r();
      };
    });

  void (async () => {
    while (!stopped) {
      try {
        const item = await nextPending(app);
        const live = await app.config.current();
        const publisher = publisherFor(live.config.git, app.settings.configPath, log);
        if (!item || !publisher) {
          await sleep(IDLE_CHECK_MS);
          continue;
        }
        const wait = item.nextAttemptAt - Date.now();
        if (wait > 0) {
          await sleep(wait);
          continue;
        }
        const result = await publishOne(app, live.config, publisher, item);
        await record(app, publisher, live.config, item, result);
        if (result.status === 'committed') log(`Published save ${item.changeId} (${item.slug}) as ${result.sha.slice(0, 12)}.`);
        else if (result.status === 'conflict') log(`Save ${item.changeId} (${item.slug}) conflicts: ${result.reason}`);
        else log(`Publishing save ${item.changeId} (${item.slug}) failed: ${result.reason}; trying again in ${Math.round(backoffMs(item.attempts + 1) / 1000)} s.`);
      } catch (e) {
        log(`Publication worker error: ${(e as Error).message}`);
        await sleep(5000);
      }
    }
  })();
  return () => {
    stopped = true;
    signals.off('saved', onSaved);
    wake?.();
  };
}
