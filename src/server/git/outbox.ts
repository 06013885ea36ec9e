/**
 * The publication outbox: the `publications` table (one row per save to be
 * published, and where it stands) and `published_files` (the blob last
 * written to each file of each target). Every statement on them is here;
 * the save, the worker and "publish anyway" call these functions.
 *
 * A save is enqueued in its own transaction, so no save is lost or published
 * without being recorded. One app process at a time publishes to a target
 * (its lease in `publisher_leases`), and it claims each save before it
 * publishes it; both lapse unless renewed, so a stalled or dead process
 * leaves nothing the others cannot take over.
 */
import type { Database, Executor, Transaction } from '../db.ts';
import { CLAIM, CLAIM_MS, heldByOther } from '../claims.ts';
import { recordEvent } from '../notify/events.ts';

/**
 * Where a save stands in Git, as the history shows it. `proposed`: committed
 * on its page's side branch, waiting for the proposal to be merged; `closed`:
 * that proposal was closed without merging. A save that went through a
 * proposal keeps it (`proposal`): once merged it is `committed` as the merge.
 */
export interface Publication {
  state: 'pending' | 'committed' | 'conflict' | 'proposed' | 'closed' | 'superseded';
  sha: string | null;
  url: string | null;
  error: string | null;
  attempts: number;
  nextAttemptAt: number;
  proposal?: { branch: string; number: number | null; url: string | null };
}

/** Puts a save in line for publication, inside the save's own transaction. */
export async function enqueue(tx: Transaction, save: { changeId: number; slug: string; target: string; at: string }): Promise<void> {
  await tx.execute({
    sql: `INSERT INTO publications (change_id, page_slug, target, state, created_at, updated_at) VALUES (?, ?, ?, 'pending', ?, ?)`,
    args: [save.changeId, save.slug, save.target, save.at, save.at],
  });
}

/** Where each of these saves stands; saves made while publication was off have no entry. */
export async function publicationsOf(ex: Executor, ids: number[]): Promise<Map<number, Publication>> {
  if (ids.length === 0) return new Map();
  const { rows } = await ex.execute({
    sql: `SELECT p.change_id, p.state, p.commit_sha, p.commit_url, p.last_error, p.attempts, p.next_attempt_at, r.branch, r.number, r.url AS proposal_url
          FROM publications p LEFT JOIN proposal_saves s ON s.change_id = p.change_id LEFT JOIN proposals r ON r.id = s.proposal_id WHERE p.change_id IN (${ids.map(() => '?').join(',')})`,
    args: ids,
  });
  return new Map(
    rows.map((r) => [
      Number(r.change_id),
      {
        state: String(r.state) as Publication['state'],
        sha: r.commit_sha == null ? null : String(r.commit_sha),
        url: r.commit_url == null ? null : String(r.commit_url),
        error: r.last_error == null ? null : String(r.last_error),
        attempts: Number(r.attempts),
        nextAttemptAt: Number(r.next_attempt_at),
        ...(r.branch == null ? {} : { proposal: { branch: String(r.branch), number: r.number == null ? null : Number(r.number), url: r.proposal_url == null ? null : String(r.proposal_url) } }),
      },
    ]),
  );
}

/** A save waiting to be published, as the worker sees it. */
export interface Pending {
  changeId: number;
  slug: string;
  attempts: number;
  nextAttemptAt: number;
  /** Replace the repository's file even if someone changed it there. */
  overwrite: boolean;
  claim: string | null;
  claimedUntil: number;
}

/**
 * The saves that may be published next: for each page, its oldest pending
 * save (saves of one page are committed in order; other pages do not wait
 * for it), oldest first.
 */
export async function pageHeads(db: Database): Promise<Pending[]> {
  const { rows } = await db.execute(`
    SELECT change_id, page_slug, attempts, next_attempt_at, overwrite, claim, claimed_until FROM publications p
    WHERE state = 'pending' AND NOT EXISTS (SELECT 1 FROM publications o WHERE o.page_slug = p.page_slug AND o.state = 'pending' AND o.change_id < p.change_id)
    ORDER BY change_id`);
  return rows.map((r) => ({
    changeId: Number(r.change_id),
    slug: String(r.page_slug),
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    overwrite: Number(r.overwrite) !== 0,
    claim: r.claim == null ? null : String(r.claim),
    claimedUntil: Number(r.claimed_until),
  }));
}

/**
 * Takes, keeps or renews the target's publisher lease for this process; false
 * while another live process holds it. A compare-and-swap on the row as read,
 * so two processes never both take it; a fresh lease of our own is not
 * written again (one write per half lease at most).
 */
export async function holdPublisherLease(db: Database, target: string, now = Date.now()): Promise<boolean> {
  const { rows } = await db.execute({ sql: 'SELECT holder, until FROM publisher_leases WHERE target = ?', args: [target] });
  const held = rows[0] ? { claim: String(rows[0].holder), claimedUntil: Number(rows[0].until) } : undefined;
  if (held && heldByOther(held, now)) return false;
  if (held?.claim === CLAIM && held.claimedUntil - now > CLAIM_MS / 2) return true;
  const taken = await db.write({
    sql: `INSERT INTO publisher_leases (target, holder, until) VALUES (?, ?, ?)
          ON CONFLICT (target) DO UPDATE SET holder = excluded.holder, until = excluded.until
            WHERE publisher_leases.holder = ? AND publisher_leases.until = ?
          RETURNING holder`,
    args: [target, CLAIM, now + CLAIM_MS, held?.claim ?? null, held?.claimedUntil ?? null],
  });
  return taken.rows.length > 0;
}

/** Lets the target's lease go (nothing left to publish, or this process stops), if it is ours. */
export async function releasePublisherLease(db: Database, target: string): Promise<void> {
  await db.write({ sql: 'DELETE FROM publisher_leases WHERE target = ? AND holder = ?', args: [target, CLAIM] });
}

/** Claims a save for this process; false if another process got there first. */
export async function claim(db: Database, item: Pending): Promise<boolean> {
  const { rows } = await db.write({
    // The attempt count and due time are part of the compare: a process that read this save just
    // before another one failed it and released it must not publish it again at once, past the backoff.
    sql: `UPDATE publications SET claim = ?, claimed_until = ? WHERE change_id = ? AND state = 'pending' AND claim IS ? AND claimed_until = ?
            AND attempts = ? AND next_attempt_at <= ? RETURNING change_id`,
    args: [CLAIM, Date.now() + CLAIM_MS, item.changeId, item.claim, item.claimedUntil, item.attempts, Date.now()],
  });
  return rows.length > 0;
}

/** What was last published to a file of a target: its blob, and the save that wrote it. */
export async function lastPublished(db: Database, target: string, path: string): Promise<{ blob: string; changeId: number } | undefined> {
  const { rows } = await db.execute({ sql: 'SELECT blob_sha, change_id FROM published_files WHERE target = ? AND path = ?', args: [target, path] });
  return rows[0] ? { blob: String(rows[0].blob_sha), changeId: Number(rows[0].change_id) } : undefined;
}

/** The page's saves strictly between two saves, in order. */
export async function savesBetween(db: Database, slug: string, after: number, before: number): Promise<number[]> {
  const { rows } = await db.execute({
    sql: 'SELECT change_id FROM publications WHERE page_slug = ? AND change_id > ? AND change_id < ? ORDER BY change_id',
    args: [slug, after, before],
  });
  return rows.map((r) => Number(r.change_id));
}

// An outcome is recorded only while this process still holds the save's claim (it may have
// stalled past it, and another process taken the save over: the outcome is then the other's
// to record); recording releases the claim. Each answers whether it was recorded.
const MINE = `change_id = ? AND state = 'pending' AND claim = ?`;
const RELEASE = `claim = NULL, claimed_until = 0`;

/** The save's commit landed: it is committed, and its blob is what the target's file now holds. */
export async function markCommitted(db: Database, item: Pending, commit: { sha: string; url?: string; blob: string; target: string; path: string }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.execute({
      sql: `UPDATE publications SET state = 'committed', commit_sha = ?, commit_url = ?, last_error = NULL, attempts = attempts + 1, target = ?, updated_at = ?, ${RELEASE} WHERE ${MINE} RETURNING change_id`,
      args: [commit.sha, commit.url ?? null, commit.target, new Date().toISOString(), item.changeId, CLAIM],
    });
    if (rows.length === 0) return false;
    await tx.execute({
      sql: `INSERT INTO published_files (target, path, blob_sha, change_id) VALUES (?, ?, ?, ?)
            ON CONFLICT (target, path) DO UPDATE SET blob_sha = excluded.blob_sha, change_id = excluded.change_id`,
      args: [commit.target, commit.path, commit.blob, item.changeId],
    });
    await tx.commit();
    return true;
  });
}

/**
 * After this many failed attempts in a row a save's trouble is told as
 * `publication.failed` (once; it is still retried). A remote that is briefly
 * away is no news; one still failing after three tries (about 7 s) is.
 */
export const FAILED_EVENT_AFTER = 3;

/** Records an outcome that needs a transaction of its own when it is news (publication.failed); whether it was recorded. */
async function recordOutcome(db: Database, item: Pending, sql: string, args: (string | number)[], event?: { state: 'conflict' | 'pending'; error: string; attempts: number }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.execute({ sql, args });
    if (rows.length === 0) return false;
    if (event) await recordEvent(tx, { type: 'publication.failed', page: item.slug, data: { change: { id: item.changeId }, publication: event } });
    await tx.commit();
    return true;
  });
}

/** Someone else changed the file: the save waits for a person (see requeueConflict). */
export async function markConflict(db: Database, item: Pending, reason: string): Promise<boolean> {
  return recordOutcome(
    db,
    item,
    `UPDATE publications SET state = 'conflict', last_error = ?, attempts = attempts + 1, updated_at = ?, ${RELEASE} WHERE ${MINE} RETURNING change_id`,
    [reason, new Date().toISOString(), item.changeId, CLAIM],
    { state: 'conflict', error: reason, attempts: item.attempts + 1 },
  );
}

/** Publishing failed for now: the save is tried again from `nextAttemptAt` (epoch ms). */
export async function markFailed(db: Database, item: Pending, reason: string, nextAttemptAt: number): Promise<boolean> {
  const attempts = item.attempts + 1;
  return recordOutcome(
    db,
    item,
    `UPDATE publications SET last_error = ?, attempts = ?, next_attempt_at = ?, updated_at = ?, ${RELEASE} WHERE ${MINE} RETURNING change_id`,
    [reason, attempts, nextAttemptAt, new Date().toISOString(), item.changeId, CLAIM],
    attempts === FAILED_EVENT_AFTER ? { state: 'pending', error: reason, attempts } : undefined,
  );
}

/**
 * Publish anyway: a conflicting save goes back in line to replace the
 * repository's file, inside the caller's transaction (with its audit entry).
 * The page's later conflicting saves met the same edit in the repository;
 * once this one has replaced it they build on this one's file, so they go
 * back in line after it, in order. Returns those later saves, or undefined
 * when the save is not waiting on a conflict.
 */
export async function requeueConflict(tx: Transaction, slug: string, changeId: number, at: string): Promise<{ requeued: number[] } | undefined> {
  const { rows } = await tx.execute({
    sql: `UPDATE publications SET state = 'pending', overwrite = 1, attempts = 0, next_attempt_at = 0, last_error = NULL, updated_at = ?
          WHERE change_id = ? AND page_slug = ? AND state = 'conflict' RETURNING change_id`,
    args: [at, changeId, slug],
  });
  if (!rows[0]) return undefined;
  const later = await tx.execute({
    sql: `UPDATE publications SET state = 'pending', attempts = 0, next_attempt_at = 0, last_error = NULL, updated_at = ?
          WHERE page_slug = ? AND change_id > ? AND state = 'conflict' RETURNING change_id`,
    args: [at, slug, changeId],
  });
  return { requeued: later.rows.map((r) => Number(r.change_id)) };
}

/**
 * How far publication lags: saves waiting (or held by a conflict), saves
 * proposed and not merged yet, and the age of the oldest waiting one.
 */
export async function backlog(ex: Executor, now = Date.now()): Promise<{ pending: number; conflicts: number; proposed: number; oldestPendingSeconds: number | null }> {
  const { rows } = await ex.execute(`SELECT
      (SELECT count(*) FROM publications WHERE state = 'pending') AS pending,
      (SELECT count(*) FROM publications WHERE state = 'conflict') AS conflicts,
      (SELECT count(*) FROM publications WHERE state = 'proposed') AS proposed,
      (SELECT min(created_at) FROM publications WHERE state = 'pending') AS oldest`);
  const r = rows[0]!;
  const oldest = r.oldest == null ? null : Math.max(0, Math.round((now - Date.parse(String(r.oldest))) / 1000));
  return { pending: Number(r.pending), conflicts: Number(r.conflicts), proposed: Number(r.proposed), oldestPendingSeconds: oldest };
}

/** Deletes the publications of saves that retention removes, in the caller's transaction; how many went. */
export async function forgetPublicationsIn(tx: Transaction, changeIds: number[]): Promise<number> {
  const del = await tx.execute({ sql: `DELETE FROM publications WHERE change_id IN (${changeIds.map(() => '?').join(',')})`, args: changeIds });
  await tx.execute({ sql: `DELETE FROM proposal_saves WHERE change_id IN (${changeIds.map(() => '?').join(',')})`, args: changeIds });
  return del.rowsAffected;
}
