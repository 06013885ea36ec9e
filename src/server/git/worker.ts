/**
 * Works through the publication outbox: one save at a time, each retried
 * with backoff until it is committed or found to conflict. Saves are
 * published in the order they were made; a failing save holds back the later
 * saves of its page, and other pages go ahead meanwhile. Of several app
 * processes on one database, one at a time publishes to a target (its lease),
 * so commits keep save order and never race in one working copy; each save
 * is claimed too, so none is published twice at once; and publishing is
 * idempotent (a save's commit is recognised by its trailer), so a process
 * that dies at any point leaves nothing that a retry cannot finish.
 * A branch that refuses direct pushes (or git.mode: pull_request) gets the
 * save proposed instead (proposing.ts), and open proposals are looked at for
 * a merge or a close every `proposalCheckMs`.
 * Saves never wait for any of this.
 */
import { commitMessage } from '../../core/commit-message.ts';
import type { GitConfig, SiteConfig } from '../../core/config/schema.ts';
import { valuesToYaml } from '../../core/export.ts';
import type { App } from '../app.ts';
import { pageHistory } from '../history.ts';
import { LocalGitPublisher } from './local.ts';
import { GitHubPublisher } from './github.ts';
import type { PublicationSignals } from './signals.ts';
import { fileFor, localPath } from './target.ts';
import { claim, holdPublisherLease, lastPublished, markCommitted, markConflict, markFailed, pageHeads, releasePublisherLease, savesBetween, type Pending } from './outbox.ts';
import { checkProposals, currentProposal, proposeSave, type ProposalAsked } from './proposing.ts';
import { markProposed, openProposals } from './proposals.ts';
import { CLAIM_MS, heldByOther, renewing } from '../claims.ts';
import { Sleeper } from '../wake.ts';
import { gitLooker } from './inbound.ts';
import type { Publisher, PublishRequest, PublishResult } from './types.ts';
import { pageOf } from '../../core/config/lookup.ts';

const MAX_BACKOFF_MS = 5 * 60 * 1000;
const IDLE_CHECK_MS = 30_000;
/** How often a process with saves waiting looks whether the process publishing them has let the target go. */
const LEASE_POLL_MS = 500;

export function backoffMs(attempts: number): number {
  return Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.max(0, attempts - 1));
}

/** The publisher for a config's git block, or undefined when publication is off. */
function publisherFor(git: GitConfig | undefined, configPath: string, log: (m: string) => void, timeoutMs?: number): Publisher | undefined {
  if (git?.github) {
    const g = git.github;
    return new GitHubPublisher({ repository: g.repository, branch: g.branch, tokenEnv: g.token_env, apiUrl: g.api_url, token: process.env[g.token_env] || undefined, timeoutMs });
  }
  if (!git?.local) return undefined;
  return new LocalGitPublisher({ path: localPath(git.local, configPath), branch: git.local.branch, remote: git.local.remote, log, timeoutMs });
}

/**
 * The publisher for the live config, built once per configuration: again only
 * when the git block, or the token it names in the environment, changes (a
 * GitHub publisher holds a client; nothing in a publisher depends on more).
 */
function publisherCache(configPath: string, log: (m: string) => void, timeoutMs?: number): (git: GitConfig | undefined) => Publisher | undefined {
  let built: { key: string; publisher: Publisher | undefined } | undefined;
  return (git) => {
    const key = JSON.stringify([git, git?.github ? process.env[git.github.token_env] : undefined]);
    if (built?.key !== key) built = { key, publisher: publisherFor(git, configPath, log, timeoutMs) };
    return built.publisher;
  };
}

/**
 * The next save to publish now, claimed, with this process holding the
 * target's lease; or how long to wait. Nothing due: the lease is let go, so
 * the process whose save comes next takes it at once. Another process holds
 * it: a short wait, since that process sees our saves in the database and
 * publishes them, and lets the lease go when it is done.
 */
async function nextPending(app: App, target: string): Promise<{ item: Pending } | { waitMs: number }> {
  for (;;) {
    const now = Date.now();
    const heads = await pageHeads(app.db);
    const due = heads.find((h) => h.nextAttemptAt <= now && !heldByOther(h, now));
    if (!due) {
      await releasePublisherLease(app.db, target);
      const soonest = Math.min(...heads.map((h) => (heldByOther(h, now) ? Math.max(h.claimedUntil, h.nextAttemptAt) : h.nextAttemptAt)));
      return { waitMs: Math.min(IDLE_CHECK_MS, Math.max(50, soonest - now)) };
    }
    if (!(await holdPublisherLease(app.db, target, now))) return { waitMs: LEASE_POLL_MS };
    if (await claim(app.db, due)) return { item: due };
  }
}

/** What publishing a save came to, and what was asked of the publisher if the save was proposed. */
interface Attempt {
  result: PublishResult;
  asked?: ProposalAsked;
}

/**
 * Publishes one save: straight to the branch, or proposed (always with
 * git.mode: pull_request; when the page has an open proposal, on top of it;
 * when the branch refuses the push).
 */
export async function publishOne(app: App, site: SiteConfig, publisher: Publisher, item: Pending, log: (m: string) => void = () => {}): Promise<Attempt> {
  const open = await currentProposal(app, publisher, item.slug, log);
  const built = await requestFor(app, site, publisher, item);
  if ('status' in built) return { result: built };
  if (site.git!.mode !== 'pull_request' && !open) {
    const result = await publisher.publish(built.req);
    if (result.status !== 'refused') return { result };
    log(`${result.reason}; proposing save ${item.changeId} (${item.slug}) instead.`);
  }
  return proposeSave(publisher, { ...built, slug: item.slug, overwrite: item.overwrite }, open);
}

/** The save as the publisher is asked to write it, or why it cannot be. */
async function requestFor(app: App, site: SiteConfig, publisher: Publisher, item: Pending): Promise<{ req: PublishRequest; title: string; subject: string } | Extract<PublishResult, { status: 'failed' }>> {
  const git = site.git!;
  const page = pageOf(site, item.slug);
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
  const last = await lastPublished(app.db, publisher.target, path);
  const header = `${page.title} (${page.slug}): values published by Switchyard.\n${git.adopt === 'auto' ? 'Edits committed here are taken into Switchyard when config.yaml accepts them.' : "Edits committed here are offered to the page's editors in Switchyard."}`;
  const message = commitMessage(page.slug, entry.changes, entry.id, username, entry.reason);
  const req: PublishRequest = {
    path,
    content: valuesToYaml(page, entry.values, header),
    message,
    author,
    date: entry.savedAt,
    expectedBlob: item.overwrite ? undefined : last?.blob,
    saveId: item.changeId,
    earlierSaves: await savesBetween(app.db, page.slug, last?.changeId ?? 0, item.changeId),
  };
  return { req, title: page.title, subject: `${message.split('\n')[0]} (${username})` };
}

/** How long a failed save waits before its next attempt: the backoff, or longer when the remote asks. */
function retryDelayMs(item: Pending, result: Extract<PublishResult, { status: 'failed' | 'refused' }>): number {
  return Math.max(('retryAfterMs' in result && result.retryAfterMs) || 0, backoffMs(item.attempts + 1));
}

/**
 * Records the outcome and releases the claim, unless the claim was lost (this
 * process stalled past it and another took the save over): the outcome is
 * then the other process's to record.
 */
function record(app: App, publisher: Publisher, site: SiteConfig, item: Pending, { result, asked }: Attempt): Promise<boolean> {
  const path = fileFor(site.git!, item.slug);
  if (result.status === 'committed') return markCommitted(app.db, item, { sha: result.sha, url: result.url, blob: result.blob, target: publisher.target, path });
  if (result.status === 'conflict') return markConflict(app.db, item, result.reason);
  if (result.status === 'proposed') return markProposed(app.db, item, { ...result, target: publisher.target, path, body: asked!.body });
  return markFailed(app.db, item, result.reason, Date.now() + retryDelayMs(item, result));
}

/** Publishes one claimed save and records the outcome, keeping the claim and the target's lease alive meanwhile. */
async function publishClaimed(app: App, site: SiteConfig, publisher: Publisher, item: Pending, log: (m: string) => void, signals: PublicationSignals): Promise<void> {
  const stopRenewingClaim = renewing(app.db, 'publications', 'change_id', item.changeId);
  const lease = setInterval(() => void holdPublisherLease(app.db, publisher.target).catch(() => false), CLAIM_MS / 3);
  const stopRenewing = () => {
    stopRenewingClaim();
    clearInterval(lease);
  };
  let attempt: Attempt;
  try {
    attempt = await publishOne(app, site, publisher, item, log);
  } catch (e) {
    attempt = { result: { status: 'failed', reason: (e as Error).message } };
  } finally {
    stopRenewing();
  }
  if (!(await record(app, publisher, site, item, attempt))) {
    log(`Save ${item.changeId} (${item.slug}) was taken over by another process; its outcome is recorded there.`);
    return;
  }
  const result = attempt.result;
  if (result.status === 'committed') log(`Published save ${item.changeId} (${item.slug}) as ${result.sha.slice(0, 12)}.`);
  else if (result.status === 'proposed') log(`Proposed save ${item.changeId} (${item.slug}) ${result.number ? `in #${result.number}` : `on the branch ${result.branch}`}.`);
  else if (result.status === 'conflict') {
    log(`Save ${item.changeId} (${item.slug}) conflicts: ${result.reason}`);
    signals.lookInGit(); // the change made in Git is offered to the page's editors at once
  }
  else log(`Publishing save ${item.changeId} (${item.slug}) failed: ${result.reason}; trying again in ${Math.round(retryDelayMs(item, result) / 1000)} s.`);
}

/**
 * Looks at the target's open proposals when they are due (and at start),
 * holding the target's lease: a process whose lease is held by another
 * leaves them to it. Returns when they are due next.
 */
async function checkWhenDue(app: App, publisher: Publisher, dueAt: number, log: (m: string) => void): Promise<number> {
  if (Date.now() < dueAt) return dueAt;
  const next = Date.now() + app.settings.proposalCheckMs;
  if ((await openProposals(app.db, publisher.target)).length === 0) return next;
  if (await holdPublisherLease(app.db, publisher.target)) await checkProposals(app, publisher, log);
  return next;
}

export function startPublisher(app: App, signals: PublicationSignals, log: (m: string) => void = console.log): () => void {
  let stopped = false;
  const sleeper = new Sleeper(signals);
  const sleep = (ms: number) => sleeper.sleep(ms);

  const publisherOf = publisherCache(app.settings.configPath, log, app.settings.gitTimeoutMs);
  const looker = gitLooker(app, log);
  let lastGit: GitConfig | undefined;
  let proposalsDueAt = 0;
  void (async () => {
    while (!stopped) {
      sleeper.begin();
      try {
        const live = await app.config.current();
        lastGit = live.config.git;
        const publisher = publisherOf(lastGit);
        if (!publisher) {
          await sleep(IDLE_CHECK_MS);
          continue;
        }
        proposalsDueAt = await checkWhenDue(app, publisher, proposalsDueAt, log);
        const next = await nextPending(app, publisher.target);
        if ('waitMs' in next) {
          // Nothing to publish now: time to look for changes made in Git, if it is due.
          const look = await looker.lookIfDue(live.config, publisher.target, signals.takeLookRequest());
          if (look.leased) await releasePublisherLease(app.db, publisher.target);
          await sleep(Math.max(0, Math.min(next.waitMs, proposalsDueAt - Date.now(), look.nextInMs)));
        } else await publishClaimed(app, live.config, publisher, next.item, log, signals);
      } catch (e) {
        log(`Publication worker error: ${(e as Error).message}`);
        await sleep(5000);
      }
    }
  })();
  return () => {
    stopped = true;
    sleeper.stop();
    // Let the others publish at once rather than when the lease lapses.
    const target = publisherOf(lastGit)?.target;
    if (target) void releasePublisherLease(app.db, target).catch(() => undefined);
  };
}
