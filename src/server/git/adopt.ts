/**
 * Changes made in Git come back. A page's values file changed on the
 * branch by someone other than Switchyard (a push, a merged pull request)
 * is found by looking at the branch (worker.ts: on a short poll, on a push
 * webhook, after a conflict) and, by `git.adopt`:
 *  - `auto`: recorded as a save by the commit's author, when config.yaml
 *    accepts its values and no save made here is still on its way to Git;
 *  - `review` (and `auto` in that case): offered to the page's editors, who
 *    adopt it or keep Switchyard's values.
 * Values config.yaml refuses are recorded as refused, with the reason for
 * admins; nothing of them is applied. Each file content is considered once
 * (`git_changes`, unique per target, path and blob), so every process may
 * look, and a look repeated after a crash changes nothing.
 */
import type { PageConfig, SiteConfig, Values } from '../../core/config/schema.ts';
import { diffValues } from '../../core/diff.ts';
import { defaultValues, encodeValue } from '../../core/values.ts';
import { ENGLISH, type Translate } from '../../core/i18n.ts';
import { IMPORT_MAX_BYTES, importValues } from '../../core/import.ts';
import type { App } from '../app.ts';
import { audit } from '../audit.ts';
import type { Executor, Transaction } from '../db.ts';
import { currentValues, saveValues, type HistoryEntry } from '../history.ts';
import { recordEvent } from '../notify/events.ts';
import { Refused } from '../refused.ts';
import type { BranchFile, BranchReader, FileOrigin } from './branch-files.ts';
import { lastPublished } from './outbox.ts';
import { fileFor } from './target.ts';

export type GitChangeState = 'offered' | 'adopted' | 'kept' | 'refused' | 'superseded';

/** A change of a values file found in Git, and what became of it. */
export interface GitChange {
  id: number;
  slug: string;
  path: string;
  blob: string;
  commit: { sha: string; url?: string; authorName: string; authorEmail: string; committedAt?: string; subject: string };
  content: string;
  state: GitChangeState;
  reason?: string;
  changeId?: number;
  decidedBy?: string;
  foundAt: string;
}

const COLUMNS = 'id, page_slug, path, blob_sha, commit_sha, commit_url, author_name, author_email, committed_at, subject, content, state, reason, change_id, decided_by, found_at';

function rowToChange(r: Record<string, unknown>): GitChange {
  const opt = (v: unknown) => (v == null ? undefined : String(v));
  return {
    id: Number(r.id),
    slug: String(r.page_slug),
    path: String(r.path),
    blob: String(r.blob_sha),
    commit: { sha: String(r.commit_sha), url: opt(r.commit_url), authorName: String(r.author_name), authorEmail: String(r.author_email), committedAt: opt(r.committed_at), subject: String(r.subject) },
    content: String(r.content),
    state: String(r.state) as GitChangeState,
    reason: opt(r.reason),
    changeId: r.change_id == null ? undefined : Number(r.change_id),
    decidedBy: opt(r.decided_by),
    foundAt: String(r.found_at),
  };
}

/** The page's latest change found in Git while it waits for an editor (offered) or was refused; what the page shows. */
export async function openGitChange(ex: Executor, slug: string): Promise<GitChange | undefined> {
  const { rows } = await ex.execute({ sql: `SELECT ${COLUMNS} FROM git_changes WHERE page_slug = ? AND state IN ('offered', 'refused') ORDER BY id DESC LIMIT 1`, args: [slug] });
  return rows[0] ? rowToChange(rows[0]) : undefined;
}

export async function gitChange(ex: Executor, slug: string, id: number): Promise<GitChange | undefined> {
  const { rows } = await ex.execute({ sql: `SELECT ${COLUMNS} FROM git_changes WHERE page_slug = ? AND id = ?`, args: [slug, id] });
  return rows[0] ? rowToChange(rows[0]) : undefined;
}

/** The values a change found in Git gives the page (the file names only some of them; the rest, secrets included, stay), or why they are refused. */
export function valuesOf(page: PageConfig, content: string, current: Values, t: Translate = ENGLISH): { values: Values } | { problem: string } {
  if (Buffer.byteLength(content) > IMPORT_MAX_BYTES) return { problem: tooLarge(t) };
  try {
    const parsed = importValues(page, content, t);
    if (parsed.problems.length) return { problem: parsed.problems.join(' ') };
    return { values: { ...current, ...parsed.values } };
  } catch (e) {
    return { problem: (e as Error).message };
  }
}

const tooLarge = (t: Translate) => t('gitChange.tooLarge', { kib: IMPORT_MAX_BYTES / 1024 });

/** Saves of the page not on the target branch yet: waiting, held by a conflict, or proposed and not merged. */
async function unpublishedSaves(ex: Executor, slug: string): Promise<number> {
  const { rows } = await ex.execute({ sql: `SELECT count(*) AS n FROM publications WHERE page_slug = ? AND state IN ('pending', 'conflict', 'proposed')`, args: [slug] });
  return Number(rows[0]!.n);
}

interface Found {
  target: string;
  page: PageConfig;
  file: BranchFile;
  origin: FileOrigin;
}

/** Records a change found in Git in `state`, and ends the page's earlier undecided ones; undefined when another look recorded it first. */
async function recordFound(tx: Transaction, f: Found, content: string, state: 'offered' | 'refused', reason: string | undefined): Promise<number | undefined> {
  const now = new Date().toISOString();
  await tx.execute({ sql: `UPDATE git_changes SET state = 'superseded', decided_at = ? WHERE page_slug = ? AND state IN ('offered', 'refused') AND blob_sha <> ?`, args: [now, f.page.slug, f.file.blob] });
  const { rows } = await tx.execute({
    sql: `INSERT INTO git_changes (target, page_slug, path, blob_sha, commit_sha, commit_url, author_name, author_email, committed_at, subject, content, state, reason, found_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (target, path, blob_sha) DO NOTHING RETURNING id`,
    args: [f.target, f.page.slug, f.file.path, f.file.blob, f.origin.sha, f.origin.url ?? null, f.origin.authorName, f.origin.authorEmail, f.origin.committedAt ?? null, f.origin.subject, content, state, reason ?? null, now],
  });
  return rows[0] ? Number(rows[0].id) : undefined;
}

/** The file holds the page's values as they are: it is what the target holds now (a merged proposal, a reformatted file). */
async function sameValues(app: App, f: Found, revision: number): Promise<void> {
  await app.db.write({
    sql: `INSERT INTO published_files (target, path, blob_sha, change_id) VALUES (?, ?, ?, ?)
          ON CONFLICT (target, path) DO UPDATE SET blob_sha = excluded.blob_sha, change_id = excluded.change_id`,
    args: [f.target, f.file.path, f.file.blob, revision],
  });
}

/** Considers one changed file: adopts it, offers it, refuses it, or (same values) takes note of it. */
async function consider(app: App, site: SiteConfig, f: Found, text: string | undefined, log: (m: string) => void): Promise<void> {
  const current = await currentValues(app.db, f.page);
  const content = text ?? '';
  const read = text === undefined ? { problem: tooLarge(ENGLISH) } : valuesOf(f.page, text, current.values);
  const at = `${f.file.path} at ${f.origin.sha.slice(0, 12)} by ${f.origin.authorName}`;
  if ('problem' in read) {
    const id = await app.db.transaction(async (tx) => {
      const made = await recordFound(tx, f, content, 'refused', read.problem);
      if (made) await audit(tx, { action: 'git_refused', username: 'git', detail: { page: f.page.slug, commit: f.origin.sha, author: f.origin.authorEmail, reason: read.problem } });
      await tx.commit();
      return made;
    });
    if (id) log(`The change of ${at} was not taken: ${read.problem}`);
    return;
  }
  const unpublished = await unpublishedSaves(app.db, f.page.slug);
  if (diffValues(f.page, current.values, read.values).length === 0) {
    if (unpublished === 0) await sameValues(app, f, current.revision);
    return;
  }
  const waiting = unpublished > 0 ? 'saves made here since are not in Git yet' : undefined;
  const id = await app.db.transaction(async (tx) => {
    const made = await recordFound(tx, f, content, 'offered', waiting);
    await tx.commit();
    return made;
  });
  if (!id) return;
  if (site.git?.adopt === 'auto' && !waiting) {
    const change = (await gitChange(app.db, f.page.slug, id))!;
    await adoptChange(app, f.page, change, { automatic: true });
    log(`Adopted the change of ${at} as a save.`);
  } else {
    log(`Offered the change of ${at} to the page's editors${waiting ? ` (${waiting})` : ''}.`);
  }
}

/**
 * Looks at the branch once; answers the head seen, to be passed back next
 * time (an unchanged branch is not read again).
 */
export async function lookForChanges(app: App, site: SiteConfig, reader: BranchReader, seenHead: string | undefined, log: (m: string) => void): Promise<string | undefined> {
  const git = site.git!;
  const listed = await reader.files(git.directory, seenHead);
  if (listed === 'unchanged') return seenHead;
  if (!listed) return undefined;
  const byPath = new Map(listed.files.map((f) => [f.path, f]));
  for (const page of site.pages) {
    const path = fileFor(git, page.slug);
    const file = byPath.get(path);
    // A change still undecided whose file has changed again since (a save published over it, a newer commit) is past.
    await app.db.write({
      sql: `UPDATE git_changes SET state = 'superseded', decided_at = ? WHERE target = ? AND path = ? AND state IN ('offered', 'refused') AND blob_sha <> ?`,
      args: [new Date().toISOString(), reader.target, path, file?.blob ?? ''],
    });
    if (!file) continue; // not published yet, or removed: removing a file changes no value
    if ((await lastPublished(app.db, reader.target, file.path))?.blob === file.blob) continue;
    const seen = await app.db.execute({ sql: 'SELECT 1 FROM git_changes WHERE target = ? AND path = ? AND blob_sha = ?', args: [reader.target, file.path, file.blob] });
    if (seen.rows.length) continue;
    const origin = await reader.lastCommit(listed.head, file.path);
    // Switchyard's own commit whose outcome is not recorded yet: the publisher recognises it.
    if (!origin || origin.ours) continue;
    const content = file.size > IMPORT_MAX_BYTES ? undefined : await reader.content(file.blob);
    await consider(app, site, { target: reader.target, page, file, origin }, content, log);
  }
  return listed.head;
}

/** Whoever adopts: an editor (with where from), or Switchyard itself under `adopt: auto`. */
export type Decider = { automatic: true } | { automatic?: false; user: { id: number; username: string }; ip: string };

async function authorOf(ex: Executor, email: string): Promise<{ id: number; username: string } | undefined> {
  if (!email) return undefined;
  const { rows } = await ex.execute({ sql: `SELECT id, username FROM users WHERE email <> '' AND lower(email) = lower(?) ORDER BY id LIMIT 1`, args: [email] });
  return rows[0] ? { id: Number(rows[0].id), username: String(rows[0].username) } : undefined;
}

/**
 * Records a change found in Git as a save by its commit's author (the user
 * with that email, else the author's name), in one transaction: the save,
 * with the commit as its origin and as its publication (it is in Git
 * already); the file as what the target holds; the page's saves not yet in
 * Git superseded (their values were replaced); the audit entry and the
 * `values.saved` event.
 */
export async function adoptChange(app: App, page: PageConfig, change: GitChange, by: Decider, t: Translate = ENGLISH): Promise<HistoryEntry | undefined> {
  const current = await currentValues(app.db, page);
  const read = valuesOf(page, change.content, current.values, t);
  if ('problem' in read) throw new Refused('conflict', (tt) => tt('gitChange.errors.invalidNow', { reason: problemIn(valuesOf(page, change.content, current.values, tt)) }));
  const author = (await authorOf(app.db, change.commit.authorEmail)) ?? { id: null, username: change.commit.authorName };
  const live = await app.config.current();
  const decidedBy = by.automatic ? 'auto' : by.user.username;
  const now = new Date().toISOString();
  const result = await saveValues(app.db, {
    page,
    values: read.values,
    configRevision: live.revision,
    user: author,
    reason: subjectOf(change),
    alongside: async (tx, entry) => {
      await decide(tx, change, 'adopted', decidedBy, entry.id);
      await refuseWhilePublishing(tx, page.slug);
      await tx.execute({ sql: 'UPDATE changes SET origin_commit = ?, origin_url = ? WHERE id = ?', args: [change.commit.sha, change.commit.url ?? null, entry.id] });
      await tx.execute({
        sql: `UPDATE publications SET state = 'superseded', last_error = ?, claim = NULL, claimed_until = 0, updated_at = ? WHERE page_slug = ? AND state IN ('pending', 'conflict')`,
        args: [`replaced by the values of Git commit ${change.commit.sha.slice(0, 12)}`, now, page.slug],
      });
      await tx.execute({
        sql: `INSERT INTO publications (change_id, page_slug, target, state, commit_sha, commit_url, attempts, created_at, updated_at) VALUES (?, ?, (SELECT target FROM git_changes WHERE id = ?), 'committed', ?, ?, 0, ?, ?)`,
        args: [entry.id, page.slug, change.id, change.commit.sha, change.commit.url ?? null, now, now],
      });
      await tx.execute({
        sql: `INSERT INTO published_files (target, path, blob_sha, change_id) SELECT target, path, blob_sha, ? FROM git_changes WHERE id = ?
              ON CONFLICT (target, path) DO UPDATE SET blob_sha = excluded.blob_sha, change_id = excluded.change_id`,
        args: [entry.id, change.id],
      });
      await audit(tx, {
        action: 'git_adopted',
        userId: by.automatic ? null : by.user.id,
        username: by.automatic ? 'git' : by.user.username,
        ip: by.automatic ? '' : by.ip,
        detail: { page: page.slug, change: entry.id, commit: change.commit.sha, author: change.commit.authorEmail, automatic: !!by.automatic, changed: entry.changes.map((c) => c.name) },
      });
      await recordEvent(tx, {
        type: 'values.saved',
        page: page.slug,
        data: { change: { id: entry.id, author: entry.author, saved_at: entry.savedAt, reason: entry.reason ?? null, origin: { commit: change.commit.sha, url: change.commit.url ?? null }, changes: entry.changes.map((c) => ({ name: c.name, before: c.before ?? null, after: c.after ?? null })), values: entry.values } },
      });
    },
  });
  if (result.status === 'saved') {
    app.deliveries.poke();
    return result.entry;
  }
  // The values are the page's already (someone saved the same here meanwhile): nothing to record but the decision.
  await app.db.transaction(async (tx) => {
    await decide(tx, change, 'adopted', decidedBy, current.revision);
    await tx.commit();
  });
  return undefined;
}

const problemIn = (read: ReturnType<typeof valuesOf>) => ('problem' in read ? read.problem : '');

/** The commit's own words are the save's reason; a subject of more than 500 characters is cut. */
function subjectOf(change: GitChange): string | undefined {
  return change.commit.subject.slice(0, 500) || undefined;
}

/** Moves an offered change to its decision; refused when someone decided first. */
async function decide(tx: Transaction, change: GitChange, state: 'adopted' | 'kept', by: string, changeId: number | null): Promise<void> {
  const { rows } = await tx.execute({
    sql: `UPDATE git_changes SET state = ?, decided_by = ?, decided_at = ?, change_id = ? WHERE id = ? AND state = 'offered' RETURNING id`,
    args: [state, by, new Date().toISOString(), changeId, change.id],
  });
  if (!rows[0]) throw new Refused('conflict', (t) => t('gitChange.errors.decided'));
}

/** A save of the page being published at this moment would land after the decision: it is asked again in a moment. */
async function refuseWhilePublishing(tx: Transaction, slug: string): Promise<void> {
  const { rows } = await tx.execute({ sql: `SELECT 1 FROM publications WHERE page_slug = ? AND state = 'pending' AND claim IS NOT NULL AND claimed_until > ?`, args: [slug, Date.now()] });
  if (rows[0]) throw new Refused('conflict', (t) => t('gitChange.errors.publishing'));
}

/**
 * Keeps Switchyard's values over a change found in Git: they go to Git again,
 * replacing the file there by an ordinary commit on top (never a force push).
 * The page's oldest save not yet in Git does it when there is one (as
 * "publish anyway" would); else a save of the same values is recorded to
 * carry them, saying why.
 */
export async function keepOurs(app: App, page: PageConfig, change: GitChange, by: { user: { id: number; username: string }; ip: string }): Promise<void> {
  const live = await app.config.current();
  await app.db.transaction(async (tx) => {
    await decide(tx, change, 'kept', by.user.username, null);
    const now = new Date().toISOString();
    const waiting = await tx.execute({ sql: `SELECT change_id FROM publications WHERE page_slug = ? AND state IN ('pending', 'conflict') ORDER BY change_id LIMIT 1`, args: [page.slug] });
    let carrier = waiting.rows[0] ? Number(waiting.rows[0].change_id) : undefined;
    if (carrier !== undefined) {
      await tx.execute({ sql: `UPDATE publications SET state = 'pending', overwrite = 1, attempts = 0, next_attempt_at = 0, last_error = NULL, updated_at = ? WHERE change_id = ?`, args: [now, carrier] });
      await tx.execute({ sql: `UPDATE publications SET state = 'pending', attempts = 0, next_attempt_at = 0, last_error = NULL, updated_at = ? WHERE page_slug = ? AND state = 'conflict'`, args: [now, page.slug] });
    } else {
      carrier = await copyLatestSave(tx, page, by.user, live.revision, `Keeps these values over Git commit ${change.commit.sha.slice(0, 12)}`, now);
      await tx.execute({
        sql: `INSERT INTO publications (change_id, page_slug, target, state, overwrite, created_at, updated_at) VALUES (?, ?, (SELECT target FROM git_changes WHERE id = ?), 'pending', 1, ?, ?)`,
        args: [carrier, page.slug, change.id, now, now],
      });
    }
    await tx.execute({ sql: 'UPDATE git_changes SET change_id = ? WHERE id = ?', args: [carrier, change.id] });
    await audit(tx, { action: 'git_kept', userId: by.user.id, username: by.user.username, ip: by.ip, detail: { page: page.slug, commit: change.commit.sha, change: carrier } });
    await tx.commit();
  });
  app.publications.saved();
}

/** A save repeating the page's latest values (none changed), to carry them to Git again; its id. */
async function copyLatestSave(tx: Transaction, page: PageConfig, user: { id: number; username: string }, configRevision: string, reason: string, at: string): Promise<number> {
  const slug = page.slug;
  const latest = await tx.execute({ sql: 'SELECT max(id) AS id FROM changes WHERE page_slug = ?', args: [slug] });
  const from = Number(latest.rows[0]?.id ?? 0);
  const inserted = await tx.execute({
    sql: `INSERT INTO changes (page_slug, user_id, author, saved_at, base_change_id, config_revision, reason) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    args: [slug, user.id, user.username, at, from, configRevision, reason],
  });
  const id = Number(inserted.rows[0]!.id);
  await tx.execute({
    sql: `INSERT INTO config_history (page_slug, parameter_name, value, saved_at, change_id, saved_by, secret)
          SELECT page_slug, parameter_name, value, ?, ?, ?, secret FROM config_history WHERE change_id = ?`,
    args: [at, id, user.username, from],
  });
  // Nothing saved here yet: the values kept are the defaults.
  if (from === 0) {
    const defaults = defaultValues(page);
    for (const p of page.parameters) {
      await tx.execute({
        sql: 'INSERT INTO config_history (page_slug, parameter_name, value, saved_at, change_id, saved_by, secret) VALUES (?, ?, ?, ?, ?, ?, ?)',
        args: [slug, p.name, encodeValue(defaults[p.name] ?? null), at, id, user.username, p.type === 'secret' ? 1 : 0],
      });
    }
  }
  return id;
}

// Retention: a change found in Git is a record of what happened, like the audit log, once nobody has it to decide.
const PAST = `state <> 'offered' AND found_at < ?`;

export async function countGitChangesBefore(ex: Executor, cutoff: string): Promise<number> {
  const { rows } = await ex.execute({ sql: `SELECT count(*) AS n FROM git_changes WHERE ${PAST}`, args: [cutoff] });
  return Number(rows[0]!.n);
}

export async function forgetGitChangesBefore(tx: Transaction, cutoff: string, limit: number): Promise<number> {
  const del = await tx.execute({ sql: `DELETE FROM git_changes WHERE id IN (SELECT id FROM git_changes WHERE ${PAST} ORDER BY id LIMIT ?)`, args: [cutoff, limit] });
  return del.rowsAffected;
}
