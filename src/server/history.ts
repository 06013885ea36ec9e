/**
 * Saves and their history. A save is one write transaction that records a
 * `changes` row and one `config_history` row per parameter. The page's
 * revision is the id of its latest change; a save must name the revision it
 * was based on, and is refused if another save came in between.
 */
import { diffValues, type ValueChange } from '../core/diff.ts';
import type { PageConfig, SiteConfig, Values } from '../core/config/schema.ts';
import { decodeValue, defaultValues, encodeValue, isSet, maskSecrets, resolveValues, SECRET_SET, type StoredText } from '../core/values.ts';
import type { Database, Executor, Transaction } from './db.ts';
import { enqueue, forgetPublicationsIn, publicationsOf, type Publication } from './git/outbox.ts';

export type { Publication };

type Stored = Map<string, StoredText>;

export interface HistoryEntry {
  id: number;
  author: string;
  savedAt: string;
  configRevision: string;
  /** Why the save was made, when its author said. */
  reason?: string;
  /** As saved, but secrets masked (maskSecrets): entries go to pages, the API, Git and notifications. */
  values: Values;
  changes: ValueChange[];
  /** Where the save stands in Git; absent when publication was off for it. */
  publication?: Publication;
  /** The Git commit its values came from, when it was adopted from Git. */
  origin?: { commit: string; url?: string };
}

export interface CurrentValues {
  values: Values;
  /** Id of the page's latest change, 0 before the first save. */
  revision: number;
  lastSave?: { id: number; author: string; savedAt: string; reason?: string; publication?: Publication };
}

export type SaveResult =
  | { status: 'saved'; entry: HistoryEntry }
  | { status: 'unchanged'; revision: number }
  | { status: 'conflict'; revision: number; since: HistoryEntry[] };

export interface SaveRequest {
  page: PageConfig;
  values: Values;
  /** The revision the editor loaded; undefined saves on top of whatever is latest. */
  baseRevision?: number;
  configRevision: string;
  /** null: an author with no account here (a change adopted from Git, by its commit's author). */
  user: { id: number | null; username: string };
  /** Why, as checked by core/reason.ts; none when not given. */
  reason?: string;
  /** Where the save is to be published (see git/target.ts); none when publication is off. */
  publishTo?: string;
  /** Written in the save's own transaction (its audit entry), so that neither holds without the other. */
  alongside?: (tx: Transaction, entry: HistoryEntry) => Promise<void>;
}

async function latestChange(ex: Executor, slug: string) {
  const { rows } = await ex.execute({
    sql: 'SELECT id, author, saved_at, reason FROM changes WHERE page_slug = ? ORDER BY id DESC LIMIT 1',
    args: [slug],
  });
  const row = rows[0];
  return row ? { id: Number(row.id), author: String(row.author), savedAt: String(row.saved_at), ...reasonOf(row.reason) } : undefined;
}

/** The `reason` property for a stored reason: absent, not empty, when there is none. */
function reasonOf(stored: unknown): { reason?: string } {
  return stored === null || stored === undefined || stored === '' ? {} : { reason: String(stored) };
}

async function storedValues(ex: Executor, changeIds: number[]): Promise<Map<number, Stored>> {
  const byChange = new Map<number, Stored>(changeIds.map((id) => [id, new Map()]));
  if (changeIds.length === 0) return byChange;
  const { rows } = await ex.execute({
    sql: `SELECT change_id, parameter_name, value, secret FROM config_history WHERE change_id IN (${changeIds.map(() => '?').join(',')})`,
    args: changeIds,
  });
  for (const r of rows) {
    const text = r.value === null ? null : String(r.value);
    byChange.get(Number(r.change_id))?.set(String(r.parameter_name), Number(r.secret) === 1 ? { secret: text } : text);
  }
  return byChange;
}

/**
 * Values as saved, typed where they still fit the page; parameters since
 * removed keep their text, and a value saved as a secret that is no secret's
 * now shows only whether it was set.
 */
function savedValues(page: PageConfig, stored: Stored): Values {
  const values: Values = {};
  for (const [name, text] of stored) {
    const p = page.parameters.find((q) => q.name === name);
    const decoded = p ? decodeValue(p, text) : undefined;
    values[name] = decoded !== undefined ? decoded : text !== null && typeof text === 'object' ? (isSet(text.secret) ? SECRET_SET : null) : text;
  }
  return values;
}

/**
 * Marks the values saved before secrets were marked where they are kept
 * (migration 18) by the config's secret parameters. Idempotent; cheap once
 * done (the parameter index finds nothing left to mark).
 */
export async function markSecretValues(ex: Executor, site: SiteConfig): Promise<number> {
  let marked = 0;
  for (const page of site.pages) {
    for (const p of page.parameters.filter((q) => q.type === 'secret')) {
      const r = await ex.execute({ sql: 'UPDATE config_history SET secret = 1 WHERE page_slug = ? AND parameter_name = ? AND secret = 0', args: [page.slug, p.name] });
      marked += r.rowsAffected;
    }
  }
  return marked;
}

export async function currentValues(ex: Executor, page: PageConfig): Promise<CurrentValues> {
  const latest = await latestChange(ex, page.slug);
  if (!latest) return { values: defaultValues(page), revision: 0 };
  const stored = (await storedValues(ex, [latest.id])).get(latest.id)!;
  const publication = (await publicationsOf(ex, [latest.id])).get(latest.id);
  return { values: resolveValues(page, stored), revision: latest.id, lastSave: { ...latest, publication } };
}

/**
 * Saves, newest first, each with what it changed against the save before it.
 * `after` limits to saves newer than a revision (the conflict view); `before`
 * pages backwards.
 */
export async function pageHistory(
  ex: Executor,
  page: PageConfig,
  opts: { limit?: number; before?: number; after?: number } = {},
): Promise<{ entries: HistoryEntry[]; more: boolean }> {
  const limit = Math.min(Math.max(opts.limit ?? 50, 1), 500);
  const { rows } = await ex.execute({
    sql: `SELECT id, author, saved_at, config_revision, reason, origin_commit, origin_url FROM changes
          WHERE page_slug = ? AND id > ? AND id < ? ORDER BY id DESC LIMIT ?`,
    args: [page.slug, opts.after ?? 0, opts.before ?? Number.MAX_SAFE_INTEGER, limit + 1],
  });
  const more = rows.length > limit;
  const shown = rows.slice(0, limit);
  if (shown.length === 0) return { entries: [], more: false };
  const oldest = Number(shown[shown.length - 1]!.id);
  const prev = await ex.execute({ sql: 'SELECT max(id) AS id FROM changes WHERE page_slug = ? AND id < ?', args: [page.slug, oldest] });
  const baselineId = prev.rows[0]?.id == null ? undefined : Number(prev.rows[0].id);
  const ids = shown.map((r) => Number(r.id));
  const stored = await storedValues(ex, baselineId === undefined ? ids : [...ids, baselineId]);

  const published = await publicationsOf(ex, ids);
  const entries: HistoryEntry[] = [];
  let before = baselineId === undefined ? defaultValues(page) : savedValues(page, stored.get(baselineId)!);
  for (const r of [...shown].reverse()) {
    const values = savedValues(page, stored.get(Number(r.id))!);
    entries.push({
      id: Number(r.id),
      author: String(r.author),
      savedAt: String(r.saved_at),
      configRevision: String(r.config_revision),
      ...reasonOf(r.reason),
      values: maskSecrets(page, values),
      changes: diffValues(page, before, values),
      publication: published.get(Number(r.id)),
      ...(r.origin_commit == null ? {} : { origin: { commit: String(r.origin_commit), ...(r.origin_url == null ? {} : { url: String(r.origin_url) }) } }),
    });
    before = values;
  }
  return { entries: entries.reverse(), more };
}

/** One saved version of a page, or undefined if there is no such save of this page. */
export async function versionOf(ex: Executor, page: PageConfig, id: number): Promise<HistoryEntry | undefined> {
  if (!Number.isSafeInteger(id) || id <= 0) return undefined;
  const { entries } = await pageHistory(ex, page, { before: id + 1, limit: 1 });
  return entries[0]?.id === id ? entries[0] : undefined;
}

/**
 * The secret parameters whose saved values differ between two versions (0:
 * the defaults). Versions show a secret only as set or not, so this is how a
 * comparison tells that one was replaced by another; the values stay here.
 */
export async function secretsThatDiffer(ex: Executor, page: PageConfig, fromId: number, toId: number): Promise<Set<string>> {
  const secrets = page.parameters.filter((p) => p.type === 'secret');
  if (secrets.length === 0) return new Set();
  const stored = await storedValues(ex, [fromId, toId].filter((id) => id > 0));
  const valueIn = (id: number) => (id > 0 ? resolveValues(page, stored.get(id) ?? new Map()) : defaultValues(page));
  const [a, b] = [valueIn(fromId), valueIn(toId)];
  return new Set(secrets.filter((p) => (a[p.name] ?? null) !== (b[p.name] ?? null)).map((p) => p.name));
}

/** Saves of many pages at once share one commit (Database.grouped): so this does nothing but database work through `tx`. */
export async function saveValues(db: Database, req: SaveRequest): Promise<SaveResult> {
  return db.grouped(async (tx) => {
    const current = await currentValues(tx, req.page);
    if (req.baseRevision !== undefined && current.revision !== req.baseRevision) {
      const { entries } = await pageHistory(tx, req.page, { after: req.baseRevision, limit: 20 });
      return { status: 'conflict', revision: current.revision, since: entries };
    }
    const values: Values = { ...current.values, ...req.values };
    const changes = diffValues(req.page, current.values, values);
    if (changes.length === 0 && current.revision !== 0) return { status: 'unchanged', revision: current.revision };

    const savedAt = new Date().toISOString();
    const inserted = await tx.execute({
      sql: `INSERT INTO changes (page_slug, user_id, author, saved_at, base_change_id, config_revision, reason)
            VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      args: [req.page.slug, req.user.id, req.user.username, savedAt, current.revision, req.configRevision, req.reason ?? null],
    });
    const id = Number(inserted.rows[0]!.id);
    for (const p of req.page.parameters) {
      await tx.execute({
        sql: `INSERT INTO config_history (page_slug, parameter_name, value, saved_at, change_id, saved_by, secret)
              VALUES (?, ?, ?, ?, ?, ?, ?)`,
        args: [req.page.slug, p.name, encodeValue(values[p.name] ?? null), savedAt, id, req.user.username, p.type === 'secret' ? 1 : 0],
      });
    }
    if (req.publishTo) {
      await enqueue(tx, { changeId: id, slug: req.page.slug, target: req.publishTo, at: savedAt });
    }
    const entry: HistoryEntry = { id, author: req.user.username, savedAt, configRevision: req.configRevision, ...reasonOf(req.reason), values: maskSecrets(req.page, values), changes };
    await req.alongside?.(tx, entry);
    await tx.commit();
    return { status: 'saved', entry };
  });
}

/**
 * A removed account's saves stay, with the name they were made under: only
 * the link to the account goes. Inside the removal's own transaction.
 */
export async function forgetAccountIn(tx: Transaction, userId: number): Promise<void> {
  await tx.execute({ sql: 'UPDATE changes SET user_id = NULL WHERE user_id = ?', args: [userId] });
}

/**
 * Deletes saves (retention) with their values and publications, in the
 * caller's transaction. The caller keeps every save that current values or a
 * waiting publication still read.
 */
export async function forgetChangesIn(tx: Transaction, ids: number[]): Promise<{ changes: number; config_history: number; publications: number }> {
  const inIds = ids.map(() => '?').join(',');
  const values = await tx.execute({ sql: `DELETE FROM config_history WHERE change_id IN (${inIds})`, args: ids });
  const publications = await forgetPublicationsIn(tx, ids);
  const changes = await tx.execute({ sql: `DELETE FROM changes WHERE id IN (${inIds})`, args: ids });
  return { changes: changes.rowsAffected, config_history: values.rowsAffected, publications };
}
